"""Shared fixtures: the command-line binary (for comparisons) and small data sets."""

from __future__ import annotations

import json
import os
import subprocess

# The system OpenBLAS behind the solvers reads this when the extension is loaded; the command
# line must run with the same value, or the last digits of the numbers differ (reduction order).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[3]

#: Report keys that are wall-clock timings (they differ between any two runs).
TIMINGS = {"compile_seconds", "solve_seconds", "certify_seconds", "seconds"}


def cli_path() -> Path:
    p = Path(os.environ.get("CONVEX_RELU_CLI", ROOT / "target" / "debug" / "convex-relu"))
    if not p.exists():
        pytest.fail(f"the command-line binary {p} is missing: run `cargo build --bin convex-relu` "
                    "(scripts/python-test.sh does) or set CONVEX_RELU_CLI")
    return p


def run_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    out = subprocess.run([str(cli_path()), *args], capture_output=True, text=True, env=env, timeout=300)
    # Exit 3 means "stopped early" (inaccurate, or a limit): the command still printed its full
    # report (the exit-code policy of the command line, docs/formats.md). Anything else is a failure.
    if check and out.returncode not in (0, 3):
        raise AssertionError(f"convex-relu {' '.join(args)} failed: {out.stderr}")
    return out


def cli_json_lines(*args: str) -> list:
    return [json.loads(line) for line in run_cli(*args).stdout.splitlines() if line.strip()]


def assert_reports_equal(ours: dict, theirs: dict, rel: float = 1e-9) -> None:
    """Same keys; equal strings, flags and counts; floats within ``rel`` (timings excluded)."""
    assert list(ours) == list(theirs)
    for k in ours:
        if k in TIMINGS:
            continue
        a, b = ours[k], theirs[k]
        if isinstance(a, float) or isinstance(b, float):
            assert a is not None and b is not None, k
            assert a == pytest.approx(b, rel=rel, abs=1e-12), k
        elif isinstance(a, dict):
            assert_reports_equal(a, b, rel)
        else:
            assert a == b, k


@pytest.fixture
def small_csv(tmp_path):
    """A 12 x 2 regression set (+ ones column) as arrays and as a CSV file the CLI reads."""
    rng = np.random.default_rng(7)
    x = np.hstack([rng.standard_normal((12, 2)), np.ones((12, 1))])
    y = np.tanh(x[:, 0] - 0.5 * x[:, 1]).reshape(-1, 1)
    path = tmp_path / "small.csv"
    with open(path, "w") as f:
        f.write("a,b,one,y\n")
        for row, t in zip(x, y[:, 0]):
            f.write(",".join(repr(float(v)) for v in row) + f",{float(t)!r}\n")
    return x, y, path
