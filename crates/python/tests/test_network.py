"""Network weight files in the command line's format."""

from __future__ import annotations

import json

import numpy as np
import pytest

import convex_relu as cr
from convex_relu import datasets
from conftest import run_cli


def test_cli_saved_network_loads_and_predicts(tmp_path):
    path = tmp_path / "net.json"
    run_cli("solve", "--data", "reference-1d", "--beta", "0.1", "--formulation", "exact", "--save-network", str(path))
    net = cr.Network.load(path)
    raw = json.loads(path.read_text())
    assert np.array_equal(net.u, np.array(raw["u"])) and np.array_equal(net.v, np.array(raw["v"]))
    x, y = datasets.reference_1d()
    expected = np.maximum(x @ np.array(raw["u"]), 0) @ np.array(raw["v"]).T
    assert np.allclose(net.predict(x), expected, rtol=1e-13, atol=1e-15)
    rep = cr.solve(x, y, 0.1, formulation="exact")
    assert net.objective(x, y, 0.1) == pytest.approx(rep.upper_bound, rel=1e-9)


def test_save_load_round_trip_and_overwrite(tmp_path):
    rng = np.random.default_rng(1)
    net = cr.Network(rng.standard_normal((3, 5)), rng.standard_normal((2, 5)))
    path = tmp_path / "w.json"
    net.save(path)
    back = cr.Network.load(path)
    assert back == net
    assert json.loads(path.read_text()) == net.to_dict()
    with pytest.raises(ValueError, match="already exists"):
        net.save(path)
    net.save(path, overwrite=True)


def test_bad_weight_files_and_shapes(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"format": "convex-relu-network", "version": 1, "d": 2, "c": 1, "width": 1, "u": [[1]], "v": [[1]]}')
    with pytest.raises(ValueError, match="bad.json"):
        cr.Network.load(path)
    with pytest.raises(OSError):
        cr.Network.load(tmp_path / "missing.json")
    with pytest.raises(ValueError, match="U has 2 columns"):
        cr.Network(np.ones((3, 2)), np.ones((1, 3)))
    net = cr.Network(np.ones((3, 2)), np.ones((1, 2)))
    with pytest.raises(ValueError, match="X has 2 columns but the network expects d = 3"):
        net.predict(np.ones((4, 2)))
