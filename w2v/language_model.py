"""The neural probabilistic language model's file and its held-out perplexity (NumPy only, no Numba).

A model file (``.npz``) holds the options, the vocabulary with its two reserved symbols, and every
parameter of Bengio et al.'s (2003) network:

* ``W_in`` (V+2, dim): word features ``C``; row ``V`` is ``<unk>`` (every out-of-vocabulary word), row
  ``V+1`` is ``</s>``, the sentence boundary: the model predicts it after the last word, and it pads the
  history at a sentence start.
* ``W_hid`` (hidden, context*dim), ``b_hid`` (hidden): ``a = tanh(W_hid x + b_hid)``, where ``x``
  concatenates the history's features, oldest first.
* ``W_out``: the output layer's rows over ``h = [a, x (only with direct connections), 1]``: each row is
  ``[U_w, W_w, b_w]`` in the paper's names (hidden-to-output weights, direct weights, bias). With the
  full softmax, NCE or NS there is one row per word (V+2); with hierarchical softmax one per inner
  node of the Huffman tree (V+1), whose paths are stored as ``hs_offsets``/``hs_points``/``hs_codes``.

If the corpus already spells its unknown words ``<unk>`` (as the Penn Treebank does), that word is
the unknown token and no second one is added.
"""

import dataclasses
import json
import os

import numpy as np

from w2v.atomic import atomic_write
from w2v.errors import CorpusError, FormatError, W2VError
from w2v.vectors import Vectors

FORMAT = "w2v-nplm-1"
UNK, BOUNDARY = "<unk>", "</s>"
_ARRAYS = ("counts", "W_in", "W_hid", "b_hid", "W_out", "hs_offsets", "hs_points", "hs_codes")


@dataclasses.dataclass
class LanguageModel:
    words: list  # the vocabulary, then (unless the corpus had one) <unk>, then </s>
    counts: np.ndarray  # occurrences in the training stream (</s>: sentences)
    unk: int  # index of the unknown token
    W_in: np.ndarray
    W_hid: np.ndarray
    b_hid: np.ndarray
    W_out: np.ndarray
    loss: str  # softmax | hs | nce | ns: how it was trained (perplexity is exact for all of them)
    context: int
    direct: bool
    hs_offsets: np.ndarray
    hs_points: np.ndarray
    hs_codes: np.ndarray
    config: dict = dataclasses.field(default_factory=dict)

    @property
    def boundary(self):
        return len(self.words) - 1

    @property
    def vectors(self):
        """The word features of the corpus words (not the reserved ``<unk>`` or ``</s>``) as Vectors."""
        n = len(self.words) - 1 if self.config.get("unk_in_corpus") else len(self.words) - 2
        return Vectors(self.words[:n], self.W_in[:n])

    def save(self, path):
        meta = {"format": FORMAT, "loss": self.loss, "context": self.context, "direct": self.direct,
                "unk": self.unk, "config": self.config}
        with atomic_write(path, "wb") as f:
            np.savez(f, meta=np.array(json.dumps(meta)), words=np.array("\n".join(self.words)),
                     **{k: getattr(self, k) for k in _ARRAYS})

    @classmethod
    def load(cls, path):
        if not os.path.isfile(path):
            raise FormatError(f"model file not found: {path}")
        with open(path, "rb") as f:
            if f.read(4) != b"PK\x03\x04":
                raise FormatError(f"{path} is not an NPLM model (a .npz written by 'w2v train --model nplm')")
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(str(z["meta"]))
                if meta.get("format") != FORMAT:
                    raise FormatError(f"{path} is not a w2v NPLM model (format {meta.get('format')!r})")
                words = str(z["words"]).split("\n")
                arrays = {k: z[k] for k in _ARRAYS}
        except W2VError:
            raise
        except Exception as e:  # a zip that is not ours, a truncated file, a missing array
            raise FormatError(f"cannot read model {path}: {type(e).__name__}: {e}") from None
        from w2v.choices import LOSSES

        if meta.get("loss") not in LOSSES:
            raise FormatError(f"{path}: unknown output layer {meta.get('loss')!r} (a damaged file?)")
        model = cls(words=words, unk=int(meta["unk"]), loss=meta["loss"], context=int(meta["context"]),
                    direct=bool(meta["direct"]), config=meta.get("config", {}), **arrays)
        n, dim = model.W_in.shape
        n_x = model.context * dim
        n_out = model.W_hid.shape[0] + (n_x if model.direct else 0) + 1
        if n != len(words) or model.W_hid.shape[1] != n_x or model.W_out.shape[1] != n_out:
            raise FormatError(f"{path}: the model's arrays do not fit together (a damaged file?)")
        return model

    # ------------------------------------------------------------ scoring
    def hidden(self, history):
        """``h = [a, x?, 1]`` for an (n, context) array of word ids, in float32."""
        x = self.W_in[history].reshape(len(history), -1)
        a = np.tanh(x @ self.W_hid.T + self.b_hid)
        parts = [a, x] if self.direct else [a]
        return np.hstack(parts + [np.ones((len(history), 1), np.float32)])

    def log_probs(self, history, targets):
        """Exactly normalised log p(target | history) per example, and log Z of the softmax (NaN for HS).

        The softmax (also for NCE- and NS-trained models) normalises over every row in float64; HS sums
        log sigma along the target's Huffman path, a distribution by construction."""
        from w2v.output import layer

        paths = (self.hs_offsets, self.hs_points, self.hs_codes)
        return layer(self.loss).log_probs(self.W_out, self.hidden(history), targets, paths)


def examples(sentences, context, boundary):
    """(histories, targets) for every word and sentence end of ``sentences`` (lists of ids)."""
    hist, tgt = [], []
    for sen in sentences:
        padded = [boundary] * context + list(sen) + [boundary]
        for p in range(len(sen) + 1):
            hist.append(padded[p:p + context])
            tgt.append(padded[p + context])
    return np.array(hist, np.int64).reshape(-1, context), np.array(tgt, np.int64)


def read_sentences(path, index, unk, max_sentence=1000, stats=None):
    """Tokenize a text file as training does (ASCII whitespace and NUL separate tokens, a newline ends a
    sentence, tokens over 1000 bytes are skipped, long lines split every 1000 tokens); yields lists of
    ids with unknown words mapped to ``unk``. ``stats["invalid_utf8"]`` counts tokens that are not UTF-8."""
    from w2v.corpus import open_binary

    if path != "-" and not os.path.isfile(path):
        raise CorpusError(f"text not found: {path}")
    f = open_binary(path)
    stats = {} if stats is None else stats
    stats.setdefault("invalid_utf8", 0)
    try:
        for raw in f:
            toks = [t for t in raw.replace(b"\0", b" ").split() if len(t) <= 1000]
            words = []
            for t in toks:
                try:
                    words.append(t.decode("utf-8"))
                except UnicodeDecodeError:
                    words.append(t.decode("utf-8", "replace"))
                    stats["invalid_utf8"] += 1
            ids = [index.get(w, unk) for w in words]
            for s in range(0, len(ids), max_sentence):
                yield ids[s:s + max_sentence]
    except (OSError, EOFError) as e:
        raise CorpusError(f"cannot read {path}: {type(e).__name__}: {e}") from None
    finally:
        if path != "-":
            f.close()


@dataclasses.dataclass
class PerplexityReport:
    perplexity: float
    predictions: int  # words plus sentence ends
    tokens: int
    unknown: int  # tokens mapped to <unk>
    sentences: int
    mean_log_z: float  # NaN for hierarchical softmax
    mean_log_prob: float

    def lines(self, model_path, text_path):
        out = [f"{model_path} on {text_path}: perplexity {self.perplexity:.2f} "
               f"({self.predictions} predictions: {self.tokens} tokens + {self.sentences} sentence ends; "
               f"{self.unknown} tokens ({100 * self.unknown / max(self.tokens, 1):.2f}%) out of vocabulary, "
               f"scored as <unk>)"]
        if not np.isnan(self.mean_log_z):
            out.append(f"mean log Z {self.mean_log_z:.4f} (0 for a self-normalised model; exact normalisation "
                       "is used either way)")
        return out


def perplexity(model, path, batch=256):
    """Per-prediction perplexity of held-out text: exp of the mean negative log-probability of every
    word and every sentence end."""
    index = {w: i for i, w in enumerate(model.words[:-1])}  # every other token is unknown (</s> included)
    total_logp, total_log_z, n, tokens, unknown, sentences = 0.0, 0.0, 0, 0, 0, 0
    buffer = []

    def flush():
        nonlocal total_logp, total_log_z, n
        hist, tgt = examples(buffer, model.context, model.boundary)
        for s in range(0, len(tgt), batch):
            logp, log_z = model.log_probs(hist[s:s + batch], tgt[s:s + batch])
            total_logp += logp.sum()
            total_log_z += log_z.sum()
        n += len(tgt)
        buffer.clear()

    stats = {}
    for sen in read_sentences(path, index, model.unk, stats=stats):
        if not sen:
            continue
        buffer.append(sen)
        tokens += len(sen)
        unknown += sum(1 for w in sen if w == model.unk)
        sentences += 1
        if len(buffer) >= 512:
            flush()
    if buffer:
        flush()
    if n == 0:
        raise CorpusError(f"no text to score in {path}")
    if stats["invalid_utf8"] > 0.3 * tokens:
        raise CorpusError(f"{path} looks like binary data, not text: {stats['invalid_utf8']} of its {tokens} tokens "
                       "are not valid UTF-8")
    return PerplexityReport(perplexity=float(np.exp(-total_logp / n)), predictions=n, tokens=tokens,
                            unknown=unknown, sentences=sentences, mean_log_z=total_log_z / n,
                            mean_log_prob=total_logp / n)
