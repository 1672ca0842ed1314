"""numpy input handling and error mapping."""

from __future__ import annotations

import numpy as np
import pytest

import convex_relu as cr
from convex_relu import datasets
from conftest import run_cli


def _ref():
    return datasets.reference_1d()


def _key(rep):
    d = rep.to_dict()
    return (d["objective"], d["lower_bound"], d["upper_bound"])


def test_fortran_strided_and_integer_inputs_give_the_same_report():
    x, y = _ref()
    base = _key(cr.solve(x, y, 0.1, formulation="exact"))
    assert _key(cr.solve(np.asfortranarray(x), np.asfortranarray(y), 0.1, formulation="exact")) == base
    wide = np.zeros((8, 4))
    wide[:, ::2] = x
    strided = wide[:, ::2]
    assert not strided.flags.c_contiguous and not strided.flags.f_contiguous
    assert _key(cr.solve(strided, y[:, 0], 0.1, formulation="exact")) == base
    assert _key(cr.solve(x.tolist(), y.ravel().tolist(), 0.1, formulation="exact")) == base
    xi = np.array([[1, 0], [0, 1], [1, 1], [2, 1]], dtype=np.int32)
    yi = np.array([1, 0, 2, 3], dtype=np.int64)
    a = cr.solve(xi, yi, 0.1, formulation="exact")
    b = cr.solve(xi.astype(float), yi.astype(float), 0.1, formulation="exact")
    assert _key(a) == _key(b)


@pytest.mark.parametrize(
    "x, y, message",
    [
        (np.ones(8), np.ones(8), "X must be a 2-D array"),
        (np.ones((8, 2, 1)), np.ones(8), "X must be a 2-D array"),
        (np.ones((8, 2)), np.ones((8, 1, 1)), "Y must be a 1-D or 2-D array"),
        (np.ones((8, 2)), np.ones(7), "X has 8 rows (samples) but Y has 7"),
        (np.ones((0, 2)), np.ones(0), "X is empty"),
        (np.ones((8, 2)) * 1j, np.ones(8), "X must be a real numeric array"),
        (np.array([["a", "b"]] * 8), np.ones(8), "X must be a real numeric array"),
    ],
)
def test_bad_shapes_and_dtypes(x, y, message):
    with pytest.raises(ValueError) as e:
        cr.solve(x, y, 0.1, formulation="exact")
    assert message in str(e.value)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_entries_are_named(bad):
    x, y = _ref()
    x = x.copy()
    x[3, 1] = bad
    with pytest.raises(ValueError, match=r"X\[3, 1\] is not finite"):
        cr.solve(x, y, 0.1)
    x, y = _ref()
    y = y.copy()
    y[5, 0] = bad
    with pytest.raises(ValueError, match=r"Y\[5, 0\] is not finite"):
        cr.solve(x, y, 0.1)


def _cli_error(*args):
    out = run_cli(*args, check=False)
    assert out.returncode != 0
    line = out.stderr.strip().splitlines()[-1]
    assert line.startswith("error: ")
    return line[len("error: "):]


def test_exceptions_carry_the_library_message():
    x, y = _ref()
    cli = _cli_error("solve", "--data", "reference-1d", "--beta", "0.1", "--formulation", "exact", "--backend", "dnn")
    with pytest.raises(ValueError) as e:
        cr.solve(x, y, 0.1, formulation="exact", backend="dnn")
    assert str(e.value) == cli
    cli = _cli_error("solve", "--data", "reference-1d", "--beta", "0.1", "--tolerance", "0")
    with pytest.raises(ValueError) as e:
        cr.solve(x, y, 0.1, tolerance=0.0)
    assert str(e.value) == cli
    with pytest.raises(ValueError, match="beta must be a positive number, found -1"):
        cr.solve(x, y, -1.0)
    with pytest.raises(ValueError, match="unknown backend `nope`"):
        cr.solve(x, y, 0.1, backend="nope")
    with pytest.raises(ValueError, match="unknown formulation `nope`"):
        cr.solve(x, y, 0.1, formulation="nope")
    with pytest.raises(ValueError, match="c = 2 outputs"):
        cr.solve(x, np.hstack([y, y]), 0.1, formulation="exact")


def test_solver_error_is_a_runtime_error():
    assert issubclass(cr.SolverError, RuntimeError)
    assert not issubclass(cr.SolverError, ValueError)


def test_limits_are_statuses_not_exceptions():
    x, y = _ref()
    rep = cr.solve(x, y, 0.1, formulation="sdp", max_iterations=2)
    assert rep.status == "iteration_limit"
    assert not rep.globally_optimal
