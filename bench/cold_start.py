"""Cold start: what a new user waits for before the first vectors, and what a warm run pays.

    python bench/cold_start.py --corpus ../shared/corpora/bench-en.txt.xz

1. A fresh virtual environment (``--system-site-packages``, so numba, numpy and scipy come from this
   Python rather than a download; ``--no-system-site-packages`` installs them too), ``pip install .``
   of this checkout into it (non-editable: a fresh package folder, so Numba's cache is empty), then
   ``w2v demo`` twice: cold and warm.
2. In that environment, the first run of every model x loss x thread count on a 1M-token prefix of the
   corpus (the NPLM with --max-vocab 2000), then the same run again (warm): wall seconds, and the kernel compile or load seconds that
   w2v prints on its own line ("compiled kernels in X s" / "kernels loaded in X s").
"""

import argparse
import lzma
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMBINATIONS = [("sg", "ns"), ("sg", "nce"), ("sg", "hs"), ("cbow", "ns"), ("cbow", "nce"), ("cbow", "hs"),
                ("glove", "ns"), ("nplm", "hs"), ("nplm", "nce"), ("nplm", "softmax")]
EXTRA = {"nplm": ["--max-vocab", "2000"]}  # the softmax is O(V) per word: a small vocabulary keeps it short


def timed(cmd, **kw):
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    return time.perf_counter() - t0, r.stdout + r.stderr


def kernel_seconds(output):
    m = re.search(r"(compiled kernels|kernels loaded) in ([0-9.]+) s", output)
    return ("compiled" if m.group(1).startswith("compiled") else "loaded", float(m.group(2))) if m else \
        ("-", float("nan"))


def prefix(corpus, path, tokens):
    opener = lzma.open if corpus.endswith(".xz") else open
    n = 0
    with opener(corpus, "rt", encoding="utf-8") as f, open(path, "w", encoding="utf-8") as out:
        for line in f:
            out.write(line)
            n += len(line.split())
            if n >= tokens:
                break
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpora", "bench-en.txt.xz"))
    ap.add_argument("--tokens", type=int, default=1_000_000)
    ap.add_argument("--no-system-site-packages", action="store_true")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--demo-only", action="store_true", help="stop after the demo")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="w2v-cold-")
    venv = os.path.join(work, "venv")
    flags = [] if args.no_system_site_packages else ["--system-site-packages"]
    t_venv, _ = timed([sys.executable, "-m", "venv", *flags, venv])
    bindir = os.path.join(venv, "bin")
    t_pip, _ = timed([os.path.join(bindir, "pip"), "install", "-q", ROOT])
    w2v = os.path.join(bindir, "w2v")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}  # the package's own cache folder
    rows = [f"venv {t_venv:.1f} s, pip install . {t_pip:.1f} s"]
    for label in ("cold", "warm"):
        wall, out = timed([w2v, "demo", "-o", os.path.join(work, "demo.bin")], env=env, cwd=work)
        kind, secs = kernel_seconds(out)
        rows.append(f"w2v demo ({label}): {wall:.1f} s wall, kernels {kind} in {secs:.2f} s")
    print("\n".join(rows), flush=True)
    if args.demo_only:
        return
    text = os.path.join(work, "prefix.txt")
    n = prefix(args.corpus, text, args.tokens)
    print(f"\n{n}-token prefix of {os.path.basename(args.corpus)}\n")
    print("| model | loss | threads | first run: wall s | compile s | again: wall s | load s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for model, loss in COMBINATIONS:
        for threads in args.threads.split(","):
            runs = []
            for _ in range(2):
                out_path = os.path.join(work, "m.npz" if model == "nplm" else "v.bin")
                cmd = [w2v, "train", text, "--model", model, "--loss", loss, "--threads", threads, "--epochs", "1",
                       "-o", out_path, *EXTRA.get(model, [])]
                runs.append((*timed(cmd, env=env, cwd=work),))
            (w1, o1), (w2, o2) = runs
            k1, s1 = kernel_seconds(o1)
            k2, s2 = kernel_seconds(o2)
            first = f"{s1:.2f}" if k1 == "compiled" else f"({k1} {s1:.2f})"
            print(f"| {model} | {loss if model != 'glove' else '-'} | {threads} | {w1:.1f} | {first} | {w2:.1f} | "
                  f"{s2:.2f} |", flush=True)


if __name__ == "__main__":
    main()
