"""Options: what a run trains (``TrainConfig``, one frozen record with word2vec.c's defaults, validated
before any work starts) and how it is driven (``RunOptions``)."""

import dataclasses
import os
from typing import NamedTuple

from w2v.choices import LOSSES, MODELS
from w2v.errors import OptionError


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    model: str = "sg"  # a name in choices.MODELS
    loss: str = "ns"  # a name in choices.LOSSES that the model takes (glove ignores it)
    dim: int = 100
    window: int | None = None  # None: the model's default (choices.MODELS: 5, GloVe 10)
    negative: int = 5
    noise_power: float = 0.75
    min_count: int = 5
    max_vocab: int | None = None
    max_types: int | None = None  # live types while counting, pruned beyond (None: exact, spill.py)
    sample: float = 1e-3
    epochs: int | None = None  # None: the model's default (choices.MODELS: 5, GloVe 15)
    alpha: float | None = None  # None: the model's default (choices.MODELS)
    min_alpha: float | None = None  # None: alpha * 1e-4 (word2vec.c)
    threads: int = 0  # 0: all cores
    seed: int = 1
    cbow_mean: bool = True
    shared_targets: bool = True  # skip-gram: a window's contexts share noise words / path (block step)
    # fastText's subword model (sg and cbow): character n-grams of minn..maxn characters, hashed into
    # --buckets input rows; (0, 0): none (subwords.py)
    subwords: tuple = (0, 0)
    buckets: int = 2_000_000
    # GloVe
    symmetric: bool = True  # count context on both sides (else left only)
    distance_weighting: bool = True  # a pair d words apart counts 1/d
    x_max: float = 100.0  # counts above this get full weight in f(x)
    weight_power: float = 0.75  # f(x) = (x / x_max)^power below x_max
    eta: float = 0.05  # AdaGrad initial learning rate
    glove_vectors: str = "w+c"  # w | w+c: word vectors, or word plus context vectors (GloVe's default)
    pair_order: str = "tiled"  # tiled | shuffled: the nonzeros' order in an epoch (glove_kernels.tiled_shuffle)
    memory: float | None = None  # GB for co-occurrence counting; None: min(4, a quarter of RAM)
    # NPLM (Bengio et al. 2003)
    context: int = 4  # words of history (4: a 5-gram model)
    hidden: int = 100  # tanh units
    direct: bool = False  # direct connections from the word features to the output
    batch: int | None = None  # NPLM examples per step (hidden-layer update); None: 64 for softmax, 1 otherwise
    sync: int = 64  # NPLM with threads: examples a thread trains its private copy of the dense hidden layer
    # before adding what it learned to the shared one (nplm_kernels.merge_hidden); 0: hogwild on the shared layer

    def __post_init__(self):
        def bad(msg):
            raise OptionError(f"invalid option: {msg}")

        try:
            object.__setattr__(self, "subwords", parse_subwords(self.subwords))
        except ValueError as e:
            bad(f"--subwords: {e}")
        if self.model not in MODELS:
            bad(f"--model must be {_either(MODELS)}, not {self.model!r}")
        arch = MODELS[self.model]
        for option in self.foreign_options():
            owners = [m for m, a in MODELS.items() if option in a.options]
            bad(f"--{option.replace('_', '-')} applies to --model {_either(owners)}, not {self.model}"
                f"{_HINTS.get((option, self.model), '')}")
        if self.window is None:
            object.__setattr__(self, "window", arch.window)
        if self.epochs is None:
            object.__setattr__(self, "epochs", arch.epochs)
        if self.memory is None and "memory" in arch.options:
            object.__setattr__(self, "memory", min(4.0, _total_memory_gb() / 4))
        if self.loss not in LOSSES:
            bad(f"--loss must be {_either(LOSSES)}, not {self.loss!r}")
        if arch.losses and self.loss not in arch.losses:
            owners = [m for m, a in MODELS.items() if self.loss in a.losses]
            bad(f"--loss {self.loss} is for --model {_either(owners)} ({self.model}: "
                f"{_either(MODELS[self.model].losses)})")
        if self.batch is None and "batch" in arch.options:
            object.__setattr__(self, "batch", LOSSES[self.loss].nplm_batch)
        trainer(self.model).check_options(self, bad)  # the model's own options
        for name in ("dim", "window", "epochs"):
            if getattr(self, name) < 1:
                bad(f"--{name.replace('_', '-')} must be at least 1 (got {getattr(self, name)})")
        if LOSSES[self.loss].negative and self.negative < 1:
            bad(f"--negative must be at least 1 with --loss {self.loss} (got {self.negative})")
        if self.negative < 0:
            bad(f"--negative must not be negative (got {self.negative})")
        if self.min_count < 1:
            bad(f"--min-count must be at least 1 (got {self.min_count})")
        if self.max_vocab is not None and self.max_vocab < 2:
            bad(f"--max-vocab must be at least 2 (got {self.max_vocab})")
        if self.max_types is not None and self.max_types < 1000:
            bad(f"--max-types must be at least 1000 (got {self.max_types})")
        if self.sample < 0:
            bad(f"--sample must not be negative (got {self.sample})")
        if self.alpha is not None and not self.alpha > 0:
            bad(f"--alpha must be positive (got {self.alpha})")
        if self.min_alpha is not None and not self.min_alpha >= 0:
            bad(f"--min-alpha must not be negative (got {self.min_alpha})")
        if self.min_alpha is not None and self.min_alpha > self.start_alpha:
            bad(f"--min-alpha ({self.min_alpha}) is larger than --alpha ({self.start_alpha})")
        if self.threads < 0:
            bad(f"--threads must not be negative (got {self.threads})")
        if self.noise_power < 0:
            bad(f"--noise-power must not be negative (got {self.noise_power})")
        minn, maxn = self.subwords
        if maxn and not 1 <= minn <= maxn <= 100:
            bad(f"--subwords {minn}-{maxn}: the lengths must satisfy 1 <= min <= max <= 100")
        if not 1 <= self.buckets <= 2 ** 30:
            bad(f"--buckets must be between 1 and {2 ** 30} (got {self.buckets})")
        if self.dim > 100_000:
            bad(f"--dim {self.dim} is too large")

    def foreign_options(self):
        """The options given (not at their defaults) that belong to other models than this one."""
        own = MODELS[self.model].options
        fields = {f.name: f.default for f in dataclasses.fields(self)}
        return [o for o in sorted(model_options()) if o not in own and getattr(self, o) != fields[o]]

    @property
    def start_alpha(self):
        """The initial learning rate: --alpha, or the model's default."""
        return self.alpha if self.alpha is not None else self.default_alpha

    @property
    def default_alpha(self):
        """The model's default learning rate (its choices.MODELS entry: word2vec.c's 0.025 for sg, 0.05 for
        cbow)."""
        return MODELS[self.model].alpha

    @property
    def end_alpha(self):
        return self.min_alpha if self.min_alpha is not None else self.start_alpha * 1e-4

    @property
    def n_threads(self):
        """--threads, or all cores when it is 0."""
        return self.threads or os.cpu_count() or 1


# what a user of another tool may have meant
_HINTS = {("alpha", "glove"): " (GloVe's AdaGrad rate is --eta; GloVe's -alpha, the weighting power, is --weight-power)",
          ("glove_vectors", "nplm"): " (the NPLM writes its word vectors with --vectors-output FILE)",
          }


def parse_subwords(value):
    """``--subwords``: ``"3-6"``, ``(3, 6)`` or ``"3"`` (one length) -> (minn, maxn); ``0``, ``"0"``, None or
    ``()`` -> (0, 0), no subwords. ValueError on anything else."""
    if value is None or value == 0 or value == "0" or (isinstance(value, (tuple, list)) and len(value) == 0):
        return (0, 0)
    if isinstance(value, str):
        parts = value.split("-")
        if len(parts) not in (1, 2) or not all(p.strip().isdigit() for p in parts):
            raise ValueError(f"expected character lengths MIN-MAX such as 3-6, not {value!r}")
        return (int(parts[0]), int(parts[-1]))
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return (int(value[0]), int(value[1]))
    raise ValueError(f"expected (minn, maxn) or MIN-MAX such as 3-6, not {value!r}")


def model_options():
    """Every option that some model reads and others do not (choices.MODELS' ``options``)."""
    return {o for a in MODELS.values() for o in a.options}


def merged(saved, options):
    """A checkpoint's options (``saved``), overridden by those given. A checkpoint holds every field, other
    models' options at their filled-in values too: those are left out; an older checkpoint's renamed fields
    are renamed (_RENAMED) and the fields it lacks take the value it trained with (_ADDED)."""
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    saved = {**_ADDED, **{_RENAMED.get(k, k): v for k, v in saved.items()}}
    own = MODELS[saved["model"]].options if saved.get("model") in MODELS else ()
    kept = {k: v for k, v in saved.items() if k in known and (k not in model_options() or k in own)}
    return TrainConfig(**{**kept, **options})


# fields an older checkpoint holds under another name
_RENAMED = {"export": "glove_vectors"}
# fields an older checkpoint lacks, at the value it trained with (GloVe's plain order came before its tiles)
_ADDED = {"pair_order": "shuffled"}


def trainer(model):
    """The trainer module of ``model`` (choices.MODELS names it): its ``Trainer`` and ``check_options``."""
    import importlib

    return importlib.import_module(MODELS[model].trainer)


def _either(names):
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _total_memory_gb():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1 << 30)
    except (ValueError, OSError, AttributeError):
        return 16.0


class RunOptions(NamedTuple):
    """How a run is driven, beside what it trains (TrainConfig): files, checkpoints, limits, progress."""

    read_vocab: str | None = None  # vocabulary file to encode with instead of counting
    save_vocab: str | None = None  # where to write the counted vocabulary
    tmp_dir: str | None = None  # directory for the encoded corpus and spills
    cooccur: str | None = None  # GloVe: co-occurrences written by `w2v cooccur`, instead of counting
    checkpoint: str | None = None  # where to save checkpoints
    checkpoint_every: float | None = None  # seconds between checkpoints (None: only on interrupt)
    resume: str | None = None  # checkpoint to continue from
    log_json: str | None = None  # one JSON line per progress step and per epoch
    max_memory: float | None = None  # GB; refuse to start beyond it (None: the memory available)
    callback: object = None  # f(record) after each progress step; returning True requests a stop
    quiet: bool = False  # no progress bar or messages
    continue_from: str | None = None  # a checkpoint whose weights a run on new text continues from
    update_vocab: bool = False  # with continue_from: add the new text's words to the vocabulary
    phrases: object = None  # a phrases file (or phrases.Phrases) to join phrases with while reading
    dask: str | None = None  # a Dask scheduler address, or local:N (w2v/cluster/)
    shards: int | None = None  # with dask: shards (model replicas) of the corpus [one per worker]
    sync_rounds: int | None = None  # with dask: full synchronisations per epoch [cluster.trainer.Trainer.FULL_SYNCS]
    # with dask: how changed rows combine: adasum (replicas at sqrt(S) x alpha, at most 0.1), mean (at S x
    # alpha), sum or all (Spark) [adasum; a resumed run: its checkpoint's]
    sync_average: str | None = None
    sync_hot: int | None = None  # with dask: rounds per full sync, the frequent rows combined after each
    # [cluster.trainer.Trainer.HOT_ROUNDS]
    sync_bits: int = 16  # with dask: the replicas exchange their changes in float16 (16) or values in float32
    force_text: bool = False  # read inputs whose first bytes look binary (NUL bytes, mostly not text)
    init_vectors: str | None = None  # sg/cbow: a vectors file whose words start from their vectors there
    lock_init: bool = False  # with init_vectors: those words' vectors are not trained (gensim's lockf 0)
