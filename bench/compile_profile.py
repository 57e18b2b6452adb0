"""Where Numba's compile time goes: per-function compile seconds of one training run, from Numba's event API.

    python bench/compile_profile.py --model nplm --loss hs          # a cold cache of its own (a temp dir)
    python bench/compile_profile.py --model sg --cache-dir /tmp/nc  # reuse a cache dir: warm after one run

Each dispatcher's compile is listed with its inclusive seconds (functions it compiled on the way are
inside) and, beside it, the seconds it spent compiling those callees. The corpus is a small planted text.
"""

import argparse
import collections
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="sg")
    ap.add_argument("--loss", default="ns")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--cache-dir", default=None, help="NUMBA_CACHE_DIR [a new temporary directory: cold]")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--subwords", default="0", help="fastText's n-grams, e.g. 3-6 [0: none]")
    args = ap.parse_args()
    os.environ["NUMBA_CACHE_DIR"] = args.cache_dir or tempfile.mkdtemp(prefix="w2v-numba-")
    sys.path.insert(0, ROOT)
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from numba.core import event

    from conftest import planted_corpus

    inclusive, callees, stack = collections.defaultdict(float), collections.defaultdict(float), []

    class Listener(event.Listener):
        def on_start(self, e):
            fn = e.data["dispatcher"].py_func
            stack.append((fn.__qualname__, time.perf_counter()))

        def on_end(self, e):
            name, t0 = stack.pop()
            dt = time.perf_counter() - t0
            inclusive[name] += dt
            if stack:
                callees[stack[-1][0]] += dt

    event.register("numba:compile", Listener())
    corpus = os.path.join(tempfile.mkdtemp(prefix="w2v-prof-"), "planted.txt")
    planted_corpus(corpus)
    import w2v

    t0 = time.perf_counter()
    extra = dict(subwords=args.subwords, buckets=1000) if args.subwords != "0" else {}
    kw = dict(loss=args.loss) if args.model != "glove" else {}
    w2v.train(corpus, model=args.model, threads=args.threads, dim=16, min_count=1, epochs=1, progress=False,
              **kw, **extra)
    print(f"{args.model}/{args.loss}, {args.threads} threads: {time.perf_counter() - t0:.1f} s in all "
          f"(cache {os.environ['NUMBA_CACHE_DIR']})")
    print(f"{'inclusive s':>12} {'in callees':>11}  function")
    for name, secs in sorted(inclusive.items(), key=lambda kv: -kv[1])[:args.top]:
        print(f"{secs:12.2f} {callees[name]:11.2f}  {name}")


if __name__ == "__main__":
    main()
