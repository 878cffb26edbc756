"""Safe expressions as torch functions: a sympy expression compiled once into closures.

The counterpart of :mod:`hyperpino.pde.expr` (which turns spec text into sympy): ``to_torch``
evaluates such an expression elementwise, differentiably, inside ``torch.func`` transforms too.
The tree walk is :mod:`hyperpino.pde.expr_lower`'s, over the torch operations below;
:func:`~hyperpino.pde.expr_numpy.to_numpy` is the same walk over NumPy's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import reduce

import sympy
import torch

from hyperpino.pde.expr_lower import UNARY_NAMES, Backend, lower


def _atan2(a: torch.Tensor | float, b: torch.Tensor | float) -> torch.Tensor:
    like = a if isinstance(a, torch.Tensor) else b
    # torch.atan2 wants two tensors; a 0-d constant broadcasts (and vmap leaves it unbatched).
    return torch.atan2(torch.as_tensor(a, dtype=like.dtype, device=like.device),
                       torch.as_tensor(b, dtype=like.dtype, device=like.device))


TORCH = Backend(
    name="to_torch",
    unary={**{name: getattr(torch, name) for name in UNARY_NAMES}, "sign": torch.sign},
    square=torch.square, sqrt=torch.sqrt, rsqrt=torch.rsqrt, reciprocal=torch.reciprocal,
    exp=torch.exp, pow=torch.pow, atan2=_atan2, zeros_like=torch.zeros_like,
    as_float=lambda mask, like: mask.to(like.dtype),
)
"""The torch operations of the lowering."""


def to_torch(expr: sympy.Expr, args: Sequence[str]) -> Callable[..., torch.Tensor]:
    """Turn ``expr`` into ``fn(*tensors)`` with one tensor per name in ``args``, in that order.

    The sympy tree is walked once, here; ``fn`` only runs the resulting closures. Inputs broadcast
    against each other and the result has the broadcast shape, also for a constant expression
    (dtype and device from the inputs). Pure tensor code: autograd, ``torch.func.vmap``,
    ``jacrev``, ``jacfwd`` and ``jvp`` all apply. Everything is computed in the reals: ``re`` and
    ``conjugate`` are the identity, ``im`` is zero, ``DiracDelta`` is zero (almost everywhere),
    and ``x**(1/3)`` is nan for x < 0, where sympy's principal root is complex.
    Raises :class:`ExpressionError` for a free symbol not in ``args`` or an unsupported node.
    """
    args = tuple(args)
    body = lower(expr, args, TORCH)

    def fn(*tensors: torch.Tensor) -> torch.Tensor:
        if len(tensors) != len(args):
            raise TypeError(f"expected {len(args)} tensors ({', '.join(args)}), "
                            f"got {len(tensors)}")
        if not tensors:
            return torch.tensor(body)  # no inputs means nothing to depend on: constant
        shape = torch.broadcast_shapes(*(t.shape for t in tensors))
        if isinstance(body, float):
            dtype = reduce(torch.promote_types, (t.dtype for t in tensors))
            return torch.full(shape, body, dtype=dtype, device=tensors[0].device)
        out = body(tensors)
        if any(out is t for t in tensors):  # a bare symbol: never hand back the input itself
            out = out.clone()
        return out if out.shape == shape else out.expand(shape)

    return fn
