"""Pictures: the training curve from a --log-json file, and a 2-D PCA map of words (needs matplotlib)."""

import json
import os

import numpy as np

from w2v.errors import W2VError


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise W2VError("plotting needs matplotlib: pip install 'w2v[plot]'") from None
    return plt


def read_log(path):
    if not os.path.isfile(path):
        raise W2VError(f"log file not found: {path}")
    steps, epochs = [], []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                if rec["event"] == "progress" and "loss" not in rec:
                    raise KeyError("loss")
                (steps if rec["event"] == "progress" else epochs).append(rec)
            except (ValueError, KeyError, TypeError):
                raise W2VError(f"{path}, line {lineno}: not a w2v --log-json record") from None
    if not steps:
        raise W2VError(f"{path}: no progress records")
    return steps, epochs


def plot_loss(log_path, out_path):
    """Running mean loss and learning rate against words processed."""
    from w2v.atomic import atomic_write

    steps, epochs = read_log(log_path)
    plt = _pyplot()
    unit = "words" if "words" in steps[0] else "updates"  # word2vec models count words, GloVe updates
    rate = "alpha" if "alpha" in steps[0] else "eta"
    x = [r[unit] for r in steps]
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    ax.plot(x, [r["loss"] for r in steps], color="tab:blue", label="loss (running mean of the epoch)")
    ax.set_xlabel(f"{unit} processed")
    ax.set_ylabel("loss per prediction" if unit == "words" else "cost per co-occurrence")
    for r in epochs:
        ends = [s[unit] for s in steps if s["epoch"] == r["epoch"]]
        if ends:
            ax.axvline(ends[-1], color="0.85", lw=0.8)
    lr = ax.twinx()
    lr.plot(x, [r[rate] for r in steps], color="tab:orange", lw=1, label="learning rate")
    lr.set_ylabel("learning rate")
    ax.legend(loc="upper right")
    lr.legend(loc="lower left")
    ax.set_title(os.path.basename(log_path))
    fig.tight_layout()
    with atomic_write(out_path, "wb") as f:
        fig.savefig(f, format="png")
    plt.close(fig)


def plot_words(vectors, words, out_path, neighbours=5):
    """The given words and their nearest neighbours, projected on the first two principal components."""
    from w2v.atomic import atomic_write

    missing = [w for w in words if w not in vectors]
    if missing:
        raise W2VError(f"not in vocabulary: {', '.join(missing)}")
    chosen, groups = [], []
    for g, w in enumerate(words):
        for x in [w] + [n for n, _ in vectors.most_similar([w], topn=neighbours)]:
            if x not in chosen:
                chosen.append(x)
                groups.append(g)
    X = vectors.unit[[vectors.index[w] for w in chosen]]
    X = X - X.mean(axis=0)
    _, _, vt = np.linalg.svd(X, full_matrices=False)
    P = X @ vt[:2].T
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 8), dpi=100)
    colors = plt.get_cmap("tab10")
    for (x, y), w, g in zip(P, chosen, groups):
        query = w in words
        ax.scatter(x, y, color=colors(g % 10), s=60 if query else 20)
        ax.annotate(w, (x, y), xytext=(4, 3), textcoords="offset points", fontsize=11 if query else 9,
                    fontweight="bold" if query else "normal", color=colors(g % 10))
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.set_title(f"{', '.join(words)} and their {neighbours} nearest neighbours")
    fig.tight_layout()
    with atomic_write(out_path, "wb") as f:
        fig.savefig(f, format="png")
    plt.close(fig)
