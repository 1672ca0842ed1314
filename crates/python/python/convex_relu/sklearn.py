"""scikit-learn estimators over :func:`convex_relu.solve`.

``ConvexReLURegressor`` and ``ConvexReLUClassifier`` train a two-layer ReLU network
``f(X) = relu([X, 1] U) V^T`` (the ones column when ``fit_bias``) by one convex program and keep
the run's :class:`convex_relu.Report` in ``report_`` (certified lower bound, the network's
objective, the gap). The objective is the library's (sums, not means)::

    1/2 ||f(X) - y||^2 + beta/2 (||U||_F^2 + ||V||_F^2)

so ``beta`` scales with the number of samples differently from scikit-learn's ``alpha`` (a mean).

Classifier targets: two classes are encoded -1/+1 (the first of ``classes_`` is -1) and predicted
by the sign of ``f``; with more classes the C-ReLU formulations fit one network per class
(one-vs-rest, ``reports_`` holds one report each) and the SDP formulations fit one network with
one output per class (one-hot targets); the predicted class is the argmax.

Defaults favour speed: ``formulation="sampled"`` (64 Gaussian gates, a real network, an upper
bound) and ``certify=False``. Use ``formulation="exact"`` or ``"sdp"`` with ``certify=True`` for
certified bounds on small data.
"""

from __future__ import annotations

from typing import Any, List, Optional

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from . import Report, solve

__all__ = ["ConvexReLURegressor", "ConvexReLUClassifier"]


class _Base(BaseEstimator):
    def __init__(
        self,
        beta: float = 0.1,
        *,
        formulation: str = "sampled",
        backend: str = "clarabel",
        gates: int = 64,
        fit_bias: bool = True,
        certify: bool = False,
        tolerance: Optional[float] = None,
        max_iterations: Optional[int] = None,
        time_limit: Optional[float] = None,
        seed: int = 0,
    ) -> None:
        self.beta = beta
        self.formulation = formulation
        self.backend = backend
        self.gates = gates
        self.fit_bias = fit_bias
        self.certify = certify
        self.tolerance = tolerance
        self.max_iterations = max_iterations
        self.time_limit = time_limit
        self.seed = seed

    def _features(self, X: np.ndarray) -> np.ndarray:
        if self.fit_bias:
            return np.hstack([X, np.ones((X.shape[0], 1))])
        return X

    def _solve(self, X: np.ndarray, Y: np.ndarray, targets: str) -> Report:
        rep = solve(
            self._features(X), Y, self.beta,
            formulation=self.formulation, backend=self.backend, gates=self.gates,
            certify=self.certify, tolerance=self.tolerance, max_iterations=self.max_iterations,
            time_limit=self.time_limit, seed=self.seed, targets=targets,
        )
        if rep.network is None:
            raise ValueError(
                f"the {self.formulation} run produced no network (status {rep.status}); "
                "use formulation exact, sampled or sdp"
            )
        return rep

    def _outputs(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "networks_")
        X = validate_data(self, X, reset=False, dtype=np.float64)
        F = self._features(X)
        return np.hstack([net.predict(F) for net in self.networks_])


class ConvexReLURegressor(RegressorMixin, _Base):
    """Regression by a two-layer ReLU network trained through a convex program.

    Attributes after ``fit``: ``report_`` (:class:`convex_relu.Report`), ``network_``,
    ``n_features_in_``.
    """

    def fit(self, X: Any, y: Any) -> "ConvexReLURegressor":
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        rep = self._solve(X, y.reshape(-1, 1), "numeric")
        self.report_ = rep
        self.network_ = rep.network
        self.networks_ = [rep.network]
        return self

    def predict(self, X: Any) -> np.ndarray:
        return self._outputs(X)[:, 0]


class ConvexReLUClassifier(ClassifierMixin, _Base):
    """Classification by a two-layer ReLU network trained through a convex program.

    Attributes after ``fit``: ``classes_``, ``report_`` (the first/only run), ``reports_`` (one
    per network), ``network_``, ``networks_``, ``n_features_in_``.
    """

    def fit(self, X: Any, y: Any) -> "ConvexReLUClassifier":
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        classes, idx = np.unique(y, return_inverse=True)
        if classes.size < 2:
            raise ValueError(f"the classifier needs at least 2 classes in y, found 1 class ({classes[0]!r})")
        self.classes_ = classes
        reports: List[Report] = []
        if classes.size == 2:
            reports.append(self._solve(X, np.where(idx == 1, 1.0, -1.0).reshape(-1, 1), "signed"))
        elif self.formulation in ("sdp", "sdp-full"):
            reports.append(self._solve(X, np.eye(classes.size)[idx], "onehot"))
        else:
            for k in range(classes.size):
                reports.append(self._solve(X, np.where(idx == k, 1.0, -1.0).reshape(-1, 1), "signed"))
        self.reports_ = reports
        self.report_ = reports[0]
        self.networks_ = [r.network for r in reports]
        self.network_ = self.networks_[0]
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        """The network outputs: shape (n,) for two classes (positive means ``classes_[1]``),
        (n, k) otherwise."""
        out = self._outputs(X)
        return out[:, 0] if self.classes_.size == 2 else out

    def predict(self, X: Any) -> np.ndarray:
        out = self.decision_function(X)
        if self.classes_.size == 2:
            return self.classes_[(out >= 0).astype(int)]
        return self.classes_[np.argmax(out, axis=1)]
