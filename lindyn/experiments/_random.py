"""Seeded random matrices in torch, shared by the Chapter 5 experiments (Figs 6B/C, 7, 8).

Every draw comes from a CPU generator and is then moved to the run's device, so a seed names the same
matrices on a CPU and on a GPU (torch's CUDA generator draws other numbers from the same seed). Only
the arithmetic that follows runs on the device: results agree across devices within round-off, and a
committed GPU result can be re-run on a CPU (``python -m lindyn verify``).
"""

from __future__ import annotations

import torch

RNG = "torch-cpu-generator/1"
"""The draw rule, stored in every configuration that uses these functions: a change of rule is a new key."""


def generator(seed, device=None):
    """A torch generator on the CPU seeded with ``seed``; ``device`` is accepted for symmetry and ignored
    (draws are moved to the device by :func:`randn`)."""
    gen = torch.Generator(device="cpu")
    gen.manual_seed(int(seed))
    return gen


def randn(gen, *shape, device="cpu", dtype=torch.float64):
    """Standard normal numbers of ``shape`` drawn on the CPU from ``gen``, returned on ``device``."""
    return torch.randn(*shape, generator=gen, device="cpu", dtype=dtype).to(device)


def gaussian(gen, batch, n, device, dtype):
    """``batch`` i.i.d. ``n x n`` Gaussian matrices with entries of variance ``1/n`` (Section 3)."""
    return randn(gen, batch, n, n, device=device, dtype=dtype) / n**0.5


def haar(gen, batch, n, device, dtype):
    """``batch`` Haar-distributed ``n x n`` orthogonal matrices: QR of a Gaussian, columns times sign(diag R).

    The Gaussian is drawn on the CPU; the QR runs on ``device``."""
    q, r = torch.linalg.qr(randn(gen, batch, n, n, device=device, dtype=dtype))
    return q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1)).unsqueeze(-2)


def dtype_of(name):
    """``"float64"`` -> ``torch.float64``; other names raise ValueError."""
    if name not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {name!r}")
    return getattr(torch, name)
