"""The command line: a thin Click layer over the library. Heavy modules are imported inside commands."""

import json
import os
import sys

import click

from w2v.errors import W2VError


class _Group(click.Group):
    """Turns library errors into one-line messages with exit 1, and Ctrl-C into exit 130."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except W2VError as e:
            raise click.ClickException(str(e)) from None
        except MemoryError:
            raise click.ClickException("out of memory: try a smaller --dim or --max-vocab") from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="w2v")
def cli():
    """w2v: train word embeddings (skip-gram, CBOW) and evaluate them.

    \b
    Examples:
      w2v demo
      w2v train corpus.txt -o vectors.bin
      w2v eval analogies vectors.bin
      w2v similar vectors.bin paris
    """


@cli.command()
@click.argument("corpus")
@click.option("-o", "--output", default="vectors.bin", show_default=True,
              help="Vectors file; its suffix picks the format (.bin binary, .txt/.vec text).")
@click.option("--format", "fmt", type=click.Choice(["bin", "text", "glove"]), default=None,
              help="Output format, overriding the suffix.")
@click.option("--model", type=click.Choice(["sg", "cbow"]), default="sg", show_default=True,
              help="Skip-gram or continuous bag of words.")
@click.option("--loss", type=click.Choice(["ns", "hs"]), default="ns", show_default=True,
              help="Negative sampling or hierarchical softmax (Huffman tree).")
@click.option("--dim", type=int, default=100, show_default=True, help="Vector dimension.")
@click.option("--window", type=int, default=5, show_default=True,
              help="Maximum context distance; each position draws its window from 1..WINDOW.")
@click.option("--negative", type=int, default=5, show_default=True, help="Noise words per prediction (ns).")
@click.option("--noise-power", type=float, default=0.75, show_default=True,
              help="Noise distribution: unigram counts to this power.")
@click.option("--min-count", type=int, default=5, show_default=True, help="Drop words rarer than this.")
@click.option("--max-vocab", type=int, default=None, help="Keep at most this many most frequent words.")
@click.option("--sample", type=float, default=1e-3, show_default=True,
              help="Subsampling threshold for frequent words (0: off).")
@click.option("--epochs", type=int, default=5, show_default=True, help="Passes over the corpus.")
@click.option("--alpha", type=float, default=None, help="Initial learning rate [0.025 sg, 0.05 cbow].")
@click.option("--min-alpha", type=float, default=None, help="Final learning rate [alpha * 1e-4].")
@click.option("--threads", type=int, default=0, help="Worker threads [all cores]; 1 is deterministic.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
@click.option("--cbow-mean/--cbow-sum", default=True, show_default=True,
              help="CBOW hidden layer: mean or sum of the context vectors.")
@click.option("--save-vocab", default=None, help="Write the vocabulary ('word count' lines).")
@click.option("--read-vocab", default=None, help="Use this vocabulary file instead of counting.")
@click.option("--tmp-dir", default=None, help="Directory for the encoded corpus [system temp].")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
def train(corpus, output, fmt, model, loss, dim, window, negative, noise_power, min_count, max_vocab, sample,
          epochs, alpha, min_alpha, threads, seed, cbow_mean, save_vocab, read_vocab, tmp_dir, quiet):
    """Train word vectors on CORPUS (text, .gz, .bz2, .xz, or - for stdin).

    Tokens are split on whitespace and a newline ends a sentence. Defaults follow word2vec.c.

    \b
    Example:
      w2v train corpus.txt.xz --model cbow --epochs 3 -o vectors.bin
    """
    from w2v import io
    from w2v.config import TrainConfig

    cfg = TrainConfig(model=model, loss=loss, dim=dim, window=window, negative=negative,
                      noise_power=noise_power, min_count=min_count, max_vocab=max_vocab, sample=sample,
                      epochs=epochs, alpha=alpha, min_alpha=min_alpha, threads=threads, seed=seed,
                      cbow_mean=cbow_mean)
    out_fmt = io.format_for_path(output, fmt)
    out_dir = os.path.dirname(os.path.abspath(output))
    if os.path.isdir(output):
        raise W2VError(f"output path is a directory: {output}")
    if not os.path.isdir(out_dir) or not os.access(out_dir, os.W_OK):
        raise W2VError(f"cannot write to output directory {out_dir}")
    from w2v.train import train as run

    result = run(corpus, cfg, read_vocab=read_vocab, save_vocab=save_vocab, quiet=quiet, tmp_dir=tmp_dir)
    io.save(result.vectors, output, out_fmt)
    if not quiet:
        click.echo(f"wrote {len(result.vectors)} vectors of dimension {cfg.dim} to {output} ({out_fmt})",
                   err=True)


@cli.group(name="eval", cls=_Group)
def eval_():
    """Score vectors on analogy and word-similarity sets.

    \b
    Example:
      w2v eval analogies vectors.bin
    """


@eval_.command()
@click.argument("vectors")
@click.option("--dataset", default=None, help="Analogy file [the Google analogy set shipped with w2v].")
@click.option("--restrict", type=int, default=30000, show_default=True,
              help="Only the most frequent words answer and are asked about (0: all).")
@click.option("--method", type=click.Choice(["3cosadd", "3cosmul"]), default="3cosadd", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def analogies(vectors, dataset, restrict, method, as_json):
    """Analogy accuracy of VECTORS (any word2vec or GloVe file).

    \b
    Example:
      w2v eval analogies vectors.bin --restrict 30000
    """
    from w2v import evaluate, io

    res = evaluate.analogies(io.load(vectors), dataset, restrict=restrict, method=method)
    if as_json:
        click.echo(json.dumps(res, indent=2))
        return
    click.echo(f"{'section':32s} {'accuracy':>9s} {'correct':>8s} {'answered':>9s} {'skipped':>8s}")
    rows = res["sections"] + [dict(res[k], section=k) for k in ("semantic", "syntactic", "total")]
    for r in rows:
        click.echo(f"{r['section']:32s} {100 * r['accuracy']:8.2f}% {r['correct']:8d} {r['answered']:9d} "
                   f"{r['skipped']:8d}")


@eval_.command()
@click.argument("vectors")
@click.option("--dataset", multiple=True, help="Similarity file (repeatable) [WS-353 and SimLex-999].")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def similarity(vectors, dataset, as_json):
    """Spearman and Pearson correlation of VECTORS with human similarity scores.

    \b
    Example:
      w2v eval similarity vectors.bin --dataset EN-RG-65.txt
    """
    from w2v import evaluate, io

    vecs = io.load(vectors)
    paths = list(dataset) or [evaluate.data_path(n) for n in evaluate.DEFAULT_SIMILARITY]
    res = [evaluate.similarity(vecs, p) for p in paths]
    if as_json:
        click.echo(json.dumps(res, indent=2))
        return
    for r in res:
        click.echo(f"{os.path.basename(r['dataset']):24s} spearman {r['spearman']:.4f}  pearson "
                   f"{r['pearson']:.4f}  pairs {r['found']}/{r['pairs']} (oov {r['oov']})")


@cli.command()
@click.argument("vectors")
@click.argument("word")
@click.option("-n", "topn", type=click.IntRange(min=1), default=10, show_default=True)
def similar(vectors, word, topn):
    """Nearest neighbours of WORD by cosine similarity.

    \b
    Example:
      w2v similar vectors.bin paris -n 5
    """
    from w2v import io

    for w, s in io.load(vectors).most_similar([word], topn=topn):
        click.echo(f"{w}\t{s:.4f}")


@cli.command()
@click.argument("vectors")
@click.argument("a")
@click.argument("b")
@click.argument("c")
@click.option("-n", "topn", type=click.IntRange(min=1), default=10, show_default=True)
def analogy(vectors, a, b, c, topn):
    """A is to B as C is to ?  (nearest to B - A + C).

    \b
    Example:
      w2v analogy vectors.bin man king woman
    """
    from w2v import io

    for w, s in io.load(vectors).analogy(a, b, c, topn=topn):
        click.echo(f"{w}\t{s:.4f}")


@cli.command()
@click.argument("source")
@click.argument("target")
@click.option("--format", "fmt", type=click.Choice(["bin", "text", "glove"]), default=None,
              help="Output format, overriding TARGET's suffix.")
def convert(source, target, fmt):
    """Convert between word2vec binary, word2vec text and GloVe text.

    \b
    Example:
      w2v convert vectors.bin vectors.txt
    """
    from w2v import io

    vecs = io.load(source)
    io.save(vecs, target, fmt)
    click.echo(f"wrote {len(vecs)} vectors to {target} ({io.format_for_path(target, fmt)})", err=True)


@cli.command()
@click.option("-o", "--output", default=None, help="Where to write the vectors [a temporary directory].")
@click.option("--threads", type=int, default=0, help="Worker threads [all cores].")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def demo(output, threads, quiet):
    """Train on a corpus built from this Python's own documentation, then query and score the vectors.

    Needs no download: the text is the pydoc topics and standard-library docstrings.

    \b
    Example:
      w2v demo -o python-docs.bin
    """
    from w2v.demo import run_demo

    run_demo(output, threads=threads, quiet=quiet)


def main():
    cli(prog_name="w2v")


if __name__ == "__main__":
    main()
