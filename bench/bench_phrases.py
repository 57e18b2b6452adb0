"""Phrases benchmark: `w2v phrases` against gensim's Phrases (learn + FrozenPhrases apply), two passes,
on bench-en, same scorer and thresholds, same run; then word vectors trained on the phrased text.

Each tool runs in a fresh subprocess (peak RSS is its own, VmHWM) on the same uncompressed text file:
pass 1 learns on the text and writes it phrased, pass 2 learns on that and writes the final text. gensim
reads with LineSentence (its documented streaming corpus). Printed: wall seconds of the whole job
(compile included for w2v), peak RSS, phrases per pass, and the share of lines where both outputs agree.

Quality: skip-gram NS, 1 epoch, 2 threads, on the plain text and with `--phrases` applied while reading
(word2phrase scoring: 200 then 100 as word2vec's demo-phrase-accuracy.sh, and one pass at 500 as its
demo-phrases.sh on text8); analogy (restrict 30000; in brackets with the phrase vectors removed first),
WS-353, SimLex.

    python bench/bench_phrases.py                       # everything
    python bench/bench_phrases.py --skip-quality        # speed only
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_core import ROOT, SHARED, prepare_corpus, quality  # noqa: E402

CHILD_W2V = r"""
import json, sys, time
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
from w2v.api import learn_phrases
m = learn_phrases({corpus!r}, {out!r}, passes=2, threshold={thresholds!r}, scoring={scoring!r}, min_count=5,
                  save_phrases={table!r}, progress=False)
total = time.perf_counter() - t0
hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]
print(json.dumps(dict(total_s=total, rss_mb=int(hwm) / 1024, phrases=[len(p) for p in m.passes],
                      learn_s=[p.stats['seconds'] for p in m.passes])))
"""

CHILD_GENSIM = r"""
import json, time
from gensim.models.phrases import Phrases
from gensim.models.word2vec import LineSentence
t0 = time.perf_counter()
src, found, learn = {corpus!r}, [], []
for k, (threshold, out) in enumerate(zip({thresholds!r}, [{mid!r}, {out!r}])):
    t = time.perf_counter()
    p = Phrases(LineSentence(src), min_count=5, threshold=threshold, scoring='default')
    frozen = p.freeze()
    learn.append(time.perf_counter() - t)
    found.append(len(frozen.phrasegrams))
    del p
    with open(out, 'w', encoding='utf-8') as f:
        for s in LineSentence(src):
            f.write(' '.join(frozen[s]) + '\n')
    src = out
total = time.perf_counter() - t0
hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]
print(json.dumps(dict(total_s=total, rss_mb=int(hwm) / 1024, phrases=found, learn_s=learn)))
"""

CHILD_TRAIN = r"""
import json, sys, time
sys.path.insert(0, {root!r})
from w2v.api import train
t0 = time.perf_counter()
r = train({corpus!r}, model='sg', loss='ns', dim=100, window=5, epochs=1, threads=2, seed=1, progress=False,
          output={out!r}, **({phrases!r} and dict(phrases={phrases!r}) or {{}}))
print(json.dumps(dict(total_s=time.perf_counter() - t0, train_s=r.train_seconds, vocab=len(r.vocab),
                      phrase_words=sum('_' in w for w in r.vocab.words))))
"""


def child(code):
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(res.stderr[-3000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def agreement(a, b):
    same = total = 0
    with open(a, encoding="utf-8") as fa, open(b, encoding="utf-8") as fb:
        for x, y in zip(fa, fb):
            same += x.split() == y.split()
            total += 1
    return same / max(total, 1), total


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=os.path.join(SHARED, "corpora", "bench-en.txt.xz"))
    ap.add_argument("--eval-dir", default=os.path.join(SHARED, "eval"))
    ap.add_argument("--workdir", default="/tmp/w2v-bench")
    ap.add_argument("--limit", type=int, default=None, help="first N tokens only")
    ap.add_argument("--skip-gensim", action="store_true")
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--skip-speed", action="store_true", help="quality only (the speed runs' phrase files exist)")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    corpus = prepare_corpus(args.corpus, args.workdir, args.limit)
    w = args.workdir
    rows = {}
    g_out = os.path.join(w, "phr-gensim.txt")
    cases = [("w2v (gensim scorer 10,10)", "gensim", [10.0, 10.0]),
             ("w2v (word2phrase 200,100)", "word2phrase", [200.0, 100.0])]
    for name, scoring, th in [] if args.skip_speed else cases:
        out, table = os.path.join(w, f"phr-w2v-{scoring}.txt"), os.path.join(w, f"phr-w2v-{scoring}.tsv")
        rows[name] = child(CHILD_W2V.format(root=ROOT, corpus=corpus, out=out, table=table, thresholds=th,
                                            scoring=scoring))
        print(name, json.dumps(rows[name]), flush=True)
    if not args.skip_gensim and not args.skip_speed:
        rows["gensim (default scorer 10,10)"] = child(CHILD_GENSIM.format(
            corpus=corpus, mid=os.path.join(w, "phr-gensim-pass1.txt"), out=g_out, thresholds=[10.0, 10.0]))
        print("gensim", json.dumps(rows["gensim (default scorer 10,10)"]), flush=True)
        same, lines = agreement(os.path.join(w, "phr-w2v-gensim.txt"), g_out)
        g, o = rows["gensim (default scorer 10,10)"], rows["w2v (gensim scorer 10,10)"]
        print(f"\nsame scorer and thresholds: w2v/gensim wall x{g['total_s'] / o['total_s']:.1f} faster, "
              f"peak RSS {o['rss_mb']:.0f} MB vs {g['rss_mb']:.0f} MB; identical lines {100 * same:.2f}% of {lines}")
    print("\n| tool | passes' phrases | learn s (per pass) | whole job s | peak RSS MB |")
    print("|---|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['phrases']} | {', '.join(f'{x:.1f}' for x in r['learn_s'])} | {r['total_s']:.1f} | "
              f"{r['rss_mb']:.0f} |")
    if args.skip_quality:
        return
    print("\n| sg-ns 1 epoch | vocab | phrase tokens in vocab | whole run s | analogy % (single words only) | WS-353 "
          "| SimLex |")
    print("|---|---|---|---|---|---|---|")
    one_pass = os.path.join(w, "phr-w2v-500.tsv")  # word2vec's demo-phrases.sh on text8: one pass, 500
    child(CHILD_W2V.replace("passes=2", "passes=1").format(root=ROOT, corpus=corpus, out=None, table=one_pass,
                                                           thresholds=[500.0], scoring="word2phrase"))
    for name, tag, phrases in (("plain text", "plain", None),
                               ("--phrases (word2phrase 200,100: demo-phrase-accuracy.sh)", "phrased",
                                os.path.join(w, "phr-w2v-word2phrase.tsv")),
                               ("--phrases (word2phrase 500, one pass: demo-phrases.sh)", "phrased500", one_pass)):
        out = os.path.join(w, f"phr-vectors-{tag}.bin")
        r = child(CHILD_TRAIN.format(root=ROOT, corpus=corpus, out=out, phrases=phrases))
        q = quality(out, args.eval_dir)
        s = quality(out, args.eval_dir, single_words=True)
        print(f"| {name} | {r['vocab']} | {r['phrase_words']} | {r['total_s']:.1f} | {q['analogy']:.2f} "
              f"({s['analogy']:.2f}) | {q['ws353']:.3f} | {q['simlex']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
