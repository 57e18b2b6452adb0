"""IEEE half precision (float16) in Numba, which has no float16 type: a value's code is its 16 bits (uint16).

``encode`` rounds float32 bits to the nearest float16 (ties to even, as numpy's astype(float16)); ``DECODE``
maps each code to its float32 value (exact: every float16 is a float32). The Dask replicas send their rows'
changes as codes (w2v/cluster/rowsync.py).
"""

import numba
import numpy as np

DECODE = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float32)


@numba.njit(cache=True, nogil=True, inline="always")
def encode(x):
    """The float16 code of the float32 whose bits are ``x`` (a uint32): rounded to nearest, ties to even;
    beyond float16's range, infinity; NaN stays NaN."""
    sign = np.uint16((x >> 16) & 0x8000)
    a = x & 0x7FFFFFFF
    if a >= 0x7F800000:  # infinity, NaN
        return sign | np.uint16(0x7C00 if a == 0x7F800000 else 0x7E00)
    if a >= 0x477FF000:  # 65520 and above round to infinity
        return sign | np.uint16(0x7C00)
    if a >= 0x38800000:  # a normal float16: 10 of the 23 fraction bits kept, the exponent rebiased (127 -> 15)
        a = a + 0xFFF + ((a >> 13) & 1)
        return sign | np.uint16((a - 0x38000000) >> 13)
    if a <= 0x33000000:  # at most half the smallest subnormal (2**-25): zero
        return sign
    shift = 126 - (a >> 23)  # a subnormal float16: the significand (with its leading 1) shifted into 2**-24 units
    m = (a & 0x7FFFFF) | 0x800000
    h = m >> shift
    rest = m & ((np.uint32(1) << shift) - 1)
    halfway = np.uint32(1) << (shift - 1)
    if rest > halfway or (rest == halfway and (h & 1)):
        h += 1
    return sign | np.uint16(h)


@numba.njit(cache=True, nogil=True)
def encode_rows(X):
    """The float16 codes of a C-contiguous float32 matrix."""
    bits = X.view(np.uint32)
    out = np.empty(X.shape, np.uint16)
    for i in range(X.shape[0]):
        for k in range(X.shape[1]):
            out[i, k] = encode(bits[i, k])
    return out
