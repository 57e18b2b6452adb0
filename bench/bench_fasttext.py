"""Subword models: w2v --subwords against fastText (``fasttext.train_unsupervised``) and gensim's
``FastText`` (corpus_file mode), same settings, same threads, same run, on bench-en.

Each tool trains in a fresh subprocess on the same plain text and writes fastText's model file (.bin:
fastText's ``save_model``, gensim's ``save_facebook_model``, w2v's ``-o x.bin``), the output a subword
model's user keeps. Printed per case and tool: the whole run (vocabulary, training, writing the file;
w2v's includes compiling its kernels when its cache is cold), the training-only rate in corpus words per
second, peak RSS; then, every file read back by w2v's reader (so every tool is scored the same way):
analogy (restrict 30000), WS-353 and SimLex-999 with pairs outside the vocabulary answered from their
n-grams, and the pairs of every similarity set in ../shared/eval split by the rarer word's count in the
corpus (rare: seen 5-100 times; unseen: a word outside the vocabulary, answered from its n-grams).
Each comparison prints a 95% interval for the rare pairs' difference (a paired bootstrap over the pairs):
on the full corpus that group holds about 50 pairs, too few to tell tools 0.02 apart.

``--twins`` trains every tool on a copy of the corpus where 300 words seen 1,000-20,000 times each lend 50
random occurrences to a made-up "twin" (glove_rare.twin_corpus, seeded random spellings, so a twin shares no
n-grams with its word by design): a rare word with a known answer. Printed: how often the word is among
its twin's 10 nearest neighbours (with a paired bootstrap interval of the difference between tools), the
word's median rank, and the mean cosine (not comparable between tools: fastText's vectors share a large
common direction, which raises every cosine).

Settings: fastText's defaults for its unsupervised models where the tools differ (lr 0.05, t 1e-4),
dim 100, window 5, 5 noise words, min count 5, character 3-6-grams in 2M buckets.

    python bench/bench_fasttext.py --cases sg,cbow --epochs 1
    python bench/bench_fasttext.py --cases sg --epochs 5 --limit 10000000
    python bench/bench_fasttext.py --cases sg --twins
    python bench/bench_fasttext.py --cases cbow --tools w2v,gensim --repeat 3   # each round's ratios, their medians
"""

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from bench_core import SHARED, prepare_corpus  # noqa: E402
from glove_rare import pairs, twin_corpus, twin_scores  # noqa: E402

SETTINGS = dict(dim=100, window=5, negative=5, min_count=5, sample=1e-4, alpha=0.05, minn=3, maxn=6,
                buckets=2_000_000)

CHILD_W2V = r"""
import json, sys, time
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
from w2v.api import train
s = {settings!r}
r = train({corpus!r}, model={model!r}, dim=s["dim"], window=s["window"], negative=s["negative"],
          min_count=s["min_count"], sample=s["sample"], alpha=s["alpha"], subwords=(s["minn"], s["maxn"]),
          buckets=s["buckets"], epochs={epochs}, threads={threads}, seed=1, progress=False, output={out!r})
total = time.perf_counter() - t0
hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]
print(json.dumps(dict(train_s=r.train_seconds, total_s=total, tokens=r.total_tokens, rss_mb=int(hwm) / 1024)))
"""

CHILD_FASTTEXT = r"""
import json, time
t0 = time.perf_counter()
import fasttext
s = {settings!r}
m = fasttext.train_unsupervised({corpus!r}, model={ftmodel!r}, dim=s["dim"], ws=s["window"], neg=s["negative"],
                                minCount=s["min_count"], t=s["sample"], lr=s["alpha"], minn=s["minn"],
                                maxn=s["maxn"], bucket=s["buckets"], epoch={epochs}, thread={threads}, verbose=0)
t1 = time.perf_counter()
m.save_model({out!r})
total = time.perf_counter() - t0
hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]
print(json.dumps(dict(train_s=t1 - t0, total_s=total, rss_mb=int(hwm) / 1024)))
"""

CHILD_GENSIM = r"""
import json, time
t0 = time.perf_counter()
from gensim.models import FastText
from gensim.models.fasttext import save_facebook_model
s = {settings!r}
m = FastText(vector_size=s["dim"], window=s["window"], negative=s["negative"], min_count=s["min_count"],
             sample=s["sample"], alpha=s["alpha"], min_n=s["minn"], max_n=s["maxn"], bucket=s["buckets"],
             sg=int({model!r} == "sg"), workers={threads}, seed=1)
m.build_vocab(corpus_file={corpus!r})
t1 = time.perf_counter()
m.train(corpus_file={corpus!r}, total_words=m.corpus_total_words, epochs={epochs})
t2 = time.perf_counter()
save_facebook_model(m, {out!r})
total = time.perf_counter() - t0
hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]
print(json.dumps(dict(train_s=t2 - t1, total_s=total, tokens=m.corpus_total_words, rss_mb=int(hwm) / 1024)))
"""


def run(tool, model, corpus, epochs, threads, workdir):
    out = os.path.join(workdir, f"ft-{tool}-{model}-e{epochs}.bin")
    child = {"w2v": CHILD_W2V, "fasttext": CHILD_FASTTEXT, "gensim": CHILD_GENSIM}[tool]
    code = child.format(root=ROOT, model=model, ftmodel="skipgram" if model == "sg" else "cbow", corpus=corpus,
                        epochs=epochs, threads=threads, out=out, settings=SETTINGS)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(f"{tool} {model} failed:\n{res.stderr[-3000:]}")
    r = json.loads(res.stdout.strip().splitlines()[-1])
    r["out"] = out
    return r


def quality(path, counts, eval_dir, twin=None):
    """Analogy, WS-353 and SimLex (OOV pairs from n-grams), the rare / unseen pair groups (each pair's gold
    score and cosine kept for the bootstrap), and with ``twin`` the twins' cosines and top-10 hits."""
    import numpy as np
    from scipy.stats import spearmanr

    sys.path.insert(0, ROOT)
    from w2v import evaluate
    from w2v.vectors import Vectors

    v = Vectors.load(path)
    plain = Vectors(v.words, v.vectors)  # analogies among the vocabulary's words
    a = evaluate.analogies(plain, os.path.join(eval_dir, "questions-words.txt"), restrict=30000)
    ws = evaluate.similarity(v, os.path.join(eval_dir, "EN-WS-353-ALL.txt"), oov="ngrams")
    sl = evaluate.similarity(v, os.path.join(eval_dir, "EN-SIMLEX-999.txt"), oov="ngrams")
    groups = {"rare": {}, "unseen": {}}
    for x, y, gold in pairs(eval_dir):
        cx, cy = counts.get(x, 0), counts.get(y, 0)
        key = "unseen" if x not in v.index or y not in v.index else "rare" if min(cx, cy) <= 100 else None
        if key:
            ux, uy = v[x] / max(np.linalg.norm(v[x]), 1e-12), v[y] / max(np.linalg.norm(v[y]), 1e-12)
            groups[key][f"{x} {y}"] = (gold, float(ux @ uy))
    out = dict(analogy=100 * a["total"]["accuracy"], ws353=ws["spearman"], simlex=sl["spearman"])
    for k, g in groups.items():
        out[k] = spearmanr(*zip(*g.values())).correlation if len(g) > 2 else float("nan")
        out[f"{k}_pairs"] = len(g)
        out[f"{k}_items"] = g
    if twin:
        cos, ranks = twin_scores(path, twin)
        top10 = [float(r <= 10) for r in ranks]
        out.update(twin_cos=float(np.mean(cos)), twin_top10=float(np.mean(top10)),
                   twin_rank=float(np.median(ranks)), twin_items=top10)
    return out


def paired_interval(a, b, stat, rounds=2000, seed=0):
    """95% interval of stat(a) - stat(b) over bootstrap resamples of the paired items (a[i] and b[i] belong
    together)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    a, b = np.asarray(a), np.asarray(b)
    diffs = [stat(a[i]) - stat(b[i]) for i in (rng.integers(0, len(a), len(a)) for _ in range(rounds))]
    return np.percentile(diffs, [2.5, 97.5])


def rare_interval(w, p):
    """The paired bootstrap interval of the rare pairs' Spearman difference, over the pairs both scored."""
    from scipy.stats import spearmanr

    common = sorted(set(w["rare_items"]) & set(p["rare_items"]))
    if len(common) < 3:
        return float("nan"), float("nan")

    def rho(rows):
        return spearmanr(rows[:, 0], rows[:, 1]).correlation

    return paired_interval([w["rare_items"][k] for k in common], [p["rare_items"][k] for k in common], rho)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=os.path.join(SHARED, "corpora", "bench-en.txt.xz"))
    ap.add_argument("--eval-dir", default=os.path.join(SHARED, "eval"))
    ap.add_argument("--workdir", default="/tmp/w2v-bench")
    ap.add_argument("--cases", default="sg,cbow")
    ap.add_argument("--tools", default="fasttext,gensim,w2v")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None, help="the first N tokens of the corpus")
    ap.add_argument("--twins", action="store_true", help="train on the corpus with 300 planted rare twins")
    ap.add_argument("--repeat", type=int, default=1,
                    help="rounds of every tool, one after another (this machine drifts): each round's ratios, then "
                         "their medians")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    corpus = prepare_corpus(args.corpus, args.workdir, args.limit)
    twin = None
    if args.twins:
        sys.path.insert(0, ROOT)
        from w2v.api import vocabulary

        report = vocabulary(corpus, min_count=5)
        path = os.path.join(args.workdir, os.path.basename(corpus).replace(".txt", "-twins-random.txt"))
        twin = twin_corpus(corpus, dict(zip(report.vocab.words, report.vocab.counts.tolist())), path,
                           spelling="random")
        corpus = path
    with open(corpus, encoding="utf-8") as f:  # corpus words, the same for every tool's rate
        tokens = sum(len(line.split()) for line in f)
    results = {}
    for model in args.cases.split(","):
        counts = None
        for rep in range(args.repeat):
            counts = _one_round(model, rep, args, corpus, tokens, twin, counts, results)
        if args.repeat > 1 and "w2v" in args.tools:
            import statistics

            for peer in args.tools.split(","):
                if peer == "w2v":
                    continue
                whole = [results[(model, peer, i)]["total_s"] / results[(model, "w2v", i)]["total_s"]
                         for i in range(args.repeat)]
                train = [results[(model, "w2v", i)]["words_per_s"] / results[(model, peer, i)]["words_per_s"]
                         for i in range(args.repeat)]
                print(f"{model:5s} w2v/{peer:9s} over {args.repeat} rounds: whole run "
                      f"{', '.join(f'x{x:.2f}' for x in whole)} (median x{statistics.median(whole):.2f}); training "
                      f"{', '.join(f'x{x:.2f}' for x in train)} (median x{statistics.median(train):.2f})", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({f"{m}/{t}" + (f"/{i}" if args.repeat > 1 else ""): r for (m, t, i), r in results.items()}, f,
                      indent=1)


def _one_round(model, rep, args, corpus, tokens, twin, counts, results):
    """Every tool of ``args.tools`` on ``model`` once, each line printed, then w2v's comparison with each peer;
    ``results[(model, tool, rep)]``. Returns the corpus counts the quality scores use."""
    for tool in args.tools.split(","):
        t0 = time.perf_counter()
        r = run(tool, model, corpus, args.epochs, args.threads, args.workdir)
        r["process_s"] = time.perf_counter() - t0
        if counts is None:
            sys.path.insert(0, ROOT)
            from w2v.vectors import Vectors

            v = Vectors.load(r["out"])
            counts = dict(zip(v.words, v.counts.tolist()))
        r["words_per_s"] = tokens * args.epochs / r["train_s"]
        r.update(quality(r["out"], counts, args.eval_dir, twin))
        results[(model, tool, rep)] = r
        print(f"{model:5s} {tool:9s} train {r['words_per_s'] / 1000:6.0f}k w/s {r['train_s']:7.1f} s  whole run "
              f"{r['total_s']:7.1f} s  rss {r['rss_mb']:6.0f} MB  analogy {r['analogy']:5.2f}  ws353 "
              f"{r['ws353']:.3f}  simlex {r['simlex']:.3f}  rare {r['rare']:.3f} ({r['rare_pairs']})  unseen "
              f"{r['unseen']:.3f} ({r['unseen_pairs']})" + (f"  twins: top10 {100 * r['twin_top10']:.1f}%, "
                                                          f"median rank {r['twin_rank']:.0f}, cos "
                                                          f"{r['twin_cos']:.3f}" if twin else ""),
              flush=True)
    if "w2v" in args.tools:
        w = results[(model, "w2v", rep)]
        for peer in args.tools.split(","):
            if peer == "w2v":
                continue
            p = results[(model, peer, rep)]
            lo, hi = rare_interval(w, p)
            if twin:
                import numpy as np

                tlo, thi = paired_interval(w["twin_items"], p["twin_items"], np.mean)
            print(f"{model:5s} w2v/{peer:9s} whole run x{p['total_s'] / w['total_s']:.2f}  training x"
                  f"{w['words_per_s'] / p['words_per_s']:.2f}  analogy {w['analogy'] - p['analogy']:+.2f}  ws353 "
                  f"{w['ws353'] - p['ws353']:+.3f}  simlex {w['simlex'] - p['simlex']:+.3f}  rare "
                  f"{w['rare'] - p['rare']:+.3f} [{lo:+.3f}, {hi:+.3f}]  unseen {w['unseen'] - p['unseen']:+.3f}"
                  + (f"  twins top10 {100 * (w['twin_top10'] - p['twin_top10']):+.1f} points [{100 * tlo:+.1f}, "
                     f"{100 * thi:+.1f}]" if twin else ""), flush=True)
    return counts


if __name__ == "__main__":
    main()
