"""Seeded random matrices in torch, shared by the Chapter 5 experiments (Figs 6B/C, 7, 8)."""

from __future__ import annotations

import torch


def generator(seed, device):
    """A torch generator on ``device`` seeded with ``seed`` (results are reproducible per device type)."""
    gen = torch.Generator(device=device)
    gen.manual_seed(int(seed))
    return gen


def gaussian(gen, batch, n, device, dtype):
    """``batch`` i.i.d. ``n x n`` Gaussian matrices with entries of variance ``1/n`` (Section 3)."""
    return torch.randn(batch, n, n, generator=gen, device=device, dtype=dtype) / n**0.5


def haar(gen, batch, n, device, dtype):
    """``batch`` Haar-distributed ``n x n`` orthogonal matrices: QR of a Gaussian, columns times sign(diag R)."""
    q, r = torch.linalg.qr(torch.randn(batch, n, n, generator=gen, device=device, dtype=dtype))
    return q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1)).unsqueeze(-2)


def dtype_of(name):
    """``"float64"`` -> ``torch.float64``; other names raise ValueError."""
    if name not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {name!r}")
    return getattr(torch, name)
