"""Safe mathematical expressions: spec text -> sympy -> torch.

Text from spec files (operators, sources, boundary values, exact solutions) is read with Python's
``ast`` parser and checked against a whitelist: numbers, ``+ - * / **``, unary signs, parentheses,
the allowed names, ``pi``, ``E`` and the functions in :data:`FUNCTIONS`. The sympy expression is
built node by node from the checked tree; user text is never handed to Python or sympy to run.
Length, node count, nesting depth, literals and constant exponents are bounded, and constant
subexpressions are first computed in floating point, so a hostile input (``9**9**9**9``, a
megabyte of parentheses) fails in microseconds instead of keeping sympy busy.

:func:`to_torch` turns a sympy expression into a tree of closures over torch operations: elementwise
with broadcasting, differentiable, and usable inside ``torch.func`` transforms.
"""

from __future__ import annotations

import ast
import math
import operator
import warnings
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import NoReturn

import sympy

from hyperpino.errors import ExpressionError

MAX_LENGTH = 2000
"""Most characters in one expression; checked before parsing."""
MAX_NODES = 500
"""Most syntax-tree nodes (names, numbers, operators, calls) in one expression."""
MAX_DEPTH = 32
"""Deepest nesting; a chain ``a + b - c * d`` of left-associative operators counts as one level."""
MAX_EXPONENT = 64
"""Largest magnitude of a constant exponent: ``(x + 1)**64`` is fine, ``x**65`` is not."""
MAX_MAGNITUDE = 1e100
"""Largest magnitude of any constant, as written or as computed (``10**64`` is fine)."""
MAX_EXACT_BITS = 4096
"""Largest estimated size in bits of an exact rational power that sympy would compute."""
EXCERPT = 60
"""Most characters of the offending text quoted in a message."""

FUNCTIONS: Mapping[str, Callable[..., sympy.Expr]] = MappingProxyType({
    "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan,
    "asin": sympy.asin, "acos": sympy.acos, "atan": sympy.atan,
    "exp": sympy.exp, "log": sympy.log, "sqrt": sympy.sqrt,
    "tanh": sympy.tanh, "sinh": sympy.sinh, "cosh": sympy.cosh,
    "abs": sympy.Abs, "atan2": sympy.atan2, "heaviside": sympy.Heaviside,
})
"""Allowed function names -> sympy callables. ``atan2(y, x)`` takes two arguments, the rest one;
``heaviside(0)`` is 1/2 (sympy's convention)."""

CONSTANTS: Mapping[str, sympy.Expr] = MappingProxyType({"pi": sympy.pi, "E": sympy.E})
"""Named constants."""

RESERVED: frozenset[str] = frozenset(FUNCTIONS) | frozenset(CONSTANTS)
"""Names no coordinate or parameter may take."""

_ARITY = {"atan2": 2}
_FLOAT_FUNCTIONS: Mapping[str, Callable[..., float]] = {
    **{name: getattr(math, name) for name in FUNCTIONS if hasattr(math, name)},
    "abs": abs, "heaviside": lambda a: 1.0 if a > 0 else 0.0 if a < 0 else 0.5,
}
_CONSTANT_VALUES = {"pi": math.pi, "E": math.e}
# One table serves both sides: the operator module works on floats and on sympy objects alike.
_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
           ast.Div: operator.truediv, ast.Pow: operator.pow}
_OPERATOR_TEXT = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
                  ast.RShift: ">>", ast.BitOr: "|", ast.BitAnd: "&", ast.Not: "not",
                  ast.Invert: "~"}
_FORBIDDEN = {
    ast.Attribute: "attribute access is", ast.Subscript: "subscripts are",
    ast.Slice: "slices are", ast.Lambda: "lambdas are", ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are", ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "comprehensions are", ast.JoinedStr: "f-strings are",
    ast.Compare: "comparisons are", ast.BoolOp: "boolean operators (and, or) are",
    ast.IfExp: "conditional expressions (if/else) are",
    ast.NamedExpr: "assignment expressions (:=) are", ast.Starred: "starred arguments are",
    ast.Tuple: "tuples are", ast.List: "lists are", ast.Set: "sets are", ast.Dict: "dicts are",
    ast.Await: "await is", ast.Yield: "yield is", ast.YieldFrom: "yield is",
}
_LITERALS = {bool: "booleans are", complex: "complex numbers are", str: "strings are",
             bytes: "strings are", type(None): "None is", type(...): "'...' is"}
_NOT_FINITE_REAL = (sympy.I, sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)

_Value = tuple[sympy.Expr, float | None]  # the expression and, when constant, its value


def symbol(name: str) -> sympy.Symbol:
    """The symbol :func:`parse_expression` makes for ``name`` (real, so derivatives stay real)."""
    return sympy.Symbol(name, real=True)


def free_names(expr: sympy.Expr) -> set[str]:
    """Names of the free symbols of ``expr``."""
    return {s.name for s in expr.free_symbols}


def parse_expression(text: str | int | float, names: Iterable[str] = (), *,
                     where: str = "expression") -> sympy.Expr:
    """Parse spec text (or a plain number) into a sympy expression.

    ``names`` are the symbols allowed besides ``pi`` and ``E``; each becomes ``symbol(name)``.
    ``where`` locates the text in messages: ``str(err) == f"{where}: {message}"``, one line.
    Raises :class:`ExpressionError` on anything outside the whitelist or the limits.
    """
    allowed = tuple(dict.fromkeys(names))
    for name in allowed:
        if name in RESERVED:
            raise ExpressionError(where, f"name {name!r} is reserved for a function or constant")
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ExpressionError(where, f"expected text or a number, got {type(text).__name__}")
    if not isinstance(text, str):
        return _Builder(where, repr(text), allowed).number(text, None)[0]
    source, root = _parse(text, where)
    return _Builder(where, source, allowed).build(root)


def excerpt(text: str) -> str:
    """One line of at most ``EXCERPT`` characters, quoted."""
    text = " ".join(text.split())
    return repr(text if len(text) <= EXCERPT else text[: EXCERPT - 3] + "...")


def _parse(text: str, where: str) -> tuple[str, ast.expr]:
    """Check the raw text, parse it and return (stripped text, the one expression node)."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(where, f"too long ({len(text)} characters, limit {MAX_LENGTH})")
    if not text.isascii():
        bad = next(c for c in text if not c.isascii())
        raise ExpressionError(where, f"non-ASCII character {bad!r} in {excerpt(text)}")
    # Long expressions are written over several lines in spec files; a newline is just a space.
    source = " ".join(text.split())
    try:
        with warnings.catch_warnings():  # e.g. "1(2)" warns before it fails; the error suffices
            warnings.simplefilter("ignore")
            module = ast.parse(source)
    except (RecursionError, MemoryError):
        raise ExpressionError(where, "too deeply nested") from None
    except SyntaxError as err:
        reason = " ".join(str(err.msg).split())
        if "nest" in reason or "too complex" in reason:
            raise ExpressionError(where, "too deeply nested") from None
        raise ExpressionError(where, f"invalid syntax ({reason}) in {excerpt(source)}") from None
    except ValueError:  # NUL bytes, on Pythons where that is not a SyntaxError
        raise ExpressionError(where, f"invalid character in {excerpt(source)}") from None
    if not module.body:
        raise ExpressionError(where, "empty expression")
    if len(module.body) > 1:
        raise ExpressionError(where, f"one expression expected, got {len(module.body)} statements")
    statement = module.body[0]
    if isinstance(statement, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        raise ExpressionError(where, f"assignment is not allowed: {excerpt(source)}")
    if not isinstance(statement, ast.Expr):
        raise ExpressionError(where, f"statements are not allowed: {excerpt(source)}")
    _check_size(statement.value, where)
    return source, statement.value


def _check_size(root: ast.expr, where: str) -> None:
    """Bound node count and depth without recursion, so the recursive builder is safe."""
    count, stack = 0, [(root, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ExpressionError(where, f"too large (more than {MAX_NODES} nodes)")
        if depth > MAX_DEPTH:
            raise ExpressionError(where, f"too deeply nested (more than {MAX_DEPTH} levels)")
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                chained = isinstance(node, ast.BinOp) and child is node.left
                stack.append((child, depth if chained else depth + 1))


def _exact_bits(expr: sympy.Expr) -> int:
    """Rough size in bits of the exact rationals inside a constant ``expr``."""
    return sum(max(r.p.bit_length(), r.q.bit_length()) for r in expr.atoms(sympy.Rational))


class _Builder:
    """Builds sympy from a checked syntax tree, computing constants in float64 first."""

    def __init__(self, where: str, source: str, names: tuple[str, ...]):
        self.where, self.source, self.names = where, source, names

    def fail(self, message: str) -> NoReturn:
        raise ExpressionError(self.where, message)

    def text(self, node: ast.AST) -> str:
        return excerpt(ast.get_source_segment(self.source, node) or self.source)

    def build(self, root: ast.expr) -> sympy.Expr:
        expr, _ = self.node(root)
        if expr.has(*_NOT_FINITE_REAL):  # e.g. sqrt(-x**2) becomes I*Abs(x)
            self.fail(f"not a finite real expression: {excerpt(self.source)}")
        return expr

    def node(self, node: ast.expr) -> _Value:
        if isinstance(node, ast.BinOp):
            return self.chain(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            expr, value = self.node(node.operand)
            if isinstance(node.op, ast.UAdd):
                return expr, value
            return -expr, None if value is None else -value
        if isinstance(node, ast.UnaryOp):
            self.fail(f"operator {_OPERATOR_TEXT[type(node.op)]!r} is not allowed: "
                      f"{self.text(node)}")
        if isinstance(node, ast.Constant):
            return self.number(node.value, node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        what = _FORBIDDEN.get(type(node), f"{type(node).__name__} is")
        self.fail(f"{what} not allowed: {self.text(node)}")

    def number(self, value: object, node: ast.AST | None) -> _Value:
        where = self.text(node) if node is not None else excerpt(self.source)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(f"{_LITERALS.get(type(value), 'this is')} not allowed: {where}")
        # int vs float comparison is exact in Python, so a huge int does not overflow here.
        if (isinstance(value, float) and not math.isfinite(value)) or abs(value) > MAX_MAGNITUDE:
            self.fail(f"number {where} is out of range (limit {MAX_MAGNITUDE:g})")
        if isinstance(value, int):
            return sympy.Integer(value), float(value)
        return sympy.Float(value), float(value)

    def name(self, node: ast.Name) -> _Value:
        if node.id in self.names:
            return symbol(node.id), None
        if node.id in CONSTANTS:
            return CONSTANTS[node.id], _CONSTANT_VALUES[node.id]
        if node.id in FUNCTIONS:
            self.fail(f"function {node.id!r} must be called, e.g. {node.id}(x)")
        allowed = f"allowed: {', '.join(self.names)}" if self.names else "no names allowed here"
        self.fail(f"unknown name {node.id!r} ({allowed})")

    def call(self, node: ast.Call) -> _Value:
        if not isinstance(node.func, ast.Name):
            what = _FORBIDDEN.get(type(node.func), "calls of anything but a function name are")
            self.fail(f"{what} not allowed: {self.text(node)}")
        name = node.func.id
        if name not in FUNCTIONS:
            if name in self.names or name in CONSTANTS:
                self.fail(f"{name!r} is not a function: {self.text(node)}")
            self.fail(f"unknown function {name!r} (allowed: {', '.join(FUNCTIONS)})")
        if node.keywords:
            self.fail(f"keyword arguments are not allowed: {self.text(node)}")
        if any(isinstance(arg, ast.Starred) for arg in node.args):
            self.fail(f"starred arguments are not allowed: {self.text(node)}")
        arity = _ARITY.get(name, 1)
        if len(node.args) != arity:
            plural = "s" if arity > 1 else ""
            self.fail(f"{name} takes {arity} argument{plural}, got {len(node.args)}: "
                      f"{self.text(node)}")
        args = [self.node(arg) for arg in node.args]
        values = [value for _, value in args]
        value = None
        if all(v is not None for v in values):
            value = self.fold(lambda: _FLOAT_FUNCTIONS[name](*values), node)
        return self.result(FUNCTIONS[name](*(expr for expr, _ in args)), value, node)

    def chain(self, node: ast.BinOp) -> _Value:
        """A left-associative chain such as ``a + b - c`` iteratively, innermost first."""
        links = []
        while isinstance(node, ast.BinOp):
            links.append(node)
            node = node.left
        value = self.node(node)
        for link in reversed(links):
            value = self.binary(link, value, self.node(link.right))
        return value

    def binary(self, node: ast.BinOp, left: _Value, right: _Value) -> _Value:
        op = type(node.op)
        if op is ast.BitXor:
            self.fail(f"'^' is not a power, use '**': {self.text(node)}")
        if op not in _BINARY:
            self.fail(f"operator {_OPERATOR_TEXT.get(op, op.__name__)!r} is not allowed: "
                      f"{self.text(node)}")
        (a, va), (b, vb) = left, right
        if op is ast.Div and vb is not None and (vb == 0 or b.is_zero):  # b: exact, e.g. cos(pi/2)
            self.fail(f"division by zero: {self.text(node)}")
        if op is ast.Pow and vb is not None:
            if abs(vb) > MAX_EXPONENT:
                self.fail(f"exponent {vb:g} too large (limit {MAX_EXPONENT}): {self.text(node)}")
            # Tiny results underflow to 0.0 and pass the float check, yet sympy would still
            # work out the exact rational, e.g. ((1/3)**64)**64**... with millions of digits.
            if va is not None and abs(vb) * _exact_bits(a) > MAX_EXACT_BITS:
                self.fail(f"exact value too large: {self.text(node)}")
        value = None
        if va is not None and vb is not None:
            value = self.fold(lambda: _BINARY[op](va, vb), node)
        return self.result(_BINARY[op](a, b), value, node)

    def fold(self, compute: Callable[[], float | complex], node: ast.AST) -> float:
        """Run one float64 step of a constant; reject what is not a finite, bounded real."""
        try:
            value = compute()
        except ZeroDivisionError:
            self.fail(f"division by zero: {self.text(node)}")
        except OverflowError:
            self.fail(f"number too large: {self.text(node)}")
        except (ValueError, TypeError):  # math domain errors; float() of a complex sympy number
            self.fail(f"no finite real value: {self.text(node)}")
        if isinstance(value, complex):  # e.g. (-8)**(1/3)
            self.fail(f"no finite real value: {self.text(node)}")
        if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
            self.fail(f"number too large (limit {MAX_MAGNITUDE:g}): {self.text(node)}")
        return float(value)

    def result(self, expr: sympy.Expr, value: float | None, node: ast.AST) -> _Value:
        """Check a new node; constants must stay finite and real in sympy's exact view too."""
        if value is None and expr.free_symbols:
            return expr, None
        # Float noise can hide a pole that sympy sees exactly: log(sin(pi)), tan(pi/2).
        if expr.has(*_NOT_FINITE_REAL):
            self.fail(f"no finite real value: {self.text(node)}")
        if value is None:  # the variables cancelled, e.g. x - x
            value = self.fold(lambda: float(expr), node)
        return expr, value
