"""Simple polygons and triangles, with exact signed distances.

Edge ``i`` joins vertex ``i`` to vertex ``i + 1`` (cyclically) and is the piece ``NAME.i``.
Vertices may be listed in either orientation; the outward normals follow from the sign of the
area. The distance is the minimum over edges and the sign comes from a crossing count, both
computed for all points against all edges at once (``(..., E)`` intermediates), in NumPy float64.
"""

from __future__ import annotations

from typing import final

import numpy as np

from hyperpino.pde.geometry._arrays import F64, norm2
from hyperpino.pde.geometry._checks import MAX_VERTICES, check_name, polygon
from hyperpino.pde.geometry._segments import (
    ccw_outward_normal,
    cross,
    segment_points,
    segment_project,
)
from hyperpino.pde.geometry.base import BBox, Geometry, Primitive, check_affine

__all__ = ["MAX_VERTICES", "Polygon", "Triangle"]


class _VertexShape(Primitive):
    """Shared implementation of :class:`Polygon` and :class:`Triangle`."""

    _triangle = False

    def __init__(self, name: str, vertices: object):
        self.name = check_name(name)
        where = f"geometry.primitives.{name}.vertices"
        self.vertices = polygon(where, vertices, triangle=self._triangle)
        # Edge starts and ends, and per-edge numbers of the SDF: made once, not per call.
        self._a = np.array(self.vertices, dtype=F64)
        self._b = np.roll(self._a, -1, 0)
        e = self._b - self._a
        self._ex, self._ey = e[:, 0].copy(), e[:, 1].copy()
        self._ee = self._ex * self._ex + self._ey * self._ey
        self._slope = self._ex / np.where(self._ey == 0, 1.0, self._ey)
        self._lengths = tuple(float(x) for x in norm2(e))
        self._ccw = bool(_signed_area(self._a) > 0)
        self._local = tuple(str(i) for i in range(len(self.vertices)))

    @property
    def local_pieces(self) -> tuple[str, ...]:
        return self._local

    def _params(self) -> tuple:
        return self.vertices

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, {[list(v) for v in self.vertices]})"

    def bbox(self) -> BBox:
        xs, ys = zip(*self.vertices, strict=True)
        return (min(xs), max(xs)), (min(ys), max(ys))

    def _normals(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        n = ccw_outward_normal(a, b)
        return n if self._ccw else -n

    def _sdf_piece(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, ex, ey, ee, slope = self._a, self._ex, self._ey, self._ee, self._slope
        dx = p[..., 0, None] - a[:, 0]                          # (..., E)
        dy = p[..., 1, None] - a[:, 1]
        # t = clamp((d·e) / |e|², 0, 1) and r = d - t e, with the (..., E) temporaries reused.
        t = dx * ex
        t += dy * ey
        t /= ee
        np.clip(t, 0.0, 1.0, out=t)
        rx = dx - t * ex
        t *= ey
        ry = np.subtract(dy, t, out=t)
        rx *= rx
        ry *= ry
        all_dist2 = np.add(rx, ry, out=rx)                      # (..., E)
        k = all_dist2.argmin(-1)
        dist = np.sqrt(np.take_along_axis(all_dist2, k[..., None], -1)[..., 0])
        # Even-odd rule: count edges crossing the horizontal ray to the right of p. An edge counts
        # when its endpoints straddle the ray's line (half-open, so shared vertices count once);
        # with d = p - a, that is a_y > p_y != b_y > p_y, and the crossing lies right of p when
        # d_x < d_y * e_x / e_y.
        crossing = (dy < 0) != (dy < ey)
        dy *= slope
        crossing &= dx < dy
        inside = np.count_nonzero(crossing, axis=-1) % 2 == 1
        return np.where(inside, -dist, dist), k.astype(np.int64)

    def piece_lengths(self) -> tuple[float, ...]:
        return self._lengths

    def _piece_points(self, k: int, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = self._a[k], self._b[k]
        return segment_points(a, b, u), np.broadcast_to(self._normals(a, b), (u.shape[0], 2))

    def _project(self, k: int, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = self._a[k], self._b[k]
        return segment_project(a, b, q), np.broadcast_to(self._normals(a, b), (q.shape[0], 2))

    def _mapped(self, scale, shift) -> list[tuple[float, float]]:
        (sx, sy), (tx, ty) = check_affine(scale, shift)
        return [(sx * x + tx, sy * y + ty) for x, y in self.vertices]


@final
class Polygon(_VertexShape):
    """A simple polygon with at least 3 vertices, listed in either orientation.

    Pieces ``NAME.0`` ... ``NAME.{n-1}``; edge ``i`` runs from vertex ``i`` to vertex ``i + 1``.
    """

    def transformed(self, scale, shift) -> Geometry:
        return Polygon(self.name, self._mapped(scale, shift))


@final
class Triangle(_VertexShape):
    """A non-degenerate triangle; pieces ``NAME.0``, ``NAME.1``, ``NAME.2`` as for a polygon."""

    _triangle = True

    def transformed(self, scale, shift) -> Geometry:
        return Triangle(self.name, self._mapped(scale, shift))


def _signed_area(v: np.ndarray) -> float:
    """Shoelace area of vertices ``v (E, 2)``; positive for counter-clockwise order."""
    return 0.5 * float(cross(v, np.roll(v, -1, 0)).sum())
