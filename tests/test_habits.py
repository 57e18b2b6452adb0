"""Habits from other tools: an option or keyword spelled as word2vec.c, gensim, fastText or GloVe's tools
spell it gets w2v's name in a one-line error (habits.py), on the command line and in w2v.train."""

import pytest
from click.testing import CliRunner

import w2v
from w2v.cli import cli
from w2v.habits import OPTIONS, PARAMETERS


@pytest.mark.parametrize("argv,name", [
    (["train", "c.txt", "-size", "100"], "--dim"), (["train", "c.txt", "--size", "100"], "--dim"),
    (["train", "c.txt", "--iter", "3"], "--epochs"), (["train", "c.txt", "--lr=0.1"], "--alpha"),
    (["train", "c.txt", "--thread", "2"], "--threads"), (["train", "c.txt", "--ws", "5"], "--window"),
    (["train", "c.txt", "--epoch", "5"], "--epochs"), (["train", "c.txt", "--min_count", "2"], "--min-count"),
    (["train", "c.txt", "-cbow", "1"], "--model cbow"), (["train", "-train", "c.txt"], "the CORPUS argument"),
    (["phrases", "c.txt", "--min_count", "2"], "--min-count"), (["eval", "analogies", "v.bin", "--thread", "2"],
                                                                 "--threads"),
])
def test_a_foreign_option_gets_w2vs_name(argv, name):
    r = CliRunner().invoke(cli, argv)
    assert r.exit_code == 2 and f"w2v calls it {name}" in r.output
    assert "Traceback" not in r.output and r.output.strip().splitlines()[-1].startswith("Error: no option")


def test_w2vs_own_options_are_never_taken_for_foreign_ones():
    """No entry of the table shadows an option of w2v's own commands (it would refuse a valid option)."""
    own = {o for cmd in cli.commands.values() for c in getattr(cmd, "commands", {cmd.name: cmd}).values()
           for p in c.params for o in getattr(p, "opts", []) + getattr(p, "secondary_opts", [])}
    assert not own & set(OPTIONS)


@pytest.mark.parametrize("kw,name", [(dict(vector_size=50), "dim"), (dict(workers=2), "threads"),
                                     (dict(sg=1), "model='sg'"), (dict(hs=1), "loss='hs'"), (dict(iter=5), "epochs"),
                                     (dict(model="glove", export="w"), "glove_vectors"),
                                     (dict(min_count_=3), "min_count=")])
def test_a_foreign_keyword_gets_w2vs_name(kw, name):
    with pytest.raises(w2v.OptionError, match=name):
        w2v.train("corpus.txt", **kw)


def test_text_given_as_a_corpus_says_what_a_corpus_is():
    with pytest.raises(w2v.OptionError, match="a corpus is a path, a list of paths, or an iterable of token lists"):
        w2v.train("the king rules")
    assert all(v != k for k, v in PARAMETERS.items())
