"""Calibrate the planted-structure test threshold: cluster purity per model x loss over several seeds.

    python bench/calibrate_planted.py            # seeds 1..5, the settings of tests/test_train.py

The test's bar (PURITY_BAR in tests/test_train.py) is set well below the lowest value this prints and
far above what untrained vectors score.
"""

import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]

from conftest import cluster_purity, planted_corpus  # noqa: E402
from test_train import PLANTED  # noqa: E402
from w2v.api import train  # noqa: E402


def main(seeds=range(1, 6)):
    work = tempfile.mkdtemp()
    for model, loss in [("sg", "ns"), ("sg", "hs"), ("cbow", "ns"), ("cbow", "hs"), ("sg", "nce"), ("cbow", "nce"), ("glove", "ns")]:
        scores = []
        for seed in seeds:
            path = os.path.join(work, f"planted{seed}.txt")
            groups = planted_corpus(path, seed=seed, **PLANTED)
            if model == "glove":  # the settings of tests/test_glove.py
                cfg = dict(model="glove", dim=24, window=5, min_count=1, epochs=15, threads=2, seed=seed)
            else:
                cfg = dict(model=model, loss=loss, dim=24, window=4, min_count=1, sample=0, epochs=3,
                                  threads=2, seed=seed)
            scores.append(cluster_purity(train(path, **cfg, progress=False).vectors, groups))
        print(f"{model if model == 'glove' else model + '/' + loss}: min {min(scores):.3f} mean {sum(scores) / len(scores):.3f} "
              f"({', '.join(f'{s:.3f}' for s in scores)})")


if __name__ == "__main__":
    main()
