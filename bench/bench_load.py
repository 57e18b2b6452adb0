"""Loading published-size vectors files: w2v against gensim's load_word2vec_format, same files, same run.

A generated file of N words x D (word2vec binary and text; random float32 vectors, words w0..wN-1) is
loaded by each tool in a fresh subprocess; printed: wall seconds and peak RSS (VmHWM), and the ratios.

    python bench/bench_load.py --words 1000000 --dim 300      # the issue's size (1.2 GB binary, 2.7 GB text)
    python bench/bench_load.py --words 200000 --dim 300 --formats bin,text
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

CHILD = r"""
import json, sys, time
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
if {tool!r} == "gensim":
    from gensim.models import KeyedVectors
    kv = KeyedVectors.load_word2vec_format({path!r}, binary={binary})
    n, check = len(kv), float(kv.vectors[-1].sum())
else:
    from w2v.vectors import Vectors
    v = Vectors.load({path!r})
    n, check = len(v), float(v.vectors[-1].sum())
t = time.perf_counter() - t0
hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]
print(json.dumps(dict(seconds=t, rss_mb=int(hwm) / 1024, words=n, check=check)))
"""


def make(path, fmt, n, dim):
    if os.path.exists(path):
        return
    sys.path.insert(0, ROOT)
    from w2v.vectors import Vectors

    rng = np.random.default_rng(0)
    Vectors([f"w{i}" for i in range(n)], rng.standard_normal((n, dim), dtype=np.float32)).save(path, fmt)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--words", type=int, default=1_000_000)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--formats", default="bin,text")
    ap.add_argument("--workdir", default="/tmp/w2v-load")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    for fmt in args.formats.split(","):
        path = os.path.join(args.workdir, f"v{args.words}x{args.dim}.{'bin' if fmt == 'bin' else 'txt'}")
        make(path, fmt, args.words, args.dim)
        size = os.path.getsize(path) / 1e6
        res = {}
        for tool in ("gensim", "w2v"):
            code = CHILD.format(root=ROOT, tool=tool, path=path, binary=fmt == "bin")
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
            if out.returncode:
                raise SystemExit(f"{tool} failed:\n{out.stderr[-2000:]}")
            res[tool] = json.loads(out.stdout.strip().splitlines()[-1])
            r = res[tool]
            print(f"{fmt:4s} {size:7.0f} MB  {tool:6s} {r['seconds']:7.2f} s  peak RSS {r['rss_mb']:6.0f} MB  "
                  f"({r['words']} words)", flush=True)
        assert res["gensim"]["words"] == res["w2v"]["words"]
        assert abs(res["gensim"]["check"] - res["w2v"]["check"]) < 1e-2
        g, w = res["gensim"], res["w2v"]
        print(f"{fmt:4s} w2v/gensim: {g['seconds'] / w['seconds']:.2f}x faster, peak RSS x{w['rss_mb'] / g['rss_mb']:.2f}",
              flush=True)


if __name__ == "__main__":
    main()
