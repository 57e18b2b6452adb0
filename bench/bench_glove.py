"""GloVe benchmark: w2v's counting and AdaGrad training on bench-en, against GloVe's C tools' figures.

GloVe's C tools cannot be built here; their figures below were measured on this kind of machine with
the same settings (issue 4): min-count 5, window 10, symmetric, dim 100, x-max 100, 15 epochs, 2 threads.

    python bench/bench_glove.py --corpus ../shared/corpora/bench-en.txt.xz --eval-dir ../shared/eval
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from bench_core import prepare_corpus, quality  # noqa: E402

GLOVE_C = dict(count_s=5.8 + 47.4 + 36.7, count_rss_mb=2.0 * 1024, updates_per_s_per_thread=0.42e6,
               final_cost=0.0076, analogy=35.9, ws353=0.523, simlex=0.254)

CHILD = r"""
import json, sys, time
sys.path.insert(0, {root!r})
from w2v.api import train
cfg = dict(model="glove", dim=100, window=10, min_count=5, x_max=100.0, epochs={epochs}, threads={threads},
                  memory={memory}, seed=1, pair_order={pair_order!r})
t0 = time.perf_counter()
r = train({corpus!r}, **cfg, progress=False)
r.vectors.save({out!r})
total = time.perf_counter() - t0
hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]
print(json.dumps(dict(count_s=r.vocab_seconds, train_s=r.train_seconds, total_s=total, costs=r.epoch_losses,
                      rss_mb=int(hwm) / 1024, vocab=len(r.vocab), **r.stats)))
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", default=os.path.join(os.path.dirname(ROOT), "shared", "corpora", "bench-en.txt.xz"))
    ap.add_argument("--eval-dir", default=os.path.join(os.path.dirname(ROOT), "shared", "eval"))
    ap.add_argument("--workdir", default="/tmp/w2v-bench")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory", type=float, default=4.0)
    ap.add_argument("--pair-order", default="tiled", choices=["tiled", "shuffled"])
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    corpus = prepare_corpus(args.corpus, args.workdir, None)
    out = os.path.join(args.workdir, f"glove-e{args.epochs}-m{args.memory:g}-{args.pair_order}.bin")
    code = CHILD.format(root=ROOT, epochs=args.epochs, threads=args.threads, memory=args.memory, corpus=corpus,
                        out=out, pair_order=args.pair_order)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if res.returncode != 0:
        raise SystemExit(res.stderr[-3000:])
    r = json.loads(res.stdout.strip().splitlines()[-1])
    r.update(quality(out, args.eval_dir))
    per_thread = r["updates_per_second"] / args.threads
    print(f"w2v glove: counting (vocabulary + co-occurrence + shuffle) {r['count_s']:.1f} s "
          f"(GloVe C {GLOVE_C['count_s']:.1f} s, ratio x{r['count_s'] / GLOVE_C['count_s']:.2f}); counting peak RSS "
          f"{r['count_peak_rss_mb']:.0f} MB (--memory {args.memory} GB; GloVe C cooccur 2.0 GB); spills "
          f"{r['spills']}; {r['nonzeros']} nonzeros")
    print(f"w2v glove: training {r['train_s']:.1f} s for {args.epochs} epochs, "
          f"{per_thread / 1e6:.2f}M updates/s per thread (GloVe C 0.42M, ratio x{per_thread / 0.42e6:.2f}); "
          f"final cost {r['costs'][-1]:.4f} (GloVe C 0.0076); peak RSS {r['rss_mb']:.0f} MB")
    print(f"w2v glove: analogy {r['analogy']:.2f} (GloVe C 35.9, {r['analogy'] - 35.9:+.2f})  ws353 "
          f"{r['ws353']:.3f} (0.523, {r['ws353'] - 0.523:+.3f})  simlex {r['simlex']:.3f} "
          f"(0.254, {r['simlex'] - 0.254:+.3f})")
    weights_mb = r["vocab"] * (16 * 100 + 32) / (1 << 20)
    print(f"w2v glove: --memory {args.memory} GB: matrix kept in {r['storage']}; peak RSS {r['rss_mb']:.0f} MB = "
          f"{r['rss_mb'] / 1024:.2f} GB against --memory + weights and AdaGrad sums ({weights_mb:.0f} MB) = "
          f"{args.memory + weights_mb / 1024:.2f} GB")
    glove_c_s = GLOVE_C["count_s"] + r["nonzeros"] * args.epochs / (GLOVE_C["updates_per_s_per_thread"] * args.threads)
    print(f"w2v glove --pair-order {args.pair_order}: whole run {r['total_s']:.1f} s (counting, training, writing); "
          f"GloVe C's from its figures {glove_c_s:.0f} s: x{glove_c_s / r['total_s']:.2f}")
    print("cost per epoch: " + " ".join(f"{c:.4f}" for c in r["costs"]))


if __name__ == "__main__":
    main()
