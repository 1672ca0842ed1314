# Type stub of the convex_relu package (the public API; see __init__.py for the docs).
import os
from typing import Any, Dict, List, Literal, Optional, Sequence, Tuple, Union, overload

import numpy as np
import numpy.typing as npt

from . import datasets as datasets

__version__: str

Formulation = Literal["exact", "gated", "sampled", "sdp", "sdp-full", "three-layer"]
Backend = Literal["clarabel", "scs", "dnn"]
Targets = Literal["numeric", "signed", "onehot"]
ArrayLike = npt.ArrayLike
PathLike = Union[str, "os.PathLike[str]"]

FORMULATIONS: Tuple[str, ...]
BACKENDS: Tuple[str, ...]
TARGET_KINDS: Tuple[str, ...]

class SolverError(RuntimeError): ...

def available_backends() -> List[str]: ...

class Network:
    def __init__(self, u: ArrayLike, v: ArrayLike) -> None: ...
    @property
    def u(self) -> npt.NDArray[np.float64]: ...
    @property
    def v(self) -> npt.NDArray[np.float64]: ...
    @property
    def d(self) -> int: ...
    @property
    def c(self) -> int: ...
    @property
    def width(self) -> int: ...
    def predict(self, X: ArrayLike) -> npt.NDArray[np.float64]: ...
    def objective(self, X: ArrayLike, Y: ArrayLike, beta: float) -> float: ...
    def save(self, path: PathLike, *, overwrite: bool = False) -> None: ...
    @classmethod
    def load(cls, path: PathLike) -> "Network": ...
    def to_dict(self) -> Dict[str, Any]: ...

class Network3:
    def __init__(self, w1: ArrayLike, w2: ArrayLike, w3: ArrayLike) -> None: ...
    @property
    def w1(self) -> npt.NDArray[np.float64]: ...
    @property
    def w2(self) -> npt.NDArray[np.float64]: ...
    @property
    def w3(self) -> npt.NDArray[np.float64]: ...
    @property
    def d(self) -> int: ...
    @property
    def c(self) -> int: ...
    @property
    def sub_width(self) -> int: ...
    @property
    def width(self) -> int: ...
    def predict(self, X: ArrayLike) -> npt.NDArray[np.float64]: ...
    def objective(self, X: ArrayLike, Y: ArrayLike, beta: float) -> float: ...
    def save(self, path: PathLike, *, overwrite: bool = False) -> None: ...
    @classmethod
    def load(cls, path: PathLike) -> "Network3": ...
    def to_dict(self) -> Dict[str, Any]: ...

def load(path: PathLike) -> Union[Network, Network3]: ...

class Report:
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
    sub_width: Optional[int]
    configs: Optional[str]
    configurations: Optional[int]
    pool_configurations: Optional[int]
    sub_networks: Optional[int]
    column_generation_rounds: Optional[int]
    enumeration_lps: Optional[int]
    max_price: Optional[float]
    network: Optional[Union[Network, Network3]]
    extra: Dict[str, Any]
    def to_dict(self) -> Dict[str, Any]: ...
    def to_json(self) -> str: ...

def solve(
    X: ArrayLike,
    Y: ArrayLike,
    beta: float,
    *,
    formulation: Formulation = "sdp",
    backend: Backend = "clarabel",
    tolerance: Optional[float] = None,
    max_iterations: Optional[int] = None,
    time_limit: Optional[float] = None,
    seed: int = 0,
    gates: int = 64,
    max_patterns: int = 200000,
    rounding: Literal["gaussian", "tos"] = "gaussian",
    samples: Optional[int] = None,
    certify: bool = True,
    exact_optimum: bool = False,
    sub_width: Optional[int] = None,
    configs: Union[Literal["auto", "exact"], int] = "auto",
    targets: Optional[Targets] = None,
    source: str = "arrays",
    verbose: bool = False,
    dnn_method: Optional[Literal["auto", "admm", "ipm", "ssnal", "ipm-working-set"]] = None,
) -> Report: ...
def solve_path(
    X: ArrayLike,
    Y: ArrayLike,
    betas: Sequence[float],
    *,
    formulation: Formulation = "sdp",
    backend: Backend = "clarabel",
    tolerance: Optional[float] = None,
    max_iterations: Optional[int] = None,
    time_limit: Optional[float] = None,
    seed: int = 0,
    gates: int = 64,
    max_patterns: int = 200000,
    rounding: Literal["gaussian", "tos"] = "gaussian",
    samples: Optional[int] = None,
    certify: bool = True,
    exact_optimum: bool = False,
    sub_width: Optional[int] = None,
    configs: Union[Literal["auto", "exact"], int] = "auto",
    targets: Optional[Targets] = None,
    source: str = "arrays",
    verbose: bool = False,
    dnn_method: Optional[Literal["auto", "admm", "ipm", "ssnal", "ipm-working-set"]] = None,
) -> List[Report]: ...
@overload
def tightness(
    X: ArrayLike, Y: ArrayLike, beta: float, *, backend: Backend = "clarabel", tolerance: Optional[float] = None,
    max_iterations: Optional[int] = None, time_limit: Optional[float] = None, seed: int = 0,
    samples: Optional[int] = None, widths: Sequence[int] = (5, 10, 100), restarts: int = 5,
    iterations: int = 2000, targets: Optional[Targets] = None, source: str = "arrays",
    summary: Literal[False] = False, dnn_method: Optional[Literal["auto", "admm", "ipm", "ssnal", "ipm-working-set"]] = None,
) -> List[Dict[str, Any]]: ...
@overload
def tightness(
    X: ArrayLike, Y: ArrayLike, beta: float, *, backend: Backend = "clarabel", tolerance: Optional[float] = None,
    max_iterations: Optional[int] = None, time_limit: Optional[float] = None, seed: int = 0,
    samples: Optional[int] = None, widths: Sequence[int] = (5, 10, 100), restarts: int = 5,
    iterations: int = 2000, targets: Optional[Targets] = None, source: str = "arrays",
    summary: Literal[True] = ..., dnn_method: Optional[Literal["auto", "admm", "ipm", "ssnal", "ipm-working-set"]] = None,
) -> Dict[str, Any]: ...
def export(
    X: ArrayLike,
    Y: ArrayLike,
    beta: float,
    formulation: Formulation,
    path: PathLike,
    *,
    overwrite: bool = False,
    gates: int = 64,
    seed: int = 0,
    max_patterns: int = 200000,
    targets: Optional[Targets] = None,
    source: str = "arrays",
) -> str: ...
def demo(restarts: int = 3, iterations: int = 2000, seed: int = 0) -> Dict[str, Any]: ...
