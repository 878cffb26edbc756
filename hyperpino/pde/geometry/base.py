"""Abstract 2-D geometry and its CSG nodes.

A :class:`Geometry` is a signed distance function (negative inside) whose boundary is made of
named *pieces*: each primitive contributes a fixed list (``box.left``, ``hole``, ``tri.2``), and a
CSG tree's candidate pieces are those of its distinct primitives, in order of first appearance.
Besides the distance, every evaluation reports which piece is nearest and with which
*orientation*: the region's outward normal there is ``orientation * n_piece``, where ``n_piece``
is the primitive's own outward normal (a difference ``a - b`` turns ``b`` inside out, so ``b``'s
pieces get orientation -1).

CSG uses the usual min/max rules (union = min, intersection = max, difference = max(a, -b)).
Those give the exact sign and, in magnitude, a lower bound on the distance to the boundary that is
exact near the boundary — enough for containment, bands and projections.

The computation is NumPy float64 (no torch: a spec is checked before torch is imported); the public
methods take tensors or arrays and answer in kind (see :mod:`._arrays`).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

import numpy as np

from hyperpino.errors import GeometryError
from hyperpino.pde.geometry._arrays import as_f64, back
from hyperpino.pde.geometry._checks import pair

BBox = tuple[tuple[float, float], tuple[float, float]]
"""An axis-aligned box ``((xmin, xmax), (ymin, ymax))``."""


class Geometry(ABC):
    """A 2-D region as a signed distance function with named boundary pieces.

    Subclasses: the final primitives (``Rectangle``, ``Disk``, ``Ellipse``, ``Polygon``,
    ``Triangle``) and the CSG nodes :class:`Union`, :class:`Intersection`, :class:`Difference`,
    built with ``a | b``, ``a & b`` and ``a - b``. Instances are immutable.
    """

    @property
    @abstractmethod
    def piece_names(self) -> tuple[str, ...]:
        """All candidate boundary pieces in a fixed order; index ``i`` is ``piece_names[i]``."""

    @abstractmethod
    def primitives(self) -> tuple[Primitive, ...]:
        """The distinct primitives of the tree, in the order of their pieces in ``piece_names``."""

    @abstractmethod
    def bbox(self) -> BBox:
        """A box ``((xmin, xmax), (ymin, ymax))`` containing the region (tight for primitives)."""

    @abstractmethod
    def transformed(self, scale: tuple[float, float], shift: tuple[float, float]) -> Geometry:
        """The image under ``p -> scale * p + shift`` (``scale > 0`` per axis), same piece names."""

    @abstractmethod
    def _evaluate(self, p: np.ndarray, offsets: Mapping[str, int],
                  tie: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(sdf, piece, orientation)`` at float64 ``p (..., 2)`` with global piece indices (int64).

        ``offsets`` maps a primitive name to the index of its first piece in the root's
        ``piece_names``. Where two operands' distances differ by at most ``tie``, the piece of the
        left operand is reported, so numerically coincident edges resolve the same way every time.
        """

    def sdf(self, p: Any) -> Any:
        """Signed distance ``(...)`` at points ``p (..., 2)`` (tensor or array, in ``p``'s dtype);
        negative inside."""
        return back(self._evaluate(as_f64(p), self._offsets, 0.0)[0], p, same_dtype=True)

    def sdf_with_piece(self, p: Any) -> tuple[Any, Any, Any]:
        """``(sdf, piece, orientation)`` at points ``p (..., 2)`` (tensors or arrays, as ``p``).

        ``sdf (...)`` is negative inside; ``piece (...)`` (long) indexes ``piece_names`` and names
        the piece attaining the distance; ``orientation (...)`` (dtype of ``p``, values +-1) turns
        that primitive piece's own outward normal into the region's outward normal.
        """
        d, k, o = self._evaluate(as_f64(p), self._offsets, 0.0)
        return back(d, p, same_dtype=True), back(k, p), back(o, p, same_dtype=True)

    def _attribute(self, p: np.ndarray, tie: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`_evaluate` at float64 ``p`` with a tie tolerance (see there)."""
        return self._evaluate(p, self._offsets, tie)

    @property
    def _offsets(self) -> Mapping[str, int]:
        return _piece_offsets(self.primitives())

    def __or__(self, other: object) -> Geometry:
        if not isinstance(other, Geometry):
            return NotImplemented
        return Union(self, other)

    def __and__(self, other: object) -> Geometry:
        if not isinstance(other, Geometry):
            return NotImplemented
        return Intersection(self, other)

    def __sub__(self, other: object) -> Geometry:
        if not isinstance(other, Geometry):
            return NotImplemented
        return Difference(self, other)


class Primitive(Geometry):
    """A primitive shape with its own pieces ``NAME`` or ``NAME.<part>``.

    Besides the SDF, a primitive parametrises each piece by arc-length fraction (for sampling) and
    projects points onto a piece (for nearest boundary points); both return the primitive's own
    outward normals.
    """

    name: str

    @property
    @abstractmethod
    def local_pieces(self) -> tuple[str, ...]:
        """Piece suffixes (``("left", "right", ...)``), or ``("",)`` for a single piece ``NAME``."""

    @abstractmethod
    def _sdf_piece(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(sdf (...), local piece index (...) int64)`` at float64 ``p (..., 2)``."""

    @abstractmethod
    def piece_lengths(self) -> tuple[float, ...]:
        """Length of each local piece."""

    @abstractmethod
    def _piece_points(self, k: int, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`piece_points` on float64 arrays."""

    @abstractmethod
    def _project(self, k: int, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`project` on float64 arrays."""

    def piece_points(self, k: int, u: Any) -> tuple[Any, Any]:
        """Points ``(m, 2)`` and own unit normals ``(m, 2)`` at arc-length fractions ``u (m,)``.

        ``u`` in [0, 1] runs along local piece ``k``; uniform ``u`` gives points uniform by length.
        Tensors or arrays, as ``u`` (and in its dtype).
        """
        pts, normals = self._piece_points(k, as_f64(u))
        return back(pts, u, same_dtype=True), back(normals, u, same_dtype=True)

    def project(self, k: int, q: Any) -> tuple[Any, Any]:
        """Nearest points ``(m, 2)`` on local piece ``k`` to ``q (m, 2)`` and own normals there
        (tensors or arrays, as ``q``, and in its dtype)."""
        pts, normals = self._project(k, as_f64(q))
        return back(pts, q, same_dtype=True), back(normals, q, same_dtype=True)

    @abstractmethod
    def _params(self) -> tuple:
        """The defining numbers, for equality (two primitives with one name must be equal)."""

    @property
    def piece_names(self) -> tuple[str, ...]:
        return tuple(f"{self.name}.{s}" if s else self.name for s in self.local_pieces)

    def primitives(self) -> tuple[Primitive, ...]:
        return (self,)

    def _evaluate(self, p: np.ndarray, offsets: Mapping[str, int],
                  tie: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        d, k = self._sdf_piece(p)
        return d, k + offsets[self.name], np.ones_like(d)

    def __eq__(self, other: object) -> bool:
        return (type(other) is type(self) and other.name == self.name  # type: ignore[attr-defined]
                and other._params() == self._params())  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.name, self._params()))


class _Binary(Geometry):
    """A CSG node with two operands; the concrete nodes differ only in how they combine them."""

    symbol: str

    def __init__(self, left: Geometry, right: Geometry):
        for side, g in (("left", left), ("right", right)):
            if not isinstance(g, Geometry):
                raise TypeError(f"{type(self).__name__}: {side} operand must be a Geometry, "
                                f"got {type(g).__name__}")
        self.left = left
        self.right = right
        seen: dict[str, Primitive] = {}
        for prim in left.primitives() + right.primitives():
            other = seen.setdefault(prim.name, prim)
            if other is not prim and other != prim:
                raise GeometryError("geometry.csg", f"two different primitives are named "
                                    f"{prim.name!r}")
        self._prims = tuple(seen.values())
        self._offset_table = _piece_offsets(self._prims)
        self._names = tuple(n for q in self._prims for n in q.piece_names)

    @property
    def piece_names(self) -> tuple[str, ...]:
        return self._names

    def primitives(self) -> tuple[Primitive, ...]:
        return self._prims

    @property
    def _offsets(self) -> Mapping[str, int]:
        return self._offset_table

    def transformed(self, scale: tuple[float, float], shift: tuple[float, float]) -> Geometry:
        mapped = {q.name: q.transformed(scale, shift) for q in self._prims}
        return self._rebuild(mapped)

    def _rebuild(self, mapped: Mapping[str, Geometry]) -> Geometry:
        def sub(g: Geometry) -> Geometry:
            return g._rebuild(mapped) if isinstance(g, _Binary) else mapped[g.name]  # type: ignore

        return type(self)(sub(self.left), sub(self.right))

    def expression(self) -> str:
        """The tree as a CSG expression over primitive names, fully parenthesised."""
        def text(g: Geometry) -> str:
            return g.expression() if isinstance(g, _Binary) else g.name  # type: ignore

        return f"({text(self.left)} {self.symbol} {text(self.right)})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}{self.expression()}"


class Union(_Binary):
    """``left | right``: points in either operand."""

    symbol = "|"

    def bbox(self) -> BBox:
        (a0, a1), (b0, b1) = self.left.bbox()
        (c0, c1), (d0, d1) = self.right.bbox()
        return (min(a0, c0), max(a1, c1)), (min(b0, d0), max(b1, d1))

    def _evaluate(self, p, offsets, tie):
        d1, k1, o1 = self.left._evaluate(p, offsets, tie)
        d2, k2, o2 = self.right._evaluate(p, offsets, tie)
        left = d1 <= d2 + tie
        return np.minimum(d1, d2), np.where(left, k1, k2), np.where(left, o1, o2)


class Intersection(_Binary):
    """``left & right``: points in both operands."""

    symbol = "&"

    def bbox(self) -> BBox:
        (a0, a1), (b0, b1) = self.left.bbox()
        (c0, c1), (d0, d1) = self.right.bbox()
        return (max(a0, c0), min(a1, c1)), (max(b0, d0), min(b1, d1))

    def _evaluate(self, p, offsets, tie):
        d1, k1, o1 = self.left._evaluate(p, offsets, tie)
        d2, k2, o2 = self.right._evaluate(p, offsets, tie)
        left = d1 >= d2 - tie
        return np.maximum(d1, d2), np.where(left, k1, k2), np.where(left, o1, o2)


class Difference(_Binary):
    """``left - right``: points of ``left`` not in ``right``; ``right``'s pieces are inverted."""

    symbol = "-"

    def bbox(self) -> BBox:
        return self.left.bbox()

    def _evaluate(self, p, offsets, tie):
        d1, k1, o1 = self.left._evaluate(p, offsets, tie)
        d2, k2, o2 = self.right._evaluate(p, offsets, tie)
        left = d1 >= -d2 - tie
        return np.maximum(d1, -d2), np.where(left, k1, k2), np.where(left, o1, -o2)


def check_affine(scale: object, shift: object) -> tuple[tuple[float, float], tuple[float, float]]:
    """Validate the arguments of :meth:`Geometry.transformed`: finite numbers, ``scale > 0``."""
    s = pair("geometry.transform.scale", scale)
    t = pair("geometry.transform.shift", shift)
    if s[0] <= 0 or s[1] <= 0:
        raise GeometryError("geometry.transform.scale", f"must be positive per axis, got {s}")
    return s, t


def _piece_offsets(prims: tuple[Primitive, ...]) -> dict[str, int]:
    offsets, start = {}, 0
    for q in prims:
        offsets[q.name] = start
        start += len(q.local_pieces)
    return offsets


def bbox_extent(box: BBox) -> float:
    """The larger side of a box (a length scale for tolerances); 0 for an empty box."""
    (x0, x1), (y0, y1) = box
    return max(x1 - x0, y1 - y0, 0.0) if math.isfinite(x1 - x0 + y1 - y0) else 0.0
