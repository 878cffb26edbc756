"""The rectangle and the disk: primitives with exact closed-form signed distances.

The ellipse lives in ``ellipse.py``, polygons and triangles in ``polygon.py``. Constructors
validate their numbers (:mod:`._checks`) and raise a ``GeometryError`` at
``geometry.primitives.NAME.FIELD``. Computation in NumPy float64 (see :mod:`.base`).
"""

from __future__ import annotations

import math
from typing import final

import numpy as np

from hyperpino.pde.geometry._arrays import F64, norm2
from hyperpino.pde.geometry._checks import RECTANGLE_SIDES, check_name, disk, rectangle
from hyperpino.pde.geometry._segments import segment_points, segment_project
from hyperpino.pde.geometry.base import BBox, Geometry, Primitive, check_affine
from hyperpino.pde.geometry.ellipse import Ellipse


@final
class Rectangle(Primitive):
    """The axis-aligned rectangle ``[min_x, max_x] x [min_y, max_y]``.

    Pieces ``NAME.left``, ``NAME.right`` (upwards), ``NAME.bottom``, ``NAME.top`` (rightwards);
    arc-length fractions run in those directions.
    """

    local_pieces = RECTANGLE_SIDES

    def __init__(self, name: str, min: tuple[float, float], max: tuple[float, float]):
        self.name = check_name(name)
        self.min, self.max = rectangle(f"geometry.primitives.{name}", min, max)

    def _params(self) -> tuple:
        return self.min, self.max

    def __repr__(self) -> str:
        return f"Rectangle({self.name!r}, min={self.min}, max={self.max})"

    def bbox(self) -> BBox:
        return (self.min[0], self.max[0]), (self.min[1], self.max[1])

    def transformed(self, scale, shift) -> Geometry:
        (sx, sy), (tx, ty) = check_affine(scale, shift)
        return Rectangle(self.name, (sx * self.min[0] + tx, sy * self.min[1] + ty),
                         (sx * self.max[0] + tx, sy * self.max[1] + ty))

    def _sdf_piece(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = np.array(self.min, dtype=F64), np.array(self.max, dtype=F64)
        d = p - 0.5 * (lo + hi)
        q = np.abs(d) - 0.5 * (hi - lo)
        # Columns, not reductions over the last axis of size 2 (slow in NumPy, per row).
        sdf = norm2(np.maximum(q, 0.0)) + np.minimum(np.maximum(q[..., 0], q[..., 1]), 0.0)
        # The nearest side is the one whose slab the point is deepest out of (or least inside).
        vertical = q[..., 0] > q[..., 1]
        k = np.where(vertical, (d[..., 0] >= 0).astype(np.int64), 2 + (d[..., 1] >= 0).astype(np.int64))
        return sdf, k

    def piece_lengths(self) -> tuple[float, ...]:
        w, h = self.max[0] - self.min[0], self.max[1] - self.min[1]
        return h, h, w, w

    def _segment(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Endpoints ``a, b (2,)`` of side ``k`` and its outward normal ``(2,)``."""
        (x0, y0), (x1, y1) = self.min, self.max
        a, b, n = (((x0, y0), (x0, y1), (-1.0, 0.0)), ((x1, y0), (x1, y1), (1.0, 0.0)),
                   ((x0, y0), (x1, y0), (0.0, -1.0)), ((x0, y1), (x1, y1), (0.0, 1.0)))[k]
        return np.array(a, dtype=F64), np.array(b, dtype=F64), np.array(n, dtype=F64)

    def _piece_points(self, k: int, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b, n = self._segment(k)
        return segment_points(a, b, u), np.broadcast_to(n, (u.shape[0], 2))

    def _project(self, k: int, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b, n = self._segment(k)
        return segment_project(a, b, q), np.broadcast_to(n, (q.shape[0], 2))


@final
class Disk(Primitive):
    """The disk ``|p - center| <= radius``; one piece ``NAME`` (counter-clockwise from angle 0)."""

    local_pieces = ("",)

    def __init__(self, name: str, center: tuple[float, float], radius: float):
        self.name = check_name(name)
        self.center, self.radius = disk(f"geometry.primitives.{name}", center, radius)

    def _params(self) -> tuple:
        return self.center, self.radius

    def __repr__(self) -> str:
        return f"Disk({self.name!r}, center={self.center}, radius={self.radius})"

    def bbox(self) -> BBox:
        (cx, cy), r = self.center, self.radius
        return (cx - r, cx + r), (cy - r, cy + r)

    def transformed(self, scale, shift) -> Geometry:
        (sx, sy), (tx, ty) = check_affine(scale, shift)
        center = (sx * self.center[0] + tx, sy * self.center[1] + ty)
        if math.isclose(sx, sy, rel_tol=1e-12):
            return Disk(self.name, center, self.radius * sx)
        return Ellipse(self.name, center, (self.radius * sx, self.radius * sy), 0.0)

    def _sdf_piece(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = norm2(p - np.array(self.center, dtype=F64)) - self.radius
        return d, np.zeros(d.shape, dtype=np.int64)

    def piece_lengths(self) -> tuple[float, ...]:
        return (2 * math.pi * self.radius,)

    def _piece_points(self, k: int, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = 2 * math.pi * u
        n = np.stack([np.cos(t), np.sin(t)], -1)
        return np.array(self.center, dtype=F64) + self.radius * n, n

    def _project(self, k: int, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        centre = np.array(self.center, dtype=F64)
        v = q - centre
        norm = norm2(v)[..., None]
        # Every boundary point is nearest to the centre; pick angle 0 there.
        n = np.where(norm > 0, v / np.maximum(norm, np.finfo(F64).tiny), np.array((1.0, 0.0)))
        return centre + self.radius * n, n
