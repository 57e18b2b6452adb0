"""Checkpoints: the full training state in one .npz file, written atomically.

A checkpoint holds the options, the vocabulary, every parameter array (and optimiser state such as
GloVe's AdaGrad sums), and where training stands: the epoch, the position in the encoded corpus (a block
boundary), and the losses so far. Random numbers need no saved state: every chunk seeds its generator
from (seed, epoch, position), and the learning rate follows from the position, so a resumed run with
``--threads 1`` continues bit for bit where the interrupted one stopped.
"""

import dataclasses
import json
import os
from typing import NamedTuple

import numpy as np

from w2v.atomic import atomic_write
from w2v.errors import FormatError, ResumeError

FORMAT = "w2v-checkpoint-2"  # 2: GloVe's position counts nonzeros, as the others' count ids (1: chunks)
GLOVE_CHUNK = 65536  # glove.CHUNK, which format 1 counted GloVe's position in


@dataclasses.dataclass
class Progress:
    """Where training stands: the next block to train is ``position`` of ``epoch``."""

    epoch: int = 0
    position: int = 0
    loss_sum: float = 0.0  # of the current epoch so far
    n_sum: int = 0
    epoch_losses: list = dataclasses.field(default_factory=list)
    epoch_predictions: list = dataclasses.field(default_factory=list)


def save(path, cfg, vocab, arrays, progress, corpus_info):
    """Write a checkpoint; ``arrays`` maps names to parameter arrays."""
    meta = {"format": FORMAT, "config": dataclasses.asdict(cfg), "progress": dataclasses.asdict(progress),
            "corpus": corpus_info}
    with atomic_write(path, "wb") as f:
        np.savez(f, meta=np.array(json.dumps(meta)), words=np.array("\n".join(vocab.words)), counts=vocab.counts,
                 **{f"param_{k}": v for k, v in arrays.items()})


class Checkpoint(NamedTuple):
    config: dict  # TrainConfig's fields
    vocab: object  # Vocab of the parameters' rows
    arrays: dict  # parameter arrays by name
    progress: Progress
    corpus: dict  # the corpus's fingerprint (driver: a resumed run must match it)


def load(path):
    """Read a checkpoint (a Checkpoint)."""
    from w2v.vocab import Vocab

    if not os.path.isfile(path):
        raise FormatError(f"checkpoint not found: {path}")
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("format") not in (FORMAT, "w2v-checkpoint-1"):
                raise KeyError("format")
            vocab = Vocab(str(z["words"]).split("\n"), z["counts"])
            arrays = {k[len("param_"):]: z[k] for k in z.files if k.startswith("param_")}
    except (KeyError, ValueError, OSError, EOFError) as e:
        raise FormatError(f"{path} is not a w2v checkpoint ({type(e).__name__}: {e})") from None
    progress = Progress(**meta["progress"])
    if meta["format"] == "w2v-checkpoint-1" and meta["config"].get("model") == "glove":
        progress.position *= GLOVE_CHUNK
    return Checkpoint(meta["config"], vocab, arrays, progress, meta["corpus"])


def check_compatible(saved, cfg, path):
    """Refuse to resume with options that contradict the checkpoint (threads and quiet may change)."""
    ignore = {"threads"}
    wanted = dataclasses.asdict(cfg)
    clash = [k for k in saved if k not in ignore and k in wanted and _plain(wanted[k]) != _plain(saved[k])]
    if clash:
        detail = ", ".join(f"{k}: checkpoint {saved[k]!r}, now {wanted[k]!r}" for k in clash)
        raise ResumeError(f"cannot resume from {path}: options differ from the checkpoint ({detail})")


def _plain(value):
    """An option as JSON keeps it (a tuple, such as --subwords', comes back a list)."""
    return list(value) if isinstance(value, tuple) else value
