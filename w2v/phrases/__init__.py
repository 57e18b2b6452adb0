"""Phrases (word2vec.c's word2phrase, gensim's ``Phrases``): join frequent bigrams into one token.

A pass counts unigrams and *candidates* (two words in a row, or two words with only connector words
between them: "bank of america") over the corpus, scores every candidate, and keeps those scoring above
the threshold. Applying a pass reads the text again and joins kept candidates left to right, greedily:
once ``a b`` is joined, ``b`` cannot start another phrase (word2phrase and gensim alike). Two passes
build phrases of up to four words ("new_york times" -> "new_york_times").

Scorers (``count`` is a candidate's count, ``a``, ``b`` its words' counts, ``N`` the tokens read):

- ``word2phrase``: ``(count - min_count) / a / b * N`` (word2phrase.c); words rarer than min_count never join.
- ``gensim``: ``(count - min_count) / (a * b) * types`` (gensim's default scorer), ``types`` being the number
  of unigram and candidate types counted (connector words are not counted as unigrams, as in gensim).
- ``npmi``: ``ln(p(ab) / (p(a) p(b))) / -ln p(ab)`` in [-1, 1] with ``p = count / N``; candidates rarer than
  min_count never join.

The text is tokenized by the same Numba scan as training (scan.py: unigram counts and a provisional id
stream); candidates are counted on that stream in an open-addressing table of (left, right, connectors)
keys. When the table reaches ``max_bigrams`` entries, candidates seen at most ``min_reduce`` times are
dropped and ``min_reduce`` grows, as word2vec.c's ReduceVocab does, so memory is bounded and counts are
approximate after a pruning round (said in the summary). Applying is a second Numba pass over the text
that copies tokens and writes the delimiter inside phrases; whitespace is normalised to single spaces
and a newline per non-empty line. Up to ``MAX_CONNECTORS`` connector words may stand inside one phrase.

A learned model is a list of passes, saved as a TSV (``save``/``load``) that ``w2v train --phrases``
applies on the fly while reading the corpus (``Phrased``), without writing the joined text.

Modules: kernels.py (Numba), model.py (passes and the file), applying.py, learning.py.
"""

from w2v.phrases.applying import Phrased
from w2v.phrases.learning import (DEFAULT_MAX_BIGRAMS, ENGLISH_CONNECTOR_WORDS, SCORINGS, connector_words, learn,
                                  learn_pass, thresholds)
from w2v.phrases.model import Pass, Phrases

__all__ = ["Phrased", "DEFAULT_MAX_BIGRAMS", "ENGLISH_CONNECTOR_WORDS", "SCORINGS", "connector_words", "learn",
           "learn_pass", "thresholds", "Pass", "Phrases"]
