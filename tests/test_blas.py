"""blas.add_outer: ``C += alpha A[:n]^T B[:n]`` in place through Numba's gemm wrapper."""

import numba
import numpy as np
import pytest

from w2v.blas import add_outer


@numba.njit
def _add_outer(C, A, B, n, alpha):
    add_outer(C, A, B, n, alpha)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("n", [0, 1, 3, 5])
def test_add_outer_is_the_rank_n_update(dt, n):
    rng = np.random.default_rng(n)
    C = rng.normal(size=(7, 4)).astype(dt)
    A = rng.normal(size=(5, 7)).astype(dt)  # only the first n rows count
    B = rng.normal(size=(5, 4)).astype(dt)
    want = C.astype(np.float64) - 0.25 * A[:n].astype(np.float64).T @ B[:n].astype(np.float64)
    _add_outer(C, A, B, n, -0.25)
    tol = 1e-6 if dt == np.float32 else 1e-14
    np.testing.assert_allclose(C, want, rtol=tol, atol=tol)


def test_add_outer_refuses_shapes_that_do_not_match():
    C, A, B = np.zeros((3, 2)), np.zeros((4, 3)), np.zeros((4, 5))
    with pytest.raises(ValueError, match="shapes"):
        _add_outer(C, A, B, 4, 1.0)
    with pytest.raises(ValueError, match="shapes"):
        _add_outer(C, A, np.zeros((4, 2)), 5, 1.0)
