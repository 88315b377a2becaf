"""Small linear-algebra helpers shared by the package."""

from __future__ import annotations

import numpy as np


def random_orthonormal(rng, n, m):
    """An ``n x m`` matrix with orthonormal columns: QR of a Gaussian matrix, signs fixed by R's diagonal.

    Fixing the signs makes the result Haar-distributed and reproducible across LAPACK builds.
    """
    q, upper = np.linalg.qr(rng.normal(size=(n, m)))
    return q * np.sign(np.diag(upper))
