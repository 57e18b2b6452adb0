"""The command line through Click's CliRunner, plus start-up cost of `w2v --help`."""

import json
import os
import subprocess
import sys

import click
import numpy as np
import pytest
from click.testing import CliRunner

from w2v.cli import cli
from w2v.vectors import Vectors



def walk(group, path=()):
    """Every command path of the Click group, the group itself first."""
    yield list(path)
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from walk(command, path + (name,))
        else:
            yield list(path) + [name]


COMMANDS = list(walk(cli))


def run(*args, **kw):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False, **kw)


def one_line_error(result):
    assert result.exit_code != 0
    out = result.output.strip()
    assert "Traceback" not in out
    assert len(out.splitlines()) == 1, out
    return out


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "w2v")
def test_every_command_has_help(cmd):
    r = run(*cmd, "--help")
    assert r.exit_code == 0 and "Usage:" in r.output
    if cmd:
        assert "xample" in r.output


def test_the_walk_finds_every_command():
    assert ["eval", "perplexity"] in COMMANDS and ["train"] in COMMANDS and len(COMMANDS) >= 13


def test_train_defaults_are_the_librarys():
    """`w2v train` passes only the options given, so the defaults it shows must be TrainConfig's."""
    import dataclasses

    from w2v.config import TrainConfig

    fields = {f.name: f.default for f in dataclasses.fields(TrainConfig)}
    shown = {p.name: p.default for p in cli.commands["train"].params if p.name in fields}
    assert len(shown) >= 25
    for name, default in shown.items():
        assert default == fields[name], name


@pytest.mark.parametrize("argv", [["--help"], ["eval", "similarity", "{v}"], ["eval", "analogies", "{v}"],
                                  ["convert", "{v}", "{d}/out.txt"], ["similar", "{v}", "king"]])
def test_help_eval_convert_do_not_import_numba(tmp_path, argv):
    rng = np.random.default_rng(0)
    Vectors(["king", "queen", "man"], rng.normal(size=(3, 4)).astype(np.float32)).save(tmp_path / "v.bin")
    assert_runs_without_numba([a.format(v=tmp_path / "v.bin", d=tmp_path) for a in argv])


def assert_runs_without_numba(argv):
    """``w2v ARGV`` in a fresh interpreter succeeds without importing Numba."""
    code = (f"import sys; from w2v.cli import main; sys.argv = ['w2v'] + {argv!r}\n"
            "try: main()\nexcept SystemExit as e: assert not e.code, e.code\n"
            "assert 'numba' not in sys.modules, 'numba imported'; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stderr


def test_train_eval_similar_analogy_convert(planted, tmp_path):
    path, groups = planted
    out = tmp_path / "v.bin"
    r = run("train", path, "-o", out, "--dim", 16, "--min-count", 1, "--epochs", 2, "--threads", 1, "--quiet")
    assert r.exit_code == 0 and r.output == ""
    v = Vectors.load(out)
    assert v.dim == 16 and "c0w00" in v
    r = run("similar", out, "c0w00", "-n", 3)
    assert r.exit_code == 0 and len(r.output.splitlines()) == 3
    r = run("analogy", out, "c0w00", "c0w01", "c1w00", "-n", 2)
    assert r.exit_code == 0 and len(r.output.splitlines()) == 2
    r = run("convert", out, tmp_path / "v.txt")
    assert r.exit_code == 0 and "wrote" in r.stderr
    assert run("convert", out, tmp_path / "v2.txt", "-q").stderr == ""
    assert np.allclose(Vectors.load(tmp_path / "v.txt").vectors, v.vectors, atol=1e-6)
    r = run("convert", out, tmp_path / "v.glove", "--format", "glove")
    assert r.exit_code == 0 and not (tmp_path / "v.glove").read_text().startswith(str(len(v)))
    r = run("eval", "analogies", out, "--json")
    assert r.exit_code == 0 and json.loads(r.output)["total"]["answered"] == 0
    r = run("eval", "similarity", out)
    assert r.exit_code == 0 and "wordsim353" in r.output and "simlex999" in r.output


def test_train_text_output_and_progress_on_stderr(planted, tmp_path):
    path, _ = planted
    out = tmp_path / "v.txt"
    r = CliRunner().invoke(cli, ["train", path, "-o", str(out), "--min-count", "1", "--epochs", "1", "--dim", "8"])
    assert r.exit_code == 0, r.output
    assert out.read_text().startswith(f"{len(Vectors.load(out))} 8\n")
    assert "words/s" in r.output and "vocabulary:" in r.output
    # the kernels are compiled or loaded on a line of their own, before the progress bar
    kernel_line = next(i for i, line in enumerate(r.output.splitlines())
                       if "compiled kernels in" in line or "kernels loaded in" in line)
    assert kernel_line < next(i for i, line in enumerate(r.output.splitlines()) if "words/s" in line)


def test_eval_on_real_vectors(tmp_path):
    words = ["king", "queen", "man", "woman", "love", "sex", "tiger", "cat"]
    rng = np.random.default_rng(0)
    Vectors(words, rng.normal(size=(8, 10)).astype(np.float32)).save(tmp_path / "v.txt")
    r = run("eval", "analogies", tmp_path / "v.txt")
    assert r.exit_code == 0 and "total" in r.output and "family" in r.output
    r = run("eval", "similarity", tmp_path / "v.txt", "--json")
    res = json.loads(r.output)
    assert res[0]["found"] > 0 and res[0]["oov"] > 0


@pytest.mark.parametrize("setup,args,match", [
    (None, ["train", "{d}/missing.txt", "-o", "{d}/v.bin"], "not found"),
    ("", ["train", "{d}/c.txt", "-o", "{d}/v.bin"], "empty"),
    ("a b c\n", ["train", "{d}/c.txt", "-o", "{d}/v.bin"], "min-count"),
    ("a b c\n", ["train", "{d}/c.txt", "-o", "{d}/v.bin", "--dim", "0"], "--dim"),
    ("a b c\n", ["train", "{d}/c.txt", "-o", "{d}/v.model"], "suffix"),
    ("a b c\n", ["train", "{d}/c.txt", "-o", "{d}/nodir/v.bin"], "directory"),
    ("a b c\n", ["train", "{d}", "-o", "{d}/v.bin"], "vocabulary is empty"),  # a directory: its files
    (b"\x00\x01\x02garbage\xff", ["eval", "analogies", "{d}/c.txt"], "c.txt"),
    ("2 3\nfoo 1 2 3\nbar 1 2\n", ["eval", "similarity", "{d}/c.txt"], "line 3"),
    ("2 3\nfoo 1 2 3\n", ["similar", "{d}/c.txt", "foo"], "announces 2"),
    ("1 3\nfoo 1 2 3\n", ["similar", "{d}/c.txt", "bar"], "not in vocabulary"),
    ("1 3\nfoo 1 2 3\n", ["convert", "{d}/c.txt", "{d}/out.xyz"], "suffix"),
])
def test_errors_are_one_line_and_leave_no_output(tmp_path, setup, args, match):
    if setup is not None:
        p = tmp_path / "c.txt"
        p.write_bytes(setup if isinstance(setup, bytes) else setup.encode())
    before = set(os.listdir(tmp_path))
    r = run(*[a.format(d=tmp_path) for a in args])
    msg = one_line_error(r)
    assert match in msg
    assert set(os.listdir(tmp_path)) == before  # nothing written, no temporary files


def test_demo_runs(tmp_path):
    out = tmp_path / "demo.bin"
    r = run("demo", "-o", out, "--quiet")
    assert r.exit_code == 0, r.output
    assert "evaluation:" in r.output and str(out) in r.output
    v = Vectors.load(out)
    assert "list" in v and "thread" in v


def test_train_from_standard_input(planted, tmp_path):
    path, groups = planted
    out = tmp_path / "v.txt"
    with open(path, "rb") as f:
        data = f.read()
    r = CliRunner().invoke(cli, ["train", "-", "-o", str(out), "--min-count", "1", "--dim", "8", "--epochs", "1",
                                 "-q"], input=data)
    assert r.exit_code == 0, r.output
    assert sorted(Vectors.load(out).words) == sorted(set(data.decode().split()))


def test_limit_reads_the_first_words_of_a_vectors_file(tmp_path):
    rng = np.random.default_rng(0)
    Vectors([f"w{i}" for i in range(20)], rng.normal(size=(20, 4)).astype(np.float32)).save(tmp_path / "v.bin")
    r = CliRunner().invoke(cli, ["convert", str(tmp_path / "v.bin"), str(tmp_path / "v.txt"), "--limit", "5"])
    assert r.exit_code == 0 and Vectors.load(tmp_path / "v.txt").words == [f"w{i}" for i in range(5)]
    r = CliRunner().invoke(cli, ["similar", str(tmp_path / "v.bin"), "w1", "--limit", "3", "-n", "5"])
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 2  # only w0 and w2 are there to answer


def test_eval_restrict_is_validated_and_taken_by_both_evaluations(tmp_path):
    rng = np.random.default_rng(1)
    Vectors(["king", "queen", "man", "woman"], rng.normal(size=(4, 5)).astype(np.float32)).save(tmp_path / "v.bin")
    r = CliRunner().invoke(cli, ["eval", "analogies", str(tmp_path / "v.bin"), "--restrict", "-1"])
    assert r.exit_code == 2 and "--restrict" in r.output
    pairs = tmp_path / "pairs.txt"
    pairs.write_text("king\tqueen\t8\nman\twoman\t7\nking\tman\t5\n")
    for restrict, found in ((0, 3), (2, 1)):  # the first two words: king and queen
        r = CliRunner().invoke(cli, ["eval", "similarity", str(tmp_path / "v.bin"), "--dataset", str(pairs),
                                     "--restrict", str(restrict), "--json"])
        assert r.exit_code == 0 and json.loads(r.stdout)[0]["found"] == found
    r = CliRunner().invoke(cli, ["similar", str(tmp_path / "v.bin"), "king", "--topn", "2"])
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 2


def test_json_results_of_similar_analogy_and_vocab(planted, tmp_path):
    path, _ = planted
    out = tmp_path / "v.bin"
    assert run("train", path, "-o", out, "--dim", 8, "--min-count", 1, "--epochs", 1, "--threads", 1, "-q").exit_code == 0
    v = Vectors.load(out)
    r = run("similar", out, "c0w00", "-n", 3, "--json")
    assert r.exit_code == 0
    got = json.loads(r.output)
    assert [(d["word"], round(d["similarity"], 5)) for d in got] == [(w, round(float(s), 5))
                                                                     for w, s in v.most_similar(["c0w00"], topn=3)]
    r = run("analogy", out, "c0w00", "c0w01", "c1w00", "-n", 2, "--json")
    assert r.exit_code == 0 and [d["word"] for d in json.loads(r.output)] == [
        w for w, _ in v.analogy("c0w00", "c0w01", "c1w00", topn=2)]
    work = tmp_path / "work"
    work.mkdir()
    r = run("vocab", path, "--min-count", 1, "--top", 3, "--json", "-q", "-o", tmp_path / "vocab.txt",
            "--tmp-dir", work)
    assert r.exit_code == 0 and r.stderr == ""  # (-q: no "wrote" line)
    rep = json.loads(r.stdout)
    assert rep["kept"] == len(v) and [t["word"] for t in rep["top"]] == v.words[:3] and rep["tokens"] > rep["kept"]
    assert (tmp_path / "vocab.txt").exists() and list(work.iterdir()) == []  # (the work files went and were removed)
