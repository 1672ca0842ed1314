"""examples/sweep_dask.py on a two-worker LocalCluster (thread workers, so it cannot hang on
process start-up), against direct solves."""

from __future__ import annotations

import csv
import importlib.util
import json

import pytest

import convex_relu as cr
from conftest import ROOT


def _example():
    spec = importlib.util.spec_from_file_location("sweep_dask", ROOT / "examples" / "sweep_dask.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_sweep_on_local_cluster(tmp_path):
    mod = _example()
    out_csv, out_json = tmp_path / "t.csv", tmp_path / "t.json"
    rows = mod.main(["--data", "reference-1d,synthetic:10:2:1", "--betas", "1,0.1", "--seeds", "0,1",
                     "--formulation", "sdp", "--workers", "2", "--threads",
                     "--csv", str(out_csv), "--json", str(out_json)])
    assert len(rows) == 8
    assert [r["index"] for r in rows] == list(range(8))
    assert all(r["error"] is None for r in rows)
    table = list(csv.DictReader(open(out_csv)))
    assert len(table) == 8
    assert json.load(open(out_json)) == rows
    for r in rows:
        x, y, source = mod.load_data(r["data"])
        rep = cr.solve(x, y, r["beta"], seed=r["seed"], formulation="sdp", source=source)
        assert r["upper_bound"] == pytest.approx(rep.upper_bound, rel=1e-9)
        assert r["lower_bound"] == pytest.approx(rep.lower_bound, rel=1e-9)
    # A bad grid point is a row with an error, not a failed sweep.
    bad = mod.run_instance({"index": 0, "data": "synthetic:0:2:1", "beta": 0.1, "seed": 0}, {})
    assert "ValueError" in bad["error"]
