"""The Eq 13 step of :func:`lindyn.deep.train_deep_linear`: its state on the device, the in-place
update, the device-side bookkeeping and the CUDA-graph capture (private; see ``deep.py``)."""

from __future__ import annotations

import math
import warnings

import torch

from .task import divergence_limit


class _side_stream:
    """Run a block on a fresh CUDA side stream, ordered after and before the current stream.

    Graph capture expects the captured work to have run once off the default stream (lazy
    initialisation of cuBLAS workspaces and the like); the first batch of steps is that warm-up.
    """

    def __init__(self, device):
        self.device = device

    def __enter__(self):
        self.stream = torch.cuda.Stream(self.device)
        self.stream.wait_stream(torch.cuda.current_stream(self.device))
        self.context = torch.cuda.stream(self.stream)
        self.context.__enter__()

    def __exit__(self, *exc):
        self.context.__exit__(*exc)
        torch.cuda.current_stream(self.device).wait_stream(self.stream)
        return False


def _check_eq13_weights(weights, R):
    """Validate the weights of :func:`train_deep_linear` before any allocation; return their ``(out, in)`` shapes."""
    if isinstance(weights, torch.Tensor) or len(weights) < 2:
        raise ValueError(f"weights must be a list of at least 2 matrices (N_l >= 3), got {len(weights)}")
    for l, w in enumerate(weights):
        if not isinstance(w, torch.Tensor) or not w.is_floating_point():
            raise TypeError(f"weights[{l}] must be a floating-point torch.Tensor, got {type(w).__name__}"
                            f"{'' if not isinstance(w, torch.Tensor) else ' of dtype ' + str(w.dtype)}")
        if w.dtype != weights[0].dtype or w.device != weights[0].device:
            raise TypeError(f"weights[{l}] must have the dtype and device of weights[0] ({weights[0].dtype} on "
                            f"{weights[0].device}), got {w.dtype} on {w.device}")
        if w.dim() not in (2, 3) or (w.dim() == 3 and w.shape[0] != R):
            raise ValueError(f"weights[{l}] must have shape (out, in) or ({R}, out, in) for {R} learning rates, "
                             f"got {tuple(w.shape)}")
    shapes = [tuple(w.shape[-2:]) for w in weights]
    for l in range(1, len(weights)):
        if shapes[l][1] != shapes[l - 1][0]:
            raise ValueError(f"weights[{l}] of shape {tuple(weights[l].shape)} does not follow weights[{l - 1}] "
                             f"of shape {tuple(weights[l - 1].shape)}")
    return shapes


class _Eq13Net:
    """State, buffers and one step of Eq 13 for :func:`train_deep_linear`, all on the weights' device.

    Layer ``l`` maps width ``in_l`` to ``out_l``; ``above[l] = W^n ... W^{l+1}`` (``R x N3 x out_l``)
    and ``below[l] = Delta (W^{l} ... W^1)^T`` (``R x N3 x in_l``) live in preallocated buffers, and
    the gradient of layer ``l`` is ``above[l]^T below[l]``. Square hidden layers of one width live in
    one ``(L, R, h, h)`` tensor with their ``above``/``below`` factors stacked the same way, so their
    update is one batched ``baddbmm``. :meth:`step` has no host synchronisation and no Python-side
    state, so it can be captured as a CUDA graph and replayed.
    """

    def __init__(self, task, weights, lrs, threshold, stop_margin, n_steps, every, group_bytes=0):
        R, n = lrs.size, len(weights)
        dtype, device = weights[0].dtype, weights[0].device
        opts = {"dtype": dtype, "device": device}
        # Exact change of input basis to the eigenvectors of Sigma11: W Sigma11 becomes a column scaling,
        # O(N3 N1) per step instead of O(N3 N1^2); the first layer is rotated back at the end.
        evals, Q = task.sigma11_eigh
        self.Qt = torch.as_tensor(Q, **opts)
        self.S11 = torch.as_tensor(evals, **opts)
        self.S31 = torch.as_tensor(task.sigma31 @ Q, **opts)
        self.y_sq = float(task.y_sq)
        self.lr = torch.as_tensor(lrs, **opts).view(R, 1, 1)
        n3 = weights[-1].shape[-2]
        h = weights[1].shape[-1] if n > 2 else None
        self.stacked = n > 2 and all(tuple(w.shape[-2:]) == (h, h) for w in weights[1:-1])
        first = weights[0].expand(R, *weights[0].shape[-2:]).clone() @ self.Qt
        last = weights[-1].expand(R, *weights[-1].shape[-2:]).clone()
        if self.stacked:
            L = n - 2
            # Filled layer by layer from the inputs: no per-layer batched copies exist alongside the stack.
            self.hidden = torch.empty((L, R, h, h), **opts)
            for l, w in enumerate(weights[1:-1]):
                self.hidden[l].copy_(w)
            self.above_h = torch.empty((L, R, n3, h), **opts)
            self.below_h = torch.empty((L, R, n3, h), **opts)
            middle = list(self.hidden.unbind(0))
            self.above = [torch.empty((R, n3, h), **opts)] + list(self.above_h.unbind(0))
            self.below = [None] + list(self.below_h.unbind(0))
        else:
            middle = [w.expand(R, *w.shape[-2:]).clone() for w in weights[1:-1]]
            self.above = [torch.empty((R, n3, w.shape[-2]), **opts) for w in weights[:-1]]
            self.below = [None] + [torch.empty((R, n3, w.shape[-1]), **opts) for w in weights[1:-1]]
        self.layers = [first] + middle + [last]
        per_rate = max(w.shape[-2] * w.shape[-1] for w in weights) * first.element_size()
        self.group = min(R, max(1, group_bytes // per_rate)) if group_bytes > 0 else 0
        self.below[0] = torch.empty((R, n3, first.shape[-1]), **opts)     # the error Delta
        self.below.append(torch.empty((R, n3, last.shape[-1]), **opts))
        self.product = torch.empty((R, n3, first.shape[-1]), **opts)
        self.threshold, self.stop_margin, self.n_steps = threshold, stop_margin, n_steps
        # Device-side bookkeeping, read back only by readback() and outcome().
        self.s = torch.zeros(1, dtype=torch.int64, device=device)
        self.stopped = torch.zeros(1, dtype=torch.bool, device=device)
        self.lr_eff = self.lr.clone()
        self.diverged = torch.zeros(R, dtype=torch.bool, device=device)
        self.learnt_at = torch.full((R,), math.inf, dtype=torch.float64, device=device)
        self.first_learnt = torch.full((1,), math.inf, dtype=torch.float64, device=device)
        self.n_rises = torch.zeros(R, dtype=torch.int64, device=device)
        e0 = self._error()
        self.limit = divergence_limit(e0, self.y_sq)
        self.prev = e0.clone()
        self.hist = torch.empty((every, R), **opts)      # error at step s in row s % every

    def _error(self):
        """Fill ``above`` and ``below[0] = Delta``; return ``E = sum ||y - W x||^2`` per rate, ``(R,)``."""
        above, layers, n = self.above, self.layers, len(self.layers)
        above[n - 2].copy_(layers[n - 1])
        for l in range(n - 2, 0, -1):
            torch.bmm(above[l], layers[l], out=above[l - 1])
        W = torch.bmm(above[0], layers[0], out=self.product)             # (R, N3, N1), input eigenbasis
        delta = torch.sub(self.S31, W * self.S11, out=self.below[0])
        return self.y_sq - (W * self.S31).sum((1, 2)) - (W * delta).sum((1, 2))

    def step(self):
        """One step: error and bookkeeping at step ``s``, then the update unless training has stopped."""
        self._bookkeeping(self._error())
        if self.group:
            self._update_layer_by_layer()
        else:
            self._update_batched()
        self.s.add_((~self.stopped).long())

    def _update_batched(self):
        """The whole chain below, then every layer's rank-N3 update (hidden layers in one ``baddbmm``)."""
        above, below, layers, n, lr = self.above, self.below, self.layers, len(self.layers), self.lr_eff
        for l in range(n - 1):
            torch.bmm(below[l], layers[l].transpose(1, 2), out=below[l + 1])
        below[0].mul_(lr)
        layers[0].baddbmm_(above[0].transpose(1, 2), below[0])
        if self.stacked:
            L, R, n3, h = self.above_h.shape
            self.below_h.mul_(lr)
            self.hidden.view(L * R, h, h).baddbmm_(self.above_h.view(L * R, n3, h).transpose(1, 2),
                                                   self.below_h.view(L * R, n3, h))
        else:
            for l in range(1, n - 1):
                below[l].mul_(lr)
                layers[l].baddbmm_(above[l].transpose(1, 2), below[l])
        layers[-1].add_(below[-1].mul_(lr))                               # above[n - 1] is the identity

    def _update_layer_by_layer(self):
        """Each layer updated, a group of rates at a time, right after the chain below has read it."""
        above, below, layers, n, lr = self.above, self.below, self.layers, len(self.layers), self.lr_eff
        R, G = lr.shape[0], self.group
        for l in range(n - 1):
            for a in range(0, R, G):
                g = slice(a, a + G)
                torch.bmm(below[l][g], layers[l][g].transpose(1, 2), out=below[l + 1][g])
                below[l][g].mul_(lr[g])
                layers[l][g].baddbmm_(above[l][g].transpose(1, 2), below[l][g])
        layers[-1].add_(below[-1].mul_(lr))

    def _bookkeeping(self, err):
        """At step ``s``: divergence, learning time, error rises and the stop rule, frozen once stopped.

        The same rules as :func:`train_deep_linear` states, as tensor ops (no host sync); once
        ``stopped`` is set the rate used by the update is zero, so further replays change nothing.
        """
        active = ~self.stopped
        s_f = self.s.double()
        self.diverged.logical_or_((~torch.isfinite(err) | (err > self.limit)) & active)
        stop = self.s == self.n_steps
        if self.threshold is not None:
            newly = (err <= self.threshold) & ~self.diverged & torch.isinf(self.learnt_at) & active
            self.learnt_at.copy_(torch.where(newly, s_f, self.learnt_at))
            self.first_learnt.copy_(torch.where(torch.isinf(self.first_learnt) & newly.any(), s_f, self.first_learnt))
            stop = stop | (self.diverged | torch.isfinite(self.learnt_at)).all()
            if self.stop_margin is not None:
                stop = stop | (s_f >= (1 + self.stop_margin) * self.first_learnt)
        self.n_rises.add_(((err > self.prev) & active & (self.s > 0)).long())
        self.prev.copy_(torch.where(active, err, self.prev))
        self.hist.index_copy_(0, torch.remainder(self.s, self.hist.shape[0]), err.view(1, -1))
        self.stopped.logical_or_(stop)
        torch.mul(self.lr, (~self.stopped).to(self.lr.dtype), out=self.lr_eff)

    def readback(self):
        """Synchronise; return (stopped, current step, error history indexed by ``step % every``)."""
        return bool(self.stopped.item()), int(self.s.item()), self.hist.cpu().numpy().copy()

    def outcome(self):
        """Learning times (``inf`` if never), divergence flags and error-rise counts, as NumPy arrays."""
        return tuple(x.cpu().numpy().copy() for x in (self.learnt_at, self.diverged, self.n_rises))

    def weights(self):
        """Final weights ``(R, out, in)``, the first layer rotated back from the input eigenbasis."""
        return [self.layers[0] @ self.Qt.T] + self.layers[1:]


def _capture_eq13_graph(step):
    """Capture one Eq 13 step as a CUDA graph; return ``(replay, "cuda-graph")``, or ``(None, reason)`` on failure.

    Capture records kernels without running them, so a failed capture leaves the state untouched
    and training goes on eagerly.
    """
    try:
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            step()
        return graph.replay, "cuda-graph"
    except Exception as exc:                       # any capture failure: fall back rather than lose the run
        reason = f"eager (CUDA graph capture failed: {type(exc).__name__}: {str(exc)[:200]})"
        warnings.warn(reason, RuntimeWarning, stacklevel=3)
        return None, reason
