"""w2v.half: float16 codes made in Numba equal numpy's astype(float16), ties and subnormals included."""

import numpy as np

from w2v import half


def _numpy_codes(x):
    with np.errstate(over="ignore"):  # (beyond float16's range: infinity, as expected)
        return x.astype(np.float16).view(np.uint16)


def test_decode_table_is_numpys():
    codes = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16)
    expected = codes.view(np.float16).astype(np.float32)
    np.testing.assert_array_equal(half.DECODE.view(np.uint32), expected.view(np.uint32))


def test_encode_matches_numpy_on_every_float16_and_every_midpoint():
    values = np.sort(half.DECODE[np.isfinite(half.DECODE) & (half.DECODE >= 0)].astype(np.float64))
    mids = (values[:-1] + values[1:]) / 2  # ties: to the even code
    x = np.concatenate([values, mids, np.nextafter(mids, 0), np.nextafter(mids, np.inf), [65519.99, 65520, 70000,
                                                                                                  1e-8, 2.0 ** -25,
                                                                                                  2.0 ** -24 * 1.5]])
    x = np.concatenate([x, -x]).astype(np.float32)
    x = np.concatenate([x, np.array([np.inf, -np.inf], np.float32)]).reshape(-1, 1)
    np.testing.assert_array_equal(half.encode_rows(x), _numpy_codes(x))


def test_encode_matches_numpy_on_random_floats():
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 1 << 32, size=400_000, dtype=np.uint64).astype(np.uint32)
    x = bits.view(np.float32)
    x = x[~np.isnan(x)][:390_000].copy().reshape(-1, 2)
    np.testing.assert_array_equal(half.encode_rows(x), _numpy_codes(x))
    small = (rng.standard_normal((1000, 50)) * 10.0 ** rng.uniform(-9, 5, (1000, 1))).astype(np.float32)
    np.testing.assert_array_equal(half.encode_rows(small), _numpy_codes(small))
    nan = half.encode_rows(np.array([[np.nan]], np.float32))
    assert np.isnan(half.DECODE[nan[0, 0]])
