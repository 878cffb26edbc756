"""A sympy expression lowered once into closures over an array library's operations.

The tree walk shared by :func:`~hyperpino.pde.expr_torch.to_torch` and
:func:`~hyperpino.pde.expr_numpy.to_numpy`: each passes a :class:`Backend`, a small table of
elementwise operations, and gets back a float (a constant expression, folded) or a closure
``arrays -> array``. Everything is computed in the reals: ``re`` and ``conjugate`` are the
identity, ``im`` is zero, ``DiracDelta`` is zero (almost everywhere), and ``x**(1/3)`` is nan for
x < 0, where sympy's principal root is complex. No array library is imported here.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any, NoReturn

import sympy

from hyperpino.errors import ExpressionError
from hyperpino.pde.expr import FUNCTIONS, excerpt, free_names

Closure = Callable[[Sequence[Any]], Any]
Node = Closure | float  # a closure over the input arrays, or a folded constant

UNARY_NAMES = ("sin", "cos", "tan", "asin", "acos", "atan", "exp", "log", "tanh", "sinh", "cosh", "abs")
"""The one-argument functions of :data:`~hyperpino.pde.expr.FUNCTIONS` a backend provides (sqrt is
absent on purpose: sympy writes it as ``Pow(x, 1/2)``, lowered with the power)."""


@dataclass(frozen=True)
class Backend:
    """The elementwise operations of one array library.

    ``unary`` maps each name of :data:`UNARY_NAMES` and ``"sign"`` to a function; ``pow(a, b)``
    takes an array or a float for either side (not both floats); ``atan2(y, x)`` likewise;
    ``as_float(mask, like)`` is a bool array as 0/1 in the dtype of ``like``. ``name`` locates
    errors (``to_torch: ...``).
    """

    name: str
    unary: Mapping[str, Callable[[Any], Any]]
    square: Callable[[Any], Any]
    sqrt: Callable[[Any], Any]
    rsqrt: Callable[[Any], Any]
    reciprocal: Callable[[Any], Any]
    exp: Callable[[Any], Any]
    pow: Callable[[Any, Any], Any]
    atan2: Callable[[Any, Any], Any]
    zeros_like: Callable[[Any], Any]
    as_float: Callable[[Any, Any], Any]


def lower(expr: sympy.Expr, args: Sequence[str], backend: Backend) -> Node:
    """``expr`` as a float (no free symbols) or a closure over one array per name in ``args``.

    Raises :class:`ExpressionError` at ``backend.name`` for a free symbol not in ``args``, a
    constant that is not a finite real, or a node the backend cannot translate.
    """
    args = tuple(args)
    missing = free_names(expr) - set(args)
    if missing:
        raise ExpressionError(backend.name, f"symbols {sorted(missing)} are not among the "
                                            f"arguments ({', '.join(args) or 'none'})")
    unary = {FUNCTIONS[name]: backend.unary[name] for name in UNARY_NAMES}
    unary[sympy.sign] = backend.unary["sign"]
    return _Lowering(backend, unary, {name: i for i, name in enumerate(args)}).node(expr)


class _Lowering:
    """One walk over a sympy tree with one backend."""

    def __init__(self, backend: Backend, unary: Mapping[type, Callable[[Any], Any]],
                 index: Mapping[str, int]):
        self.b = backend
        self.unary = unary
        self.index = index

    def fail(self, expr: sympy.Expr, what: str) -> NoReturn:
        raise ExpressionError(self.b.name, f"{what}: {excerpt(str(expr))}")

    def node(self, expr: sympy.Expr) -> Node:
        """One sympy node -> a float (constant subtree) or a closure ``arrays -> array``."""
        if not expr.free_symbols:
            try:
                value = float(expr)
            except TypeError:
                self.fail(expr, "constant is not real")
            if not math.isfinite(value):
                self.fail(expr, "constant is not finite")
            return value
        if expr.is_Symbol:
            i = self.index[expr.name]
            return lambda ts: ts[i]
        if expr.is_Add:
            return _add([self.node(term) for term in expr.args])
        if expr.is_Mul:
            return self.mul(expr.args)
        if expr.is_Pow:
            return self.pow(self.node(expr.base), self.node(expr.exp))
        kind = type(expr)
        if kind in self.unary:
            return _unary(self.unary[kind], self.node(expr.args[0]))
        if kind in (sympy.re, sympy.conjugate):
            return self.node(expr.args[0])
        if kind in (sympy.im, sympy.DiracDelta):
            return _unary(self.b.zeros_like, self.node(expr.args[0]))
        if kind is sympy.atan2:
            return self.atan2(self.node(expr.args[0]), self.node(expr.args[1]))
        if kind is sympy.Heaviside:
            return self.heaviside(*(self.node(arg) for arg in expr.args))
        self.fail(expr, f"cannot translate {kind.__name__} to {self.b.name.removeprefix('to_')}")

    def mul(self, factors: Sequence[sympy.Expr]) -> Closure:
        """Factors with a negative constant exponent go below a division: x/y, not x*(1/y)."""
        coefficient, top, bottom = 1.0, [], []
        for factor in factors:
            if factor.is_Pow and factor.exp.is_negative and factor.free_symbols:
                bottom.append(self.node(factor.base ** -factor.exp))
            else:
                node = self.node(factor)
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

    def pow(self, base: Node, exponent: Node) -> Closure:
        b = self.b
        if isinstance(exponent, float):  # so base is a closure
            fast = {2.0: b.square, 0.5: b.sqrt, -0.5: b.rsqrt, -1.0: b.reciprocal}
            if exponent in fast:
                return _unary(fast[exponent], base)
            if exponent == 1.0:
                return base
            # An int exponent keeps negative bases well defined: (-2)**3 = -8, not nan.
            e = int(exponent) if exponent.is_integer() else exponent
            return lambda ts: b.pow(base(ts), e)
        if isinstance(base, float):
            return (lambda ts: b.exp(exponent(ts))) if base == math.e else (
                lambda ts: b.pow(base, exponent(ts)))
        return lambda ts: b.pow(base(ts), exponent(ts))

    def atan2(self, y: Node, x: Node) -> Closure:
        atan2 = self.b.atan2
        return lambda ts: atan2(_run(y, ts), _run(x, ts))

    def heaviside(self, arg: Closure, at_zero: Node = 0.5) -> Closure:
        """H(a) with H(0) = ``at_zero``; built from comparisons because torch.heaviside has no
        derivative, and the derivative is zero almost everywhere anyway."""
        as_float = self.b.as_float

        def heaviside(ts: Sequence[Any]) -> Any:
            a = arg(ts)
            return as_float(a > 0, a) + _run(at_zero, ts) * as_float(a == 0, a)

        return heaviside


def _run(node: Node, arrays: Sequence[Any]) -> Any:
    return node(arrays) if callable(node) else node


def _unary(op: Callable[[Any], Any], f: Closure) -> Closure:
    return lambda ts: op(f(ts))


def _product(fs: Sequence[Closure], ts: Sequence[Any]) -> Any:
    return reduce(operator.mul, (f(ts) for f in fs))


def _add(terms: Sequence[Node]) -> Closure:
    constant = sum(t for t in terms if isinstance(t, float))
    fs = [t for t in terms if not isinstance(t, float)]
    if constant:
        return lambda ts: reduce(operator.add, (f(ts) for f in fs)) + constant
    return lambda ts: reduce(operator.add, (f(ts) for f in fs))
