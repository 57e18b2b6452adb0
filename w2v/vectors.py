"""Word vectors: words plus a matrix, with cosine neighbours and analogies (no Numba)."""

import numpy as np

from w2v.errors import FormatError, OptionError, WordNotFound


class Vectors:
    """``vectors[i]`` is the vector of ``words[i]``; words are ordered by frequency when trained by w2v.

    The methods and names of gensim's ``KeyedVectors`` work here with the same results (tests/test_vectors.py
    compares them with gensim 4.4): ``key_to_index``, ``index_to_key``, ``vector_size``, indexing by word,
    index or a list of either, ``most_similar`` with words, vectors or ``(word, weight)`` pairs,
    ``most_similar_cosmul``, ``similar_by_vector``, ``doesnt_match``, ``n_similarity``, ``distance(s)``,
    ``rank``, ``closer_than``, ``evaluate_word_analogies`` and ``evaluate_word_pairs``."""

    def __init__(self, words, vectors):
        self.words = list(words)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if self.vectors.ndim != 2 or len(self.words) != self.vectors.shape[0]:
            raise ValueError("words and vectors do not match")
        self._index_words()

    def _index_words(self):
        self.index = {}
        for i, w in enumerate(self.words):
            self.index.setdefault(w, i)
        self._unit = None

    def __repr__(self):
        return f"<Vectors {len(self):,} words x {self.dim}>"

    def __len__(self):
        return len(self.words)

    def __iter__(self):
        return iter(self.words)

    def __contains__(self, word):
        return word in self.index

    def __getitem__(self, key):
        """A word's (or an index's) vector; a list of them gives a matrix, a row each."""
        if isinstance(key, (list, tuple, np.ndarray)):
            return np.vstack([self.vectors[self._get(k)] for k in key]) if len(key) else np.zeros((0, self.dim),
                                                                                                  np.float32)
        return self.vectors[self._get(key)]

    # gensim's names
    @property
    def key_to_index(self):
        return self.index

    @property
    def index_to_key(self):
        return self.words

    @property
    def dim(self):
        return self.vectors.shape[1]

    vector_size = dim

    @property
    def unit(self):
        """Rows scaled to unit length (zero rows stay zero)."""
        if self._unit is None:
            norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
            self._unit = self.vectors / np.where(norms > 0, norms, 1.0).astype(np.float32)
        return self._unit

    def _get(self, key):
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            if -len(self.words) <= key < len(self.words):
                return int(key) % len(self.words)
            raise WordNotFound(f"index out of range: {key} (of {len(self.words)} words)")
        if key not in self.index:
            raise WordNotFound(f"word not in vocabulary: {key!r}")
        return self.index[key]

    def get_index(self, key, default=None):
        """The row of a word (an index is its own row); ``default``, or WordNotFound, for an unknown one."""
        try:
            return self._get(key)
        except WordNotFound:
            if default is not None:
                return default
            raise

    def has_index_for(self, key):
        return self.get_index(key, -1) >= 0

    def get_vector(self, key, norm=False):
        return self._vector(key, norm)

    def _vector(self, key, norm=False):
        """The vector of ``key`` (a word or an index), of unit length with ``norm``. A subclass that can
        answer more keys (SubwordVectors: any word) overrides it with ``_known``."""
        return (self.unit if norm else self.vectors)[self._get(key)]

    def _known(self, key):
        """Whether ``_vector`` answers ``key``."""
        return self.has_index_for(key)

    def get_normed_vectors(self):
        return self.unit

    def get_mean_vector(self, keys, weights=None, pre_normalize=True, post_normalize=False, ignore_missing=True):
        """The weighted mean of the keys' vectors (unit vectors with ``pre_normalize``) and of vectors given
        as arrays; unit length with ``post_normalize``."""
        if len(keys) == 0:
            raise OptionError("cannot compute the mean of no vectors")
        weights = np.ones(len(keys)) if weights is None else np.asarray(weights, np.float64)
        mean = np.zeros(self.dim, np.float32)
        total = 0.0
        for key, w in zip(keys, weights):
            if isinstance(key, np.ndarray):
                mean += np.float32(w) * key
            elif self._known(key):
                mean += np.float32(w) * self._vector(key, norm=pre_normalize)
            elif not ignore_missing:
                raise WordNotFound(f"word not in vocabulary: {key!r}")
            else:
                continue
            total += abs(w)
        if total > 0:
            mean = mean / np.float32(total)
        if post_normalize:
            norm = np.linalg.norm(mean)
            mean = (mean / norm).astype(np.float32) if norm > 0 else mean
        return mean

    def similarity(self, a, b):
        """Cosine similarity of two words."""
        return float(self._vector(a, norm=True) @ self._vector(b, norm=True))

    def most_similar(self, positive=(), negative=(), topn=10, restrict_vocab=None):
        """The ``topn`` words nearest to the mean of the unit vectors of ``positive`` minus ``negative``
        (words, indices or vectors; one may be given alone; a ``(word, weight)`` pair weighs its word by
        ``weight`` as given, in either list, as gensim does), inputs left out, among the first
        ``restrict_vocab`` words; ``topn=None``: every word's cosine, as an array."""
        positive, negative = _as_list(positive), _as_list(negative)
        if not positive and not negative:
            raise OptionError("give at least one word")
        keys, weights = [], []
        for item, sign in [(p, 1.0) for p in positive] + [(n, -1.0) for n in negative]:
            if isinstance(item, tuple):  # (word, weight): the weight as given, in either list (as gensim)
                item, sign = item
            keys.append(item)
            weights.append(sign)
        query = self.get_mean_vector(keys, weights, pre_normalize=True, post_normalize=True, ignore_missing=False)
        scores = self.unit[:restrict_vocab] @ query
        if not topn:
            return scores
        return self._best(scores, topn, self._rows_of(keys))

    def _rows_of(self, keys):
        """The rows of the query's words (left out of its answers): the vocabulary's, vectors and words
        answered otherwise (a subword model's unseen words) have none."""
        return {self._get(k) for k in keys if not isinstance(k, np.ndarray) and (self.has_index_for(k) or
                                                                                 not self._known(k))}

    def _best(self, scores, topn, leave_out):
        """The ``topn`` highest ``scores`` as (word, score), rows ``leave_out`` left out."""
        k = min(topn + len(leave_out), len(scores))
        if k <= 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.words[i], float(scores[i])) for i in best if i not in leave_out][:topn]

    def most_similar_cosmul(self, positive=(), negative=(), topn=10, restrict_vocab=None):
        """3CosMul (Levy and Goldberg 2014): the words maximising the product of their cosines (shifted to
        [0, 1]) with ``positive`` over that with ``negative``; as gensim's."""
        positive, negative = _as_list(positive), _as_list(negative)
        if not positive:
            raise OptionError("give at least one positive word")
        inputs = self._rows_of(positive + negative)
        unit = self.unit[:restrict_vocab]

        def shifted(term):
            vec = term if isinstance(term, np.ndarray) else self.get_vector(term, norm=True)
            return (1 + unit @ vec) / 2

        pos = np.prod([shifted(t) for t in positive], axis=0)
        neg = np.prod([shifted(t) for t in negative], axis=0) if negative else np.float32(1.0)
        scores = pos / (neg + 0.000001)
        if not topn:
            return scores
        return self._best(scores, topn, inputs)

    def similar_by_vector(self, vector, topn=10, restrict_vocab=None):
        return self.most_similar(positive=[vector], topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_word(self, word, topn=10, restrict_vocab=None):
        return self.most_similar(positive=[word], topn=topn, restrict_vocab=restrict_vocab)

    similar_by_key = similar_by_word

    def doesnt_match(self, words):
        """The word (of those known) furthest from the mean of their unit vectors."""
        used = [w for w in words if w in self]
        if not used:
            raise OptionError("none of the words is in the vocabulary")
        vecs = np.vstack([self.get_vector(w, norm=True) for w in used])
        mean = self.get_mean_vector(vecs, post_normalize=True)
        return sorted(zip((vecs @ mean).tolist(), used))[0][1]

    def n_similarity(self, ws1, ws2):
        """Cosine similarity of the means of two sets of words' vectors."""
        if not len(ws1) or not len(ws2):
            raise ZeroDivisionError("at least one of the lists is empty")
        return float(_unitvec(self[list(ws1)].mean(axis=0)) @ _unitvec(self[list(ws2)].mean(axis=0)))

    @staticmethod
    def cosine_similarities(vector_1, vectors_all):
        norm = np.linalg.norm(vector_1)
        all_norms = np.linalg.norm(vectors_all, axis=1)
        return vectors_all @ vector_1 / (norm * all_norms)

    def distance(self, w1, w2):
        """1 - cosine similarity."""
        return 1 - self.similarity(w1, w2)

    def distances(self, word_or_vector, other_words=()):
        """1 - cosine similarity to every word, or to ``other_words``."""
        vec = word_or_vector if isinstance(word_or_vector, np.ndarray) else self.get_vector(word_or_vector)
        others = self.vectors if not len(other_words) else self.vectors[[self._get(w) for w in other_words]]
        return 1 - self.cosine_similarities(vec, others)

    def closer_than(self, key1, key2):
        """The words closer to ``key1`` than ``key2`` is."""
        dist = self.distances(key1)
        i, j = self._get(key1), self._get(key2)
        return [self.words[k] for k in np.flatnonzero(dist < dist[j]) if k != i]

    def rank(self, key1, key2):
        """The rank of ``key2`` among ``key1``'s neighbours (1: the nearest)."""
        return len(self.closer_than(key1, key2)) + 1

    def evaluate_word_analogies(self, analogies=None, restrict_vocab=300000, case_insensitive=True,
                                dummy4unknown=False, similarity_function="most_similar"):
        """gensim's (word2vec.c's compute-accuracy): 3CosAdd over the first ``restrict_vocab`` words, the
        questions with a word outside them skipped (or counted wrong with ``dummy4unknown``). Returns (the
        overall accuracy, the sections: dicts of ``section``, ``correct`` and ``incorrect`` 4-tuples, the
        last one the total). ``analogies``: a file as questions-words.txt (the shipped one by default)."""
        import itertools

        from w2v.evaluate import DEFAULT_ANALOGIES, data_path

        ok = self._ok_vocab(restrict_vocab, case_insensitive)
        sections, section = [], None
        analogies = analogies or data_path(DEFAULT_ANALOGIES)
        with open(analogies, encoding="utf-8", errors="replace") as f:
            for line_no, line in enumerate(f):
                if line.startswith(": "):
                    if section:
                        sections.append(section)
                    section = {"section": line.lstrip(": ").strip(), "correct": [], "incorrect": []}
                    continue
                if not section:
                    raise FormatError(f"missing section header before line {line_no + 1} of {analogies}")
                quad = [w.upper() if case_insensitive else w for w in line.split()]
                if len(quad) != 4:
                    continue
                a, b, c, expected = quad
                if not all(w in ok for w in quad):
                    if dummy4unknown:
                        section["incorrect"].append(tuple(quad))
                    continue
                predicted = None
                for word, _ in self.most_similar([ok[b], ok[c]], [ok[a]], topn=5, restrict_vocab=restrict_vocab):
                    predicted = word.upper() if case_insensitive else word
                    if predicted in ok and predicted not in (a, b, c):
                        break
                section["correct" if predicted == expected else "incorrect"].append(tuple(quad))
        if section:
            sections.append(section)
        total = {"section": "Total accuracy",
                 "correct": list(itertools.chain.from_iterable(s["correct"] for s in sections)),
                 "incorrect": list(itertools.chain.from_iterable(s["incorrect"] for s in sections))}
        sections.append(total)
        n = len(total["correct"]) + len(total["incorrect"])
        return (len(total["correct"]) / n if n else 0.0), sections

    def evaluate_word_pairs(self, pairs=None, delimiter="\t", encoding="utf8", restrict_vocab=300000,
                            case_insensitive=True, dummy4unknown=False):
        """gensim's: Pearson and Spearman correlation (scipy's results) of the cosines of word pairs with
        human scores, and the percentage of pairs with a word outside the first ``restrict_vocab``.
        ``pairs``: a file of ``word, word, score`` lines (the shipped WS-353 by default)."""
        from scipy import stats

        from w2v.evaluate import DEFAULT_SIMILARITY, data_path

        ok = self._ok_vocab(restrict_vocab, case_insensitive)
        gold, model, oov = [], [], 0
        pairs = pairs or data_path(DEFAULT_SIMILARITY[0])
        with open(pairs, encoding=encoding) as f:
            for line in f:
                if not line or line.startswith("#"):
                    continue
                try:
                    a, b, sim = [w.upper() if case_insensitive else w for w in line.split(delimiter)]
                    sim = float(sim)
                except (ValueError, TypeError):
                    continue
                if a not in ok or b not in ok:
                    oov += 1
                    if dummy4unknown:
                        gold.append(sim)
                        model.append(0.0)
                    continue
                gold.append(sim)
                model.append(self.similarity(ok[a], ok[b]))
        if not gold:
            raise OptionError(f"no pair of {pairs} could be scored: every pair has a word outside the vocabulary")
        oov_ratio = float(oov) / (len(gold) if dummy4unknown else len(gold) + oov) * 100
        return stats.pearsonr(gold, model), stats.spearmanr(gold, model), oov_ratio

    def _ok_vocab(self, restrict_vocab, case_insensitive):
        """Word (upper-cased) -> row, over the first ``restrict_vocab`` words; the first casing wins."""
        keys = self.words[:restrict_vocab]
        return {(w.upper() if case_insensitive else w): i for i, w in reversed(list(enumerate(keys)))}

    def analogy(self, a, b, c, topn=10):
        """``a`` is to ``b`` as ``c`` is to ?  (3CosAdd: nearest to b - a + c)."""
        return self.most_similar(positive=[b, c], negative=[a], topn=topn)

    def save(self, path, format=None):
        """Write word2vec binary or text, or GloVe text, atomically: ``format`` bin, text or glove, else the
        suffix's."""
        from w2v import formats

        formats.write(self.words, self.vectors, path, format)

    @classmethod
    def load(cls, path, unicode_errors="strict", limit=None):
        """Read a word2vec binary/text or GloVe text file, compressed (gzip, bzip2, xz) or not (the format
        detected from the content), its first ``limit`` words only if given; w2v.load also reads an NPLM
        model file."""
        from w2v import fasttext_format, formats

        if fasttext_format.is_fasttext(path):  # fastText's model file: SubwordVectors
            return SubwordVectors.load(path)
        return cls(*formats.read(path, unicode_errors, limit))

    def to_gensim(self):
        """The same vectors as gensim's ``KeyedVectors`` (needs gensim installed)."""
        try:
            from gensim.models import KeyedVectors
        except ImportError:
            raise OptionError("to_gensim needs gensim: pip install gensim") from None
        kv = KeyedVectors(self.dim)
        kv.add_vectors(self.words, self.vectors)
        return kv


class SubwordVectors(Vectors):
    """The vectors of a subword model (fastText's; subwords.py): the words' vectors (each the mean of its
    own row and its n-grams' rows, as fastText's ``get_word_vector`` and ``.vec`` files give them) and the
    n-gram rows, from which a word never seen gets a vector: the mean of its n-grams' rows (zeros if it has
    none, as fastText).

    Everything of ``Vectors`` works, and any word may be asked for (``vectors["unseenword"]``, neighbours
    and analogies with it, similarities) as with gensim's ``FastTextKeyedVectors``; ``in`` and ``words``
    are the vocabulary, and neighbours are searched among its words. ``save`` to a ``.bin`` path writes
    fastText's model file (fasttext_format.py), which ``load`` (and ``Vectors.load``) reads."""

    def __init__(self, words, vectors, ngrams, minn, maxn, counts=None, W_out=None, info=None, word_rows=None,
                 made_from=None):
        """``vectors`` None: the words' vectors are made when first asked for, from ``made_from`` = (W_in, ptr,
        rows) as ``from_input`` has them (a run that writes fastText's model file needs only the rows)."""
        self._made_from = None
        if vectors is None:
            if made_from is None:
                raise ValueError("SubwordVectors needs the words' vectors or the rows to make them from")
            self.words = list(words)
            self._vectors, self._made_from = None, made_from
            self._index_words()
        else:
            super().__init__(words, vectors)
        self.ngrams = np.ascontiguousarray(ngrams, dtype=np.float32)  # (buckets, dim)
        self.minn, self.maxn = int(minn), int(maxn)
        self.counts = None if counts is None else np.asarray(counts, np.int64)
        self.W_out = W_out  # the output layer as fastText keeps it, when read from or trained for its file
        self.info = dict(info or {})  # fastText's args (fasttext_format's names)
        self.word_rows = word_rows  # the words' own input rows, when known

    @property
    def vectors(self):
        """The words' vectors: each the mean of its own input row and its n-grams' rows."""
        if self._vectors is None:
            from w2v.subwords import mean_rows

            self._vectors = mean_rows(*self._made_from)
            self._made_from = None
        return self._vectors

    @vectors.setter
    def vectors(self, value):
        self._vectors = value

    def __getstate__(self):  # (a pickle holds the words' vectors, not a third copy of the input rows)
        state = dict(self.__dict__)
        if state["_made_from"] is not None:
            state["_vectors"], state["_made_from"] = self.vectors, None
        return state

    @property
    def dim(self):
        return self.ngrams.shape[1]

    vector_size = dim

    @classmethod
    def from_input(cls, words, W_in, minn, maxn, buckets, word_rows_of=None, **more):
        """From a subword model's input matrix (``len(words) + buckets`` rows); ``word_rows_of``: each word's
        input rows, (ptr, rows) as subwords.input_rows gives them, where the caller has them already. The
        words' vectors are made when first asked for."""
        from w2v.subwords import input_rows

        ptr, rows = word_rows_of if word_rows_of is not None else input_rows(words, minn, maxn, buckets)
        return cls(words, None, W_in[len(words):], minn, maxn, word_rows=W_in[:len(words)],
                   made_from=(W_in, ptr, rows), **more)

    @classmethod
    def load(cls, path, unicode_errors="strict", limit=None):
        """fastText's model file (its words' vectors as fastText's ``get_word_vector`` gives them, its
        n-gram rows, counts, output layer and arguments)."""
        from w2v import fasttext_format

        ft = fasttext_format.read(path)
        a = ft["args"]
        if a["model"] == fasttext_format.MODELS["sup"]:
            raise FormatError(f"{path}: a fastText classifier (supervised model); w2v reads word-vector models")
        minn, maxn = (a["minn"], a["maxn"]) if a["maxn"] > 0 else (0, 0)
        return cls.from_input(ft["words"], ft["W_in"], minn, maxn, a["bucket"], counts=ft["counts"],
                              W_out=ft["W_out"], info={**a, "ntokens": ft["ntokens"]})

    @property
    def buckets(self):
        return self.ngrams.shape[0]

    def __repr__(self):
        return f"<SubwordVectors {len(self):,} words + {self.buckets:,} n-gram buckets x {self.dim}>"

    def ngrams_of(self, word):
        """The buckets of ``word``'s n-grams (fastText's order)."""
        from w2v.subwords import ngram_buckets

        return ngram_buckets([word], self.minn, self.maxn, self.buckets)[1]

    def word_vector(self, word):
        """The vector of any word: its own if known, else the mean of its n-grams' rows (zeros if none)."""
        if word in self.index:
            return self.vectors[self.index[word]]
        grams = self.ngrams_of(word)
        if len(grams) == 0:
            return np.zeros(self.dim, np.float32)
        return self.ngrams[grams].mean(axis=0, dtype=np.float32)

    def _known(self, key):
        return isinstance(key, str) or super()._known(key)

    def _vector(self, key, norm=False):
        if isinstance(key, str) and key not in self.index:
            return _unitvec(self.word_vector(key)) if norm else self.word_vector(key)
        return super()._vector(key, norm)

    def __getitem__(self, key):
        if isinstance(key, (list, tuple, np.ndarray)):
            return np.vstack([self._vector(k) for k in key]) if len(key) else np.zeros((0, self.dim), np.float32)
        return self._vector(key)

    def save(self, path, format=None):
        """A ``.bin`` path (or ``format="fasttext"``) writes fastText's model file (the output layer zeros
        unless one came with the vectors); other formats write the words' vectors. Without the words' own
        rows (vectors made or edited here), each word's row is made so that its mean is its vector."""
        from w2v import fasttext_format

        if not fasttext_format.is_target(path, format):
            return super().save(path, format)
        V = len(self)
        word_rows = self.word_rows
        if word_rows is None:
            from w2v.subwords import input_rows

            ptr, rows = input_rows(self.words, self.minn, self.maxn, self.buckets)
            word_rows = fasttext_format.word_rows_for(self.vectors, self.ngrams, ptr, rows)
        counts = self.counts if self.counts is not None else np.ones(V, np.int64)
        W_out = self.W_out if self.W_out is not None else np.zeros((V, self.dim), np.float32)
        fasttext_format.write(path, self.words, counts, (word_rows, self.ngrams), W_out,
                              {**self.info, "dim": self.dim, "bucket": self.buckets, "minn": self.minn,
                               "maxn": self.maxn})


def _as_list(x):
    """A word, an index or a vector alone as a list of one."""
    if x is None:
        return []
    if isinstance(x, (str, int, np.integer)) or (isinstance(x, np.ndarray) and x.ndim == 1):
        return [x]
    return list(x)


def _unitvec(v):
    norm = np.linalg.norm(v)
    return v / norm if norm > 0 else v
