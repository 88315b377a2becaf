"""Re-key committed result files after a change of the key's canonical form, and seal their data.

For each ``results/*.json`` (not benchmarks), the stored configuration must equal today's
``config(scale)`` of its experiment to 1e-12 relative (so nothing about the experiment changed); then
its ``key`` is recomputed with :func:`lindyn.results.result_key` and ``data_sha256`` is added. A file
whose configuration differs is left untouched and reported: it needs a re-run, not a new key.

    python tools/rekey_results.py [FILE ...]
"""

import json
import sys
from pathlib import Path

from lindyn import experiments, results

ROOT = Path(__file__).resolve().parents[1]


def _expected(name, scale, config):
    """Today's configuration of a committed file: ``config(scale)``, or for the custom-scale Fig 4
    cross-check the benchmark script's ``fullwidth_config``."""
    if scale != "custom":
        return experiments.get(name).config(scale)
    import importlib.util

    spec = importlib.util.spec_from_file_location("fig4_fullwidth", ROOT / "benchmarks" / "fig4_fullwidth.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.fullwidth_config(config["dtype"])


def rekey(path):
    payload = json.loads(path.read_text(encoding="utf-8"))
    name, scale = payload["experiment"], payload["scale"]
    expected = _expected(name, scale, payload["config"])
    if not results.configs_equal(payload["config"], expected):
        return f"{path.name}: its config differs from {name}.config({scale!r}): re-run it, not re-keyed"
    old = payload.get("key")
    payload["key"] = results.result_key(name, payload["config"])
    payload["data_sha256"] = results.data_digest(payload["data"])
    order = ["schema", "experiment", "scale", "key", "data_sha256", "config", "provenance", "data"]
    results.write_json_atomic(path, {k: payload[k] for k in order})
    results.load(path)
    return f"{path.name}: key {old} -> {payload['key']}, sealed"


if __name__ == "__main__":
    paths = [Path(p) for p in sys.argv[1:]] or sorted(p for p in (ROOT / "results").glob("*.json")
                                                     if not p.name.startswith("bench_"))
    for p in paths:
        print(rekey(p))
