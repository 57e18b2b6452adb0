"""Word vectors: words plus a matrix, with cosine neighbours and analogies (no Numba)."""

import numpy as np

from w2v.errors import OptionError, WordNotFound


class Vectors:
    """``vectors[i]`` is the vector of ``words[i]``; words are ordered by frequency when trained by w2v."""

    def __init__(self, words, vectors):
        self.words = list(words)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if self.vectors.ndim != 2 or len(self.words) != self.vectors.shape[0]:
            raise ValueError("words and vectors do not match")
        self.index = {}
        for i, w in enumerate(self.words):
            self.index.setdefault(w, i)
        self._unit = None

    def __len__(self):
        return len(self.words)

    def __contains__(self, word):
        return word in self.index

    def __getitem__(self, word):
        return self.vectors[self._get(word)]

    @property
    def dim(self):
        return self.vectors.shape[1]

    @property
    def unit(self):
        """Rows scaled to unit length (zero rows stay zero)."""
        if self._unit is None:
            norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
            self._unit = self.vectors / np.where(norms > 0, norms, 1.0).astype(np.float32)
        return self._unit

    def _get(self, word):
        if word not in self.index:
            raise WordNotFound(f"word not in vocabulary: {word!r}")
        return self.index[word]

    def similarity(self, a, b):
        """Cosine similarity of two words."""
        return float(self.unit[self._get(a)] @ self.unit[self._get(b)])

    def most_similar(self, positive=(), negative=(), topn=10, restrict=None):
        """Nearest words to the mean of the unit vectors (+positive, -negative), inputs excluded; a single
        word may be given as a string."""
        if isinstance(positive, str):
            positive = [positive]
        if isinstance(negative, str):
            negative = [negative]
        ids = [self._get(w) for w in positive] + [self._get(w) for w in negative]
        if not ids:
            raise OptionError("give at least one word")
        weights = np.array([1.0] * len(positive) + [-1.0] * len(negative), np.float32)
        query = weights @ self.unit[ids]
        norm = np.linalg.norm(query)
        if norm > 0:
            query = query / norm
        unit = self.unit if restrict is None else self.unit[:restrict]
        scores = unit @ query
        scores[[i for i in ids if i < len(scores)]] = -np.inf
        k = min(topn, len(scores) - 1)
        if k <= 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.words[i], float(scores[i])) for i in best if np.isfinite(scores[i])]

    def analogy(self, a, b, c, topn=10):
        """``a`` is to ``b`` as ``c`` is to ?  (3CosAdd: nearest to b - a + c)."""
        return self.most_similar(positive=[b, c], negative=[a], topn=topn)

    def save(self, path, format=None):
        """Write word2vec binary or text, or GloVe text, atomically: ``format`` bin, text or glove, else the
        suffix's."""
        from w2v import formats

        formats.write(self.words, self.vectors, path, format)

    @classmethod
    def load(cls, path, unicode_errors="strict"):
        """Read a word2vec binary/text or GloVe text file (the format detected from the content); w2v.load
        also reads an NPLM model file."""
        from w2v import formats

        return cls(*formats.read(path, unicode_errors))

    def to_gensim(self):
        """The same vectors as gensim's ``KeyedVectors`` (needs gensim installed)."""
        try:
            from gensim.models import KeyedVectors
        except ImportError:
            raise OptionError("to_gensim needs gensim: pip install gensim") from None
        kv = KeyedVectors(self.dim)
        kv.add_vectors(self.words, self.vectors)
        return kv
