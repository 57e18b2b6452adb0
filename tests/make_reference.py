"""Regenerate ``tests/data/reference.npz``: the vectors (and NPLM parameters) that a given revision of w2v
trains with ``--threads 1 --seed 7`` for every model x loss, on a small planted corpus.

``tests/test_reference.py`` trains the same runs with the code in the tree and asks for bit-identical
results, so a refactor that changes no behaviour can prove it. Runs go through the command line, which
is stable across revisions; the revision is checked out into a temporary git worktree.

    python tests/make_reference.py              # from HEAD
    python tests/make_reference.py --rev 23083b8

Bit identity holds on the CPU the references were made on (Numba compiles for the host CPU and fastmath
lets LLVM vectorise differently elsewhere); the file records that CPU and the test says when it differs.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "data", "reference.npz")
COMMON = ["--dim", "8", "--min-count", "1", "--threads", "1", "--seed", "7", "--quiet"]

# name -> extra options of `w2v train`; every model x loss, and skip-gram's classic update
RUNS = {
    "sg-ns": ["--model", "sg", "--loss", "ns", "--epochs", "2"],
    "sg-nce": ["--model", "sg", "--loss", "nce", "--epochs", "2"],
    "sg-hs": ["--model", "sg", "--loss", "hs", "--epochs", "2"],
    "sg-classic-ns": ["--model", "sg", "--loss", "ns", "--classic", "--epochs", "2"],
    "sg-classic-hs": ["--model", "sg", "--loss", "hs", "--classic", "--epochs", "2"],
    "cbow-ns": ["--model", "cbow", "--loss", "ns", "--epochs", "2"],
    "cbow-nce": ["--model", "cbow", "--loss", "nce", "--epochs", "2"],
    "cbow-hs": ["--model", "cbow", "--loss", "hs", "--cbow-sum", "--epochs", "2"],
    "glove": ["--model", "glove", "--epochs", "3"],
    "nplm-softmax": ["--model", "nplm", "--loss", "softmax", "--epochs", "1", "--hidden", "6", "--context", "2"],
    "nplm-hs": ["--model", "nplm", "--loss", "hs", "--epochs", "1", "--hidden", "6", "--context", "2", "--direct"],
    "nplm-nce": ["--model", "nplm", "--loss", "nce", "--epochs", "1", "--hidden", "6", "--context", "2"],
    "nplm-ns": ["--model", "nplm", "--loss", "ns", "--epochs", "1", "--hidden", "6", "--context", "2",
                "--batch", "3"],
}


def write_corpus(path):
    sys.path.insert(0, HERE)
    from conftest import planted_corpus

    planted_corpus(path, seed=3, clusters=4, words_per_cluster=6, sentences=300)


def output_name(name):
    return "model.npz" if name.startswith("nplm") else "vectors.bin"


def read_output(path):
    """The arrays a run wrote: the vectors of a .bin file, or every parameter of an NPLM model."""
    if path.endswith(".npz"):
        with np.load(path) as z:
            return {k: z[k] for k in ("W_in", "W_hid", "b_hid", "W_out")}
    with open(path, "rb") as f:
        header = f.readline().split()
        n, dim = int(header[0]), int(header[1])
        words, rows = [], []
        for _ in range(n):
            word = b""
            while (c := f.read(1)) != b" ":
                word += c
            words.append(word.strip().decode())
            rows.append(np.frombuffer(f.read(4 * dim), "<f4"))
    return {"vectors": np.vstack(rows), "words": np.array(words)}


def host_cpu():
    try:
        import llvmlite.binding as llvm

        return f"{llvm.get_host_cpu_name()} {llvm.get_host_cpu_features().flatten()}"
    except Exception:  # noqa: BLE001 - a description only
        return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rev", default="HEAD", help="revision whose code makes the references [HEAD]")
    ap.add_argument("-o", "--output", default=OUT)
    args = ap.parse_args()
    rev = subprocess.run(["git", "rev-parse", args.rev], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="w2v-ref-") as tmp:
        tree = os.path.join(tmp, "tree")
        subprocess.run(["git", "worktree", "add", "--detach", tree, rev], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            corpus = os.path.join(tmp, "corpus.txt")
            write_corpus(corpus)
            arrays = {}
            for name, extra in RUNS.items():
                out = os.path.join(tmp, name + "-" + output_name(name))
                code = "import sys; from w2v.cli import main; sys.argv[0] = 'w2v'; main()"
                subprocess.run([sys.executable, "-c", code, "train", corpus, "-o", out, *COMMON, *extra],
                               cwd=tree, check=True, env={**os.environ, "PYTHONPATH": tree})
                for key, value in read_output(out).items():
                    arrays[f"{name}/{key}"] = value
                print(f"{name}: done", file=sys.stderr)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", tree], cwd=ROOT, capture_output=True)
    meta = {"rev": rev, "cpu": host_cpu(), "runs": RUNS, "common": COMMON}
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    np.savez_compressed(args.output, meta=np.array(json.dumps(meta)), **arrays)
    print(f"wrote {len(arrays)} arrays from {rev[:10]} to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
