"""GloVe on rare words: which of w2v's choices costs the vectors of rare words?

Two rare-word checks of our own. Rare twins (planted): 300 words seen 1000-20000 times in bench-en
(seeded choice) each lend 50 random occurrences to a twin token ``WORD__twin``; the corpus is otherwise
bench-en. A twin has its word's contexts, so a good rare-word vector lies near its word: reported are
the mean cosine of twin and word, and how often the word is among the twin's 10 nearest neighbours.
And the word pairs of every similarity set in ../shared/eval (WS-353 all, sim,
rel; SimLex-999; RG-65; MC-30), split by the rarer word's count in bench-en: rare pairs (both words in
the vocabulary, the rarer seen 5-100 times), middle ones (101-1000) and frequent pairs (the rarer seen more than 1000
times), each pair once, its gold score as a percentile within its set (the sets' scales differ).
Spearman correlation on each group, for GloVe variants trained on bench-en (15 epochs, W + C, 2 threads):

- ``float32``: w2v as it is (float32 vectors and AdaGrad sums);
- ``float64``: the same in double precision, as GloVe's C tools (``real`` is double there);
- ``float32 seed 2``: the noise of the seed and the threads;
- ``float32-threads1``: one thread (no hogwild overlap between the contiguous chunks of the epoch).

    python bench/glove_rare.py --variants float32,float64,float32-seed2
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from bench_core import SHARED, prepare_corpus  # noqa: E402

SETS = ("EN-WS-353-ALL.txt", "EN-WS-353-SIM.txt", "EN-WS-353-REL.txt", "EN-SIMLEX-999.txt", "EN-RG-65.txt",
        "EN-MC-30.txt")

CHILD = r"""
import json, sys
sys.path.insert(0, {root!r})
import numpy as np
from w2v import glove_kernels as glove
from w2v.api import train
if {dtype!r} == "float64":
    init = glove.init_params
    glove.init_params = lambda *a: tuple(x.astype(np.float64) for x in init(*a))
r = train({corpus!r}, model="glove", dim=100, window=10, min_count=5, epochs=15, threads={threads}, seed={seed},
          progress=False)
r.vectors.save({out!r})
print(json.dumps(dict(train_s=r.train_seconds, cost=r.epoch_losses[-1])))
"""


def pairs(eval_dir):
    """(word, word, gold) of every set, gold as its percentile within its set (the sets' scales differ);
    a pair listed by several sets (WS-353 all and sim) once."""
    out = {}
    for name in SETS:
        rows = []
        with open(os.path.join(eval_dir, name), encoding="utf-8") as f:
            for line in f:
                parts = line.lower().split()
                try:
                    rows.append((parts[0], parts[1], float(parts[2])))
                except (ValueError, IndexError):
                    pass
        ranked = sorted(r[2] for r in rows)
        for a, b, g in rows:
            out.setdefault((a, b), (a, b, ranked.index(g) / max(len(ranked) - 1, 1)))
    return sorted(out.values())


def scores(vectors_path, counts, eval_dir):
    import numpy as np
    from scipy.stats import spearmanr

    sys.path.insert(0, ROOT)
    from w2v.vectors import Vectors

    v = Vectors.load(vectors_path)
    index = {w: i for i, w in enumerate(v.words)}
    unit = v.vectors / np.linalg.norm(v.vectors, axis=1, keepdims=True)
    groups = {"rare (5-100)": [], "mid (101-1000)": [], "frequent (>1000)": []}
    for a, b, gold in pairs(eval_dir):
        if a not in index or b not in index:
            continue
        c = min(counts[a], counts[b])
        key = "rare (5-100)" if c <= 100 else "mid (101-1000)" if c <= 1000 else "frequent (>1000)"
        groups[key].append((gold, float(unit[index[a]] @ unit[index[b]])))
    return {k: (len(g), spearmanr([x for x, _ in g], [y for _, y in g]).correlation if len(g) > 2 else float("nan"))
            for k, g in groups.items()}


def twin_corpus(corpus, counts, path, n=300, per=50, seed=0, spelling="suffix"):
    """bench-en with ``per`` random occurrences of ``n`` words renamed to a twin token; returns {word: twin}.
    ``spelling``: "suffix" names the twin WORD__twin; "random" gives it a seeded made-up spelling of
    lowercase letters (no word of the vocabulary), for subword models, whose twins would otherwise share the
    n-grams of ``__twin`` with each other and their words' n-grams with their words."""
    import numpy as np

    rng = np.random.default_rng(seed)
    pool = sorted(w for w, c in counts.items() if 1000 <= c <= 20000 and w.isalpha())
    words = sorted(rng.choice(pool, n, replace=False).tolist())
    rename = {w: set(rng.choice(counts[w], per, replace=False).tolist()) for w in words}
    if spelling == "suffix":
        twin = {w: w + "__twin" for w in words}
    else:
        letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
        twin, taken = {}, set(counts)
        for w in words:
            t = w
            while t in taken:
                t = "".join(rng.choice(letters, max(5, len(w))))
            taken.add(t)
            twin[w] = t
    seen = dict.fromkeys(words, 0)
    if not os.path.exists(path):
        with open(corpus, encoding="utf-8") as fin, open(path + ".part", "w", encoding="utf-8") as fout:
            for line in fin:
                tokens = line.split()
                for i, t in enumerate(tokens):
                    if t in seen:
                        if seen[t] in rename[t]:
                            tokens[i] = twin[t]
                        seen[t] += 1
                fout.write(" ".join(tokens) + "\n")
        os.replace(path + ".part", path)
    return twin


def twin_scores(vectors_path, twin):
    """Per twin (in ``twin``'s order): its cosine to its word, and its word's rank among the twin's nearest
    neighbours (1: the nearest). The rank is what to compare between tools: a tool whose vectors share a
    large common direction gives every pair a high cosine."""
    import numpy as np

    sys.path.insert(0, ROOT)
    from w2v.vectors import Vectors

    v = Vectors.load(vectors_path)
    index = {w: i for i, w in enumerate(v.words)}
    unit = v.vectors / np.maximum(np.linalg.norm(v.vectors, axis=1, keepdims=True), 1e-12)
    cos, ranks = [], []
    for w, tw in twin.items():
        t = index[tw]
        sims = unit @ unit[t]
        sims[t] = -2
        cos.append(float(sims[index[w]]))
        ranks.append(int((sims > sims[index[w]]).sum()) + 1)
    return cos, ranks


def twins(vectors_path, twin):
    """(mean cosine of twin and word, share of twins with the word among their 10 nearest neighbours)."""
    cos, ranks = twin_scores(vectors_path, twin)
    return sum(cos) / len(cos), sum(r <= 10 for r in ranks) / len(ranks)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=os.path.join(SHARED, "corpora", "bench-en.txt.xz"))
    ap.add_argument("--eval-dir", default=os.path.join(SHARED, "eval"))
    ap.add_argument("--workdir", default="/tmp/w2v-bench")
    ap.add_argument("--variants", default="float32,float64,float32-seed2")
    args = ap.parse_args()
    corpus = prepare_corpus(args.corpus, args.workdir, None)
    sys.path.insert(0, ROOT)
    from w2v.api import vocabulary

    report = vocabulary(corpus, min_count=5)
    counts = dict(zip(report.vocab.words, report.vocab.counts.tolist()))
    twin_path = os.path.join(args.workdir, "bench-en-twins.txt")
    twin = twin_corpus(corpus, counts, twin_path)
    print("| variant | train s | final cost | twins: mean cosine to their word | word in twin's top 10 | "
          "pairs, rarer word 5-100: n, Spearman | 101-1000 | >1000 |")
    print("|---|---|---|---|---|---|---|---|")
    for variant in args.variants.split(","):
        dtype = "float64" if variant.startswith("float64") else "float32"
        seed = int(variant.split("seed")[1].split("-")[0]) if "seed" in variant else 1
        out = os.path.join(args.workdir, f"glove-rare-{variant}.bin")
        threads = 1 if "threads1" in variant else 2
        code = CHILD.format(root=ROOT, dtype=dtype, corpus=twin_path, seed=seed, out=out, threads=threads)
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if res.returncode != 0:
            raise SystemExit(res.stderr[-3000:])
        r = json.loads(res.stdout.strip().splitlines()[-1])
        cos, top10 = twins(out, twin)
        s = scores(out, counts, args.eval_dir)
        print(f"| {variant} | {r['train_s']:.0f} | {r['cost']:.5f} | {cos:.3f} | {100 * top10:.1f}% | " + " | ".join(
            f"{n}, {rho:.3f}" for n, rho in s.values()) + " |", flush=True)


if __name__ == "__main__":
    main()
