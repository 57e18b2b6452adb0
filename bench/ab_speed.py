"""Two checkouts of w2v, alternated on one machine: the training rate of the same run from each.

    python bench/ab_speed.py --roots /tmp/base,. --corpus /tmp/w2v-bench/bench-en-first10M.txt \\
        --rounds 2 model=cbow loss=hs threads=1
    python bench/ab_speed.py --roots /tmp/base,. --corpus c200k.txt model=nplm loss=softmax dim=60 \\
        hidden=100 context=4 min_count=20

Each run is a fresh process (``w2v.api.train`` from that checkout, ``epochs=1, seed=1`` unless given),
so a checkout's first run includes compiling its kernels (its ``total`` shows it); the rounds alternate
the checkouts, because this machine's speed drifts. Prints one JSON line per run: the training seconds,
the rate (tokens/s, and examples/s for the NPLM), the whole call's seconds, the final loss.

``--side-by-side`` starts the checkouts' runs of a round at once (two one-thread runs on this 2-core
machine), so that both meet the same machine; the order of start alternates between rounds. Use it for
one-thread runs only, with as many checkouts as cores.

With two checkouts the last line gives, per round, the second's rate over the first's, and their mean and
median over the rounds after the first (whose runs may have compiled). On the 2-core Zen 3 machine, six
such side-by-side rounds of skip-gram from two trees whose skip-gram code was the same gave a mean of 1.001
(0.958-1.053 per round): means of six rounds separate about 3%, single rounds do not.
"""

import argparse
import ast
import json
import os
import statistics
import subprocess
import sys

CHILD = r"""
import json, sys, time
sys.path.insert(0, {root!r})
from w2v.api import train
t0 = time.perf_counter()
r = train({corpus!r}, progress=False, **{kw!r})
total = time.perf_counter() - t0
row = dict(train_s=round(r.train_seconds, 2), tokens_per_s=round(r.total_tokens / r.train_seconds),
           total_s=round(total, 2), loss=round(r.epoch_losses[-1], 5))
if "examples_per_second" in r.stats:
    row["examples_per_s"] = round(r.stats["examples_per_second"])
print(json.dumps(row))
"""


def value(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--roots", required=True, help="checkouts, comma-separated")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--side-by-side", action="store_true", help="run a round's checkouts at the same time")
    ap.add_argument("options", nargs="*", help="KEY=VALUE options of w2v.api.train")
    args = ap.parse_args()
    kw = {"epochs": 1, "seed": 1, **{k: value(v) for k, v in (o.split("=", 1) for o in args.options)}}
    roots = [os.path.abspath(r) for r in args.roots.split(",")]
    rates = {}
    for rnd in range(args.rounds):
        order = roots if rnd % 2 == 0 or not args.side_by_side else roots[::-1]
        procs = []
        for root in order:
            cmd = [sys.executable, "-c", CHILD.format(root=root, corpus=args.corpus, kw=kw)]
            procs.append((root, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
            if not args.side_by_side:
                procs[-1] = (root, procs[-1][1].communicate(), procs[-1][1].returncode)
        for item in procs:
            if args.side_by_side:
                root, p = item
                out, err = p.communicate()
                code = p.returncode
            else:
                root, (out, err), code = item
            if code != 0:
                raise SystemExit(f"{root} failed:\n{err[-2000:]}")
            row = json.loads(out.strip().splitlines()[-1])
            rates.setdefault(rnd, {})[root] = row["tokens_per_s"]
            print(json.dumps({"round": rnd, "root": root, **row}), flush=True)
    if len(roots) == 2:
        ratios = [rates[r][roots[1]] / rates[r][roots[0]] for r in range(args.rounds)]
        later = ratios[1:] or ratios
        print(json.dumps({"ratios": [round(x, 3) for x in ratios], "mean_after_first": round(statistics.mean(later), 3),
                          "median_after_first": round(statistics.median(later), 3)}), flush=True)

if __name__ == "__main__":
    main()
