"""The three-layer formulation from Python: reports equal the command line's --json, the
network's objective and outputs equal an independent numpy computation of the formula, weight
files of both kinds, and bad input."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

import convex_relu as cr
from convex_relu import datasets
from conftest import assert_reports_equal, cli_json_lines, run_cli

THREE_LAYER_KEYS = ["sub_width", "configs", "configurations", "pool_configurations", "sub_networks",
                    "column_generation_rounds", "enumeration_lps", "max_price"]


def np_predict(w1, w2, w3, x):
    """``f(X) = sum_k relu(relu(X W1_k) w2_k) w3_k``, written out in numpy (n x 1)."""
    f = np.zeros(x.shape[0])
    for k in range(w1.shape[0]):
        f += w3[k] * np.maximum(np.maximum(x @ w1[k], 0.0) @ w2[k], 0.0)
    return f.reshape(-1, 1)


def np_objective(w1, w2, w3, x, y, beta):
    """``1/2 ||f(X) - y||^2 + beta/2 sum_k (||w2_k||^2 + w3_k^2)`` in numpy."""
    r = np_predict(w1, w2, w3, x) - y
    return 0.5 * float(np.sum(r ** 2)) + 0.5 * beta * (float(np.sum(w2 ** 2)) + float(np.sum(w3 ** 2)))


def random_network3(rng, k=3, d=2, m1=2):
    w1 = rng.standard_normal((k, d, m1))
    w1 /= 1.5 * np.linalg.norm(w1.reshape(k, -1), axis=1)[:, None, None]  # ||W1_k||_F = 2/3 <= 1
    return cr.Network3(w1, rng.standard_normal((k, m1)), rng.standard_normal(k))


@pytest.mark.parametrize(
    "sub_width, configs, extra",
    [
        (1, "exact", []),                  # 30 configurations, the pool priced (certificate)
        (2, 10, []),                       # 10 sampled sub-networks + column generation from the pool
        (1, "exact", ["--backend", "scs", "--no-certify"]),  # SCS, no pricing (no lower bound)
    ],
)
def test_reference_matches_cli(sub_width, configs, extra):
    x, y = datasets.reference_1d()
    kw = {}
    if "--backend" in extra:
        kw["backend"] = "scs"
    if "--no-certify" in extra:
        kw["certify"] = False
    rep = cr.solve(x, y, 0.1, formulation="three-layer", sub_width=sub_width, configs=configs,
                   source=datasets.REFERENCE_1D_NAME, **kw)
    (cli,) = cli_json_lines("solve", "--data", "reference-1d", "--beta", "0.1", "--formulation", "three-layer",
                            "--sub-width", str(sub_width), "--configs", str(configs), *extra, "--json")
    ours = rep.to_dict()
    assert_reports_equal(ours, cli)
    assert list(ours)[-len(THREE_LAYER_KEYS):] == THREE_LAYER_KEYS
    assert rep.formulation == "three-layer" and rep.sub_width == sub_width
    net = rep.network
    assert isinstance(net, cr.Network3)
    assert net.width == rep.sub_networks == rep.width and net.sub_width == sub_width and net.d == 2
    # the report's upper bound is the recovered network's objective, recomputed in numpy
    assert np_objective(net.w1, net.w2, net.w3, x, y, 0.1) == pytest.approx(rep.upper_bound, rel=1e-12)
    assert np.all(np.linalg.norm(net.w1.reshape(net.width, -1), axis=1) <= 1 + 1e-9)
    assert "three-layer" in str(rep) and f"sub-width {sub_width}" in str(rep)
    if extra:
        assert not rep.certified and rep.lower_bound is None and rep.max_price is None
    else:
        assert rep.certified and rep.globally_optimal and rep.max_price <= 0.1 * (1 + 1e-6)
    if sub_width == 2:
        # a wider first layer helps: certified below the two-layer optimum 0.71707776
        assert rep.upper_bound < datasets.REFERENCE_1D_OPTIMUM - 0.05


def test_sampled_csv_no_certify_matches_cli(small_csv):
    """A CSV file, seeded sampling, no pool: an upper bound only (no certificate)."""
    x, y, path = small_csv
    (cli,) = cli_json_lines("solve", "--data", str(path), "--beta", "0.05", "--formulation", "three-layer",
                            "--sub-width", "2", "--configs", "40", "--seed", "3", "--no-certify",
                            "--tolerance", "1e-7", "--json")
    rep = cr.solve(x, y, 0.05, formulation="three-layer", sub_width=2, configs=40, seed=3, certify=False,
                   tolerance=1e-7, source=cli["data"])
    assert_reports_equal(rep.to_dict(), cli)
    assert not rep.certified and rep.lower_bound is None and rep.pool_configurations is None
    assert rep.configs == "sampled 40"
    net = rep.network
    assert np.allclose(net.predict(x), np_predict(net.w1, net.w2, net.w3, x), rtol=1e-12, atol=1e-14)
    assert net.objective(x, y, 0.05) == pytest.approx(rep.upper_bound, rel=1e-12)


def test_sub_width_one_is_the_two_layer_optimum():
    """With one first-layer neuron per sub-network, the three-layer model is a two-layer one
    (docs/three-layer.md): the certified optimum is the published two-layer optimum 0.71707776
    of the reference set, and the two-layer exact program agrees. (m1 = 2 goes below it:
    test_reference_matches_cli.)"""
    x, y = datasets.reference_1d()
    rep = cr.solve(x, y, 0.1, formulation="three-layer", sub_width=1, configs="exact")
    assert rep.certified and rep.globally_optimal
    assert rep.upper_bound == pytest.approx(datasets.REFERENCE_1D_OPTIMUM, abs=2e-7)
    assert rep.lower_bound <= datasets.REFERENCE_1D_OPTIMUM + 1e-7
    two = cr.solve(x, y, 0.1, formulation="exact")
    assert rep.upper_bound == pytest.approx(two.upper_bound, rel=1e-6)


def test_objective_and_predict_against_numpy():
    rng = np.random.default_rng(5)
    net = random_network3(rng, k=4, d=3, m1=3)
    x = rng.standard_normal((20, 3))
    y = rng.standard_normal((20, 1))
    assert np.allclose(net.predict(x), np_predict(net.w1, net.w2, net.w3, x), rtol=1e-13, atol=1e-14)
    assert net.objective(x, y, 0.3) == pytest.approx(np_objective(net.w1, net.w2, net.w3, x, y, 0.3), rel=1e-13)
    assert net.objective(x, y[:, 0], 0.0) == pytest.approx(0.5 * np.sum((np_predict(net.w1, net.w2, net.w3, x) - y) ** 2))
    # Fortran-ordered and integer inputs are read as the same numbers
    assert np.array_equal(net.predict(np.asfortranarray(x)), net.predict(x))
    assert np.array_equal(net.predict(np.ones((2, 3), dtype=int)), net.predict(np.ones((2, 3))))
    # the empty network (K = 0) is the zero function
    empty = cr.Network3(np.zeros((0, 3, 2)), np.zeros((0, 2)), np.zeros(0))
    assert np.array_equal(empty.predict(x), np.zeros((20, 1)))
    assert empty.objective(x, y, 1.0) == pytest.approx(0.5 * np.sum(y ** 2), rel=1e-14)


def test_objective_checks_the_norm_constraint():
    w1 = np.zeros((1, 2, 1))
    w1[0, 0, 0] = 1.5
    net = cr.Network3(w1, np.ones((1, 1)), np.ones(1))
    with pytest.raises(ValueError, match=r"sub-network 0: \|\|W1\|\|_F = 1.5 exceeds 1"):
        net.objective(np.ones((3, 2)), np.ones(3), 0.1)
    assert net.predict(np.ones((1, 2)))[0, 0] == pytest.approx(1.5)


def test_save_load_round_trip_and_overwrite(tmp_path):
    net = random_network3(np.random.default_rng(2))
    path = tmp_path / "net3.json"
    net.save(path)
    assert json.loads(path.read_text()) == net.to_dict()
    assert cr.Network3.load(path) == net
    back = cr.load(path)
    assert isinstance(back, cr.Network3) and back == net
    with pytest.raises(ValueError, match="already exists"):
        net.save(path)
    net.save(path, overwrite=True)
    assert pickle.loads(pickle.dumps(net)) == net
    # the two-layer kind through the same load()
    two = cr.Network(np.ones((2, 3)), np.ones((1, 3)))
    two.save(tmp_path / "net2.json")
    assert isinstance(cr.load(tmp_path / "net2.json"), cr.Network) and cr.load(tmp_path / "net2.json") == two


def test_loads_networks_the_cli_wrote(tmp_path):
    x, y = datasets.reference_1d()
    # train --layers 3 (non-convex baseline): the file's objective equals the command's, and numpy's
    trained = tmp_path / "train3.json"
    out = json.loads(run_cli("train", "--data", "reference-1d", "--beta", "0.1", "--layers", "3", "--sub-width", "2",
                             "--width", "3", "--restarts", "1", "--iterations", "200", "--quiet",
                             "--save-network", str(trained), "--json").stdout)
    net = cr.load(trained)
    raw = json.loads(trained.read_text())
    assert isinstance(net, cr.Network3) and net.width == 3 and net.sub_width == 2
    assert np.array_equal(net.w1, np.array(raw["w1"])) and np.array_equal(net.w3, np.array(raw["w3"]))
    assert net.objective(x, y, 0.1) == pytest.approx(out["objective"], rel=1e-9)
    assert net.objective(x, y, 0.1) == pytest.approx(np_objective(net.w1, net.w2, net.w3, x, y, 0.1), rel=1e-12)
    # solve --formulation three-layer --save-network: the same network as the package's run
    solved = tmp_path / "solve3.json"
    run_cli("solve", "--data", "reference-1d", "--beta", "0.1", "--formulation", "three-layer", "--sub-width", "1",
            "--configs", "exact", "--save-network", str(solved))
    rep = cr.solve(x, y, 0.1, formulation="three-layer", sub_width=1, configs="exact")
    cli_net = cr.Network3.load(solved)
    assert cli_net.width == rep.network.width
    assert np.allclose(cli_net.w1, rep.network.w1, rtol=1e-9, atol=1e-12)
    assert cli_net.objective(x, y, 0.1) == pytest.approx(rep.upper_bound, rel=1e-9)
    # the command line evaluates the package's file to the package's objective
    ours = tmp_path / "ours3.json"
    rep.network.save(ours)
    ev = json.loads(run_cli("evaluate", "--data", "reference-1d", "--beta", "0.1", "--network", str(ours),
                            "--json").stdout)
    assert ev["layers"] == 3 and ev["objective"] == pytest.approx(rep.network.objective(x, y, 0.1), rel=1e-12)


def test_bad_weight_files(tmp_path):
    two = tmp_path / "two.json"
    cr.Network(np.ones((2, 1)), np.ones((1, 1))).save(two)
    with pytest.raises(ValueError, match=r'field `format`: expected "convex-relu-network3".*two-layer network file'):
        cr.Network3.load(two)
    three = tmp_path / "three.json"
    random_network3(np.random.default_rng(0)).save(three)
    with pytest.raises(ValueError, match=r'field `format`: expected "convex-relu-network", found "convex-relu-network3"'):
        cr.Network.load(three)
    other = tmp_path / "other.json"
    other.write_text('{"format": "something-else", "version": 1}')
    with pytest.raises(ValueError, match=r'expected format "convex-relu-network" or "convex-relu-network3"'):
        cr.load(other)
    bad = tmp_path / "bad3.json"
    bad.write_text('{"format": "convex-relu-network3", "version": 1, "d": 2, "sub_width": 1, "width": 1, '
                   '"w1": [[[1], [0]]], "w2": [[1, 2]], "w3": [1]}')
    with pytest.raises(ValueError, match=r"bad3.json.*field `w2\[0\]`: expected 1 entries"):
        cr.load(bad)
    with pytest.raises(OSError):
        cr.load(tmp_path / "missing.json")


def _cli_error(*args):
    out = run_cli(*args, check=False)
    assert out.returncode != 0
    return out.stderr.strip().splitlines()[-1][len("error: "):]


def test_bad_input_raises_value_error_with_the_library_message():
    x, y = datasets.reference_1d()
    base = ("solve", "--data", "reference-1d", "--beta", "0.1", "--formulation", "three-layer")
    # the same messages as the command line
    with pytest.raises(ValueError) as e:
        cr.solve(x, y, 0.1, formulation="three-layer", sub_width=0)
    assert str(e.value) == _cli_error(*base, "--sub-width", "0")
    assert "must be at least 1, found 0" in str(e.value)
    with pytest.raises(ValueError) as e:
        cr.solve(x, y, 0.1, formulation="three-layer", sub_width=2, configs=0)
    assert str(e.value) == _cli_error(*base, "--sub-width", "2", "--configs", "0")
    with pytest.raises(ValueError) as e:
        cr.solve(x, y, 0.1, formulation="three-layer", sub_width=2, configs="many")
    assert str(e.value) == _cli_error(*base, "--sub-width", "2", "--configs", "many")
    # shapes
    with pytest.raises(ValueError, match=r"scalar output \(c = 1\), but the data has c = 2 outputs"):
        cr.solve(x, np.hstack([y, y]), 0.1, formulation="three-layer", sub_width=1)
    with pytest.raises(ValueError, match="X has 8 rows"):
        cr.solve(x, y[:5], 0.1, formulation="three-layer", sub_width=1)
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        cr.solve(x[:, 0], y, 0.1, formulation="three-layer", sub_width=1)
    # options that do not fit the formulation
    with pytest.raises(ValueError, match="needs sub_width"):
        cr.solve(x, y, 0.1, formulation="three-layer")
    with pytest.raises(ValueError, match="sub_width must be an integer"):
        cr.solve(x, y, 0.1, formulation="three-layer", sub_width=-1)
    with pytest.raises(ValueError, match="apply to formulation `three-layer` only"):
        cr.solve(x, y, 0.1, formulation="exact", sub_width=2)
    with pytest.raises(ValueError, match="exact_optimum applies to the two-layer formulations only"):
        cr.solve(x, y, 0.1, formulation="three-layer", sub_width=1, exact_optimum=True)
    with pytest.raises(ValueError, match="takes a single beta"):
        cr.solve_path(x, y, [1.0, 0.1], formulation="three-layer", sub_width=1)
    with pytest.raises(ValueError, match="cannot be exported without solving"):
        cr.export(x, y, 0.1, "three-layer", "never-written.json")
    # network shapes
    with pytest.raises(ValueError, match=r"w2 is 2 x 3 but w1 has 2 sub-networks of sub-width 2"):
        cr.Network3(np.ones((2, 2, 2)), np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match="w3 has 3 entries but w1 has 2 sub-networks"):
        cr.Network3(np.ones((2, 2, 2)), np.ones((2, 2)), np.ones(3))
    with pytest.raises(ValueError, match=r"w1 must be a 3-D array"):
        cr.Network3(np.ones((2, 2)), np.ones((2, 2)), np.ones(2))
    with pytest.raises(ValueError, match=r"w1\[0, 1, 0\] is not finite"):
        cr.Network3(np.array([[[1.0], [np.nan]]]), np.ones((1, 1)), np.ones(1))
    net = random_network3(np.random.default_rng(3), d=2)
    with pytest.raises(ValueError, match="X has 3 columns but the network expects d = 2"):
        net.predict(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"does not fit data"):
        net.objective(np.ones((4, 3)), np.ones(4), 0.1)
    with pytest.raises(ValueError, match=r"does not fit data"):
        net.objective(np.ones((4, 2)), np.ones((4, 2)), 0.1)


def test_report_pickles_with_its_network():
    """Reports travel between Dask workers by pickle."""
    x, y = datasets.reference_1d()
    rep = cr.solve(x, y, 0.1, formulation="three-layer", sub_width=1, configs="exact")
    back = pickle.loads(pickle.dumps(rep))
    assert back.to_dict() == rep.to_dict() and back.network == rep.network
