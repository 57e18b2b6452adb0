"""``w2v demo``: a corpus from the running Python's own documentation, trained and queried in seconds.

The text is the ``pydoc_data`` topics and the docstrings of standard-library modules, read from their
sources with ``ast`` (never imported), lower-cased and split into sentences.
"""

import ast
import os
import re
import sysconfig
import tempfile
import time

_WORD = re.compile(r"[a-z][a-z0-9_]*")
_SENTENCE = re.compile(r"(?<=[.!?:;])\s+|\n\s*\n")
QUERIES = ("list", "file", "thread", "error", "string", "socket")


def _docstrings(source):
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            doc = ast.get_docstring(node, clean=True)
            if doc:
                yield doc


def documentation_texts():
    """Yield the pydoc topics, then every stdlib module's docstrings (tests and site-packages left out)."""
    try:
        from pydoc_data import topics

        yield from topics.topics.values()
    except ImportError:
        pass
    stdlib = sysconfig.get_paths()["stdlib"]
    for root, dirs, files in os.walk(stdlib):
        dirs[:] = sorted(d for d in dirs if d not in ("site-packages", "test", "tests", "idlelib", "__pycache__")
                         and not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".py"):
                try:
                    with open(os.path.join(root, name), encoding="utf-8") as f:
                        yield from _docstrings(f.read())
                except (OSError, UnicodeDecodeError):
                    continue


def build_corpus(path):
    """Write the documentation corpus to ``path``, one sentence per line; returns the token count."""
    n = 0
    with open(path, "w", encoding="utf-8") as out:
        for text in documentation_texts():
            for sentence in _SENTENCE.split(text.lower()):
                words = _WORD.findall(sentence)
                if len(words) > 1:
                    out.write(" ".join(words) + "\n")
                    n += len(words)
    return n


def run_demo(output=None, threads=0, quiet=False):
    from w2v import api, evaluate

    workdir = tempfile.mkdtemp(prefix="w2v-demo-")
    corpus = os.path.join(workdir, "python-docs.txt")
    t0 = time.perf_counter()
    n = build_corpus(corpus)
    print(f"corpus: {n} tokens of Python documentation ({time.perf_counter() - t0:.1f} s) -> {corpus}")
    vectors = api.train(corpus, model="sg", loss="ns", dim=64, window=5, min_count=5, epochs=10, threads=threads,
                        progress=not quiet).vectors
    for word in QUERIES:
        if word in vectors:
            near = ", ".join(w for w, _ in vectors.most_similar([word], topn=6))
            print(f"  {word:8s} -> {near}")
    sims = [evaluate.similarity(vectors, evaluate.data_path(d)) for d in evaluate.DEFAULT_SIMILARITY]
    print("evaluation: " + "; ".join(
        f"{os.path.splitext(os.path.basename(s['dataset']))[0]} spearman {s['spearman']:.3f} "
        f"({s['found']}/{s['pairs']} pairs in vocabulary)" for s in sims))
    output = output or os.path.join(workdir, "python-docs.bin")
    vectors.save(output)
    print(f"vectors: {len(vectors)} words x {vectors.dim} written to {output}")
    print(f"try: w2v similar {output} dictionary")
    return output
