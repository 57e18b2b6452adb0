"""Calibrate PPL_BAR of tests/test_nplm.py: held-out perplexity on the second-order source, per output
layer over several seeds, beside the unigram perplexity of the same held-out text.

    python bench/calibrate_nplm.py              # seeds 0..4, the settings of the test
    python bench/calibrate_nplm.py --threads 2  # the two-thread cases (hs, nce)
"""

import argparse
import collections
import math
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from test_nplm import PPL_BAR, source_perplexity  # noqa: E402


def unigram_perplexity(train_path, held_path):
    counts = collections.Counter()
    with open(train_path) as f:
        for line in f:
            counts.update(line.split() + ["</s>"])
    total = sum(counts.values())
    logp, n = 0.0, 0
    with open(held_path) as f:
        for line in f:
            for w in line.split() + ["</s>"]:
                logp += math.log(counts[w] / total)
                n += 1
    return math.exp(-logp / n)


def main(seeds=range(5)):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    work = tempfile.mkdtemp()
    for loss in ("softmax", "hs", "nce") if args.threads == 1 else ("hs", "nce"):
        ppl = [source_perplexity(work, loss, seed, args.threads)[0].perplexity for seed in seeds]
        print(f"{loss} @{args.threads}: max {max(ppl):.2f} ({', '.join(f'{p:.2f}' for p in ppl)}); bar {PPL_BAR}")
    uni = [unigram_perplexity(os.path.join(work, f"train{s}.txt"), os.path.join(work, f"held{s}.txt")) for s in seeds]
    print(f"unigram: min {min(uni):.2f} ({', '.join(f'{p:.2f}' for p in uni)})")


if __name__ == "__main__":
    main()
