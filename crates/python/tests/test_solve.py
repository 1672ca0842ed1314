"""Reports from Python equal the command line's --json objects on the same data."""

from __future__ import annotations

import json

import numpy as np
import pytest

import convex_relu as cr
from convex_relu import datasets
from conftest import assert_reports_equal, cli_json_lines, run_cli


@pytest.mark.parametrize("formulation", ["exact", "sampled", "sdp", "gated"])
def test_reference_matches_cli(formulation):
    x, y = datasets.reference_1d()
    rep = cr.solve(x, y, 0.1, formulation=formulation, source=datasets.REFERENCE_1D_NAME, gates=8)
    (cli,) = cli_json_lines("solve", "--data", "reference-1d", "--beta", "0.1", "--formulation", formulation,
                            "--gates", "8", "--json")
    assert_reports_equal(rep.to_dict(), cli)
    assert rep.to_dict()["data"] == cli["data"]


def test_reference_optimum_independent():
    """The exact C-ReLU optimum of the reference set is the published 0.71707776, and the
    recovered network's objective recomputed in numpy is the report's upper bound."""
    x, y = datasets.reference_1d()
    rep = cr.solve(x, y, 0.1, formulation="exact", exact_optimum=True)
    assert rep.exact_optimum == pytest.approx(0.71707776, abs=2e-8)
    assert rep.certified and rep.globally_optimal
    assert rep.lower_bound <= rep.exact_optimum + 1e-7 <= rep.upper_bound + 2e-7
    net = rep.network
    f = np.maximum(x @ net.u, 0.0) @ net.v.T
    ours = 0.5 * np.sum((f - y) ** 2) + 0.05 * (np.sum(net.u ** 2) + np.sum(net.v ** 2))
    assert ours == pytest.approx(rep.upper_bound, rel=1e-12)
    assert net.objective(x, y, 0.1) == pytest.approx(ours, rel=1e-12)
    assert np.allclose(net.predict(x), f, rtol=1e-13, atol=1e-14)


def test_csv_data_and_scs_match_cli(small_csv):
    x, y, path = small_csv
    (cli,) = cli_json_lines("solve", "--data", str(path), "--beta", "0.05", "--formulation", "sdp",
                            "--backend", "scs", "--tolerance", "1e-6", "--seed", "3", "--json")
    rep = cr.solve(x, y, 0.05, formulation="sdp", backend="scs", tolerance=1e-6, seed=3, source=cli["data"])
    assert_reports_equal(rep.to_dict(), cli)


def test_report_is_frozen_and_json():
    x, y = datasets.reference_1d()
    rep = cr.solve(x, y, 0.1, formulation="exact")
    with pytest.raises(Exception):
        rep.status = "x"  # type: ignore[misc]
    assert json.loads(rep.to_json()) == rep.to_dict()
    assert "network" not in rep.to_dict()


def test_path_matches_cli():
    x, y = datasets.reference_1d()
    reps = cr.solve_path(x, y, [1.0, 0.1], formulation="sdp", backend="dnn", source=datasets.REFERENCE_1D_NAME)
    cli = cli_json_lines("solve", "--data", "reference-1d", "--beta", "1,0.1", "--formulation", "sdp",
                         "--backend", "dnn", "--json")
    assert len(reps) == len(cli) == 2
    for r, c in zip(reps, cli):
        assert_reports_equal(r.to_dict(), c, rel=1e-9)
    # The dnn backend picks its interior-point method on this small program; it does not
    # warm-start, and the report says so.
    assert reps[1].dnn_method == "ipm"
    assert any("solved from scratch" in n for n in reps[1].notes)
    with pytest.raises(ValueError, match="the beta path is empty"):
        cr.solve_path(x, y, [])


def test_tightness_matches_cli():
    x, y = datasets.reference_1d()
    rows = cr.tightness(x, y, 0.1, widths=[2], restarts=1, iterations=200)
    cli = json.loads(run_cli("tightness", "--data", "reference-1d", "--beta", "0.1", "--widths", "2",
                             "--restarts", "1", "--iterations", "200", "--json").stdout)
    assert [r["method"] for r in rows] == [r["method"] for r in cli["rows"]]
    for a, b in zip(rows, cli["rows"]):
        assert a["kind"] == b["kind"]
        assert a["value"] == pytest.approx(b["value"], rel=1e-9)
    exact = [r for r in rows if r["kind"] == "exact optimum"]
    assert exact and exact[0]["value"] == pytest.approx(0.71707776, abs=2e-8)


@pytest.mark.parametrize("formulation", ["sdp", "exact"])
def test_export_same_file_as_cli(tmp_path, formulation):
    x, y = datasets.reference_1d()
    ours = tmp_path / "ours.json"
    theirs = tmp_path / "cli.json"
    assert cr.export(x, y, 0.1, formulation, ours, source=datasets.REFERENCE_1D_NAME) == "json"
    run_cli("solve", "--data", "reference-1d", "--beta", "0.1", "--formulation", formulation, "--export", str(theirs))
    assert ours.read_text() == theirs.read_text()
    with pytest.raises(ValueError, match="already exists"):
        cr.export(x, y, 0.1, formulation, ours)
    cr.export(x, y, 0.2, formulation, ours, overwrite=True)
    assert ours.read_text() != theirs.read_text()


@pytest.mark.parametrize("ext", ["dat-s", "cbf"])
def test_linear_objective_exports_equal_the_cli(tmp_path, ext):
    """SDPA and CBF hold the quadratic objective in epigraph form (docs/formats.md): the package
    writes the same file as the command line."""
    x, y = datasets.reference_1d()
    ours = tmp_path / f"ours.{ext}"
    theirs = tmp_path / f"cli.{ext}"
    cr.export(x, y, 0.1, "sdp", ours, source=datasets.REFERENCE_1D_NAME)
    run_cli("solve", "--data", "reference-1d", "--beta", "0.1", "--formulation", "sdp", "--export", str(theirs))
    assert ours.read_text() == theirs.read_text()


def test_demo_matches_cli():
    ours = cr.demo(restarts=1, iterations=100)
    cli = json.loads(run_cli("demo", "--json", "--restarts", "1", "--iterations", "100").stdout)
    for key in ("exact", "sdp"):
        assert_reports_equal(ours[key], cli[key])
    assert ours["exact_optimum"] == pytest.approx(cli["exact_optimum"], rel=1e-9)


def test_dnn_method_matches_cli_and_is_never_ignored():
    x, y = datasets.reference_1d()
    for method in ("admm", "ipm", "ipm-working-set", "ssnal"):
        rep = cr.solve(x, y, 0.1, formulation="sdp", backend="dnn", dnn_method=method,
                       source=datasets.REFERENCE_1D_NAME)
        assert rep.dnn_method == method
        cli = cli_json_lines("solve", "--data", "reference-1d", "--beta", "0.1", "--formulation", "sdp",
                             "--backend", "dnn", "--dnn-method", method, "--json")
        assert_reports_equal(rep.to_dict(), cli[0], rel=1e-9)
    with pytest.raises(ValueError, match="backend dnn only"):
        cr.solve(x, y, 0.1, formulation="sdp", backend="clarabel", dnn_method="ipm")
    with pytest.raises(ValueError, match="backend dnn only"):
        cr.solve(x, y, 0.1, formulation="exact", backend="dnn", dnn_method="ipm")
    with pytest.raises(ValueError, match="auto, admm, ipm, ipm-working-set or ssnal"):
        cr.solve(x, y, 0.1, formulation="sdp", backend="dnn", dnn_method="newton")
    rows = cr.tightness(x, y, 0.1, backend="dnn", dnn_method="admm", widths=[2], restarts=1, iterations=100)
    assert any(r["kind"] == "certified lower bound" for r in rows)
