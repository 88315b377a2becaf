"""Stored outputs must not depend on the BLAS build: re-run a chapter with another OpenBLAS kernel forced.

Chapter 3 is the most sensitive one: its Fig 4 runs sit at the edge of stability, where learning times
follow the rounding, and its integrator errors depend on the floating-point kernels. With
``OPENBLAS_CORETYPE=Prescott`` (an old x86-64 kernel that every x86-64 CPU runs) and no cache, nbval must
still find every stored output.
"""

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="the Prescott kernel is x86-64 only")
def test_depth_chapter_passes_nbval_under_another_blas_kernel(tmp_path):
    env = {**os.environ, "OPENBLAS_CORETYPE": "Prescott", "LINDYN_NO_CACHE": "1",
           "LINDYN_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "chapters/depth.ipynb"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
