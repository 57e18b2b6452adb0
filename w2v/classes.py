"""Word classes: k-means over word vectors, as word2vec.c's ``-classes K`` (no Numba: BLAS does the work).

word2vec.c starts with word ``a`` in class ``a mod K``, then alternates: each class's centroid is the mean
of its words, scaled to unit length; each word joins the class whose centroid has the largest dot product
with its vector. ``init="kmeans++"`` seeds the centroids instead with k-means++ (Arthur and Vassilvitskii
2007) on the unit vectors, from ``seed``. Both are deterministic. A class that loses all its words keeps
its last centroid. The file format is word2vec.c's: ``word class`` per line, in vocabulary order.
"""

from typing import NamedTuple

import numpy as np

from w2v.errors import OptionError

BLOCK = 8192  # words per matrix product while assigning


class WordClasses(NamedTuple):
    words: list
    labels: np.ndarray  # int64, the class of each word
    centroids: np.ndarray  # (k, dim) unit vectors
    iterations: int  # iterations run (fewer than asked when the assignment stopped changing)

    def save(self, path):
        """word2vec.c's class file: ``word class`` per line (written atomically)."""
        from w2v.atomic import atomic_write

        with atomic_write(path, "w") as f:
            f.write("".join(f"{w} {c}\n" for w, c in zip(self.words, self.labels.tolist())))

    def members(self, c):
        return [w for w, label in zip(self.words, self.labels.tolist()) if label == c]


def load(path):
    """Read a class file: (words, labels)."""
    from w2v.vocab import read_word_numbers

    words, labels = read_word_numbers(path, "class file", "class")
    return words, np.array(labels, np.int64)


def kmeans(vectors, k, iterations=10, init="word2vec", seed=1):
    """Cluster ``vectors`` (a Vectors) into ``k`` classes; returns WordClasses."""
    X = np.ascontiguousarray(vectors.vectors, np.float32)
    n = X.shape[0]
    if not 1 <= k <= n:
        raise OptionError(f"-k must be between 1 and the number of words ({n}), not {k}")
    if iterations < 1:
        raise OptionError(f"--iterations must be at least 1 (got {iterations})")
    if init == "word2vec":
        labels = np.arange(n, dtype=np.int64) % k
        centroids = _centroids(X, labels, k, np.zeros((k, X.shape[1]), np.float32))
    elif init == "kmeans++":
        centroids = _kmeans_plus_plus(X, k, seed)
        labels = _assign(X, centroids)
    else:
        raise OptionError(f"--init must be word2vec or kmeans++, not {init!r}")
    done = 0
    for done in range(1, iterations + 1):
        centroids = _centroids(X, labels, k, centroids)
        new = _assign(X, centroids)
        if np.array_equal(new, labels):
            break
        labels = new
    return WordClasses(list(vectors.words), labels, centroids, done)


def _centroids(X, labels, k, previous):
    """Mean vector of each class, scaled to unit length; an empty class keeps its ``previous`` centroid."""
    from scipy import sparse

    member = sparse.csr_matrix((np.ones(len(labels), np.float32), (labels, np.arange(len(labels)))),
                               shape=(k, len(labels)))
    sums = np.asarray(member @ X, dtype=np.float32)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    empty = np.bincount(labels, minlength=k) == 0
    out = sums / np.where(norms > 0, norms, 1)
    out[empty] = previous[empty]
    return out


def _assign(X, centroids):
    """The class of each row: the centroid with the largest dot product (word2vec.c's rule)."""
    labels = np.empty(X.shape[0], np.int64)
    for s in range(0, X.shape[0], BLOCK):
        labels[s:s + BLOCK] = np.argmax(X[s:s + BLOCK] @ centroids.T, axis=1)
    return labels


def _kmeans_plus_plus(X, k, seed):
    """k-means++ seeding on the unit vectors: each next centroid is a word drawn with probability
    proportional to its squared distance to the nearest centroid so far."""
    rng = np.random.Generator(np.random.PCG64(seed))
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    U = X / np.where(norms > 0, norms, 1)
    centroids = np.empty((k, X.shape[1]), np.float32)
    centroids[0] = U[rng.integers(len(U))]
    nearest = np.maximum(2 - 2 * (U @ centroids[0]), 0)  # |u - c|^2 for unit vectors
    for j in range(1, k):
        total = nearest.sum()
        i = rng.choice(len(U), p=nearest / total) if total > 0 else rng.integers(len(U))
        centroids[j] = U[i]
        nearest = np.minimum(nearest, np.maximum(2 - 2 * (U @ centroids[j]), 0))
    return centroids


def inertia(X, labels, k):
    """Sum of squared Euclidean distances of the rows to their class means (the usual k-means objective)."""
    means = np.zeros((k, X.shape[1]))
    np.add.at(means, labels, X)
    means /= np.maximum(np.bincount(labels, minlength=k), 1)[:, None]
    return float(((X - means[labels]) ** 2).sum())
