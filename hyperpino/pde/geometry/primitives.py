"""The rectangle and the disk: primitives with exact closed-form signed distances.

The ellipse lives in ``ellipse.py``, polygons and triangles in ``polygon.py``. Constructors
validate their numbers (:mod:`._checks`) and raise a ``GeometryError`` at
``geometry.primitives.NAME.FIELD``.
"""

from __future__ import annotations

import math
from typing import final

import torch
from torch import Tensor

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

    def _sdf_piece(self, p: Tensor) -> tuple[Tensor, Tensor]:
        lo, hi = p.new_tensor(self.min), p.new_tensor(self.max)
        d = p - 0.5 * (lo + hi)
        q = d.abs() - 0.5 * (hi - lo)
        sdf = torch.linalg.vector_norm(q.clamp_min(0.0), dim=-1) + q.amax(-1).clamp_max(0.0)
        # The nearest side is the one whose slab the point is deepest out of (or least inside).
        vertical = q[..., 0] > q[..., 1]
        k = torch.where(vertical, (d[..., 0] >= 0).long(), 2 + (d[..., 1] >= 0).long())
        return sdf, k

    def piece_lengths(self) -> tuple[float, ...]:
        w, h = self.max[0] - self.min[0], self.max[1] - self.min[1]
        return h, h, w, w

    def _segment(self, k: int, like: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Endpoints ``a, b (2,)`` of side ``k`` and its outward normal ``(2,)``."""
        (x0, y0), (x1, y1) = self.min, self.max
        a, b, n = (((x0, y0), (x0, y1), (-1.0, 0.0)), ((x1, y0), (x1, y1), (1.0, 0.0)),
                   ((x0, y0), (x1, y0), (0.0, -1.0)), ((x0, y1), (x1, y1), (0.0, 1.0)))[k]
        return like.new_tensor(a), like.new_tensor(b), like.new_tensor(n)

    def piece_points(self, k: int, u: Tensor) -> tuple[Tensor, Tensor]:
        a, b, n = self._segment(k, u)
        return segment_points(a, b, u), n.expand(u.shape[0], 2)

    def project(self, k: int, q: Tensor) -> tuple[Tensor, Tensor]:
        a, b, n = self._segment(k, q)
        return segment_project(a, b, q), n.expand(q.shape[0], 2)


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

    def _sdf_piece(self, p: Tensor) -> tuple[Tensor, Tensor]:
        d = torch.linalg.vector_norm(p - p.new_tensor(self.center), dim=-1) - self.radius
        return d, torch.zeros(d.shape, dtype=torch.long, device=d.device)

    def piece_lengths(self) -> tuple[float, ...]:
        return (2 * math.pi * self.radius,)

    def piece_points(self, k: int, u: Tensor) -> tuple[Tensor, Tensor]:
        t = 2 * math.pi * u
        n = torch.stack([torch.cos(t), torch.sin(t)], -1)
        return u.new_tensor(self.center) + self.radius * n, n

    def project(self, k: int, q: Tensor) -> tuple[Tensor, Tensor]:
        v = q - q.new_tensor(self.center)
        norm = torch.linalg.vector_norm(v, dim=-1, keepdim=True)
        # Every boundary point is nearest to the centre; pick angle 0 there.
        n = torch.where(norm > 0, v / norm.clamp_min(torch.finfo(q.dtype).tiny),
                        q.new_tensor((1.0, 0.0)))
        return q.new_tensor(self.center) + self.radius * n, n
