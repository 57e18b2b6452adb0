"""The command line: a thin Click layer over the library. Heavy modules are imported inside commands."""


import click

from w2v.choices import LOSSES, MODELS, SYNC_AVERAGES
from w2v.cli_base import Group
from w2v.cli_eval import eval_


class SubwordLengths(click.ParamType):
    """--subwords: MIN-MAX character lengths (3-6), one length (3), or 0 for none -> (minn, maxn)."""

    name = "MIN-MAX"

    def convert(self, value, param, ctx):
        from w2v.config import parse_subwords

        try:
            return parse_subwords(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="w2v")
def cli():
    """w2v: train word embeddings (skip-gram, CBOW, GloVe, the NPLM language model) and evaluate them.

    \b
    Examples:
      w2v demo
      w2v train corpus.txt -o vectors.bin
      w2v eval analogies vectors.bin
      w2v similar vectors.bin paris
      w2v train corpus.txt --model nplm --loss hs -o model.npz --vectors-output vectors.bin
      w2v eval perplexity model.npz heldout.txt
    """


@cli.command()
@click.argument("corpus", nargs=-1, required=True)
@click.option("-o", "--output", default=None,
              help="Vectors file; its suffix picks the format (.bin binary, .txt/.vec text) [vectors.bin]. "
                   "--model nplm writes the whole model to a .npz file [model.npz].")
@click.option("--format", "fmt", type=click.Choice(["bin", "text", "glove", "fasttext"]), default=None,
              help="Output format, overriding the suffix (fasttext: fastText's model file, --subwords models).")
@click.option("--model", type=click.Choice(list(MODELS)), default="sg", show_default=True,
              help="; ".join(f"{name}: {a.summary}" for name, a in MODELS.items()) + ".")
@click.option("--loss", type=click.Choice(list(LOSSES)), default="ns", show_default=True,
              help="; ".join(f"{name}: {o.summary}" for name, o in LOSSES.items()) + ".")
@click.option("--dim", type=click.IntRange(min=1), default=100, show_default=True, help="Vector dimension.")
@click.option("--window", type=click.IntRange(min=1), default=None,
              help="Maximum context distance [5; glove 10]. sg/cbow draw each position's window from 1..WINDOW.")
@click.option("--negative", type=click.IntRange(min=0), default=5, show_default=True, help="Noise words per prediction (ns, nce).")
@click.option("--noise-power", type=click.FloatRange(min=0), default=0.75, show_default=True,
              help="Noise distribution: unigram counts to this power.")
@click.option("--min-count", type=click.IntRange(min=1), default=5, show_default=True, help="Drop words rarer than this.")
@click.option("--max-vocab", type=click.IntRange(min=2), default=None, help="Keep at most this many most frequent words.")
@click.option("--max-types", type=click.IntRange(min=1000), default=None,
              help="Word types kept while counting; beyond them the rarest are pruned, as word2vec.c does "
                   "(gensim's max_vocab_size): counts become approximate, ever more frequent types are dropped. "
                   "Without it every type is counted exactly, spilling to temporary disk beyond 4M types.")
@click.option("--sample", type=click.FloatRange(min=0), default=1e-3, show_default=True,
              help="Subsampling threshold for frequent words (0: off).")
@click.option("--epochs", type=click.IntRange(min=1), default=None, help="Passes over the corpus [5; glove 15].")
@click.option("--alpha", type=click.FloatRange(min=0, min_open=True), default=None, help="Initial learning rate [0.025 sg, 0.05 cbow, 0.01 nplm].")
@click.option("--min-alpha", type=click.FloatRange(min=0), default=None, help="Final learning rate [alpha * 1e-4].")
@click.option("--threads", type=click.IntRange(min=0), default=0, help="Worker threads [all cores]; 1 is deterministic.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed.")
@click.option("--cbow-mean/--cbow-sum", default=True, show_default=True,
              help="CBOW hidden layer: mean or sum of the context vectors.")
@click.option("--shared-targets/--classic", "shared_targets", default=True, show_default=True,
              help="Skip-gram: the context words of a window share one draw of noise words (and the target's "
                   "Huffman path) and train in one blocked step (Ji et al. 2016; faster, as good or better on "
                   "bench-en), or word2vec.c's classic update, one (context, word) pair at a time.")
@click.option("--subwords", type=SubwordLengths(), default=(0, 0), metavar="MIN-MAX",
              help="sg/cbow: fastText's subword model (Bojanowski et al. 2017): a word's vector is the mean of its "
                   "own row and those of its character n-grams of MIN to MAX characters (e.g. 3-6), so words never "
                   "seen get vectors too. A .bin output is then fastText's model file [0: off].")
@click.option("--buckets", type=click.IntRange(min=1), default=2_000_000, show_default=True,
              help="With --subwords: rows the n-grams are hashed into (fewer: less memory, more collisions).")
@click.option("--context", type=click.IntRange(min=1), default=4, show_default=True,
              help="NPLM: words of history (4: a 5-gram model); sentence starts are padded with </s>.")
@click.option("--hidden", type=click.IntRange(min=1), default=100, show_default=True, help="NPLM: tanh hidden units.")
@click.option("--direct/--no-direct", default=False, show_default=True,
              help="NPLM: direct connections from the word features to the output layer.")
@click.option("--batch", type=click.IntRange(min=1), default=None,
              help="NPLM: examples per step; they share one hidden-layer update, and with --loss softmax one "
                   "pass over the output matrix [64 for softmax, else 1].")
@click.option("--save-vocab", default=None, help="Write the vocabulary ('word count' lines).")
@click.option("--read-vocab", default=None, help="Use this vocabulary file instead of counting.")
@click.option("--symmetric/--left-only", default=True, show_default=True,
              help="GloVe: count context words on both sides, or on the left only.")
@click.option("--distance-weighting/--no-distance-weighting", default=True, show_default=True,
              help="GloVe: a pair d words apart counts 1/d (else 1).")
@click.option("--x-max", type=click.FloatRange(min=0, min_open=True), default=100.0, show_default=True,
              help="GloVe: counts above this get full weight; f(x) = min(1, (x/x_max)^power).")
@click.option("--weight-power", type=click.FloatRange(min=0), default=0.75, show_default=True, help="GloVe: the power in f(x).")
@click.option("--eta", type=click.FloatRange(min=0, min_open=True), default=0.05, show_default=True, help="GloVe: AdaGrad learning rate.")
@click.option("--glove-vectors", type=click.Choice(["w", "w+c"]), default="w+c", show_default=True,
              help="GloVe: write the word vectors W, or W plus the context vectors C (GloVe's default).")
@click.option("--pair-order", type=click.Choice(["tiled", "shuffled"]), default="tiled", show_default=True,
              help="GloVe: the nonzeros' order in an epoch: shuffled in tiles of words whose rows fit in the "
                   "caches (about 2-3x the updates per second), or one plain shuffle (GloVe's C tools).")
@click.option("--vectors-output", default=None,
              help="NPLM: also write its word vectors to this file (format from its suffix; -o takes the model).")
@click.option("--cooccur", default=None,
              help="GloVe: reuse co-occurrences written by 'w2v cooccur' instead of counting CORPUS.")
@click.option("--memory", type=click.FloatRange(min=0, min_open=True), default=None,
              help="GloVe: GB for co-occurrence counting; beyond it sorted runs spill to --tmp-dir "
                   "[min(4, a quarter of RAM)].")
@click.option("--tmp-dir", default=None, help="Directory for the encoded corpus and spills [system temp].")
@click.option("--checkpoint", default=None,
              help="Save the training state here (atomically) on Ctrl-C/SIGTERM and every --checkpoint-every.")
@click.option("--checkpoint-every", default=None, help="Checkpoint interval, e.g. 30s, 10m, 2h.")
@click.option("--resume", default=None,
              help="Continue from a checkpoint; its options apply unless given again (contradictions are refused).")
@click.option("--continue", "continue_from", default=None,
              help="Continue training an sg/cbow checkpoint on CORPUS, new text: its weights and options (not "
                   "its model, loss or dim), the learning rate restarting at --alpha.")
@click.option("--init-vectors", default=None,
              help="sg/cbow: start the words found in this vectors file (any format w2v reads; same --dim) from "
                   "its vectors, as gensim's intersect_word2vec_format (with --subwords: fastText's "
                   "-pretrainedVectors, each word's mean of rows set to its vector).")
@click.option("--lock-init", is_flag=True, default=False,
              help="With --init-vectors: do not train the vectors taken from the file (not with --subwords).")
@click.option("--update-vocab", is_flag=True, default=False,
              help="With --continue: add CORPUS's words that pass --min-count in it, with fresh vectors.")
@click.option("--log-json", default=None, help="Append one JSON line per progress step and per epoch here.")
@click.option("--max-memory", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Refuse to start when the estimated memory exceeds this many GB [the memory available].")
@click.option("--classes", type=click.IntRange(min=1), default=None,
              help="Write word classes (k-means of the vectors into this many classes, 'word class' lines) to "
                   "-o instead of the vectors, as word2vec.c's -classes.")
@click.option("--dask", default=None,
              help="Run on a Dask cluster: a scheduler address (tcp://HOST:8786) or local:N (N worker processes "
                   "here). sg/cbow train there (one model replica per shard, synchronous rounds); GloVe counts "
                   "there and trains here. Needs pip install 'w2v[dask]'.")
@click.option("--shards", type=click.IntRange(min=1), default=None,
              help="With --dask: shards of the corpus, one model replica each [one per worker].")
@click.option("--sync-rounds", type=click.IntRange(min=1), default=None,
              help="With --dask: full synchronisations of the replicas (every changed row) per epoch [8, or one per "
                   "10M tokens x shards when more: 16 for 4 shards on 40M tokens].")
@click.option("--sync-hot", type=click.IntRange(min=1), default=None,
              help="With --dask: rounds per synchronisation of every row; after the others only the frequent "
                   "words' rows (95%% of the tokens) are combined (pWord2Vec's tiered sync) [4; 1: off].")
@click.option("--sync-average", type=click.Choice(SYNC_AVERAGES), default=None,
              help="With --dask: how the replicas' rows combine: adasum (each row moves by the AdaSum of the "
                   "replicas' changes: orthogonal parts add, parallel parts average; the replicas step at "
                   "sqrt(S) x --alpha for S shards, at most 2 x --alpha and 0.1), mean (the mean of the S "
                   "replicas' changes, the replicas at S x --alpha: to first order one model on all the data; "
                   "diverged at 16 shards on bench-en), sum (the row plus every replica's change, at --alpha), "
                   "or all (Spark MLlib's baseline: every row averaged over all replicas at --alpha, once an "
                   "epoch) [adasum; with --resume: the checkpoint's].")
@click.option("--sync-bits", type=click.Choice(["16", "32"]), default="16", show_default=True,
              callback=lambda ctx, param, value: int(value),
              help="With --dask: what the replicas exchange: their rows' changes in float16 (half the bytes) or "
                   "the rows' values in float32. One shard always sends values.")
@click.option("--phrases", default=None,
              help="Join the phrases of this file (from 'w2v phrases --save-phrases') while reading CORPUS.")
@click.option("--force-text", is_flag=True,
              help="Read inputs whose first bytes look binary (NUL bytes, mostly not text), which are refused.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
@click.pass_context
def train(ctx, corpus, output, fmt, vectors_output, classes, quiet, **options):
    """Train word vectors on CORPUS: files (text, .gz, .bz2, .xz), directories and globs, read in order as
    one text, or - for stdin.

    Tokens are split on whitespace and a newline ends a sentence. Defaults follow word2vec.c for sg and
    cbow, and GloVe's C tools for glove.

    \b
    Examples:
      w2v train corpus.txt.xz --model cbow --epochs 3 -o vectors.bin
      w2v train corpus.txt --model glove --window 10 -o glove.txt
      w2v train --model glove --cooccur cooc.npz - -o glove.bin
      w2v train corpus.txt --model nplm --loss nce --dim 60 --hidden 100 -o model.npz --vectors-output v.bin
    """
    from click.core import ParameterSource

    from w2v import api

    # only what was given: the library fills in the defaults, or a resumed checkpoint's options
    given = {k: v for k, v in options.items() if ctx.get_parameter_source(k) == ParameterSource.COMMANDLINE}
    api.train(list(corpus), output=output or True, format=fmt, vectors_output=vectors_output, classes=classes,
              progress=not quiet, **given)


@cli.command()
@click.argument("corpus", nargs=-1, required=True)
@click.option("-o", "--output", default=None, help="Where to write the phrased text.")
@click.option("--save-phrases", default=None,
              help="Write the learned phrases (a TSV that 'w2v train --phrases' applies while reading).")
@click.option("--passes", type=click.IntRange(min=1), default=2, show_default=True,
              help="Passes; each learns on the text phrased by the ones before, so phrases grow longer.")
@click.option("--threshold", default=None,
              help="Score a bigram must pass, one per pass (e.g. 200,100) or one for all [word2phrase: 200,100 "
                   "(word2vec's demo); gensim: 10; npmi: 0.5].")
@click.option("--scoring", type=click.Choice(["word2phrase", "gensim", "npmi"]), default="word2phrase",
              show_default=True,
              help="word2phrase: (n(ab) - min_count) / n(a) / n(b) * tokens; gensim: the same times the "
                   "number of types counted instead of tokens (gensim's default); npmi: normalised PMI in [-1, 1].")
@click.option("--min-count", type=click.IntRange(min=1), default=5, show_default=True,
              help="Bigrams (and, for word2phrase, words) rarer than this never join.")
@click.option("--delimiter", default="_", show_default=True, help="Joins the words of a phrase.")
@click.option("--connector-words", default=None,
              help="english (gensim's: a, the, of, ...), or a file of words that may stand inside a phrase "
                   "(bank_of_america) [none].")
@click.option("--max-bigrams", type=click.IntRange(min=1000), default=None,
              help="Bigram types counted before the rarest are pruned, as word2vec.c does [20000000, ~1 GB].")
@click.option("--tmp-dir", default=None, help="Directory for the encoded corpus and the passes' text [system temp].")
@click.option("--threads", type=click.IntRange(min=0), default=0,
              help="Threads that join the phrases in the text [0: all cores]; counting takes one beside the reader.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
def phrases(corpus, output, save_phrases, quiet, **options):
    """Learn phrases in CORPUS (files, or - for stdin) and write it with them joined: word2vec.c's
    word2phrase, gensim's Phrases.

    \b
    Examples:
      w2v phrases corpus.txt -o phrased.txt
      w2v phrases corpus.txt --scoring npmi --threshold 0.5 --connector-words english --save-phrases p.tsv
      w2v train corpus.txt --phrases p.tsv -o vectors.bin
    """
    from w2v import api

    if output is None and save_phrases is None:
        raise click.UsageError("give -o for the phrased text, --save-phrases for the phrases, or both")
    threads = options.pop("threads") or None
    api.learn_phrases(list(corpus), output, save_phrases=save_phrases, progress=not quiet,
                      connector_words=options.pop("connector_words"), threads=threads, **options)


@cli.command()
@click.argument("vectors")
@click.option("-k", "k", type=click.IntRange(min=1), required=True, help="Number of classes.")
@click.option("-o", "--output", required=True, help="Class file to write ('word class' per line).")
@click.option("--iterations", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--init", type=click.Choice(["word2vec", "kmeans++"]), default="word2vec", show_default=True,
              help="word2vec: word i starts in class i mod K (word2vec.c); kmeans++: seeded k-means++ centroids.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed (kmeans++).")
@click.option("-q", "--quiet", is_flag=True, help="No message on stderr.")
def classes(vectors, k, output, iterations, init, seed, quiet):
    """Cluster the words of VECTORS into K classes by k-means, as word2vec.c's -classes: centroids scaled to
    unit length, each word in the class of largest dot product.

    \b
    Example:
      w2v classes vectors.bin -k 500 -o classes.txt
    """
    from w2v.api import load_vectors
    from w2v.classes import kmeans

    found = kmeans(load_vectors(vectors), k, iterations=iterations, init=init, seed=seed)
    found.save(output)
    if not quiet:
        click.echo(f"wrote {len(found.words)} words in {k} classes to {output} ({found.iterations} iterations)",
                   err=True)


@cli.command()
@click.argument("corpus", nargs=-1, required=True)
@click.option("--min-count", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--max-vocab", type=click.IntRange(min=2), default=None)
@click.option("--max-types", type=click.IntRange(min=1000), default=None,
              help="Word types kept while counting (see w2v train --help).")
@click.option("--top", type=click.IntRange(min=0), default=20, show_default=True, help="How many top words to list.")
@click.option("-o", "--output", default=None, help="Write the vocabulary file that --read-vocab takes.")
@click.option("--dask", default=None, help="Count on a Dask cluster: a scheduler address or local:N.")
@click.option("--tmp-dir", default=None, help="Directory for the counting's work files [system temp].")
@click.option("--json", "as_json", is_flag=True, help="Print the statistics and the top words as JSON.")
@click.option("-q", "--quiet", is_flag=True, help="No line on stderr for the file written.")
@click.option("--threads", type=click.IntRange(min=0), default=0,
              help="Threads for counting [0: all cores]; plain files of 32 MB or more are read in two halves.")
def vocab(corpus, min_count, max_vocab, max_types, top, output, dask, tmp_dir, as_json, quiet, threads):
    """Vocabulary statistics of CORPUS: types, tokens, coverage at the min-count, the top words.

    \b
    Example:
      w2v vocab corpus.txt --min-count 5 --top 20 -o vocab.txt
    """
    from w2v import api

    report = api.vocabulary(list(corpus), min_count, max_vocab, dask=dask, max_types=max_types, tmp_dir=tmp_dir,
                            threads=threads)
    v, total = report.vocab, report.total_tokens
    if output:
        v.save(output)
    ranked = list(enumerate(zip(v.words[:top], v.counts[:top].tolist()), 1))
    if as_json:
        from w2v.evaluate import to_json

        click.echo(to_json(dict(
            tokens=total, types=report.types, kept=len(v), min_count=min_count, max_vocab=max_vocab,
            coverage=report.coverage, invalid_utf8=report.invalid_utf8,
            top=[dict(rank=i, word=w, count=c, share=c / total) for i, (w, c) in ranked])))
    else:
        click.echo(f"tokens {total}  types {report.types}  kept {len(v)} types with count >= {min_count}"
                   + (f" (top {max_vocab})" if max_vocab else "")
                   + f", covering {100 * report.coverage:.2f}% of tokens")
        if report.invalid_utf8:
            click.echo(f"invalid UTF-8 in {report.invalid_utf8} tokens (replaced by U+FFFD)")
        for i, (w, c) in ranked:
            click.echo(f"{i:6d}  {c:12d}  {100 * c / total:6.2f}%  {w}")
    if output and not quiet:
        click.echo(f"wrote {len(v)} words to {output}", err=True)


@cli.command()
@click.argument("corpus", nargs=-1, required=True)
@click.option("-o", "--output", required=True, help="Where to write the co-occurrence matrix (.npz).")
@click.option("--window", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--symmetric/--left-only", default=True, show_default=True)
@click.option("--distance-weighting/--no-distance-weighting", default=True, show_default=True)
@click.option("--min-count", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--max-vocab", type=click.IntRange(min=2), default=None)
@click.option("--memory", type=click.FloatRange(min=0, min_open=True), default=None,
              help="GB for counting; beyond it sorted runs spill to --tmp-dir [min(4, a quarter of RAM)].")
@click.option("--tmp-dir", default=None, help="Directory for the encoded corpus and spills [system temp].")
@click.option("--dask", default=None, help="Count on a Dask cluster: a scheduler address or local:N.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary.")
def cooccur(corpus, output, quiet, **options):
    """Count GloVe co-occurrences of CORPUS once, for 'w2v train --model glove --cooccur'.

    \b
    Example:
      w2v cooccur corpus.txt -o cooc.npz && w2v train --model glove --cooccur cooc.npz - -o glove.bin
    """
    from w2v import api

    api.cooccurrences(list(corpus), output, progress=not quiet, **options)


@cli.command()
@click.argument("vectors")
@click.argument("word")
@click.option("-n", "--topn", "topn", type=click.IntRange(min=1), default=10, show_default=True,
              help="How many neighbours to list.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Read only the first N words of the vectors file (as gensim's limit) [all].")
@click.option("--json", "as_json", is_flag=True, help="Print the neighbours as JSON.")
def similar(vectors, word, topn, limit, as_json):
    """Nearest neighbours of WORD by cosine similarity.

    \b
    Example:
      w2v similar vectors.bin paris -n 5
    """
    from w2v.api import load_vectors

    _neighbours(load_vectors(vectors, limit).most_similar([word], topn=topn), as_json)


@cli.command()
@click.argument("vectors")
@click.argument("a")
@click.argument("b")
@click.argument("c")
@click.option("-n", "--topn", "topn", type=click.IntRange(min=1), default=10, show_default=True,
              help="How many neighbours to list.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Read only the first N words of the vectors file (as gensim's limit) [all].")
@click.option("--json", "as_json", is_flag=True, help="Print the answers as JSON.")
def analogy(vectors, a, b, c, topn, limit, as_json):
    """A is to B as C is to ?  (nearest to B - A + C).

    \b
    Example:
      w2v analogy vectors.bin man king woman
    """
    from w2v.api import load_vectors

    _neighbours(load_vectors(vectors, limit).analogy(a, b, c, topn=topn), as_json)


def _neighbours(found, as_json):
    """(word, similarity) pairs, one per line or as a JSON list."""
    if as_json:
        from w2v.evaluate import to_json

        click.echo(to_json([dict(word=w, similarity=float(s)) for w, s in found]))
        return
    for w, s in found:
        click.echo(f"{w}\t{s:.4f}")


@cli.command()
@click.argument("source")
@click.argument("target")
@click.option("--format", "fmt", type=click.Choice(["bin", "text", "glove"]), default=None,
              help="Output format, overriding TARGET's suffix.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Read only the first N words of the vectors file (as gensim's limit) [all].")
@click.option("-q", "--quiet", is_flag=True, help="No message on stderr.")
def convert(source, target, fmt, limit, quiet):
    """Convert between word2vec binary, word2vec text and GloVe text; an NPLM model (.npz) gives its
    word vectors.

    \b
    Example:
      w2v convert vectors.bin vectors.txt
      w2v convert model.npz vectors.bin
    """
    from w2v import formats
    from w2v.api import load_vectors

    vecs = load_vectors(source, limit)
    vecs.save(target, fmt)
    if not quiet:
        click.echo(f"wrote {len(vecs)} vectors to {target} ({formats.format_for_path(target, fmt)})", err=True)


@cli.command(name="plot-loss")
@click.argument("log")
@click.option("-o", "--output", required=True, help="PNG file to write.")
def plot_loss(log, output):
    """Draw the training curve (loss and learning rate) from a --log-json file.

    \b
    Example:
      w2v train corpus.txt --log-json log.jsonl -o v.bin && w2v plot-loss log.jsonl -o loss.png
    """
    from w2v.plot import plot_loss as draw

    draw(log, output)
    click.echo(f"wrote {output}", err=True)


@cli.command()
@click.argument("vectors")
@click.argument("words", nargs=-1, required=True)
@click.option("-o", "--output", required=True, help="PNG file to write.")
@click.option("-n", "neighbours", type=click.IntRange(min=0), default=5, show_default=True,
              help="Nearest neighbours shown per word.")
def plot(vectors, words, output, neighbours):
    """Draw a labelled 2-D PCA map of WORDS and their nearest neighbours.

    \b
    Example:
      w2v plot vectors.bin paris london king queen -o map.png
    """
    from w2v.api import load_vectors
    from w2v.plot import plot_words

    plot_words(load_vectors(vectors), list(words), output, neighbours)
    click.echo(f"wrote {output}", err=True)


@cli.command()
@click.option("-o", "--output", default=None, help="Where to write the vectors [a temporary directory].")
@click.option("--threads", type=click.IntRange(min=0), default=0, help="Worker threads [0: all cores].")
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


cli.add_command(eval_)


def main():
    cli(prog_name="w2v")


if __name__ == "__main__":
    main()
