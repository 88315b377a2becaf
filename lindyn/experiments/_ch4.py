"""Shared pieces of the Chapter 4 experiments (Fig 5, Fig 6A): the MNIST task of a configuration."""

from __future__ import annotations

import os

import numpy as np
import torch

from .. import mnist

PAPER_DATA = "mnist-train-first-50000"
LAPTOP_DATA = "mnist-embedded-5000"


def load_task(config, mnist_dir=None):
    """The task named by ``config["data"]``.

    ``"mnist-embedded-5000"``: the 5,000 digits shipped with the package's MNIST source
    (:func:`lindyn.mnist.mnist_task`). ``"mnist-train-first-50000"``: the paper's 50,000 training images,
    from the statistics the package ships (``lindyn.mnist.paper_task()``), or from the IDX files in
    ``mnist_dir`` (or the ``LINDYN_MNIST_DIR`` environment variable) where one is given.
    """
    data = config["data"]
    if data == LAPTOP_DATA:
        return mnist.mnist_task()
    if data == PAPER_DATA:
        mnist_dir = mnist_dir or os.environ.get("LINDYN_MNIST_DIR")
        if mnist_dir is None:
            return mnist.paper_task()
        return mnist.mnist_task(mnist_dir, mnist.PAPER_TRAIN_SIZE)
    raise ValueError(f"config['data'] must be one of {[LAPTOP_DATA, PAPER_DATA]}, got {data!r}")


def rescale(rates_paper, n_samples):
    """Rates given for 50,000 images, rescaled to ``n_samples`` (the correlations are sums; see ``fig4_config``)."""
    return (np.asarray(rates_paper, dtype=float) * 50_000 / n_samples).tolist()


def torch_dtype(name):
    """``"float32"`` or ``"float64"`` as a torch dtype."""
    if name not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {name!r}")
    return getattr(torch, name)


def initial_error(task, weights):
    """``sum ||y - W_tot x||^2`` of a weight list, from the sufficient statistics."""
    P = weights[0].double().cpu()
    for w in weights[1:]:
        P = w.double().cpu() @ P
    P = P.numpy()
    return float(task.y_sq - 2 * np.sum(P * task.sigma31) + np.sum((P @ task.sigma11) * P))
