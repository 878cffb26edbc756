"""Safe expressions as NumPy functions: the lowering of :mod:`hyperpino.pde.expr_lower` over NumPy.

``to_numpy`` is :func:`~hyperpino.pde.expr_torch.to_torch` for float64 arrays and needs no torch:
the checks of a spec's data on its domain (:mod:`hyperpino.pde.problem`) run before torch is
imported. Values that are not finite come out as inf or nan, without warnings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import sympy

from hyperpino.pde.expr_lower import UNARY_NAMES, Backend, lower

_NAMES = {"asin": "arcsin", "acos": "arccos", "atan": "arctan"}

NUMPY = Backend(
    name="to_numpy",
    unary={**{name: getattr(np, _NAMES.get(name, name)) for name in UNARY_NAMES}, "sign": np.sign},
    square=np.square, sqrt=np.sqrt, rsqrt=lambda a: 1.0 / np.sqrt(a), reciprocal=np.reciprocal,
    exp=np.exp, pow=np.power, atan2=np.arctan2, zeros_like=np.zeros_like,
    as_float=lambda mask, like: mask.astype(like.dtype),
)
"""The NumPy operations of the lowering."""


def to_numpy(expr: sympy.Expr, args: Sequence[str]) -> Callable[..., np.ndarray]:
    """Turn ``expr`` into ``fn(*arrays)`` with one float64 array per name in ``args``, in order.

    Inputs broadcast against each other and the result is a new float64 array of the broadcast
    shape, also for a constant expression. Same semantics as ``to_torch`` (computed in the reals).
    Raises :class:`ExpressionError` for a free symbol not in ``args`` or an unsupported node.
    """
    args = tuple(args)
    body = lower(expr, args, NUMPY)

    def fn(*arrays: np.ndarray) -> np.ndarray:
        if len(arrays) != len(args):
            raise TypeError(f"expected {len(args)} arrays ({', '.join(args)}), got {len(arrays)}")
        xs = [np.asarray(a, dtype=np.float64) for a in arrays]
        shape = np.broadcast_shapes(*(x.shape for x in xs))
        if isinstance(body, float):
            return np.full(shape, body)
        with np.errstate(all="ignore"):
            out = np.asarray(body(xs), dtype=np.float64)
        return np.array(np.broadcast_to(out, shape)) if out.shape != shape or any(
            out is x for x in xs) else out

    return fn
