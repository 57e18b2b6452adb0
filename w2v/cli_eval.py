"""``w2v eval``: analogies and word similarity of vectors, perplexity of an NPLM (no Numba)."""

import os

import click

from w2v.cli_base import Group


@click.group(name="eval", cls=Group)
def eval_():
    """Score vectors on analogy and word-similarity sets, or a language model on held-out text.

    \b
    Example:
      w2v eval analogies vectors.bin
      w2v eval perplexity model.npz heldout.txt
    """


@eval_.command()
@click.argument("model")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def perplexity(model, text, as_json):
    """Per-word perplexity of TEXT under an NPLM MODEL (.npz from 'w2v train --model nplm').

    Every word and every sentence end is predicted from the words before it, with exactly normalised
    probabilities: the full softmax over the vocabulary (also for models trained by NCE or NS; the mean
    log Z shows how close they came to self-normalising), or the product along the Huffman path for
    HS models. Words outside the model's vocabulary are scored as <unk> and counted.

    \b
    Example:
      w2v eval perplexity model.npz heldout.txt
    """
    import dataclasses

    from w2v.evaluate import to_json
    from w2v.language_model import LanguageModel
    from w2v.language_model import perplexity as score

    report = score(LanguageModel.load(model), text)
    if as_json:
        click.echo(to_json(dataclasses.asdict(report)))
        return
    click.echo("\n".join(report.lines(model, text)))


@eval_.command()
@click.argument("vectors")
@click.option("--dataset", default=None, help="Analogy file [the Google analogy set shipped with w2v].")
@click.option("--restrict", type=click.IntRange(min=0), default=30000, show_default=True,
              help="Only the most frequent words answer and are asked about (0: all).")
@click.option("--method", type=click.Choice(["3cosadd", "3cosmul"]), default="3cosadd", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Read only the first N words of the vectors file (as gensim's limit) [all].")
def analogies(vectors, dataset, restrict, method, as_json, limit):
    """Analogy accuracy of VECTORS (any word2vec or GloVe file).

    \b
    Example:
      w2v eval analogies vectors.bin --restrict 30000
    """
    from w2v import evaluate
    from w2v.api import load_vectors

    vecs = load_vectors(vectors, limit)
    res = evaluate.analogies(vecs, dataset, restrict=restrict, method=method)
    if res["total"]["answered"] == 0:
        res["warning"] = (f"no question could be answered: every one has a word outside the "
                          f"{min(restrict or len(vecs), len(vecs))} words asked about")
    if as_json:
        click.echo(evaluate.to_json(res))
        return
    if "warning" in res:
        click.echo(f"warning: {res['warning']}", err=True)
    click.echo(f"{'section':32s} {'accuracy':>9s} {'correct':>8s} {'answered':>9s} {'skipped':>8s}")
    rows = res["sections"] + [dict(res[k], section=k) for k in ("semantic", "syntactic", "total")]
    for r in rows:
        accuracy = f"{100 * r['accuracy']:8.2f}%" if r["answered"] else f"{'n/a':>9s}"
        click.echo(f"{r['section']:32s} {accuracy} {r['correct']:8d} {r['answered']:9d} {r['skipped']:8d}")


@eval_.command()
@click.argument("vectors")
@click.option("--dataset", multiple=True, help="Similarity file (repeatable) [WS-353 and SimLex-999].")
@click.option("--restrict", type=click.IntRange(min=0), default=300000, show_default=True,
              help="Only the most frequent words are looked up (0: all).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Read only the first N words of the vectors file (as gensim's limit) [all].")
@click.option("--oov", type=click.Choice(["skip", "ngrams"]), default="skip", show_default=True,
              help="Pairs with a word outside the vocabulary: skipped, or answered from the word's character "
                   "n-grams (subword models: fastText's .bin, w2v train --subwords).")
def similarity(vectors, dataset, restrict, as_json, limit, oov):
    """Spearman and Pearson correlation of VECTORS with human similarity scores.

    \b
    Example:
      w2v eval similarity vectors.bin --dataset EN-RG-65.txt
    """
    from w2v import evaluate
    from w2v.api import load_vectors

    vecs = load_vectors(vectors, limit)
    paths = list(dataset) or [evaluate.data_path(n) for n in evaluate.DEFAULT_SIMILARITY]
    res = [evaluate.similarity(vecs, p, restrict=restrict, oov=oov) for p in paths]
    for r in res:
        if r["found"] < 2:
            r["warning"] = f"{r['found']} of its {r['pairs']} pairs have both words in the vocabulary: no correlation"
    if as_json:
        click.echo(evaluate.to_json(res))
        return
    for r in res:
        if "warning" in r:
            click.echo(f"warning: {os.path.basename(r['dataset'])}: {r['warning']}", err=True)
        spearman, pearson = (f"{r[k]:.4f}" if r[k] == r[k] else "n/a" for k in ("spearman", "pearson"))
        click.echo(f"{os.path.basename(r['dataset']):24s} spearman {spearman}  pearson {pearson}  pairs "
                   f"{r['found']}/{r['pairs']} (oov {r['oov']}" +
                   (f", {r['from_ngrams']} from n-grams)" if "from_ngrams" in r else ")"))
