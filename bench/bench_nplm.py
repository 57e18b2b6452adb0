"""The NPLM's output layers side by side: examples/s, held-out perplexity against an interpolated
Kneser-Ney trigram, and the word vectors' WS-353/SimLex-999 beside skip-gram's on the same lines.

    python bench/bench_nplm.py --corpus ../shared/corpora/bench-en.txt.xz --eval-dir ../shared/eval

The issue's setting is the default: the first 2M tokens (whole lines), the last 5% of those lines held
out, --max-vocab 20000, dim 60, hidden 100, context 4, 2 threads. Every layer trains the same number of
epochs. Before the runs each layer trains once on a tiny file, so Numba's compilation (or cache load)
is not in the timings. Nothing here reads the held-out lines during training.
"""

import argparse
import json
import lzma
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))


def split_prefix(corpus, tokens, heldout_frac, workdir):
    """The first ``tokens`` tokens (whole lines); the last ``heldout_frac`` of those lines held out."""
    opener = lzma.open if corpus.endswith(".xz") else open
    lines, n = [], 0
    with opener(corpus, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            lines.append(line)
            n += len(line.split())
            if n >= tokens:
                break
    cut = len(lines) - int(len(lines) * heldout_frac)
    train, held = os.path.join(workdir, "train.txt"), os.path.join(workdir, "heldout.txt")
    with open(train, "w", encoding="utf-8") as f:
        f.writelines(lines[:cut])
    with open(held, "w", encoding="utf-8") as f:
        f.writelines(lines[cut:])
    return train, held, sum(len(x.split()) for x in lines[:cut]), sum(len(x.split()) for x in lines[cut:])


def similarity(vectors, eval_dir):
    from w2v import evaluate

    return {name: evaluate.similarity(vectors, os.path.join(eval_dir, f))["spearman"]
            for name, f in (("ws353", "EN-WS-353-ALL.txt"), ("simlex", "EN-SIMLEX-999.txt"))}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--eval-dir", required=True)
    ap.add_argument("--tokens", type=int, default=2_000_000)
    ap.add_argument("--heldout", type=float, default=0.05)
    ap.add_argument("--max-vocab", type=int, default=20000)
    ap.add_argument("--dim", type=int, default=60)
    ap.add_argument("--hidden", type=int, default=100)
    ap.add_argument("--context", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--losses", default="hs,nce,softmax,hs@1,nce@1",
                    help="output layers; LOSS@T trains that layer with T threads instead of --threads")
    ap.add_argument("--negative", type=int, default=25, help="noise words for NCE and NS")
    ap.add_argument("--alpha", type=float, default=None, help="learning rate [w2v's NPLM default]")
    ap.add_argument("--direct", action="store_true", help="Bengio's direct connections from the features")
    ap.add_argument("--batch", type=int, default=None, help="examples per step [w2v's default for the layer]")
    ap.add_argument("--seed", type=int, default=None, help="w2v's seed [its default]")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args()

    from kn_trigram import kn_perplexity
    from w2v import language_model as nplm
    from w2v.api import train

    workdir = args.workdir or tempfile.mkdtemp(prefix="bench-nplm-")
    os.makedirs(workdir, exist_ok=True)
    train_path, held_path, n_train, n_held = split_prefix(args.corpus, args.tokens, args.heldout, workdir)
    print(f"training lines: {n_train} tokens; held out: {n_held} tokens", flush=True)
    tiny = os.path.join(workdir, "tiny.txt")
    with open(tiny, "w") as f:
        f.write("a b c d e f g\n" * 50)
    losses = args.losses.split(",")
    common = dict(model="nplm", dim=args.dim, hidden=args.hidden, context=args.context, threads=args.threads,
                  negative=args.negative, alpha=args.alpha, direct=args.direct, batch=args.batch,
                  **({} if args.seed is None else {"seed": args.seed}))
    def setting(spec):
        loss, _, threads = spec.partition("@")
        return loss, {**common, "threads": int(threads) if threads else args.threads}

    for spec in losses:  # compile or load the kernels outside the timings
        loss, kw = setting(spec)
        train(tiny, loss=loss, min_count=1, epochs=1, **kw, progress=False)

    results = {"setting": vars(args), "train_tokens": n_train, "heldout_tokens": n_held, "layers": {}}
    model = None
    for spec in losses:
        loss, kw = setting(spec)
        cfg = dict(loss=loss, max_vocab=args.max_vocab, epochs=args.epochs, **kw)
        t = time.perf_counter()
        r = train(train_path, **cfg, progress=False)
        wall = time.perf_counter() - t
        rep = nplm.perplexity(r.language_model, held_path)
        model = r.language_model
        row = {"examples_per_s": sum(r.epoch_predictions) / r.train_seconds, "train_s": r.train_seconds,
               "wall_s": wall, "epoch_losses": r.epoch_losses, "perplexity": rep.perplexity,
               "mean_log_z": rep.mean_log_z, "alpha": r.config.start_alpha, "batch": r.config.batch,
               **similarity(r.vectors, args.eval_dir)}
        results["layers"][spec] = row
        print(f"{spec}: {json.dumps(row)}", flush=True)
    kn, n_pred, discounts = kn_perplexity(model, train_path, held_path)
    results["kn_trigram"] = {"perplexity": kn, "predictions": n_pred, "discounts": discounts}
    print(f"KN trigram: {kn:.2f} over {n_pred} predictions", flush=True)
    sg = train(train_path, model="sg", dim=args.dim, max_vocab=args.max_vocab, epochs=args.epochs,
               threads=args.threads, progress=False)
    results["skipgram"] = {"train_s": sg.train_seconds, **similarity(sg.vectors, args.eval_dir)}
    print(f"skip-gram: {json.dumps(results['skipgram'])}", flush=True)

    base = results["layers"].get("softmax", {}).get("examples_per_s")
    print(f"\n| output layer (@threads) | examples/s | vs softmax | perplexity | vs KN trigram | mean log Z | WS-353 | SimLex |")
    print("|---|---|---|---|---|---|---|---|")
    for loss, row in results["layers"].items():
        ratio = f"x{row['examples_per_s'] / base:.1f}" if base else "-"
        z = "-" if row["mean_log_z"] != row["mean_log_z"] else f"{row['mean_log_z']:.3f}"
        print(f"| {loss} | {row['examples_per_s']:.0f} | {ratio} | {row['perplexity']:.1f} | "
              f"{100 * (row['perplexity'] / kn - 1):+.1f}% | {z} | {row['ws353']:.3f} | {row['simlex']:.3f} |")
    print(f"| KN trigram | - | - | {kn:.1f} | - | - | - | - |")
    print(f"| skip-gram (ns, dim {args.dim}) | - | - | - | - | - | {results['skipgram']['ws353']:.3f} | "
          f"{results['skipgram']['simlex']:.3f} |")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2, default=float)


if __name__ == "__main__":
    main()
