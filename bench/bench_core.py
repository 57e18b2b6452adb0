"""Core benchmark: w2v against gensim (corpus_file mode) on bench-en, same settings, same run.

Each tool trains in a fresh subprocess (so peak RSS is its own), on the same uncompressed text file
(gensim's corpus_file mode cannot read .xz). Printed per case and tool: raw corpus words per wall second
of the training step, vocabulary time (w2v: counting + vocabulary + encoding; gensim: build_vocab),
total wall time (the whole run a user waits for: each tool's imports, vocabulary, a first run's compile,
training, writing the vectors; timed from the child's first statement, as bench_fasttext.py does; before
2026-12-07 gensim's import, 1.6-1.9 s, was left out while w2v's Numba start-up was in), peak RSS,
analogy accuracy (restrict 30000), WS-353 and SimLex-999 Spearman; then the ratios w2v / gensim.

    python bench/bench_core.py                      # all cases, full bench-en, 1 epoch
    python bench/bench_core.py --cases sg-ns --epochs 3
    python bench/bench_core.py --cases sg-ns,sg-ns-1t,sg-hs --tools gensim,w2v,w2v-shared
    python bench/bench_core.py --cases sg-hs,cbow-hs --tools gensim1,w2v-shared   # quality against one gensim worker
    python bench/bench_core.py --limit 10000000 --base-root /tmp/w2v-base --tools gensim,w2v-shared,base-shared
                                                    # against another checkout (a refactor's old commit)
    python bench/bench_core.py --cases sg-hs-1t,cbow-hs-1t --tools gensim,w2v-shared --side-by-side
                                                    # one-thread cases, both tools at the same time
"""

import argparse
import json
import lzma
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHARED = os.path.join(os.path.dirname(ROOT), "shared")

CASES = {
    # name: (model, loss, threads, tokens limit or None)
    "sg-ns": ("sg", "ns", 2, None),
    "cbow-ns": ("cbow", "ns", 2, None),
    "sg-hs": ("sg", "hs", 2, None),
    "sg-ns-1t": ("sg", "ns", 1, 10_000_000),
    # issue 26: every case, at 1 and 2 threads (gensim has no NCE: its negative sampling is the peer)
    "cbow-hs": ("cbow", "hs", 2, None),
    "sg-nce": ("sg", "nce", 2, None),
    "cbow-nce": ("cbow", "nce", 2, None),
    "cbow-ns-1t": ("cbow", "ns", 1, 10_000_000),
    "cbow-hs-1t": ("cbow", "hs", 1, 10_000_000),
    "sg-hs-1t": ("sg", "hs", 1, 10_000_000),
}

CHILD_W2V = r"""
import json, sys, time
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
from w2v.api import train
cfg = dict(model={model!r}, loss={loss!r}, dim=100, window=5, negative=5, min_count=5, sample=1e-3,
                  epochs={epochs}, threads={threads}, seed=1, shared_targets={shared})
r = train({corpus!r}, **cfg, progress=False)
r.vectors.save({out!r})
total = time.perf_counter() - t0
hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]
print(json.dumps(dict(vocab_s=r.vocab_seconds, train_s=r.train_seconds, total_s=total,
                      tokens=r.total_tokens, rss_mb=int(hwm) / 1024, vocab=len(r.vocab))))
"""

CHILD_GENSIM = r"""
import json, time
t0 = time.perf_counter()
from gensim.models import Word2Vec
hs = {loss!r} == 'hs'
m = Word2Vec(vector_size=100, window=5, min_count=5, sample=1e-3, sg=int({model!r} == 'sg'), hs=int(hs),
             negative=0 if hs else 5, workers={threads}, seed=1)
tv = time.perf_counter()
m.build_vocab(corpus_file={corpus!r})
t1 = time.perf_counter()
m.train(corpus_file={corpus!r}, total_words=m.corpus_total_words, epochs={epochs})
t2 = time.perf_counter()
m.wv.save_word2vec_format({out!r}, binary=True)
total = time.perf_counter() - t0
hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]
print(json.dumps(dict(vocab_s=t1 - tv, train_s=t2 - t1, total_s=total, tokens=m.corpus_total_words,
                      rss_mb=int(hwm) / 1024, vocab=len(m.wv))))
"""


def prepare_corpus(src, workdir, limit):
    """Decompress (and cut to ``limit`` tokens) once; returns the path of the plain text file."""
    name = "bench-en.txt" if limit is None else f"bench-en-first{limit // 1_000_000}M.txt"
    path = os.path.join(workdir, name)
    if os.path.exists(path):
        return path
    tmp = path + ".part"
    n = 0
    with lzma.open(src, "rt", encoding="utf-8") as fin, open(tmp, "w", encoding="utf-8") as fout:
        for line in fin:
            fout.write(line)
            n += len(line.split())
            if limit is not None and n >= limit:
                break
    os.replace(tmp, path)
    return path


def quality(vectors_path, eval_dir, single_words=False):
    """Analogy (restrict 30000), WS-353, SimLex; ``single_words`` drops words joined by '_' (phrases) first."""
    sys.path.insert(0, ROOT)
    from w2v import evaluate
    from w2v.vectors import Vectors

    v = Vectors.load(vectors_path)
    if single_words:
        keep = [i for i, w in enumerate(v.words) if "_" not in w]
        v = Vectors([v.words[i] for i in keep], v.vectors[keep])
    a = evaluate.analogies(v, os.path.join(eval_dir, "questions-words.txt"), restrict=30000)
    ws = evaluate.similarity(v, os.path.join(eval_dir, "EN-WS-353-ALL.txt"))
    sl = evaluate.similarity(v, os.path.join(eval_dir, "EN-SIMLEX-999.txt"))
    return dict(analogy=100 * a["total"]["accuracy"], ws353=ws["spearman"], simlex=sl["spearman"])


def start(tool, case, corpus, epochs, workdir, base_root=None):
    """Start ``tool``'s child process for ``case``: gensim, w2v (skip-gram with the classic update, --classic)
    or w2v-shared (--shared-targets, the default since issue 5); base and base-shared: the same from the
    checkout ``base_root``. CBOW is the same for both updates. Returns what ``finish`` waits for."""
    model, loss, threads, _ = CASES[case]
    if tool == "gensim1":  # gensim with one worker: issue 26's quality reference (with two or more, corpus_file
        threads = 1  # mode gives each worker its own part of the file, which moves a 1-epoch model's scores)
    out = os.path.join(workdir, f"{tool}-{case}-e{epochs}.bin")
    root = base_root if tool.startswith("base") else ROOT
    code = (CHILD_GENSIM if tool.startswith("gensim") else CHILD_W2V).format(
        root=root, model=model, loss=loss, threads=threads, epochs=epochs, corpus=corpus, out=out,
        shared=tool.endswith("-shared"))
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, time.perf_counter(), out, epochs, f"{tool} {case}"


def finish(started, eval_dir):
    """Wait for a child of ``start``; its figures and the quality of its vectors."""
    proc, t0, out, epochs, name = started
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed:\n{stderr[-3000:]}")
    r = json.loads(stdout.strip().splitlines()[-1])
    r["process_s"] = time.perf_counter() - t0
    r["words_per_s"] = r["tokens"] * epochs / r["train_s"]
    r.update(quality(out, eval_dir))
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=os.path.join(SHARED, "corpora", "bench-en.txt.xz"))
    ap.add_argument("--eval-dir", default=os.path.join(SHARED, "eval"))
    ap.add_argument("--workdir", default="/tmp/w2v-bench")
    ap.add_argument("--cases", default=",".join(CASES))
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--tools", default="gensim,w2v,w2v-shared",
                    help="gensim, gensim1 (one worker whatever the case's threads), w2v (classic update), w2v-shared")
    ap.add_argument("--json", default=None, help="also write the results here")
    ap.add_argument("--limit", type=int, default=None, help="the first N tokens of the corpus in every case")
    ap.add_argument("--base-root", default=None, help="another checkout of w2v, run as the tools base and "
                                                      "base-shared")
    ap.add_argument("--side-by-side", action="store_true",
                    help="run a one-thread case's tools at once (one core each on this 2-core machine), so both "
                         "meet the same moment of a machine whose speed drifts; the faster one then leaves the "
                         "slower the machine to itself")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    results = {}
    for case in args.cases.split(","):
        corpus = prepare_corpus(args.corpus, args.workdir, args.limit or CASES[case][3])
        tools = args.tools.split(",")
        together = args.side_by_side and CASES[case][2] == 1
        started = {t: start(t, case, corpus, args.epochs, args.workdir, args.base_root) for t in tools} if together else {}
        for tool in tools:
            r = finish(started[tool] if together else start(tool, case, corpus, args.epochs, args.workdir,
                                                            args.base_root), args.eval_dir)
            results[(case, tool)] = r
            print(f"{case:9s} {tool:10s} {r['words_per_s'] / 1000:7.0f}k w/s  vocab {r['vocab_s']:5.1f} s  "
                  f"train {r['train_s']:6.1f} s  total {r['total_s']:6.1f} s  rss {r['rss_mb']:5.0f} MB  "
                  f"analogy {r['analogy']:5.2f}  ws353 {r['ws353']:.3f}  simlex {r['simlex']:.3f}", flush=True)
        for base in ("gensim", "gensim1", "w2v", "base", "base-shared"):
            for tool in tools:
                if tool == base or base not in tools or not tool.startswith("w2v") or (base, tool) == ("w2v", "w2v"):
                    continue
                if base.startswith("base") and tool != "w2v" + base[4:]:
                    continue  # a checkout against the other: like for like
                g, w = results[(case, base)], results[(case, tool)]
                if base == "gensim1" and CASES[case][2] > 1:  # (one worker against more threads: quality only)
                    speed = "speed -  whole run -  vocab -  rss -"
                else:
                    speed = (f"speed x{w['words_per_s'] / g['words_per_s']:.2f}  whole run x"
                             f"{g['total_s'] / w['total_s']:.2f}  vocab x{w['vocab_s'] / g['vocab_s']:.2f}  rss x"
                             f"{w['rss_mb'] / g['rss_mb']:.2f}")
                print(f"{case:9s} {tool}/{base}  {speed}  analogy "
                      f"{w['analogy'] - g['analogy']:+.2f}  ws353 {w['ws353'] - g['ws353']:+.3f}  simlex "
                      f"{w['simlex'] - g['simlex']:+.3f}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({f"{c}/{t}": r for (c, t), r in results.items()}, f, indent=1)


if __name__ == "__main__":
    main()
