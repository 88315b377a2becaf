"""Random initialisations of deep linear networks (Section 3, Fig 5 right, Fig 6A).

Three schemes, all stated per weight matrix ``W`` of shape ``(out, in)``:

- ``"gaussian"``: i.i.d. normal entries. With ``std=None`` the scaled init of Section 3, standard
  deviation ``1 / sqrt(max(out, in))``: for a square ``N x N`` matrix this is the paper's
  ``1/sqrt(N)``, which preserves norms on average (``E[W^T W] = I``). For a rectangular layer the
  larger side is used, so that ``E[W^T W] = I`` when ``out >= in`` (the first layer, more hidden
  units than inputs) and ``E[W W^T] = I`` when ``out < in`` (the last layer): each layer matches the
  orthogonal scheme's mean squared singular value. A number ``std`` gives a fixed standard deviation
  (Fig 5 right: 0.01).
- ``"uniform"``: Glorot & Bengio (2010) scaled uniform, ``U(-a, a)`` with ``a = sqrt(6 / (in + out))``,
  variance ``2 / (in + out)``; for a square matrix the same variance ``1/N`` as ``"gaussian"`` (Fig 6A's
  caption).
- ``"orthogonal"``: Haar-random partial isometries: ``W^T W = I`` when ``out >= in`` and ``W W^T = I``
  when ``out < in`` (the leading block of a Haar orthogonal ``max(out, in)`` matrix), so every
  singular value of every layer is exactly 1.
"""

from __future__ import annotations

import numpy as np
import torch

from ._validate import as_positive, check_choice, check_float_dtype, check_int

__all__ = ["haar_orthogonal", "scaled_gaussian", "glorot_uniform", "random_deep_init", "layer_shapes",
           "end_to_end", "SCHEMES"]

SCHEMES = ("gaussian", "uniform", "orthogonal")


def _rng(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(check_int("seed", seed, 0))


def haar_orthogonal(n, m=None, seed=0, fix_signs=True):
    """A Haar-random ``n x m`` matrix with orthonormal columns (``m <= n``) or rows (``m > n``).

    QR of an ``max(n, m) x min(n, m)`` standard Gaussian matrix ``G = Q R``; the columns of ``Q`` are
    multiplied by the signs of ``R``'s diagonal (Mezzadri 2007). Without that fix, ``Q`` depends on
    LAPACK's sign convention and is not Haar-distributed (``fix_signs=False`` keeps it, for tests).

    Parameters
    ----------
    n, m : int
        Shape, each >= 1; ``m`` defaults to ``n`` (a square orthogonal matrix).
    seed : int or numpy.random.Generator
    fix_signs : bool

    Returns
    -------
    numpy.ndarray, (n, m)
    """
    n = check_int("n", n, 1)
    m = n if m is None else check_int("m", m, 1)
    rng = _rng(seed)
    big, small = max(n, m), min(n, m)
    q, r = np.linalg.qr(rng.standard_normal((big, small)))
    if fix_signs:
        q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
    return q if n >= m else q.T


def scaled_gaussian(n, m, seed=0, std=None):
    """An ``n x m`` matrix of i.i.d. normal entries, std ``1/sqrt(max(n, m))`` unless ``std`` is given.

    Section 3: for ``N x N`` the std ``1/sqrt(N)`` gives ``E[W^T W] = I`` (norms preserved on average).
    """
    n, m = check_int("n", n, 1), check_int("m", m, 1)
    sd = 1.0 / np.sqrt(max(n, m)) if std is None else float(as_positive("std", std))
    return sd * _rng(seed).standard_normal((n, m))


def glorot_uniform(n, m, seed=0):
    """An ``n x m`` matrix, i.i.d. ``U(-a, a)`` with ``a = sqrt(6 / (n + m))`` (Glorot & Bengio 2010; Fig 6A caption)."""
    n, m = check_int("n", n, 1), check_int("m", m, 1)
    a = np.sqrt(6.0 / (n + m))
    return _rng(seed).uniform(-a, a, size=(n, m))


def layer_shapes(task, n_layers, width):
    """Shapes ``(out, in)`` of the ``N_l - 1`` weight matrices: ``(width, N1)``, ``(width, width)``..., ``(N3, width)``."""
    n_layers = check_int("n_layers", n_layers, 3)
    width = check_int("width", width, 1)
    n3, n1 = task.sigma31.shape
    return [(width, n1)] + [(width, width)] * (n_layers - 3) + [(n3, width)]


def random_deep_init(task, n_layers, width, scheme, seed=0, dtype=torch.float64, device="cpu", std=None):
    """Random initial weights of an ``n_layers``-layer network for :func:`lindyn.deep.train_deep_linear`.

    The first layer is ``width x N1`` and the last ``N3 x width`` (rectangular); hidden layers are
    square. Each matrix is drawn by the scheme's rule for its own shape (module docstring), from one
    generator seeded by ``seed``, input layer first.

    Parameters
    ----------
    task : lindyn.deep.Task
        Gives ``N1`` (inputs) and ``N3`` (outputs).
    n_layers : int
        ``N_l >= 3``.
    width : int
        Hidden units per layer, >= 1.
    scheme : {"gaussian", "uniform", "orthogonal"}
    seed : int
    std : float, optional
        Only for ``"gaussian"``: a fixed standard deviation instead of the scaled one.
    dtype : torch.dtype
        A floating-point dtype.

    Returns
    -------
    list of torch.Tensor
        ``N_l - 1`` matrices ``(out, in)``, input layer first.
    """
    check_choice("scheme", scheme, SCHEMES)
    check_float_dtype("dtype", dtype)
    if std is not None and scheme != "gaussian":
        raise ValueError(f"std applies only to scheme 'gaussian', got scheme {scheme!r}")
    shapes = layer_shapes(task, n_layers, width)
    rng = _rng(seed)
    out = []
    for n, m in shapes:
        if scheme == "gaussian":
            w = scaled_gaussian(n, m, rng, std)
        elif scheme == "uniform":
            w = glorot_uniform(n, m, rng)
        else:
            w = haar_orthogonal(n, m, rng)
        out.append(torch.as_tensor(w, dtype=dtype, device=device))
    return out


def end_to_end(weights):
    """The end-to-end map ``W_tot = W^{N_l-1} ... W^1`` (Eq 19) of a weight list (input layer first)."""
    if len(weights) < 1:
        raise ValueError("weights must hold at least one matrix")
    P = weights[0]
    for w in weights[1:]:
        P = w @ P
    return P
