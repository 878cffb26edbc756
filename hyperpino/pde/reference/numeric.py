"""Problem expressions as NumPy functions (float64), for the reference solvers' quadrature points.

The solvers assemble with NumPy arrays; expressions are compiled once with
:func:`~hyperpino.pde.expr_numpy.to_numpy`, the NumPy lowering of the same safe expression path the
torch side uses (:mod:`hyperpino.pde.expr_lower`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy

from hyperpino.pde.expr import symbol
from hyperpino.pde.expr_numpy import to_numpy
from hyperpino.pde.finite import require_finite

NumFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _as_expr(expr: sympy.Expr | float) -> sympy.Expr:
    # Callers pass sympy expressions or plain numbers (never text); numbers become sympy Floats.
    return expr if isinstance(expr, sympy.Basic) else sympy.Float(expr)


def np_fn(expr: sympy.Expr, coords: tuple[str, str], where: str | None = None) -> NumFn:
    """``f(x, y) -> array`` of the broadcast shape of ``x`` and ``y`` (float64).

    With ``where`` (a spec field), values that are not finite raise a
    :class:`~hyperpino.errors.SpecError` naming it and the point.
    """
    fn = to_numpy(_as_expr(expr), coords)

    def call(x, y):
        out = fn(x, y)
        if where is not None and not np.all(np.isfinite(out)):
            px, py = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
            require_finite(out.reshape(-1), np.stack([px.reshape(-1), py.reshape(-1)], -1), where, coords)
        return out

    return call


def depends_on(expr: sympy.Expr, name: str) -> bool:
    """Whether ``expr`` contains the coordinate ``name``."""
    return symbol(name) in _as_expr(expr).free_symbols


def diff(expr: sympy.Expr, name: str) -> sympy.Expr:
    """``∂expr/∂name`` (for the coefficient-gradient terms of the divergence form)."""
    return sympy.diff(_as_expr(expr), symbol(name))
