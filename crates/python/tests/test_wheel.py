"""The built wheel in a fresh virtual environment: import, solve the reference instance, and
print the same certified report as `convex-relu demo`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import run_cli

SCRIPT = r"""
import json, convex_relu
from convex_relu import datasets
x, y = datasets.reference_1d()
r = convex_relu.solve(x, y, 0.1, formulation="exact", exact_optimum=True, source=datasets.REFERENCE_1D_NAME)
s = convex_relu.solve(x, y, 0.1, formulation="sdp", source=datasets.REFERENCE_1D_NAME)
print(r)
print(json.dumps({"exact": r.to_dict(), "sdp": s.to_dict()}))
"""


def test_wheel_in_fresh_venv(tmp_path):
    wheel = os.environ.get("CONVEX_RELU_WHEEL")
    if not wheel:
        pytest.skip("CONVEX_RELU_WHEEL is not set (scripts/python-test.sh sets it)")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    pip = subprocess.run([str(py), "-m", "pip", "install", "-q", wheel], capture_output=True, text=True, timeout=600)
    assert pip.returncode == 0, pip.stderr
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    out = subprocess.run([str(py), "-c", SCRIPT], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "solved to global optimality" in out.stdout
    got = json.loads(out.stdout.strip().splitlines()[-1])
    demo = json.loads(run_cli("demo", "--json", "--restarts", "1", "--iterations", "100").stdout)
    for key in ("objective", "lower_bound", "upper_bound", "gap", "certified", "globally_optimal", "exact_optimum"):
        a, b = got["exact"][key], demo["exact"][key]
        assert a == pytest.approx(b, rel=1e-9) if isinstance(a, float) else a == b, key
    for key in ("objective", "lower_bound", "upper_bound", "certified"):
        a, b = got["sdp"][key], demo["sdp"][key]
        assert a == pytest.approx(b, rel=1e-9) if isinstance(a, float) else a == b, key
    assert got["exact"]["exact_optimum"] == pytest.approx(0.71707776, abs=2e-8)
