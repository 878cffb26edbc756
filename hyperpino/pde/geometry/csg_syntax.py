"""Safe parsing of CSG expressions such as ``"box - (hole1 | hole2)"``: the syntax, no torch.

The text is size-checked, parsed into a Python syntax tree (``ast.parse`` only builds the tree;
nothing is compiled to code or run) and walked with a whitelist: primitive names, the binary
operators ``-`` (difference), ``|`` (union), ``&`` (intersection), and parentheses. Python's
precedence applies: ``-`` binds tighter than ``&``, which binds tighter than ``|``. Length,
bracket-nesting and operator-count limits run before the parser sees the text, so hostile input
fails in microseconds. :func:`~hyperpino.pde.geometry.csg_parse.parse_csg` builds the geometry
from the checked tree.
"""

from __future__ import annotations

import ast
from collections.abc import Collection

from hyperpino.errors import GeometryError

MAX_LENGTH = 2000
"""Characters in an expression."""

MAX_DEPTH = 32
"""Nesting of brackets."""

MAX_OPERATORS = 128
"""Binary operations in an expression (also bounds the recursion depth of the walk below)."""

OPERATORS = {ast.Sub: "-", ast.BitOr: "|", ast.BitAnd: "&"}
"""The allowed operators: difference, union, intersection."""

_OPERATOR_TEXT = {ast.Add: "+", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
                  ast.Pow: "**", ast.MatMult: "@", ast.BitXor: "^", ast.LShift: "<<",
                  ast.RShift: ">>"}

_FORBIDDEN = {
    ast.Call: "function calls are not allowed",
    ast.Attribute: "attribute access is not allowed",
    ast.Subscript: "subscripts are not allowed",
    ast.Constant: "literals (numbers, strings) are not allowed",
    ast.UnaryOp: "unary operators are not allowed (write 'a - b' for a difference)",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "'and'/'or' are not allowed (use '&' and '|')",
    ast.Lambda: "lambdas are not allowed",
}


def csg_tree(text: str, names: Collection[str], *, where: str = "geometry.csg") -> ast.expr:
    """The checked syntax tree of ``text``: only ``names`` combined with ``-``, ``|``, ``&`` and
    parentheses. Raises :class:`GeometryError` at ``where`` with a one-line message otherwise."""
    if not isinstance(text, str):
        raise GeometryError(where, f"expected a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise GeometryError(where, f"expression too long ({len(text)} characters, "
                            f"at most {MAX_LENGTH})")
    if not text.strip():
        raise GeometryError(where, "empty expression")
    depth = deepest = 0
    for ch in text:
        if ch in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in ")]}":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise GeometryError(where, f"brackets nested too deeply ({deepest}, at most {MAX_DEPTH})")
    n_ops = sum(text.count(op) for op in "-|&+*/%@^<>")
    if n_ops > MAX_OPERATORS:
        raise GeometryError(where, f"too many operators ({n_ops}, at most {MAX_OPERATORS})")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as err:
        detail = getattr(err, "msg", None) or str(err) or type(err).__name__
        raise GeometryError(where, f"not a valid CSG expression ({detail.splitlines()[0]})"
                            ) from None
    _check(tree.body, names, where)
    return tree.body


def _check(node: ast.AST, names: Collection[str], where: str) -> None:
    at = f" at column {node.col_offset + 1}" if hasattr(node, "col_offset") else ""
    if isinstance(node, ast.Name):
        if node.id not in names:
            known = ", ".join(sorted(names)[:20]) or "none"
            raise GeometryError(where, f"unknown primitive {node.id!r}{at} (known: {known})")
        return
    if isinstance(node, ast.BinOp):
        if type(node.op) not in OPERATORS:
            sym = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
            raise GeometryError(where, f"operator '{sym}'{at} is not allowed "
                                "(use '-', '|', '&' and parentheses)")
        _check(node.left, names, where)
        _check(node.right, names, where)
        return
    message = next((m for t, m in _FORBIDDEN.items() if isinstance(node, t)),
                   f"{type(node).__name__} syntax is not allowed")
    raise GeometryError(where, f"{message}{at}; use primitive names, '-', '|', '&' and "
                        "parentheses")
