"""Names users bring from word2vec.c, gensim, fastText and GloVe's tools, and what w2v calls them: the CLI
and w2v.train answer a foreign name with w2v's instead of "no such option" (docs/options.md has the
table). Light on purpose: the CLI imports it."""

# command-line spellings (word2vec.c and fastText take single-dash options; GloVe's tools too)
OPTIONS = {
    "-train": "the CORPUS argument", "-input": "the CORPUS argument", "-corpus": "the CORPUS argument",
    "-output": "-o/--output", "-save-file": "-o/--output",
    "-size": "--dim", "--size": "--dim", "--vector-size": "--dim", "--vector_size": "--dim", "-vector-size": "--dim",
    "-dim": "--dim", "--dimension": "--dim",
    "-window": "--window", "-ws": "--window", "--ws": "--window", "-window-size": "--window",
    "--window-size": "--window", "--window_size": "--window",
    "-iter": "--epochs", "--iter": "--epochs", "-epoch": "--epochs", "--epoch": "--epochs",
    "-alpha": "--alpha (GloVe's -alpha, its weighting power, is --weight-power)", "-lr": "--alpha", "--lr": "--alpha",
    "--learning-rate": "--alpha", "--learning_rate": "--alpha", "-min-alpha": "--min-alpha",
    "--min_alpha": "--min-alpha",
    "-threads": "--threads", "-thread": "--threads", "--thread": "--threads", "--workers": "--threads",
    "-workers": "--threads", "-num-threads": "--threads", "--num-threads": "--threads",
    "-min-count": "--min-count", "--min_count": "--min-count", "-minCount": "--min-count", "--minCount": "--min-count",
    "--mincount": "--min-count", "-vocab-min-count": "--min-count",
    "-max-vocab": "--max-vocab", "--max_vocab": "--max-vocab", "-max-vocab-size": "--max-vocab",
    "--max-vocab-size": "--max-vocab", "--max_vocab_size": "--max-types (gensim's max_vocab_size prunes while "
                                                          "counting; --max-vocab keeps the N most frequent words)",
    "-negative": "--negative", "-neg": "--negative", "--neg": "--negative",
    "-sample": "--sample", "-t": "--sample",
    "-cbow": "--model cbow (or --model sg)", "--cbow": "--model cbow", "--sg": "--model sg", "-sg": "--model sg",
    "-skipgram": "--model sg", "--skipgram": "--model sg",
    "-hs": "--loss hs", "--hs": "--loss hs", "-loss": "--loss",
    "-binary": "--format bin (or --format text)", "--binary": "--format bin",
    "-save-vocab": "--save-vocab", "--save_vocab": "--save-vocab", "-read-vocab": "--read-vocab",
    "--read_vocab": "--read-vocab", "-classes": "--classes",
    "-x-max": "--x-max", "--x_max": "--x-max", "-eta": "--eta", "-memory": "--memory",
    "-symmetric": "--symmetric/--left-only", "-distance-weighting": "--distance-weighting",
    "-seed": "--seed", "--random-seed": "--seed", "-debug": "--quiet (the progress bar is on stderr)",
    "--verbose": "the default (--quiet silences the progress bar)",
    "-minn": "--subwords MIN-MAX", "-maxn": "--subwords MIN-MAX", "--minn": "--subwords MIN-MAX",
    "--maxn": "--subwords MIN-MAX", "--min-n": "--subwords MIN-MAX", "--max-n": "--subwords MIN-MAX",
    "-bucket": "--buckets", "--bucket": "--buckets",
    "-pretrainedVectors": "--init-vectors", "--pretrainedVectors": "--init-vectors",
    "--pretrained-vectors": "--init-vectors",
    "--export": "--glove-vectors w|w+c (GloVe) or --vectors-output FILE (the NPLM's word vectors)",
}

def foreign_option(args, own):
    """A message for the first argument in ``args`` that is another tool's option name (and not one of
    the command's ``own`` options), or None."""
    for arg in args:
        if arg == "--":
            break
        name = arg.split("=", 1)[0]
        if name in OPTIONS and name not in own:
            return f"no option {name}: w2v calls it {OPTIONS[name]}"
    return None


# gensim's Word2Vec and fastText's train_unsupervised keyword arguments
PARAMETERS = {
    "vector_size": "dim", "size": "dim", "workers": "threads", "thread": "threads", "sg": "model='sg' or 'cbow'",
    "hs": "loss='hs'", "iter": "epochs", "epoch": "epochs", "lr": "alpha", "ws": "window", "minCount": "min_count",
    "neg": "negative", "max_final_vocab": "max_vocab", "max_vocab_size": "max_types", "ns_exponent": "noise_power",
    "corpus_file": "the corpus argument",
    "sentences": "the corpus argument", "input": "the corpus argument", "t": "sample",
    "minn": "subwords=(minn, maxn)", "maxn": "subwords=(minn, maxn)", "min_n": "subwords=(min_n, max_n)",
    "max_n": "subwords=(min_n, max_n)", "bucket": "buckets",
    "export": "glove_vectors (GloVe: 'w' or 'w+c') or vectors_output (the NPLM's word vectors file)",
}
