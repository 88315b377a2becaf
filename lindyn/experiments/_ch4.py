"""Shared pieces of the Chapter 4 experiments (Fig 5, Fig 6A): the MNIST task of a configuration."""

from __future__ import annotations

import os

import numpy as np
import torch

from .. import mnist

PAPER_DATA = "mnist-train-first-50000"
PRETRAIN = {"pre_std": 0.01, "pre_rate_factor": 0.5, "pre_fraction": 0.05, "pre_max_steps": 20000,
            "pretrain_output": False}
"""The pretraining protocol of Fig 5 and Fig 6A (one protocol for the chapter): greedy linear
autoencoders (:func:`lindyn.pretraining.greedy_pretrain`) from i.i.d. Gaussian weights of std
``pre_std``, rate ``pre_rate_factor / lambda_max`` per layer, each layer stopped once its excess error is
below ``pre_fraction`` of its learnable error; the hidden layers only (``pretrain_output: False``), the
output layer keeping its small random start (see :func:`pretrain`)."""
LAPTOP_DATA = "mnist-embedded-5000"


def load_task(config, mnist_dir=None):
    """The task named by ``config["data"]``, on the inputs ``config.get("input_pcs")`` names.

    ``"mnist-embedded-5000"``: the 5,000 digits shipped with the package's MNIST source
    (:func:`lindyn.mnist.mnist_task`). ``"mnist-train-first-50000"``: the paper's 50,000 training images,
    from the statistics the package ships (``lindyn.mnist.paper_task()``), or from the IDX files in
    ``mnist_dir`` (or the ``LINDYN_MNIST_DIR`` environment variable) where one is given.

    With ``config["input_pcs"] = k`` (an integer) the inputs are the images' coordinates along the top
    ``k`` principal components of the uncentred ``Sigma11`` (:func:`project_inputs`), so that a hidden
    layer at least ``k`` wide can be an isometry on the inputs; ``None`` or absent keeps the raw pixels.
    """
    task = _raw_task(config, mnist_dir)
    k = config.get("input_pcs")
    return task if k is None else project_inputs(task, k)


def project_inputs(task, k):
    """The task on the inputs ``x' = Q_k^T x``: ``Q_k`` the top ``k`` eigenvectors of ``Sigma11``.

    ``Sigma11' = Q_k^T Sigma11 Q_k`` (diagonal, decreasing), ``Sigma31' = Sigma31 Q_k``, ``sum ||y||^2``
    unchanged. The least-squares minimum grows by what the dropped components could explain. Each
    eigenvector's sign is fixed (its largest-magnitude entry positive), so the projected task, and the
    random weights drawn on it from a seed, do not depend on LAPACK's sign convention.
    """
    from ..task import Task
    from .._validate import check_int

    n1 = task.sigma11.shape[0]
    k = check_int("input_pcs", k, 1, n1)
    lam, Q = np.linalg.eigh(task.sigma11)
    Q = Q[:, ::-1][:, :k]
    Q = Q * np.where(Q[np.argmax(np.abs(Q), axis=0), np.arange(k)] < 0, -1.0, 1.0)
    s11 = Q.T @ task.sigma11 @ Q
    return Task((s11 + s11.T) / 2, task.sigma31 @ Q, task.y_sq, task.n_samples,
                f"{task.source}; projected on the top {k} principal components of the uncentred Sigma11")


def _raw_task(config, mnist_dir):
    data = config["data"]
    if data == LAPTOP_DATA:
        return mnist.mnist_task()
    if data == PAPER_DATA:
        mnist_dir = mnist_dir or os.environ.get("LINDYN_MNIST_DIR")
        if mnist_dir is None:
            return mnist.paper_task()
        return mnist.mnist_task(mnist_dir, mnist.PAPER_TRAIN_SIZE)
    raise ValueError(f"config['data'] must be one of {[LAPTOP_DATA, PAPER_DATA]}, got {data!r}")


def pretrain(task, weights, cfg, progress=None):
    """Greedy pretraining of ``weights`` by the protocol in ``cfg`` (keys of :data:`PRETRAIN`).

    ``pretrain_output: False`` (the chapter's protocol) pretrains the hidden layers and leaves the output
    layer at its random start, the usual greedy protocol in which the classifier is added after
    pretraining. ``True`` (the book's earlier protocol, kept as a stated variant) pretrains the output
    layer as an autoencoder of the top hidden layer as well: it then maps the top principal components
    of the raw, uncentred images (the first, along the mean image, with eigenvalue about 1.9e6 on
    50,000 images) into an arbitrary rotation of label space at strength one, so supervised training
    starts far above ``sum ||y||^2`` and its stable rate is capped by that eigenvalue.

    Returns
    -------
    lindyn.pretraining.Pretrained
        ``weights`` holds every layer (the output layer as given when it is not pretrained); ``steps``
        the autoencoder iterations of the pretrained layers only.
    """
    import dataclasses

    from .. import pretraining

    layers = list(weights) if cfg["pretrain_output"] else list(weights[:-1])
    pre = pretraining.greedy_pretrain(task.sigma11, layers, rate_factor=cfg["pre_rate_factor"],
                                      fraction=cfg["pre_fraction"], max_steps=cfg["pre_max_steps"], progress=progress)
    if not cfg["pretrain_output"]:
        pre = dataclasses.replace(pre, weights=list(pre.weights) + [weights[-1]])
    return pre


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
