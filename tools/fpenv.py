"""Run a command under another floating-point environment than this CPU's best, and prove it took effect.

Used by ``.ci/run`` to re-execute every chapter as a reader with another CPU would: numpy with its best
SIMD group on this CPU switched off (``NPY_DISABLE_CPU_FEATURES``: numpy 2.4 takes group names such as
``X86_V4``; it ignores other names with only a hidden ImportWarning, hence the check), torch's
vectorised kernels at their baseline (``ATEN_CPU_CAPABILITY=default``), MKL's conditional numerical
reproducibility at its compatible path (``MKL_CBWR=COMPATIBLE``) and an old OpenBLAS kernel
(``OPENBLAS_CORETYPE=Prescott``: SSE3, no FMA; left alone where the machine already sets one).

    python tools/fpenv.py -- python -m pytest chapters
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

PROBE = """
import json, numpy, torch, threadpoolctl
from numpy._core._multiarray_umath import __cpu_features__ as f
blas = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas" and "openblas" in i.get("internal_api", "")]
print(json.dumps({"numpy_features": {k: v for k, v in f.items() if k.startswith("X86_") or k.startswith("AVX512_")},
                  "torch_capability": torch.backends.cpu.get_cpu_capability(),
                  "openblas": sorted({i.get("architecture") for i in blas})}))
"""


def _probe(env):
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def other_environment():
    """``(env, report)``: the environment to run under and a description of what it switches off."""
    base = dict(os.environ)
    here = _probe(base)
    found = [g for g in ("X86_V4", "X86_V3") if here["numpy_features"].get(g)]
    x86 = platform.machine() in ("x86_64", "AMD64")
    disable = found[:1] + ([g for g in ("AVX512_ICL", "AVX512_SPR") if here["numpy_features"].get(g)]
                           if found[:1] == ["X86_V4"] else [])
    env = {**base, "ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "COMPATIBLE"}
    if disable:
        env["NPY_DISABLE_CPU_FEATURES"] = " ".join(disable)
    if x86:
        env.setdefault("OPENBLAS_CORETYPE", "Prescott")
    there = _probe(env)
    if any(there["numpy_features"].get(g) for g in disable):
        raise SystemExit(f"fpenv: NPY_DISABLE_CPU_FEATURES={env['NPY_DISABLE_CPU_FEATURES']} did not take effect")
    if there["torch_capability"].upper() != "DEFAULT":
        raise SystemExit(f"fpenv: ATEN_CPU_CAPABILITY=default did not take effect ({there['torch_capability']})")
    if x86 and here["openblas"] == there["openblas"] and "OPENBLAS_CORETYPE" not in base:
        raise SystemExit(f"fpenv: OPENBLAS_CORETYPE={env['OPENBLAS_CORETYPE']} did not change the kernel "
                         f"({there['openblas']})")
    report = (f"numpy SIMD {', '.join(disable) or '(no dispatched group to switch off)'} off; torch {here['torch_capability']} -> "
              f"{there['torch_capability']}; OpenBLAS {'/'.join(map(str, here['openblas']))} -> "
              f"{'/'.join(map(str, there['openblas']))}; MKL_CBWR=COMPATIBLE")
    return env, report


def main(argv):
    if "--" not in argv or argv.index("--") == len(argv) - 1:
        raise SystemExit("usage: python tools/fpenv.py -- COMMAND [ARGS...]")
    command = argv[argv.index("--") + 1:]
    env, report = other_environment()
    print(f"fpenv: {report}", flush=True)
    return subprocess.run(command, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
