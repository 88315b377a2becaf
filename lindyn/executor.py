"""One way to run the independent parts of a sweep: serially, on a local process pool, or on a Dask cluster.

The sweeps of Fig 4 and Fig 6A are maps over independent parts (a (seed, depth) or a
(scheme, depth, seed)): no part reads another's result. :func:`map_parts` runs such a map on

- the calling process (``workers=1``, no scheduler);
- a local pool of ``workers`` processes started with ``start_method`` (default ``"spawn"``, the only
  method on Windows and the default on macOS, so a sweep that runs here runs there);
- a ``dask.distributed`` cluster: ``scheduler="tcp://HOST:8786"`` (an address) or a
  ``distributed.Client``. Dask schedules, retries the tasks of a worker that dies and moves data; this
  module writes no scheduler of its own.

Every part runs with one torch thread (the parts are the parallelism; several threads per part would
oversubscribe the cores), in the calling process as in a worker, so a part's numbers do not depend on
where it ran. Each finished part is stored at once in the run's keyed :class:`lindyn.results.Checkpoint`
by the calling process alone (one writer), so a rerun after an interruption, a killed worker or a lost
cluster computes only the parts still missing.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing

from tqdm import tqdm

__all__ = ["map_parts", "run_part", "describe"]

START_METHODS = ("spawn", "forkserver", "fork")


def run_part(func, args):
    """``func(*args)`` with one torch thread and, where threadpoolctl is installed, one BLAS thread for
    NumPy (the previous settings restored): how every part runs."""
    import contextlib

    import torch

    try:
        from threadpoolctl import threadpool_limits

        blas = threadpool_limits(1, user_api="blas")
    except ImportError:                             # pragma: no cover - optional
        blas = contextlib.nullcontext()
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with blas:
            return func(*args)
    finally:
        torch.set_num_threads(old)


def _client(scheduler):
    """A ``distributed.Client`` for ``scheduler`` (an address or a client), and whether we opened it."""
    try:
        import distributed
    except ImportError as exc:                      # pragma: no cover - dask is a dependency of the book
        raise ImportError("scheduler needs dask.distributed (pip install 'distributed')") from exc
    if isinstance(scheduler, distributed.Client):
        return scheduler, False
    if isinstance(scheduler, str) and scheduler:
        return distributed.Client(scheduler), True
    raise ValueError(f"scheduler must be an address such as 'tcp://HOST:8786' or a distributed.Client, "
                     f"got {scheduler!r}")


def describe(workers=1, scheduler=None):
    """How :func:`map_parts` runs with these arguments, in words (stored in provenance)."""
    if scheduler is not None:
        address = getattr(scheduler, "scheduler", None)
        address = getattr(address, "address", None) or scheduler
        return f"dask.distributed at {address}"
    return "serial" if workers == 1 else f"local process pool, {workers} workers"


def map_parts(func, parts, key, *, workers=1, scheduler=None, checkpoint=None, start_method="spawn",
              progress=None, desc="parts"):
    """Run ``func(*part)`` for every part not already in ``checkpoint``; return ``{key(part): value}``.

    Parameters
    ----------
    func : callable
        A module-level function (it is pickled by reference for a pool or a cluster); its arguments and
        its JSON-serialisable return value must pickle.
    parts : list of tuple
        The arguments of each call.
    key : callable
        ``key(part)``: the part's name in the checkpoint (a string, unique).
    workers : int
        ``1``: run in this process; ``> 1``: a local process pool of that size. Ignored with ``scheduler``.
    scheduler : str or distributed.Client, optional
        Run on this Dask cluster instead.
    checkpoint : lindyn.results.Checkpoint, optional
        Parts found there are not recomputed; each finished part is stored there as it arrives.
    start_method : {"spawn", "forkserver", "fork"}
        How a local pool starts its processes.
    progress : bool, optional
    desc : str

    Returns
    -------
    dict
        ``{key(part): value}`` for every part, in the order of ``parts``.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    if start_method not in START_METHODS:
        raise ValueError(f"start_method must be one of {list(START_METHODS)}, got {start_method!r}")
    names = [str(key(p)) for p in parts]
    if len(set(names)) != len(names):
        raise ValueError("key(part) must name every part uniquely")
    done = {}
    if checkpoint is not None:
        done = {n: checkpoint.get(n) for n in names if n in checkpoint}
    todo = [(n, p) for n, p in zip(names, parts) if n not in done]
    bar = tqdm(total=len(parts), initial=len(parts) - len(todo), disable=None if progress is None else not progress,
               desc=desc)

    def finish(name, value):
        done[name] = value
        if checkpoint is not None:
            checkpoint.put(name, value)
        bar.update(1)

    try:
        if scheduler is not None and todo:
            client, opened = _client(scheduler)
            try:
                import distributed

                # pure=False: a rerun submits fresh tasks instead of finding a failed one under the same key
                futures = {client.submit(run_part, func, p, pure=False): n for n, p in todo}
                for fut in distributed.as_completed(futures):
                    finish(futures[fut], fut.result())
            finally:
                if opened:
                    client.close()
        elif workers > 1 and len(todo) > 1:
            ctx = multiprocessing.get_context(start_method)
            with cf.ProcessPoolExecutor(min(workers, len(todo)), mp_context=ctx) as pool:
                futures = {pool.submit(run_part, func, p): n for n, p in todo}
                for fut in cf.as_completed(futures):
                    finish(futures[fut], fut.result())
        else:
            for n, p in todo:
                finish(n, run_part(func, p))
    finally:
        bar.close()
    return {n: done[n] for n in names}

