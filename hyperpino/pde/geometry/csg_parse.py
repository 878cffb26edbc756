"""Building a geometry from a CSG expression such as ``"box - (hole1 | hole2)"``.

The text is checked by :func:`~hyperpino.pde.geometry.csg_syntax.csg_tree` (a whitelist over
Python's syntax tree; nothing is compiled or run); the tree's names become primitives and its
``-``, ``|``, ``&`` the CSG nodes.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

from hyperpino.pde.geometry.base import Difference, Geometry, Intersection, Union
from hyperpino.pde.geometry.csg_syntax import MAX_DEPTH, MAX_LENGTH, MAX_OPERATORS, csg_tree

__all__ = ["MAX_DEPTH", "MAX_LENGTH", "MAX_OPERATORS", "parse_csg"]

_NODES = {ast.Sub: Difference, ast.BitOr: Union, ast.BitAnd: Intersection}


def parse_csg(text: str, primitives: Mapping[str, Geometry], *,
              where: str = "geometry.csg") -> Geometry:
    """The geometry ``text`` describes over the named ``primitives``.

    Raises :class:`~hyperpino.errors.GeometryError` at ``where`` with a one-line message for
    anything but names of ``primitives`` combined with ``-``, ``|``, ``&`` and parentheses, and for
    oversized input.
    """
    return _build(csg_tree(text, primitives, where=where), primitives)


def _build(node: ast.expr, primitives: Mapping[str, Geometry]) -> Geometry:
    if isinstance(node, ast.Name):
        geometry = primitives[node.id]
        if not isinstance(geometry, Geometry):
            raise TypeError(f"primitives[{node.id!r}] is not a Geometry")
        return geometry
    assert isinstance(node, ast.BinOp)  # csg_tree allows names and the three operators only
    return _NODES[type(node.op)](_build(node.left, primitives), _build(node.right, primitives))
