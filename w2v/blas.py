"""BLAS calls the kernels make beyond Numba's ``np.dot``: a matrix product added in place (gemm with a
scale and beta = 1), which ``np.dot(a, b, out)`` cannot say.

It calls Numba's own gemm wrapper (``numba_xxgemm`` in Numba's helper library, the function behind its
``np.dot``), found by name when the kernel is linked, so a kernel that uses it is cached on disk like any
other (a ctypes pointer to scipy's BLAS would not be) and runs on the same BLAS under the same thread
limit (lanes.py).
"""

import numpy as np
from numba import types
from numba.core import cgutils
from numba.core.errors import TypingError
from numba.extending import intrinsic, overload
from numba.np.linalg import ensure_blas

ensure_blas()  # scipy's BLAS, which the wrapper calls, loaded

# numba_xxgemm(kind, transa, transb, m, n, k, *alpha, *a, lda, *b, ldb, *beta, *c, ldc), column-major
_GEMM = {dt: types.ExternalFunction("numba_xxgemm", types.intc(
    types.char, types.char, types.char, types.intp, types.intp, types.intp, types.CPointer(dt), types.CPointer(dt),
    types.intp, types.CPointer(dt), types.intp, types.CPointer(dt), types.CPointer(dt), types.intp))
    for dt in (types.float32, types.float64)}
_KIND = {types.float32: ord("s"), types.float64: ord("d")}


@intrinsic
def _data(typingctx, arr):
    """A C-contiguous array's first element's address, as the pointer BLAS takes."""
    def codegen(context, builder, sig, args):
        return cgutils.create_struct_proxy(sig.args[0])(context, builder, value=args[0]).data
    return types.CPointer(arr.dtype)(arr), codegen


def add_outer(C, A, B, n, alpha):  # pragma: no cover - replaced by the overload inside Numba
    """``C += alpha * A[:n]^T B[:n]`` in place (C: rows x cols, A: at least n x rows, B: at least n x
    cols; all C-contiguous, of one float dtype): a rank-``n`` update of every row of ``C`` in one gemm."""
    raise NotImplementedError


@overload(add_outer, jit_options={"forceinline": True})
def _add_outer_impl(C, A, B, n, alpha):
    arrays = (C, A, B)
    if any(not isinstance(a, types.Array) or a.ndim != 2 or a.layout != "C" for a in arrays):
        raise TypingError("add_outer: C-contiguous 2-d arrays")
    if C.dtype not in _GEMM or A.dtype != C.dtype or B.dtype != C.dtype:
        raise TypingError(f"add_outer: float32 or float64 arrays of one dtype (got {C.dtype}, {A.dtype}, {B.dtype})")
    gemm, kind, dt = _GEMM[C.dtype], _KIND[C.dtype], C.dtype

    def impl(C, A, B, n, alpha):
        rows, cols = C.shape
        if A.shape[1] != rows or B.shape[1] != cols or n > A.shape[0] or n > B.shape[0]:
            raise ValueError("add_outer: shapes do not match")
        if n == 0:
            return
        scale = np.empty(2, dt)
        scale[0] = alpha
        scale[1] = 1.0
        # row-major C (rows x cols) is column-major C^T (cols x rows) = B^T A: B[:n] read as column-major
        # (cols x n) untransposed, A[:n] as column-major (rows x n) transposed
        gemm(np.int8(kind), np.int8(ord("N")), np.int8(ord("T")), cols, rows, n, _data(scale[0:]), _data(B),
             cols, _data(A), rows, _data(scale[1:]), _data(C), cols)
    return impl

