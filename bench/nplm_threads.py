"""The NPLM with threads: examples/s and held-out perplexity for settings of the private hidden layer.

    python bench/nplm_threads.py --corpus ../shared/corpora/bench-en.txt.xz hs:1:64 hs:2:64 hs:2:16 nce:2:64

Each setting is LOSS:THREADS:SYNC, SYNC being how many examples a thread trains its private copy of the
hidden layer before merging it into the shared one (TrainConfig.sync; only used with 2+ threads). The
split is bench_nplm.py's (the first 2M tokens, the last 5% of lines held out); dim 60, hidden 100,
context 4, --max-vocab 20000, k = 25 for NCE, w2v's default learning rate.
"""

import argparse
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("settings", nargs="+", help="LOSS:THREADS:SYNC")
    args = ap.parse_args()

    from bench_nplm import split_prefix
    from w2v import language_model as nplm
    from w2v.api import train

    workdir = args.workdir or tempfile.mkdtemp(prefix="bench-nplm-threads-")
    os.makedirs(workdir, exist_ok=True)
    train_path, held_path, _, _ = split_prefix(args.corpus, 2_000_000, 0.05, workdir)
    tiny = os.path.join(workdir, "tiny.txt")
    with open(tiny, "w") as f:
        f.write("a b c d e f g\n" * 50)
    for spec in args.settings:
        loss, threads, sync = spec.split(":")
        common = dict(model="nplm", loss=loss, context=4, threads=int(threads), sync=int(sync), negative=25)
        train(tiny, min_count=1, epochs=1, **common, progress=False)  # compile outside the timing
        r = train(train_path, dim=60, hidden=100, max_vocab=20000, epochs=args.epochs, **common,
                  progress=False)
        rep = nplm.perplexity(r.language_model, held_path)
        print(f"{spec}: {sum(r.epoch_predictions) / r.train_seconds:.0f} examples/s, held-out perplexity "
              f"{rep.perplexity:.1f}, epoch losses {', '.join(f'{x:.3f}' for x in r.epoch_losses)}", flush=True)


if __name__ == "__main__":
    main()
