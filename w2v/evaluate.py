"""Intrinsic evaluation: analogies (3CosAdd, 3CosMul) and word similarity (Spearman, Pearson).

Both follow gensim's ``evaluate_word_analogies`` / ``evaluate_word_pairs`` conventions, so figures are
comparable: words are matched case-insensitively (the most frequent casing wins), analogy questions
with a word outside the first ``restrict`` words are skipped, the three question words (in any casing)
are never an answer, and similarity pairs with an unknown word are skipped and counted.
"""

import os

import numpy as np

from w2v.errors import FormatError, OptionError

DEFAULT_ANALOGIES = "questions-words.txt"
DEFAULT_SIMILARITY = ("wordsim353.tsv", "simlex999.txt")


def data_path(name):
    """Path of an evaluation file shipped with w2v (installed as ``w2v.eval_data``)."""
    try:
        from importlib.resources import files

        p = files("w2v.eval_data") / name
        if p.is_file():
            return str(p)
    except (ImportError, ModuleNotFoundError, TypeError):
        pass
    p = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "eval", name)
    if os.path.isfile(p):
        return p
    raise FormatError(f"evaluation file {name} is not installed")


def _read_lines(path):
    if not os.path.isfile(path):
        raise FormatError(f"dataset not found: {path}")
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read().splitlines()


def read_analogies(path):
    """``[(section, [(a, b, c, d), ...]), ...]`` from a questions-words style file."""
    sections = []
    for lineno, line in enumerate(_read_lines(path), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith(":"):
            sections.append((line[1:].strip(), []))
            continue
        parts = line.split()
        if len(parts) != 4:
            raise FormatError(f"{path}, line {lineno}: expected 4 words per analogy question")
        if not sections:
            sections.append(("questions", []))
        sections[-1][1].append(tuple(p.upper() for p in parts))
    if not any(q for _, q in sections):
        raise FormatError(f"{path}: no analogy questions found")
    return sections


def _case_insensitive_index(vectors, restrict):
    """UPPER-cased word -> index within the first ``restrict`` words (most frequent casing wins)."""
    words = vectors.words[:restrict]
    index = {}
    for i in range(len(words) - 1, -1, -1):
        index[words[i].upper()] = i
    return index


def analogies(vectors, path=None, restrict=30000, method="3cosadd", batch=512):
    """Accuracy on an analogy set; returns a dict with per-section and summary results."""
    if method not in ("3cosadd", "3cosmul"):
        raise OptionError(f"unknown analogy method {method!r}: choose 3cosadd or 3cosmul")
    path = path or data_path(DEFAULT_ANALOGIES)
    sections = read_analogies(path)
    restrict = min(restrict or len(vectors), len(vectors))
    index = _case_insensitive_index(vectors, restrict)
    unit = vectors.unit[:restrict]
    # group id of each candidate: its upper-cased form, so every casing of a question word is excluded
    group_of = {}
    group = np.array([group_of.setdefault(w.upper(), len(group_of)) for w in vectors.words[:restrict]])
    results = []
    for name, questions in sections:
        known = [q for q in questions if all(w in index for w in q)]
        correct = 0
        for s in range(0, len(known), batch):
            ids = np.array([[index[w] for w in q] for q in known[s:s + batch]])
            a, b, c, d = (unit[ids[:, k]] for k in range(4))
            if method == "3cosadd":
                scores = (b + c - a) @ unit.T
            else:
                eps = 1e-3
                sim = lambda x: (x @ unit.T + 1.0) / 2.0  # noqa: E731
                scores = sim(b) * sim(c) / (sim(a) + eps)
            ga, gb, gc = (group[ids[:, k]] for k in range(3))
            excluded = (group[None, :] == ga[:, None]) | (group[None, :] == gb[:, None]) | (
                group[None, :] == gc[:, None])
            scores[excluded] = -np.inf
            pred = np.argmax(scores, axis=1)
            correct += int(np.sum(group[pred] == group[ids[:, 3]]))
        results.append({"section": name, "correct": correct, "answered": len(known),
                        "skipped": len(questions) - len(known)})

    def total(rows):
        c = sum(r["correct"] for r in rows)
        n = sum(r["answered"] for r in rows)
        return {"correct": c, "answered": n, "skipped": sum(r["skipped"] for r in rows),
                "accuracy": c / n if n else 0.0}

    for r in results:
        r["accuracy"] = r["correct"] / r["answered"] if r["answered"] else 0.0
    syntactic = [r for r in results if r["section"].startswith("gram")]
    semantic = [r for r in results if not r["section"].startswith("gram")]
    return {"dataset": path, "method": method, "restrict": restrict, "sections": results,
            "semantic": total(semantic), "syntactic": total(syntactic), "total": total(results)}


def read_pairs(path):
    """``[(w1, w2, score)]`` from a tab/space separated file; ``#`` lines and a header line are skipped."""
    pairs = []
    for lineno, line in enumerate(_read_lines(path), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.split("\t") if "\t" in line else line.split()
        try:
            if len(parts) < 3:
                raise ValueError
            pairs.append((parts[0].strip(), parts[1].strip(), float(parts[2])))
        except ValueError:
            if not pairs and lineno <= 2:
                continue  # a header line
            raise FormatError(f"{path}, line {lineno}: expected 'word1<TAB>word2<TAB>score'") from None
    if not pairs:
        raise FormatError(f"{path}: no word pairs found")
    return pairs


def rankdata(x):
    """Ranks starting at 1, ties given their average rank (as scipy.stats.rankdata)."""
    x = np.asarray(x, np.float64)
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    ranks = np.empty(len(x))
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    ends = np.r_[starts[1:], len(x)]
    for s, e in zip(starts, ends):
        ranks[order[s:e]] = (s + e + 1) / 2.0
    return ranks


def pearson(x, y):
    x = np.asarray(x, np.float64) - np.mean(x)
    y = np.asarray(y, np.float64) - np.mean(y)
    d = np.sqrt((x * x).sum() * (y * y).sum())
    return float((x * y).sum() / d) if d > 0 else float("nan")


def spearman(x, y):
    return pearson(rankdata(x), rankdata(y))


def similarity(vectors, path=None, restrict=300000, oov="skip"):
    """Spearman and Pearson correlation of cosine similarity with human scores (``path``: a word-pair
    file; by default the shipped WS-353). A pair with a word outside the (first ``restrict``) words is
    skipped, or with ``oov="ngrams"`` answered from the word's n-grams (a subword model's vectors,
    vectors.SubwordVectors; ``from_ngrams`` counts those pairs)."""
    if oov not in ("skip", "ngrams"):
        raise OptionError(f"oov must be skip or ngrams, not {oov!r}")
    if oov == "ngrams" and not hasattr(vectors, "word_vector"):
        raise OptionError("--oov ngrams needs a subword model (fastText's .bin, or w2v train --subwords): these "
                          "vectors have no n-grams")
    if path is None:
        path = data_path(DEFAULT_SIMILARITY[0])
    pairs = read_pairs(path)
    restrict = min(restrict or len(vectors), len(vectors))
    index = _case_insensitive_index(vectors, restrict)
    unit = vectors.unit
    human, model = [], []
    from_ngrams = 0
    for w1, w2, score in pairs:
        i, j = index.get(w1.upper()), index.get(w2.upper())
        if i is None or j is None:
            if oov == "skip":
                continue
            from_ngrams += 1
        a = unit[i] if i is not None else _unit(vectors.word_vector(w1))
        b = unit[j] if j is not None else _unit(vectors.word_vector(w2))
        human.append(score)
        model.append(float(a @ b))
    n = len(human)
    result = {"dataset": path, "pairs": len(pairs), "found": n, "oov": len(pairs) - n,
              "spearman": spearman(human, model) if n > 1 else float("nan"),
              "pearson": pearson(human, model) if n > 1 else float("nan")}
    if oov == "ngrams":
        result["from_ngrams"] = from_ngrams
    return result


def _unit(v):
    norm = np.linalg.norm(v)
    return v / norm if norm > 0 else v


def to_json(result):
    """An evaluation's result as valid JSON: a number that is not finite (the correlation of no pairs, HS's
    log Z) is null, never NaN."""
    import json
    import math

    def clean(x):
        if isinstance(x, float) and not math.isfinite(x):
            return None
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        return x
    return json.dumps(clean(result), indent=2, allow_nan=False)
