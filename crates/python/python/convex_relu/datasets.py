"""Data sets shipped with the library.

``reference_1d()`` is the built-in ``reference-1d`` set of the command line: n = 8 points
``x_i = -1 + 2 i / 7``, features ``X = [x, 1]`` (the ones column is a first-layer bias) and
targets ``y_i = sin(3 x_i)``. At beta = 0.1 its global optimum is 0.71707776
(:data:`REFERENCE_1D_OPTIMUM`).
"""

from __future__ import annotations

from typing import Tuple

import numpy as np

from . import _native

__all__ = ["reference_1d", "REFERENCE_1D_NAME", "REFERENCE_1D_OPTIMUM"]

#: The name the reports give the set (their ``data`` key), as the command line does.
REFERENCE_1D_NAME: str = _native.reference_1d()[2]
#: The global optimum of the training objective on the set at beta = 0.1.
REFERENCE_1D_OPTIMUM: float = 0.71707776


def reference_1d() -> Tuple[np.ndarray, np.ndarray]:
    """``(X, Y)``: X is 8 x 2 (x and a ones column), Y is 8 x 1 with ``sin(3 x)``.

    Pass ``source=datasets.REFERENCE_1D_NAME`` to :func:`convex_relu.solve` to get reports
    identical to ``convex-relu solve --data reference-1d --json``.
    """
    x, y, _ = _native.reference_1d()
    return np.asarray(x), np.asarray(y)
