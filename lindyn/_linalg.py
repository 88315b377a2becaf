"""Small linear-algebra helpers shared by the package."""

from __future__ import annotations

import numpy as np

from ._validate import check_int


def random_orthonormal(rng, n, m):
    """An ``n x m`` matrix with orthonormal columns: QR of a Gaussian matrix, signs fixed by R's diagonal.

    Fixing the signs makes the result Haar-distributed and reproducible across LAPACK builds.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the Gaussian matrix.
    n, m : int
        Rows and columns, ``n >= m >= 1`` (at most ``n`` orthonormal columns exist).

    Returns
    -------
    numpy.ndarray, shape (n, m)
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    n = check_int("n", n, 1)
    m = check_int("m", m, 1, n, "an n x m matrix has at most n orthonormal columns")
    q, upper = np.linalg.qr(rng.normal(size=(n, m)))
    return q * np.sign(np.diag(upper))
