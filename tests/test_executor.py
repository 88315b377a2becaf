"""The sweeps' executor (lindyn.executor): the same numbers serially, on a spawned process pool and on a
dask.distributed LocalCluster, and a killed worker costs nothing but a rerun."""

import os
import signal

import numpy as np
import pytest

from lindyn import executor, results
from lindyn.experiments import fig4, fig6a

distributed = pytest.importorskip("distributed")


def small_fig6a():
    """Twelve quick (scheme, depth, seed) parts of the laptop Fig 6A."""
    return {**fig6a.config("laptop"), "input_pcs": 6, "width": 8, "depths": [3, 4], "seeds": [0, 1], "rate_steps": 2,
            "n_steps": 100, "max_extend": 0, "pre_max_steps": 100}


def small_fig4():
    return {**fig4.config("laptop"), "depths": [3, 5], "seeds": [0, 1], "paper_rates": [1e-5, 1e-6],
            "refined_rates": 2, "n_steps": 200}


def rows(result):
    """The computed rows without their wall times (the only entries that may differ between runs)."""
    return sorted(([{k: v for k, v in r.items() if k != "wall_s"} for r in result.data["rows"]]),
                  key=lambda r: str([r.get("scheme"), r["depth"], r["seed"]]))


DIAGNOSTICS = ("initial_error", "end_to_end", "hidden_quantiles")
"""Float64 diagnostics computed after training (BLAS sums of at most ~1e3 terms): their last bits follow
the BLAS kernel's summation order, which may depend on the process's thread pool and the arrays'
alignment, so they are compared to 1e-9 relative (round-off is ~1e-13). Everything the dynamics decide
(learning times, divergence, error rises, rates, steps) must be identical."""


def differences(a, b):
    """(scheme, depth, seed, field) of every entry that differs between two runs' rows."""
    out = []
    for x, y in zip(rows(a), rows(b)):
        for k in x:
            same = (np.allclose(np.asarray(x[k], float), np.asarray(y[k], float), rtol=1e-9, atol=0)
                    if k in DIAGNOSTICS else x[k] == y[k])
            if not same:
                out.append((x.get("scheme"), x["depth"], x["seed"], k))
    return out


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None) as c:
        yield c


def test_bad_arguments():
    with pytest.raises(ValueError, match="workers"):
        executor.map_parts(abs, [(1,)], str, workers=0)
    with pytest.raises(ValueError, match="start_method"):
        executor.map_parts(abs, [(1,)], str, start_method="thread")
    with pytest.raises(ValueError, match="scheduler"):
        executor.map_parts(abs, [(1,)], str, scheduler=8786)
    with pytest.raises(ValueError, match="uniquely"):
        executor.map_parts(abs, [(1,), (-1,)], lambda p: "same")


def test_fig6a_and_fig4_identical_serial_spawn_pool_and_dask(cluster):
    cfg = small_fig6a()
    serial = fig6a.run(cfg, progress=False)
    pool = fig6a.run(cfg, progress=False, workers=2)          # spawn start method
    with distributed.Client(cluster) as client:
        dask = fig6a.run(cfg, progress=False, scheduler=client)
        f4_dask = fig4.run(small_fig4(), progress=False, scheduler=client)
    assert len(rows(pool)) == len(rows(serial)) == len(rows(dask))
    assert differences(pool, serial) == []
    assert differences(dask, serial) == []
    assert "process pool" in pool.provenance["executor"] and "dask" in dask.provenance["executor"]
    f4 = fig4.run(small_fig4(), progress=False)
    assert f4_dask.data["rows"] == f4.data["rows"]


class KillOnce(results.Checkpoint):
    """A checkpoint that kills one Dask worker process (SIGKILL) when the first part arrives: mid-run."""

    pids = ()
    killed = None

    def put(self, part, value):
        super().put(part, value)
        if self.killed is None and self.pids:
            KillOnce.killed = self.pids[0]
            os.kill(self.pids[0], signal.SIGKILL)


def test_kill_a_worker_mid_run_then_resume(cluster, tmp_path):
    cfg = small_fig6a()
    reference = fig6a.run(cfg, progress=False)
    path = tmp_path / "fig6a.partial.json"
    with distributed.Client(cluster) as client:
        KillOnce.pids = list(client.run(os.getpid).values())
        ckpt = KillOnce(path, fig6a.NAME, cfg)
        try:
            fig6a.run(cfg, progress=False, scheduler=client, checkpoint=ckpt)
        except Exception:                   # a KilledWorker, or any loss: the rerun below must repair it
            pass
        assert KillOnce.killed is not None
        stored_before = len(results.Checkpoint(path, fig6a.NAME, cfg).parts)
        assert stored_before >= 1
        client.wait_for_workers(1, timeout=60)
        resumed = fig6a.run(cfg, progress=False, scheduler=client, checkpoint=results.Checkpoint(path, fig6a.NAME, cfg))
    assert len(rows(resumed)) == len(rows(reference))
    assert differences(resumed, reference) == []
