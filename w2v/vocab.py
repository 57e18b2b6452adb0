"""Vocabulary: words and counts ordered by count (descending) then word, with min-count and max-size cuts."""

import os
from typing import NamedTuple

import numpy as np

from w2v.atomic import atomic_write
from w2v.errors import FormatError


class Vocab:
    """``words[i]`` has ``counts[i]`` occurrences; index 0 is the most frequent word."""

    def __init__(self, words, counts):
        self.words = list(words)
        self.counts = np.asarray(counts, dtype=np.int64)
        self._index = None

    def __len__(self):
        return len(self.words)

    @property
    def index(self):
        if self._index is None:
            self._index = {w: i for i, w in enumerate(self.words)}
        return self._index

    @property
    def n_tokens(self):
        return int(self.counts.sum())

    def save(self, path):
        """word2vec.c's vocabulary file: ``word count`` per line."""
        with atomic_write(path, "w") as f:
            f.write("".join(f"{w} {c}\n" for w, c in zip(self.words, self.counts.tolist())))

    @classmethod
    def load(cls, path):
        words, counts = read_word_numbers(path, "vocabulary file", "count")
        if not words:
            raise FormatError(f"vocabulary file is empty: {path}")
        if len(set(words)) != len(words):
            raise FormatError(f"vocabulary file {path} lists a word twice")
        return cls(words, counts)


def read_word_numbers(path, kind, number):
    """Lines of ``word number`` (word2vec.c's vocabulary and class files): (words, ints)."""
    if not os.path.isfile(path):
        raise FormatError(f"{kind} not found: {path}")
    words, numbers = [], []
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            parts = raw.split()
            if not parts:
                continue
            try:
                if len(parts) != 2:
                    raise ValueError
                words.append(parts[0].decode("utf-8"))
                numbers.append(int(parts[1]))
            except (ValueError, UnicodeDecodeError):
                raise FormatError(f"{path}, line {lineno}: expected 'word {number}' in UTF-8") from None
    return words, numbers


def build_vocab(words, counts, pids, n_pids, min_count=5, max_vocab=None, may_repeat=True):
    """Choose the vocabulary from counted types; returns ``(Vocab, remap)``.

    ``remap[pid]`` is the final index of provisional id ``pid``, or -1 for a dropped type (``n_pids`` 0:
    no remap, only the vocabulary). Types whose
    words coincide (two invalid byte strings that decode to the same replacement text) are merged;
    ``may_repeat=False`` says there are none (the scan saw only valid UTF-8) and skips that check.
    Ties in count are broken by the word, so the order is reproducible.
    """
    counts = np.asarray(counts, np.int64)
    entry = np.arange(len(words))  # entry of each type whose count decides (the first of merged twins)
    if may_repeat and len(set(words)) != len(words):
        first, total = {}, {}
        for e, (w, c) in enumerate(zip(words, counts.tolist())):
            total[w] = total.get(w, 0) + c
            entry[e] = first.setdefault(w, e)
        counts = np.array([total[w] for w in words], np.int64)
        keep = np.flatnonzero((counts >= min_count) & (entry == np.arange(len(words))))
    else:
        keep = np.flatnonzero(counts >= min_count)
    kept_counts = counts[keep].tolist()
    order = [e for _, _, e in sorted(zip([-c for c in kept_counts], [words[e] for e in keep], keep.tolist()))]
    if max_vocab is not None:
        order = order[:max_vocab]
    order = np.array(order, np.int64)
    vocab = Vocab([words[e] for e in order], counts[order])
    final = np.full(len(words), -1, np.int32)
    final[order] = np.arange(len(order), dtype=np.int32)
    final = final[entry]  # merged twins share their first entry's index
    remap = np.full(n_pids, -1, np.int32)
    if n_pids:  # (0: only the vocabulary is wanted)
        remap[np.asarray(pids, np.int64)] = final
    return vocab, remap


class VocabularyReport(NamedTuple):
    """What ``w2v vocab`` reports: the chosen vocabulary and the corpus it was counted on."""

    vocab: Vocab
    total_tokens: int
    types: int  # distinct tokens seen (after pruning while counting)
    invalid_utf8: int  # tokens whose bytes were not valid UTF-8

    @property
    def coverage(self):
        """Share of the corpus's tokens that the vocabulary keeps."""
        return self.vocab.n_tokens / self.total_tokens
