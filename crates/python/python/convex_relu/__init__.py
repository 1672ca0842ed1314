"""convex-relu from Python: train ReLU networks through convex programs, with certified bounds.

The objective everywhere is the training objective of a two-layer ReLU network
``f(X) = relu(X U) V^T`` with sums, not means::

    L(U, V) = 1/2 ||relu(X U) V^T - Y||_F^2 + beta/2 (||U||_F^2 + ||V||_F^2)

``X`` is n x d (one row per sample; append a column of ones for a first-layer bias), ``Y`` is
n x c, ``U`` is d x m and ``V`` is c x m. A :class:`Report` carries the convex program's value
(``objective``; for the SDP relaxation a solver estimate, not a bound), a certified lower bound
on the global optimum (``lower_bound`` when ``certified``), the objective of a real network
(``upper_bound``) and the relative gap ``(UB - LB) / UB``. ``Report.to_dict()`` is the object
``convex-relu solve --json`` prints for the same data and settings.

``formulation="three-layer"`` trains ``K`` parallel three-layer sub-networks ``d -> m1 -> 1``
(scalar output, ``m1 = sub_width``; :class:`Network3`)::

    f(X) = sum_k relu(relu(X W1_k) w2_k) w3_k
    L    = 1/2 ||f(X) - y||^2 + beta/2 sum_k (||w2_k||^2 + w3_k^2),   subject to ||W1_k||_F <= 1

again with sums, not means; the first layer is not penalised but constrained to the unit
Frobenius ball. The convex program has no ``K``: its optimum is the best over every ``K``
(docs/three-layer.md).

Functions: :func:`solve`, :func:`solve_path`, :func:`tightness`, :func:`export`,
:func:`demo`, :func:`load`; classes :class:`Report`, :class:`Network`, :class:`Network3`; data
sets in :mod:`convex_relu.datasets`; scikit-learn estimators in :mod:`convex_relu.sklearn`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _native
from ._native import SolverError

__all__ = [
    "SolverError",
    "Report",
    "Network",
    "Network3",
    "load",
    "solve",
    "solve_path",
    "tightness",
    "export",
    "demo",
    "available_backends",
    "FORMULATIONS",
    "BACKENDS",
    "__version__",
]

__version__: str = _native.__version__

#: The programs the package can build: five two-layer ones and the three-layer program
#: (which needs ``sub_width``).
FORMULATIONS = ("exact", "gated", "sampled", "sdp", "sdp-full", "three-layer")
#: Every backend name; :func:`available_backends` says which are compiled in.
BACKENDS = ("clarabel", "scs", "dnn")
#: How targets are encoded: numeric (regression), signed (-1/+1 classes), onehot.
TARGET_KINDS = ("numeric", "signed", "onehot")


def available_backends() -> List[str]:
    """The backends compiled into this build."""
    return list(_native.available_backends())


# ----------------------------------------------------------------------------------------------
# Array validation
# ----------------------------------------------------------------------------------------------


def _as_matrix(a: Any, name: str, *, column_if_1d: bool = False) -> np.ndarray:
    """``a`` as a 2-D float64 array, copied only when its dtype is not float64 already.

    C-ordered, Fortran-ordered and strided arrays are passed on as they are. Integer and boolean
    dtypes are converted; complex, object and string arrays are refused. Raises ValueError
    naming ``name`` for a wrong number of dimensions, an empty array or a non-finite entry.
    """
    arr = np.asarray(a)
    if arr.dtype.kind not in "fiub":
        raise ValueError(f"{name} must be a real numeric array, found dtype {arr.dtype}")
    if arr.dtype != np.float64:
        arr = arr.astype(np.float64)
    if arr.ndim == 1 and column_if_1d:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        expected = "a 1-D or 2-D array" if column_if_1d else "a 2-D array (n samples x d features)"
        raise ValueError(f"{name} must be {expected}, found {arr.ndim} dimensions with shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    finite = np.isfinite(arr)
    if not finite.all():
        i, j = np.argwhere(~finite)[0]
        raise ValueError(f"{name}[{i}, {j}] is not finite ({arr[i, j]}); remove or impute NaN and infinite values")
    return arr


def _as_layer(a: Any, name: str, ndim: int, shape: str) -> np.ndarray:
    """``a`` as a read-only C-ordered float64 array of ``ndim`` dimensions (``shape`` names them
    in the error). Unlike :func:`_as_matrix`, a zero-length first axis (no sub-network) is allowed."""
    arr = np.asarray(a)
    if arr.dtype.kind not in "fiub":
        raise ValueError(f"{name} must be a real numeric array, found dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array ({shape}), found {arr.ndim} dimensions with shape {arr.shape}")
    arr = np.array(arr, dtype=np.float64, order="C")
    finite = np.isfinite(arr)
    if not finite.all():
        idx = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise ValueError(f"{name}{list(idx)} is not finite ({arr[idx]})")
    arr.flags.writeable = False
    return arr


def _data(X: Any, Y: Any) -> Tuple[np.ndarray, np.ndarray]:
    x = _as_matrix(X, "X")
    y = _as_matrix(Y, "Y", column_if_1d=True)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"X has {x.shape[0]} rows (samples) but Y has {y.shape[0]}; they must match")
    return x, y


def _targets(targets: Optional[str], y: np.ndarray) -> str:
    if targets is None:
        return "numeric"
    if targets not in TARGET_KINDS:
        raise ValueError(f"unknown targets `{targets}` (expected one of {', '.join(TARGET_KINDS)})")
    return targets


def _solver(backend: str, tolerance: Optional[float], max_iterations: Optional[int],
            time_limit: Optional[float], verbose: bool, dnn_method: Optional[str] = None) -> Dict[str, Any]:
    if not isinstance(backend, str):
        raise ValueError(f"backend must be a string (one of {', '.join(BACKENDS)}), found {backend!r}")
    if dnn_method is not None and not isinstance(dnn_method, str):
        raise ValueError(f"dnn_method must be a string (auto, admm, ipm, ipm-working-set or ssnal), found {dnn_method!r}")
    return {
        "backend": backend,
        "dnn_method": dnn_method,
        "tolerance": None if tolerance is None else float(tolerance),
        "max_iterations": None if max_iterations is None else int(max_iterations),
        "time_limit": None if time_limit is None else float(time_limit),
        "verbose": bool(verbose),
    }


def _count(v: Any, name: str, minimum: int = 0) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or int(v) < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, found {v!r}")
    return int(v)


# ----------------------------------------------------------------------------------------------
# Networks
# ----------------------------------------------------------------------------------------------


class Network:
    """A two-layer ReLU network ``f(X) = relu(X U) V^T`` without biases.

    ``u`` is d x m (one column per hidden neuron), ``v`` is c x m. Weight files are the command
    line's JSON format (``{"format": "convex-relu-network", "version": 1, "d", "c", "width",
    "u": rows of U, "v": rows of V}``).
    """

    __slots__ = ("_u", "_v")

    def __init__(self, u: Any, v: Any) -> None:
        uu = _as_matrix(u, "U")
        vv = _as_matrix(v, "V")
        if uu.shape[1] != vv.shape[1]:
            raise ValueError(f"U has {uu.shape[1]} columns (neurons) but V has {vv.shape[1]}")
        uu = np.array(uu, dtype=np.float64, order="C")
        vv = np.array(vv, dtype=np.float64, order="C")
        uu.flags.writeable = False
        vv.flags.writeable = False
        self._u = uu
        self._v = vv

    @property
    def u(self) -> np.ndarray:
        """First layer, d x m (read-only)."""
        return self._u

    @property
    def v(self) -> np.ndarray:
        """Second layer, c x m (read-only)."""
        return self._v

    @property
    def d(self) -> int:
        return int(self._u.shape[0])

    @property
    def c(self) -> int:
        return int(self._v.shape[0])

    @property
    def width(self) -> int:
        return int(self._u.shape[1])

    def predict(self, X: Any) -> np.ndarray:
        """``relu(X U) V^T``, an n x c array."""
        return _native.network_predict(self._u, self._v, _as_matrix(X, "X"))

    def objective(self, X: Any, Y: Any, beta: float) -> float:
        """``1/2 ||relu(X U) V^T - Y||_F^2 + beta/2 (||U||_F^2 + ||V||_F^2)`` (sums, not means)."""
        x, y = _data(X, Y)
        return float(_native.network_objective(self._u, self._v, x, y, float(beta)))

    def save(self, path: "os.PathLike[str] | str", *, overwrite: bool = False) -> None:
        """Write the weight file; an existing file is replaced only with ``overwrite=True``."""
        _native.network_save(self._u, self._v, os.fspath(path), bool(overwrite))

    @classmethod
    def load(cls, path: "os.PathLike[str] | str") -> "Network":
        """Read a weight file written by :meth:`save` or ``convex-relu solve --save-network``."""
        return cls._from_json(_native.network_load(os.fspath(path)))

    @classmethod
    def _from_json(cls, text: str) -> "Network":
        obj = json.loads(text)
        d, c, m = obj["d"], obj["c"], obj["width"]
        u = np.array(obj["u"], dtype=np.float64).reshape(d, m)
        v = np.array(obj["v"], dtype=np.float64).reshape(c, m)
        return cls(u, v)

    def to_dict(self) -> Dict[str, Any]:
        """The weight file's JSON object."""
        return {
            "format": "convex-relu-network",
            "version": 1,
            "d": self.d,
            "c": self.c,
            "width": self.width,
            "u": self._u.tolist(),
            "v": self._v.tolist(),
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Network):
            return NotImplemented
        return bool(np.array_equal(self._u, other._u) and np.array_equal(self._v, other._v))

    def __hash__(self) -> int:
        return hash((self._u.tobytes(), self._v.tobytes()))

    def __repr__(self) -> str:
        return f"Network(d={self.d}, c={self.c}, width={self.width})"

    def __getstate__(self) -> Dict[str, Any]:
        return {"u": self._u, "v": self._v}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        Network.__init__(self, state["u"], state["v"])


class Network3:
    """``K`` parallel three-layer sub-networks ``d -> m1 -> 1`` with scalar output::

        f(X) = sum_k relu(relu(X W1_k) w2_k) w3_k
        L    = 1/2 ||f(X) - y||^2 + beta/2 sum_k (||w2_k||^2 + w3_k^2),   ||W1_k||_F <= 1

    ``w1`` is K x d x m1 (``w1[k]`` is ``W1_k``, one column per first-layer neuron), ``w2`` is
    K x m1, ``w3`` has K entries; K = 0 (the zero network) is allowed. No biases: append a ones
    column to ``X``. The first layer carries no penalty but is constrained to the unit Frobenius
    ball; :meth:`objective` checks that constraint. Weight files are the command line's
    ``convex-relu-network3`` JSON format (``{"format", "version": 1, "d", "sub_width", "width",
    "w1": [K][d][m1], "w2": [K][m1], "w3": [K]}``), as written by ``convex-relu solve
    --formulation three-layer --save-network`` and ``convex-relu train --layers 3``.
    """

    __slots__ = ("_w1", "_w2", "_w3")

    def __init__(self, w1: Any, w2: Any, w3: Any) -> None:
        a = _as_layer(w1, "w1", 3, "K sub-networks x d x m1")
        b = _as_layer(w2, "w2", 2, "K x m1")
        c = _as_layer(w3, "w3", 1, "K")
        _native.network3_check(a, b, c)
        self._w1, self._w2, self._w3 = a, b, c

    @property
    def w1(self) -> np.ndarray:
        """First layers, K x d x m1 (read-only)."""
        return self._w1

    @property
    def w2(self) -> np.ndarray:
        """Second layers, K x m1 (read-only)."""
        return self._w2

    @property
    def w3(self) -> np.ndarray:
        """Output weights, K (read-only)."""
        return self._w3

    @property
    def d(self) -> int:
        return int(self._w1.shape[1])

    @property
    def c(self) -> int:
        """Outputs: always 1."""
        return 1

    @property
    def sub_width(self) -> int:
        """First-layer neurons per sub-network, m1."""
        return int(self._w1.shape[2])

    @property
    def width(self) -> int:
        """Number of sub-networks, K."""
        return int(self._w1.shape[0])

    def predict(self, X: Any) -> np.ndarray:
        """``f(X) = sum_k relu(relu(X W1_k) w2_k) w3_k``, an n x 1 array."""
        return _native.network3_predict(self._w1, self._w2, self._w3, _as_matrix(X, "X"))

    def objective(self, X: Any, Y: Any, beta: float) -> float:
        """``1/2 ||f(X) - y||^2 + beta/2 sum_k (||w2_k||^2 + w3_k^2)`` (sums, not means).

        Raises ValueError when ``Y`` is not one column, the shapes do not match, or some
        ``||W1_k||_F`` exceeds 1 (the objective is the model's only on its constraint set)."""
        x, y = _data(X, Y)
        return float(_native.network3_objective(self._w1, self._w2, self._w3, x, y, float(beta)))

    def save(self, path: "os.PathLike[str] | str", *, overwrite: bool = False) -> None:
        """Write the weight file; an existing file is replaced only with ``overwrite=True``."""
        _native.network3_save(self._w1, self._w2, self._w3, os.fspath(path), bool(overwrite))

    @classmethod
    def load(cls, path: "os.PathLike[str] | str") -> "Network3":
        """Read a three-layer weight file (:func:`load` reads either kind)."""
        return cls._from_json(_native.network3_load(os.fspath(path)))

    @classmethod
    def _from_json(cls, text: str) -> "Network3":
        obj = json.loads(text)
        k, d, m1 = obj["width"], obj["d"], obj["sub_width"]
        w1 = np.array(obj["w1"], dtype=np.float64).reshape(k, d, m1)
        w2 = np.array(obj["w2"], dtype=np.float64).reshape(k, m1)
        w3 = np.array(obj["w3"], dtype=np.float64).reshape(k)
        return cls(w1, w2, w3)

    def to_dict(self) -> Dict[str, Any]:
        """The weight file's JSON object."""
        return {
            "format": "convex-relu-network3",
            "version": 1,
            "d": self.d,
            "sub_width": self.sub_width,
            "width": self.width,
            "w1": self._w1.tolist(),
            "w2": self._w2.tolist(),
            "w3": self._w3.tolist(),
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Network3):
            return NotImplemented
        return bool(self._w1.shape == other._w1.shape and np.array_equal(self._w1, other._w1)
                    and np.array_equal(self._w2, other._w2) and np.array_equal(self._w3, other._w3))

    def __hash__(self) -> int:
        return hash((self._w1.shape, self._w1.tobytes(), self._w2.tobytes(), self._w3.tobytes()))

    def __repr__(self) -> str:
        return f"Network3(d={self.d}, sub_width={self.sub_width}, width={self.width})"

    def __getstate__(self) -> Dict[str, Any]:
        return {"w1": self._w1, "w2": self._w2, "w3": self._w3}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        Network3.__init__(self, state["w1"], state["w2"], state["w3"])


def _network_from_json(text: str) -> Union[Network, Network3]:
    if json.loads(text).get("format") == "convex-relu-network3":
        return Network3._from_json(text)
    return Network._from_json(text)


def load(path: "os.PathLike[str] | str") -> Union[Network, Network3]:
    """Read a weight file of either kind written by the command line or :meth:`Network.save` /
    :meth:`Network3.save`: a two-layer file gives a :class:`Network`, a three-layer
    (``convex-relu-network3``) file a :class:`Network3`."""
    return _network_from_json(_native.network_load_any(os.fspath(path)))


# ----------------------------------------------------------------------------------------------
# Reports
# ----------------------------------------------------------------------------------------------


_THREE_LAYER_KEYS = ("sub_width", "configs", "configurations", "pool_configurations", "sub_networks",
                     "column_generation_rounds", "enumeration_lps", "max_price")


@dataclasses.dataclass(frozen=True)
class Report:
    """One end-to-end run (the keys of ``convex-relu solve --json``).

    ``objective`` is the convex program's optimum as the solver reports it (labelled by
    ``objective_label``; for the SDP relaxation an estimate, not a bound). ``lower_bound`` is a
    certified lower bound on the global optimum when ``certified`` is true. ``upper_bound`` is
    the objective of the real network ``network``. ``gap = (upper_bound - lower_bound) /
    upper_bound``; ``globally_optimal`` is ``certified and gap <= tolerance``.

    Three-layer runs (``formulation == "three-layer"``) also carry ``sub_width`` (m1),
    ``configs`` (``exact`` or ``sampled N``), ``configurations`` (in the final program),
    ``pool_configurations`` (every realisable configuration, None when not enumerated),
    ``sub_networks`` (K of the recovered :class:`Network3`, also ``width``),
    ``column_generation_rounds``, ``enumeration_lps`` and ``max_price`` (a rigorous bound on the
    largest price over the pool; at most beta (1 + 1e-6) when the certificate holds).
    """

    status: str
    backend: str
    formulation: str
    data: str
    n: int
    d: int
    c: int
    beta: float
    patterns: Optional[int]
    gates: Optional[int]
    objective: Optional[float]
    objective_label: str
    lower_bound: Optional[float]
    certified: bool
    lower_bound_method: Optional[str]
    upper_bound: Optional[float]
    upper_bound_source: Optional[str]
    width: Optional[int]
    gap: Optional[float]
    globally_optimal: bool
    tolerance: float
    exact_optimum: Optional[float]
    exact_optimum_backend: Optional[str]
    relaxation_gap: Optional[float]
    rounding_gap: Optional[float]
    iterations: int
    primal_residual: Optional[float]
    dual_residual: Optional[float]
    solver_gap: Optional[float]
    dnn_method: Optional[str]
    preconditioned_iterations: Optional[int]
    single_precision_iterations: Optional[int]
    compile_seconds: float
    solve_seconds: float
    certify_seconds: Optional[float]
    seed: int
    rounding: Optional[Dict[str, Any]]
    notes: Tuple[str, ...]
    # Three-layer runs only (None otherwise, and absent from ``to_dict``): see :func:`solve`.
    sub_width: Optional[int] = None
    configs: Optional[str] = None
    configurations: Optional[int] = None
    pool_configurations: Optional[int] = None
    sub_networks: Optional[int] = None
    column_generation_rounds: Optional[int] = None
    enumeration_lps: Optional[int] = None
    max_price: Optional[float] = None
    network: Optional[Union[Network, Network3]] = dataclasses.field(default=None, compare=False, repr=False)
    #: Keys a newer library reports that this class has no field for (kept for ``to_dict``).
    extra: Dict[str, Any] = dataclasses.field(default_factory=dict, compare=False, repr=False)
    _order: Tuple[str, ...] = dataclasses.field(default=(), compare=False, repr=False)

    @classmethod
    def _from_json(cls, report: str, network: Optional[str]) -> "Report":
        obj = json.loads(report)
        names = {f.name for f in dataclasses.fields(cls)} - {"network", "extra", "_order"}
        known = {k: v for k, v in obj.items() if k in names}
        known["notes"] = tuple(known.get("notes", ()))
        extra = {k: v for k, v in obj.items() if k not in names}
        missing = names - set(known)
        for k in missing:  # an older library without the key: null, as serde would write it
            known[k] = None
        net = _network_from_json(network) if network is not None else None
        return cls(**known, network=net, extra=extra, _order=tuple(obj))

    def to_dict(self) -> Dict[str, Any]:
        """The report as the command line's ``solve --json`` object (same keys, same values)."""
        out: Dict[str, Any] = {}
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        order = self._order or tuple(
            k for k in fields
            if k not in ("network", "extra", "_order") and not (k in _THREE_LAYER_KEYS and fields[k] is None)
        )
        for k in order:
            if k in fields:
                v = fields[k]
                out[k] = list(v) if k == "notes" else (dict(v) if isinstance(v, dict) else v)
            else:
                out[k] = self.extra[k]
        return out

    def to_json(self) -> str:
        """``json.dumps(self.to_dict())``."""
        return json.dumps(self.to_dict())

    def __str__(self) -> str:
        def f8(v: Optional[float]) -> str:
            return "-" if v is None else f"{v:.8f}"

        lines = [
            f"data            {self.data} (n = {self.n}, d = {self.d}, c = {self.c})",
            f"program         {self.formulation}, beta = {self.beta}",
            f"backend         {self.backend} -> {self.status} in {self.iterations} iterations",
            f"objective       {f8(self.objective)}  ({self.objective_label})",
            f"lower bound     {f8(self.lower_bound)}  ("
            + ("certified lower bound" if self.certified else "no certified lower bound") + ")",
            f"upper bound     {f8(self.upper_bound)}  ({self.upper_bound_source or 'no network'})",
        ]
        if self.gap is not None:
            lines.append(f"gap             {self.gap:.3e} relative (UB - LB) / UB")
        if self.sub_width is not None:
            pool = "not enumerated" if self.pool_configurations is None else f"{self.pool_configurations} in the pool"
            lines.append(f"three-layer     sub-width {self.sub_width}, configurations {self.configurations} "
                         f"({self.configs}; {pool})")
            lines.append(f"sub-networks    {self.sub_networks} recovered, {self.column_generation_rounds} "
                         "column-generation rounds")
            if self.max_price is not None:
                lines.append(f"max price       {self.max_price:.8f} (beta = {self.beta})")
        if self.globally_optimal:
            lines.append(f"result          solved to global optimality (gap <= {self.tolerance:g})")
        return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# Entry points
# ----------------------------------------------------------------------------------------------


def _configs(configs: Any) -> str:
    """``configs`` as the command line's ``--configs`` text (the library parses and checks it)."""
    if isinstance(configs, str):
        return configs
    if isinstance(configs, (int, np.integer)) and not isinstance(configs, bool):
        return str(int(configs))
    raise ValueError(f"configs must be \"auto\", \"exact\" or a number of sampled sub-networks, found {configs!r}")


def _run_args(formulation: str, backend: str, tolerance: Optional[float], max_iterations: Optional[int],
              time_limit: Optional[float], verbose: bool, gates: int, seed: int, max_patterns: int,
              rounding: str, samples: Optional[int], certify: bool, exact_optimum: bool,
              sub_width: Optional[int], configs: Any, dnn_method: Optional[str] = None) -> Dict[str, Any]:
    """The options dict of ``_native.solve`` / ``_native.solve_path`` (shared by both)."""
    if not isinstance(formulation, str):
        raise ValueError(f"formulation must be a string, found {formulation!r}")
    if not isinstance(rounding, str):
        raise ValueError(f"rounding must be a string (gaussian or tos), found {rounding!r}")
    return dict(
        formulation=formulation,
        solver=_solver(backend, tolerance, max_iterations, time_limit, verbose, dnn_method),
        gates=_count(gates, "gates"),
        seed=_count(seed, "seed"),
        max_patterns=_count(max_patterns, "max_patterns"),
        rounding=rounding,
        samples=None if samples is None else _count(samples, "samples"),
        certify=bool(certify),
        exact_optimum=bool(exact_optimum),
        sub_width=None if sub_width is None else _count(sub_width, "sub_width"),
        configs=_configs(configs),
    )


def solve(
    X: Any,
    Y: Any,
    beta: float,
    *,
    formulation: str = "sdp",
    backend: str = "clarabel",
    tolerance: Optional[float] = None,
    max_iterations: Optional[int] = None,
    time_limit: Optional[float] = None,
    seed: int = 0,
    gates: int = 64,
    max_patterns: int = 200_000,
    rounding: str = "gaussian",
    samples: Optional[int] = None,
    certify: bool = True,
    exact_optimum: bool = False,
    sub_width: Optional[int] = None,
    configs: Union[str, int] = "auto",
    targets: Optional[str] = None,
    source: str = "arrays",
    verbose: bool = False,
    dnn_method: Optional[str] = None,
) -> Report:
    """Solve one convex program on ``(X, Y)`` at weight decay ``beta`` and report its bounds.

    ``formulation``: ``exact`` (C-ReLU over every activation pattern, scalar output), ``gated``,
    ``sampled`` (``gates`` Gaussian gates), ``sdp`` (the facially reduced relaxation, any number of
    outputs) or ``sdp-full``. ``backend``: ``clarabel``, ``scs`` or ``dnn`` (SDP only); there is no
    fallback between backends. ``dnn_method`` (``backend="dnn"``, ``formulation="sdp"`` only, as
    ``--dnn-method``): ``ipm`` (interior point), ``admm`` or ``auto`` (the default; the report's
    ``dnn_method`` says which ran). ``tolerance``, ``max_iterations``, ``time_limit`` (seconds) default
    to the solver's own. ``targets`` (``numeric``/``signed``/``onehot``, default numeric) only
    changes the accuracy notion. ``source`` names the data in the report (its ``data`` key).

    ``formulation="three-layer"`` (``convex-relu solve --formulation three-layer``) trains the
    three-layer model of the module docs (scalar ``Y``; ``backend`` clarabel or scs) and needs
    ``sub_width = m1 >= 1``. ``configs``: ``"exact"`` (every realisable configuration; toy sizes),
    ``N`` (the configurations of N random sub-networks drawn with ``seed``; certified, by pricing
    and column generation, only when the data are small enough to enumerate) or ``"auto"``
    (exact when the enumeration fits ``max_patterns`` and its other limits, else 1000 sampled
    sub-networks). ``certify=False`` (``--no-certify``) skips the pricing and therefore the
    column generation too. ``report.network`` is a :class:`Network3` whose objective is
    ``upper_bound``. ``gates``, ``rounding`` and ``samples`` do not apply; ``exact_optimum`` is
    refused; ``sub_width`` and ``configs`` apply to this formulation only.

    The GIL is released while the solver runs. Raises ValueError for bad input and
    :class:`SolverError` when a backend fails; statuses such as ``max_iterations`` are values of
    ``Report.status``, not exceptions.
    """
    x, y = _data(X, Y)
    run = _run_args(formulation, backend, tolerance, max_iterations, time_limit, verbose, gates, seed,
                    max_patterns, rounding, samples, certify, exact_optimum, sub_width, configs, dnn_method)
    rep, net = _native.solve(x, y, float(beta), _targets(targets, y), str(source), run)
    return Report._from_json(rep, net)


def solve_path(
    X: Any,
    Y: Any,
    betas: Sequence[float],
    *,
    formulation: str = "sdp",
    backend: str = "clarabel",
    tolerance: Optional[float] = None,
    max_iterations: Optional[int] = None,
    time_limit: Optional[float] = None,
    seed: int = 0,
    gates: int = 64,
    max_patterns: int = 200_000,
    rounding: str = "gaussian",
    samples: Optional[int] = None,
    certify: bool = True,
    exact_optimum: bool = False,
    sub_width: Optional[int] = None,
    configs: Union[str, int] = "auto",
    targets: Optional[str] = None,
    source: str = "arrays",
    verbose: bool = False,
    dnn_method: Optional[str] = None,
) -> List[Report]:
    """:func:`solve` for every beta of ``betas`` in order (``convex-relu solve --beta b1,b2,...``).

    With ``backend="dnn"`` (``formulation="sdp"``), when the backend runs its ADMM (large
    programs), each solve is warm-started from the previous one; its interior-point method and the
    other backends solve each beta from scratch (``Report.dnn_method`` says which ran). ``formulation="three-layer"`` takes a
    single beta (as on the command line): call :func:`solve` once per beta.
    """
    x, y = _data(X, Y)
    bs = [float(b) for b in np.asarray(betas, dtype=np.float64).ravel()]
    if not bs:
        raise ValueError("the beta path is empty")
    run = _run_args(formulation, backend, tolerance, max_iterations, time_limit, verbose, gates, seed,
                    max_patterns, rounding, samples, certify, exact_optimum, sub_width, configs, dnn_method)
    outs = _native.solve_path(x, y, bs, _targets(targets, y), str(source), run)
    return [Report._from_json(r, n) for r, n in outs]


def tightness(
    X: Any,
    Y: Any,
    beta: float,
    *,
    backend: str = "clarabel",
    tolerance: Optional[float] = None,
    max_iterations: Optional[int] = None,
    time_limit: Optional[float] = None,
    seed: int = 0,
    samples: Optional[int] = None,
    widths: Sequence[int] = (5, 10, 100),
    restarts: int = 5,
    iterations: int = 2000,
    targets: Optional[str] = None,
    source: str = "arrays",
    summary: bool = False,
    dnn_method: Optional[str] = None,
) -> Any:
    """The comparison table of ``convex-relu tightness`` as a list of row dicts.

    Each row has ``method``, ``value``, ``kind`` (``certified lower bound``, ``solver value (not
    a bound)``, ``upper bound (network)`` or ``exact optimum``) and ``source``. With
    ``summary=True`` the whole ``tightness --json`` object is returned instead (rows plus the best
    bounds, gap and gaps to the exact optimum).
    """
    x, y = _data(X, Y)
    text = _native.tightness(
        x, y, float(beta), _targets(targets, y), str(source),
        _solver(backend, tolerance, max_iterations, time_limit, False, dnn_method),
        _count(seed, "seed"), None if samples is None else _count(samples, "samples"),
        [_count(w, "widths[]", 1) for w in widths], _count(restarts, "restarts"), _count(iterations, "iterations"),
    )
    obj = json.loads(text)
    return obj if summary else obj["rows"]


def export(
    X: Any,
    Y: Any,
    beta: float,
    formulation: str,
    path: "os.PathLike[str] | str",
    *,
    overwrite: bool = False,
    gates: int = 64,
    seed: int = 0,
    max_patterns: int = 200_000,
    targets: Optional[str] = None,
    source: str = "arrays",
) -> str:
    """Write the compiled program to ``path`` without solving it, in the format its extension
    names (``.json``, ``.dat-s``, ``.cbf``): the file ``convex-relu solve --export`` writes.
    Returns the format's name. An existing file is replaced only with ``overwrite=True``.
    The three-layer program is built during its run (configurations, column generation) and is
    not exported here (``convex-relu solve --formulation three-layer --export FILE`` writes it)."""
    x, y = _data(X, Y)
    return _native.export(x, y, float(beta), _targets(targets, y), str(source), str(formulation),
                          os.fspath(path), bool(overwrite), _count(gates, "gates"), _count(seed, "seed"),
                          _count(max_patterns, "max_patterns"))


def demo(restarts: int = 3, iterations: int = 2000, seed: int = 0) -> Dict[str, Any]:
    """``convex-relu demo --json`` as a dict: exact C-ReLU and the SDP relaxation on the
    reference data set at beta = 0.1, with the non-convex baseline."""
    return json.loads(_native.demo(_count(restarts, "restarts"), _count(iterations, "iterations"), _count(seed, "seed")))


from . import datasets  # noqa: E402  (after the definitions it uses)
