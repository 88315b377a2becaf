"""Regression tasks as sufficient statistics (Section 2, Eq 13; Appendix C, Fig 4).

Eq 13 sees the data only through ``Sigma11 = sum x x^T``, ``Sigma31 = sum y x^T`` and
``sum ||y||^2``, so a :class:`Task` holds those sums and nothing else: a task built from 50,000
MNIST images is as small as one built from 500. :attr:`Task.fingerprint` names the statistics, so
results computed from a task can be keyed by the data they came from.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ._validate import CORRELATION_RTOL, as_correlation, as_matrix, as_scalar, check_in_range, check_int

__all__ = ["Task", "task_from_samples", "error_threshold", "divergence_limit", "DIVERGENCE_FACTOR"]

DIVERGENCE_FACTOR = 10.0


@dataclass(frozen=True)
class Task:
    """Sufficient statistics of a regression task (sums over samples).

    Attributes
    ----------
    sigma11 : numpy.ndarray, (N1, N1)
    sigma31 : numpy.ndarray, (N3, N1)
    y_sq : float
        ``sum_mu ||y^mu||^2``, the error of the zero network.
    n_samples : int
    source : str
        Where the samples came from (shown with every result).

    Raises
    ------
    ValueError
        At construction, for statistics that no data can have: ``sigma11`` not square, not finite, zero,
        not symmetric or not positive semi-definite (:func:`lindyn._validate.as_correlation`, a Cholesky
        factorisation, not an eigendecomposition); ``sigma31`` of the wrong shape or not finite;
        ``y_sq < 0``, or ``y_sq`` too small for ``sigma31`` (``sum_i Sigma31_ij^2 <= y_sq Sigma11_jj``
        by Cauchy-Schwarz); ``n_samples < 1``.
    """

    sigma11: np.ndarray
    sigma31: np.ndarray
    y_sq: float
    n_samples: int
    source: str

    def __post_init__(self):
        s11 = as_correlation("sigma11", self.sigma11)
        n1 = s11.shape[0]
        s31 = as_matrix("sigma31", self.sigma31, (None, n1))
        y_sq = as_scalar("y_sq", self.y_sq)
        if y_sq < 0:
            raise ValueError(f"y_sq must be >= 0 (a sum of squared outputs), got {y_sq!r}")
        # Cauchy-Schwarz per input: ||sum_mu y x_j||^2 <= sum ||y||^2 sum x_j^2, up to round-off.
        col_sq = np.sum(s31 * s31, axis=0)
        bound = y_sq * np.diag(s11)
        excess = col_sq - bound
        if np.any(excess > CORRELATION_RTOL * (bound + col_sq) + 1e-300):
            j = int(np.argmax(excess))
            raise ValueError(f"y_sq must be >= sum_i sigma31[i, j]^2 / sigma11[j, j] for every input j "
                             f"(Cauchy-Schwarz), but at j = {j}: {col_sq[j]:.6g} > y_sq * {np.diag(s11)[j]:.6g}; "
                             f"got y_sq = {y_sq!r}")
        n_samples = check_int("n_samples", self.n_samples, 1)
        if not isinstance(self.source, str):
            raise TypeError(f"source must be a string, got {type(self.source).__name__}")
        object.__setattr__(self, "sigma11", s11)
        object.__setattr__(self, "sigma31", s31)
        object.__setattr__(self, "y_sq", y_sq)
        object.__setattr__(self, "n_samples", n_samples)

    @cached_property
    def sigma11_eigh(self):
        """``(eigenvalues, eigenvectors)`` of ``sigma11`` (``numpy.linalg.eigh``), computed once per task:
        every trainer works in this basis."""
        return np.linalg.eigh(self.sigma11)

    @cached_property
    def min_error(self):
        """The least-squares minimum ``sum ||y - W x||^2`` over all linear maps ``W``."""
        pinv = np.linalg.pinv(self.sigma11, rcond=1e-10, hermitian=True)
        return float(self.y_sq - np.trace(self.sigma31 @ pinv @ self.sigma31.T))

    @cached_property
    def fingerprint(self):
        """First 16 hex digits of the SHA-256 of the statistics, to key results by their data.

        Hashes the shapes and float64 little-endian bytes of ``sigma11``, ``sigma31``, ``y_sq`` and the
        int64 ``n_samples``; ``source`` is left out, so the same statistics from two descriptions of
        the same data share a fingerprint. Equal fingerprints mean bit-identical statistics (up to
        the 64-bit truncation); any change of a single bit changes it.
        """
        h = hashlib.sha256(b"lindyn.task/1")
        for arr in (self.sigma11, self.sigma31):
            a = np.ascontiguousarray(arr, dtype="<f8")
            h.update(np.asarray(a.shape, dtype="<i8").tobytes())
            h.update(a.tobytes())
        h.update(np.asarray(self.y_sq, dtype="<f8").tobytes())
        h.update(np.asarray(self.n_samples, dtype="<i8").tobytes())
        return h.hexdigest()[:16]


def task_from_samples(inputs, outputs, source):
    """Build a :class:`Task` from samples (one column per sample).

    Parameters
    ----------
    inputs : array_like, (N1, P)
        Real, finite, not all zero.
    outputs : array_like, (N3, P)
        Real, finite.
    source : str
        Description of the data (for provenance).

    Returns
    -------
    Task
    """
    X = as_matrix("inputs", inputs)
    Y = as_matrix("outputs", outputs, (None, X.shape[1]))
    if not np.any(X):
        raise ValueError(f"inputs must not be all zero (their correlation would be the zero matrix), got all zeros "
                         f"of shape {X.shape}")
    return Task(X @ X.T, Y @ X.T, float(np.sum(Y * Y)), int(X.shape[1]), str(source))


def error_threshold(task, fraction):
    """The learning-time criterion of Fig 4: ``E_min + fraction * (E_0 - E_min)``.

    ``E_0 = sum ||y||^2`` is the error of the (near-)zero initial network and ``E_min`` the
    least-squares minimum, so ``fraction = 0.1`` means "90% of the learnable error has been learnt".
    The paper's absolute 1.3e4 on 50,000 images is replaced by this relative criterion because the
    absolute number depends on the sample count and the error convention.
    """
    check_in_range("fraction", fraction, 0.0, 1.0, low_open=True, high_open=True)
    e_min = task.min_error
    return e_min + fraction * (task.y_sq - e_min)


def divergence_limit(initial_error, y_sq):
    """The training error above which a gradient-descent run counts as diverged: the package's one rule.

    ``DIVERGENCE_FACTOR * max(E(0), sum ||y||^2)``, with ``E = sum ||y - W x||^2``. It is relative to the
    run's own initial error ``E(0)``, so a large initialisation (Fig 6A) is not called diverged at step 0,
    and never below ``sum ||y||^2`` (the error of the zero map), so a small start near the optimum is not
    called diverged by an early rise at the edge of stability. A stable run's error stays below
    ``max(E(0), sum ||y||^2)`` up to such rises, which the trainers count separately.

    Parameters
    ----------
    initial_error : float, numpy.ndarray or torch.Tensor
        ``E(0)`` of each run.
    y_sq : float
        ``sum ||y||^2`` over the samples.

    Returns
    -------
    Same type as ``initial_error``.

    Examples
    --------
    >>> float(divergence_limit(3.0, 5.0)), float(divergence_limit(50.0, 5.0))
    (50.0, 500.0)
    """
    if hasattr(initial_error, "clamp"):
        return DIVERGENCE_FACTOR * initial_error.clamp(min=float(y_sq))
    return DIVERGENCE_FACTOR * np.maximum(initial_error, float(y_sq))
