"""Safe expressions as torch functions: a sympy expression compiled once into closures.

The counterpart of :mod:`hyperpino.pde.expr` (which turns spec text into sympy): ``to_torch``
evaluates such an expression elementwise, differentiably, inside ``torch.func`` transforms too.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from functools import reduce
from typing import NoReturn

import sympy
import torch

from hyperpino.errors import ExpressionError
from hyperpino.pde.expr import FUNCTIONS, excerpt, free_names

_Closure = Callable[[Sequence[torch.Tensor]], torch.Tensor]
_Node = _Closure | float  # a closure over the input tensors, or a folded constant

# sqrt is absent on purpose: sympy writes it as Pow(x, 1/2), which _lower_pow handles.
_TORCH_UNARY: Mapping[type, Callable[[torch.Tensor], torch.Tensor]] = {
    **{FUNCTIONS[name]: getattr(torch, name) for name in ("sin", "cos", "tan", "asin", "acos",
                                                          "atan", "exp", "log", "tanh", "sinh",
                                                          "cosh", "abs")},
    sympy.sign: torch.sign,
}


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
    missing = free_names(expr) - set(args)
    if missing:
        raise ExpressionError("to_torch", f"symbols {sorted(missing)} are not among the "
                                          f"arguments ({', '.join(args) or 'none'})")
    body = _lower(expr, {name: i for i, name in enumerate(args)})

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


def _run(node: _Node, tensors: Sequence[torch.Tensor]) -> torch.Tensor | float:
    return node(tensors) if callable(node) else node


def _fail(expr: sympy.Expr, what: str) -> NoReturn:
    raise ExpressionError("to_torch", f"{what}: {excerpt(str(expr))}")


def _lower(expr: sympy.Expr, index: Mapping[str, int]) -> _Node:
    """One sympy node -> a float (constant subtree) or a closure ``tensors -> tensor``."""
    if not expr.free_symbols:
        try:
            value = float(expr)
        except TypeError:
            _fail(expr, "constant is not real")
        if not math.isfinite(value):
            _fail(expr, "constant is not finite")
        return value
    if expr.is_Symbol:
        i = index[expr.name]
        return lambda ts: ts[i]
    if expr.is_Add:
        return _lower_add([_lower(term, index) for term in expr.args])
    if expr.is_Mul:
        return _lower_mul(expr.args, index)
    if expr.is_Pow:
        return _lower_pow(_lower(expr.base, index), _lower(expr.exp, index))
    kind = type(expr)
    if kind in _TORCH_UNARY:
        return _unary(_TORCH_UNARY[kind], _lower(expr.args[0], index))
    if kind in (sympy.re, sympy.conjugate):
        return _lower(expr.args[0], index)
    if kind in (sympy.im, sympy.DiracDelta):
        return _unary(torch.zeros_like, _lower(expr.args[0], index))
    if kind is sympy.atan2:
        return _atan2(_lower(expr.args[0], index), _lower(expr.args[1], index))
    if kind is sympy.Heaviside:
        return _heaviside(*(_lower(arg, index) for arg in expr.args))
    _fail(expr, f"cannot translate {kind.__name__} to torch")


def _unary(op: Callable[[torch.Tensor], torch.Tensor], f: _Closure) -> _Closure:
    return lambda ts: op(f(ts))


def _product(fs: Sequence[_Closure], ts: Sequence[torch.Tensor]) -> torch.Tensor:
    return reduce(operator.mul, (f(ts) for f in fs))


def _lower_add(terms: Sequence[_Node]) -> _Closure:
    constant = sum(t for t in terms if isinstance(t, float))
    fs = [t for t in terms if not isinstance(t, float)]
    if constant:
        return lambda ts: reduce(operator.add, (f(ts) for f in fs)) + constant
    return lambda ts: reduce(operator.add, (f(ts) for f in fs))


def _lower_mul(factors: Sequence[sympy.Expr], index: Mapping[str, int]) -> _Closure:
    """Factors with a negative constant exponent go below a division: x/y, not x*(1/y)."""
    coefficient, top, bottom = 1.0, [], []
    for factor in factors:
        if factor.is_Pow and factor.exp.is_negative and factor.free_symbols:
            bottom.append(_lower(factor.base ** -factor.exp, index))
        else:
            node = _lower(factor, index)
            if isinstance(node, float):
                coefficient *= node
            else:
                top.append(node)
    c = coefficient
    if not top:
        return lambda ts: c / _product(bottom, ts)
    body = (lambda ts: _product(top, ts) / _product(bottom, ts)) if bottom else (
        lambda ts: _product(top, ts))
    if c == 1.0:
        return body
    if c == -1.0:
        return lambda ts: -body(ts)
    return lambda ts: c * body(ts)


def _lower_pow(base: _Node, exponent: _Node) -> _Closure:
    if isinstance(exponent, float):  # so base is a closure
        fast = {2.0: torch.square, 0.5: torch.sqrt, -0.5: torch.rsqrt, -1.0: torch.reciprocal}
        if exponent in fast:
            return _unary(fast[exponent], base)
        if exponent == 1.0:
            return base
        # An int exponent keeps negative bases well defined: (-2)**3 = -8, not nan.
        e = int(exponent) if exponent.is_integer() else exponent
        return lambda ts: torch.pow(base(ts), e)
    if isinstance(base, float):
        return (lambda ts: torch.exp(exponent(ts))) if base == math.e else (
            lambda ts: torch.pow(base, exponent(ts)))
    return lambda ts: torch.pow(base(ts), exponent(ts))


def _atan2(y: _Node, x: _Node) -> _Closure:
    def atan2(ts: Sequence[torch.Tensor]) -> torch.Tensor:
        a, b = _run(y, ts), _run(x, ts)
        like = a if isinstance(a, torch.Tensor) else b
        # torch.atan2 wants two tensors; a 0-d constant broadcasts (and vmap leaves it unbatched).
        return torch.atan2(torch.as_tensor(a, dtype=like.dtype, device=like.device),
                           torch.as_tensor(b, dtype=like.dtype, device=like.device))

    return atan2


def _heaviside(arg: _Closure, at_zero: _Node = 0.5) -> _Closure:
    """H(a) with H(0) = ``at_zero``; built from comparisons because torch.heaviside has no
    derivative, and the derivative is zero almost everywhere anyway."""
    def heaviside(ts: Sequence[torch.Tensor]) -> torch.Tensor:
        a = arg(ts)
        return (a > 0).to(a.dtype) + _run(at_zero, ts) * (a == 0).to(a.dtype)

    return heaviside
