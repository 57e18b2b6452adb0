"""Corpus to training stream, for every trainer: scan the text, choose the vocabulary, encode the ids
to a file in the run's work directory (corpus/, vocab.py), and refuse what cannot be trained on."""

import os

from w2v.messages import notice
from w2v.errors import CorpusError
from w2v.output import layer
from w2v.vocab import Vocab


def prepare(corpus, cfg, workdir, known=None, unk=None, threads=None):
    """Scan and encode ``corpus`` (see corpus.open_corpus for what it may be); returns (Vocab, EncodedCorpus).

    ``known`` (a Vocab: ``--read-vocab``, or a checkpoint's) fixes the vocabulary instead of counting it.
    ``unk`` (a word) keeps out-of-vocabulary tokens in the stream as that word's id: the word's index
    if the vocabulary has it, else ``len(vocab)`` (the language model's unknown token). ``threads``: what the
    count may use (None: ``cfg.n_threads``; the driver gives one fewer while a first run compiles beside it).
    """
    from w2v import corpus as corpus_mod
    from w2v.vocab import build_vocab

    name = corpus_mod.describe(corpus)
    limit = cfg.max_types  # (None: exact counts, the table spilling to disk beyond corpus.LIVE_TYPES)
    # (a corpus that cannot be read twice is copied while counting, in case pruning makes a second read
    # necessary; the copy is deleted as soon as it is not)
    scanned = corpus_mod.scan_corpus(corpus, workdir, count_limit=limit, known_words=known.words if known else None,
                                     keep_text=known is None and not corpus_mod.rereadable(corpus),
                                     reread_if_pruned=known is None, min_count=1 if known else cfg.min_count,
                                     max_vocab=None if known else cfg.max_vocab,
                                     threads=cfg.n_threads if threads is None else threads)
    if scanned.total_tokens == 0:
        raise CorpusError(f"corpus is empty (no tokens): {name}")
    if scanned.invalid_utf8 > 0.3 * scanned.total_tokens and corpus_mod.text_only():
        raise CorpusError(f"{name} looks like binary data, not text: {scanned.invalid_utf8} of its "
                          f"{scanned.total_tokens} tokens are not valid UTF-8; --force-text reads it anyway")
    if scanned.invalid_utf8:
        notice(f"warning: {scanned.invalid_utf8} tokens were not valid UTF-8; invalid bytes were "
                   "replaced by U+FFFD")
    if scanned.overlong:
        notice(f"warning: skipped {scanned.overlong} tokens longer than 1000 bytes")
    if known is not None:
        counts = known.counts
        words = known.words
    else:
        counts, words = scanned.counts, scanned.words
    vocab, remap = build_vocab(words, counts, scanned.pids, scanned.n_pids if scanned.complete else 0,
                               cfg.min_count, cfg.max_vocab, may_repeat=scanned.invalid_utf8 > 0)
    if not scanned.complete and len(vocab):
        # Spilling or pruning the table while counting gave a type that came back a new provisional id,
        # so the stream stopped being written. Read the text again with the chosen words fixed: every
        # occurrence is encoded, and their counts are exact (after pruning, the choice of words stays
        # word2vec.c's approximate one; after spilling it is exact).
        if scanned.spilled:
            notice(f"more than {corpus_mod.counting.LIVE_TYPES} word types ({scanned.types} in all): counted them "
                       f"exactly by spilling {scanned.spilled} times to disk "
                       f"({scanned.spill_bytes / (1 << 30):.2f} GB); reading the corpus again to encode the "
                       "chosen words")
        else:
            notice(f"more than {limit} word types: pruned rare ones {scanned.pruned} times while counting; "
                       "reading the corpus again to encode every occurrence of the chosen words")
        os.unlink(scanned.prov_path)
        again = corpus_mod.scan_corpus(scanned.text_path or corpus, workdir, known_words=vocab.words)
        vocab, remap = build_vocab(vocab.words, again.counts, again.pids, again.n_pids, cfg.min_count,
                                   cfg.max_vocab, may_repeat=False)
        scanned = again._replace(text_path=scanned.text_path, table_bytes=max(scanned.table_bytes, again.table_bytes),
                                 spill_bytes=scanned.spill_bytes)
    if scanned.text_path:
        os.unlink(scanned.text_path)
    if len(vocab) == 0:
        raise CorpusError(f"vocabulary is empty: no word occurs at least --min-count {cfg.min_count} times "
                          f"in {scanned.total_tokens} tokens")
    need = layer(cfg.loss).min_words  # (GloVe takes no --loss: the default's, one word)
    if len(vocab) < need:
        raise CorpusError(f"--loss {cfg.loss} needs at least {need} words in the vocabulary")
    if unk is not None:
        remap[remap < 0] = vocab.index.get(unk, len(vocab))
    encoded = corpus_mod.encode(scanned, remap, workdir)
    span, option = (cfg.context, "--context") if cfg.model == "nplm" else (cfg.window, "--window")
    if encoded.n_words <= span:
        raise CorpusError(f"too little text to train: {encoded.n_words} in-vocabulary tokens, not more than "
                          f"{option} {span}")
    return vocab, encoded


def known_vocab(read_vocab, resumed_vocab):
    """The vocabulary to encode with: a checkpoint's (so the word ids are the same), a --read-vocab file's,
    or None (count it)."""
    if resumed_vocab is not None:
        return resumed_vocab
    return Vocab.load(read_vocab) if read_vocab else None
