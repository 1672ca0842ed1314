"""The scikit-learn estimators: the library's numbers, and scikit-learn's estimator checks."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import check_estimator

import convex_relu as cr
from convex_relu import datasets
from convex_relu.sklearn import ConvexReLUClassifier, ConvexReLURegressor

# Checks expected to fail, with the reason (none at present: every applicable check passes).
# scikit-learn itself skips the pandas checks (pandas is not a test dependency) and the array-API
# check (SCIPY_ARRAY_API unset); the sample_weight checks do not apply (fit takes no weights).
REGRESSOR_SKIPS: dict = {}
CLASSIFIER_SKIPS: dict = {}


@pytest.mark.parametrize("est", [ConvexReLURegressor(), ConvexReLUClassifier()], ids=["regressor", "classifier"])
def test_check_estimator(est):
    skips = REGRESSOR_SKIPS if isinstance(est, ConvexReLURegressor) else CLASSIFIER_SKIPS
    check_estimator(est, expected_failed_checks=skips)


def test_regressor_equals_solve():
    x, y = datasets.reference_1d()
    reg = ConvexReLURegressor(beta=0.1, formulation="exact", fit_bias=False, certify=True).fit(x, y[:, 0])
    rep = cr.solve(x, y, 0.1, formulation="exact")
    assert reg.report_.upper_bound == pytest.approx(rep.upper_bound, rel=1e-12)
    assert reg.report_.globally_optimal
    assert np.allclose(reg.predict(x), rep.network.predict(x)[:, 0])
    # fit_bias appends the ones column itself: same problem on the bias-free features.
    reg2 = ConvexReLURegressor(beta=0.1, formulation="exact", certify=True).fit(x[:, :1], y[:, 0])
    assert reg2.report_.upper_bound == pytest.approx(rep.upper_bound, rel=1e-9)
    back = pickle.loads(pickle.dumps(reg2))
    assert np.array_equal(back.predict(x[:, :1]), reg2.predict(x[:, :1]))
    assert clone(reg2).get_params() == reg2.get_params()
    reg2.set_params(beta=1.0)
    assert reg2.beta == 1.0


def test_classifier_binary_and_multiclass():
    rng = np.random.default_rng(0)
    centres = np.array([[3.0, 0.0], [-3.0, 0.0], [0.0, 3.0]])
    lab = np.repeat(np.array(["a", "b", "c"]), 8)
    x = centres[np.repeat(np.arange(3), 8)] + 0.3 * rng.standard_normal((24, 2))
    two = lab != "c"
    clf = ConvexReLUClassifier(beta=0.01).fit(x[two], lab[two])
    assert list(clf.classes_) == ["a", "b"]
    assert clf.score(x[two], lab[two]) == 1.0
    ovr = ConvexReLUClassifier(beta=0.01).fit(x, lab)
    assert len(ovr.reports_) == 3 and ovr.score(x, lab) == 1.0
    sdp = ConvexReLUClassifier(beta=0.01, formulation="sdp").fit(x, lab)
    assert len(sdp.reports_) == 1 and sdp.report_.c == 3
    assert sdp.score(x, lab) == 1.0
    with pytest.raises(ValueError, match="at least 2 classes"):
        ConvexReLUClassifier().fit(x, np.zeros(24))
