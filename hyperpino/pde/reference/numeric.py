"""Problem expressions as NumPy functions (float64), for the reference solvers' quadrature points.

The solvers assemble with NumPy arrays; expressions are compiled once with
:func:`~hyperpino.pde.expr_torch.to_torch` (the safe path every other part of hyperpino uses) and
evaluated through zero-copy tensor views.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy
import torch

from hyperpino.pde.expr import symbol
from hyperpino.pde.expr_torch import to_torch
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
    fn = to_torch(_as_expr(expr), coords)

    def call(x, y):
        tx = torch.from_numpy(np.asarray(x, dtype=np.float64))
        ty = torch.from_numpy(np.asarray(y, dtype=np.float64))
        out = np.array(fn(tx, ty).numpy(), dtype=np.float64)
        if where is not None and not np.all(np.isfinite(out)):
            tx, ty = torch.broadcast_tensors(tx, ty)
            values = np.broadcast_to(out, tuple(tx.shape))
            require_finite(values.reshape(-1), torch.stack([tx.reshape(-1), ty.reshape(-1)], -1), where,
                           coords)
        return out

    return call


def depends_on(expr: sympy.Expr, name: str) -> bool:
    """Whether ``expr`` contains the coordinate ``name``."""
    return symbol(name) in _as_expr(expr).free_symbols


def diff(expr: sympy.Expr, name: str) -> sympy.Expr:
    """``∂expr/∂name`` (for the coefficient-gradient terms of the divergence form)."""
    return sympy.diff(_as_expr(expr), symbol(name))
