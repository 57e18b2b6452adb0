import os
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def planted_corpus(path, seed=0, clusters=8, words_per_cluster=12, sentences=3000, noise=0.25):
    """Sentences that each draw their words from one cluster, with shared function words mixed in.

    Returns the clusters (lists of words). Embeddings that learn anything put words of one cluster
    nearer each other than words of other clusters.
    """
    rng = np.random.default_rng(seed)
    groups = [[f"c{c}w{w:02d}" for w in range(words_per_cluster)] for c in range(clusters)]
    function = ["the", "of", "and", "a", "to", "in"]
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(sentences):
            g = groups[rng.integers(clusters)]
            n = rng.integers(8, 16)
            words = [function[rng.integers(len(function))] if rng.random() < noise else g[rng.integers(len(g))]
                     for _ in range(n)]
            f.write(" ".join(words) + "\n")
    return groups


def cluster_purity(vectors, groups, k=5):
    """Mean fraction of each cluster word's k nearest neighbours that belong to its own cluster."""
    cluster_of = {w: i for i, g in enumerate(groups) for w in g}
    scores = []
    for w, c in cluster_of.items():
        if w not in vectors:
            continue
        near = [n for n, _ in vectors.most_similar([w], topn=k)]
        scores.append(np.mean([cluster_of.get(n) == c for n in near]))
    return float(np.mean(scores))


@pytest.fixture
def planted(tmp_path):
    path = tmp_path / "planted.txt"
    groups = planted_corpus(path)
    return str(path), groups
