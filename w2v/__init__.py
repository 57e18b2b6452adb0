"""w2v: word-embedding training (skip-gram, CBOW, GloVe, the NPLM language model) with Numba kernels.

The package imports nothing heavy at top level: Numba is only loaded by the kernel modules
(``w2v.scan``, ``w2v.tables``, ``w2v.kernels``, ``w2v.cooccur``, ``w2v.glove``), which the trainers import
when they run.
"""

__version__ = "0.1.0"

from w2v.errors import W2VError  # noqa: E402,F401
