"""A learned phrase model: its passes (``Pass``), applied in order, and its TSV file (``save``/``load``)."""

import os

import numpy as np

from w2v.atomic import atomic_write
from w2v.errors import FormatError

FORMAT_HEADER = "# w2v phrases 1"


class Pass:
    """The phrases of one pass: ``phrases[i]`` (a tuple of tokens: left, connectors, right) with
    ``counts[i]`` and ``scores[i]``, learned with ``scoring`` above ``threshold``."""

    def __init__(self, phrases, counts, scores, scoring, threshold, min_count, stats=None):
        self.phrases = [tuple(p) for p in phrases]
        self.counts = np.asarray(counts, np.int64)
        self.scores = np.asarray(scores, np.float64)
        self.scoring, self.threshold, self.min_count = scoring, threshold, min_count
        self.stats = stats or {}

    def __len__(self):
        return len(self.phrases)


class Phrases:
    """A learned phrase model: its passes, applied in order, with the delimiter and connector words."""

    def __init__(self, passes, delimiter="_", connector_words=()):
        self.passes = list(passes)
        self.delimiter = delimiter
        self.connector_words = tuple(connector_words)

    def export(self, n_pass=None):
        """{joined phrase: score} of every pass (or of pass ``n_pass``, 1-based), as gensim's ``export_phrases``."""
        passes = self.passes if n_pass is None else [self.passes[n_pass - 1]]
        return {self.delimiter.join(p): float(s) for ps in passes for p, s in zip(ps.phrases, ps.scores)}

    def save(self, path):
        """A TSV: header lines (``# key=value``), then ``pass, phrase, count, score, tokens`` per phrase."""
        with atomic_write(path, "w") as f:
            f.write(f"{FORMAT_HEADER}\n# delimiter={self.delimiter}\n"
                    f"# connector_words={' '.join(self.connector_words)}\n")
            for k, ps in enumerate(self.passes, 1):
                f.write(f"# pass={k} scoring={ps.scoring} threshold={ps.threshold!r} min_count={ps.min_count} "
                        f"phrases={len(ps)}\n")
            f.write("pass\tphrase\tcount\tscore\ttokens\n")
            for k, ps in enumerate(self.passes, 1):
                for i in np.argsort(-ps.scores, kind="stable"):
                    p = ps.phrases[i]
                    f.write(f"{k}\t{self.delimiter.join(p)}\t{ps.counts[i]}\t{float(ps.scores[i])!r}\t{' '.join(p)}\n")

    @classmethod
    def load(cls, path):
        if not os.path.isfile(path):
            raise FormatError(f"phrases file not found: {path}")
        head, rows = {}, []
        passes = {}
        with open(path, encoding="utf-8", errors="strict") as f:
            try:
                lines = f.read().splitlines()
            except UnicodeDecodeError:
                raise FormatError(f"{path} is not a w2v phrases file (not UTF-8)") from None
        if not lines or lines[0] != FORMAT_HEADER:
            raise FormatError(f"{path} is not a w2v phrases file (written by 'w2v phrases --save-phrases')")
        for lineno, line in enumerate(lines[1:], 2):
            if line.startswith("# pass="):
                kv = dict(x.split("=", 1) for x in line[2:].split())
                passes[int(kv["pass"])] = kv
            elif line.startswith("# "):
                key, _, value = line[2:].partition("=")
                head[key] = value
            elif line.startswith("pass\t") or not line:
                continue
            else:
                parts = line.split("\t")
                try:
                    rows.append((int(parts[0]), tuple(parts[4].split(" ")), int(parts[2]), float(parts[3])))
                    if len(rows[-1][1]) < 2:
                        raise ValueError
                except (ValueError, IndexError):
                    raise FormatError(f"{path}, line {lineno}: expected 'pass, phrase, count, score, tokens'") from None
        out = []
        for k in sorted(passes):
            kv = passes[k]
            mine = [r for r in rows if r[0] == k]
            out.append(Pass([r[1] for r in mine], [r[2] for r in mine], [r[3] for r in mine], kv.get("scoring"),
                            float(kv.get("threshold", "nan")), int(kv.get("min_count", 0))))
        if set(r[0] for r in rows) - set(passes):
            raise FormatError(f"{path} lists phrases of a pass it does not describe")
        return cls(out, head.get("delimiter", "_"), head.get("connector_words", "").split())

    def __getitem__(self, sentence):
        """A list of tokens with the phrases joined (gensim's ``phrases[sentence]``)."""
        if isinstance(sentence, str):
            raise TypeError("give a list of tokens, not a string (split it first)")
        if not sentence:
            return []
        data = (" ".join(sentence) + "\n").encode("utf-8")
        if getattr(self, "_cached", (None,))[0] != len(self.passes):
            self._cached = (len(self.passes), self.appliers())
        for apply in self._cached[1]:
            data = apply(data)
        return data.decode("utf-8").split()

    def appliers(self, threads=None):
        """One Applier per pass, each joining with ``threads`` threads [all cores]."""
        from w2v.phrases.applying import Applier  # (the kernels: Numba only when applied)

        return [Applier(ps.phrases, self.connector_words, self.delimiter, threads) for ps in self.passes]
