"""The ellipse: a rotated ellipse with a near-exact signed distance.

The sign comes from the implicit equation and is exact. The distance is that to the nearest
boundary point, found by the trig-free fixed-point iteration of C. Chatfield ("A simple method for
distance to ellipse", 2017), which walks along the ellipse using its local circle of curvature
(centred on the evolute) and converges in a handful of steps for every point, including the
centre and points near the evolute where Newton's method on the angle can stall.
"""

from __future__ import annotations

import math
from typing import final

import numpy as np

from hyperpino.pde.geometry._arrays import F64, linspace, norm2
from hyperpino.pde.geometry._checks import check_name, ellipse
from hyperpino.pde.geometry.base import BBox, Geometry, Primitive, check_affine

_ITERATIONS = 8
"""Fixed-point steps; the error is at round-off level after about five."""

_TABLE = 4097
"""Nodes of the arc-length table over the parameter angle [0, 2 pi]."""


@final
class Ellipse(Primitive):
    """The ellipse with semi-axes ``(a, b)`` along directions rotated by ``angle`` (radians).

    One piece ``NAME``, parametrised counter-clockwise from the end of the first semi-axis.
    """

    local_pieces = ("",)

    def __init__(self, name: str, center: tuple[float, float], semi_axes: tuple[float, float],
                 angle: float = 0.0):
        self.name = check_name(name)
        self.center, self.semi_axes, self.angle = ellipse(f"geometry.primitives.{name}", center,
                                                          semi_axes, angle)
        # Cumulative arc length at parameter angles linspace(0, 2 pi): trapezoid rule, which is
        # spectrally accurate for this smooth periodic speed.
        a, b = self.semi_axes
        t = linspace(0.0, 2 * math.pi, _TABLE)
        speed = np.sqrt((a * np.sin(t)) ** 2 + (b * np.cos(t)) ** 2)
        steps = 0.5 * (speed[1:] + speed[:-1]) * (t[1] - t[0])
        self._t = t
        self._s = np.concatenate([np.zeros(1), np.cumsum(steps)])

    def _params(self) -> tuple:
        return self.center, self.semi_axes, self.angle

    def __repr__(self) -> str:
        return (f"Ellipse({self.name!r}, center={self.center}, semi_axes={self.semi_axes}, "
                f"angle={self.angle})")

    def bbox(self) -> BBox:
        (cx, cy), (a, b) = self.center, self.semi_axes
        c, s = math.cos(self.angle), math.sin(self.angle)
        hx, hy = math.hypot(a * c, b * s), math.hypot(a * s, b * c)
        return (cx - hx, cx + hx), (cy - hy, cy + hy)

    def transformed(self, scale, shift) -> Geometry:
        (sx, sy), (tx, ty) = check_affine(scale, shift)
        # The image of c + R(angle) diag(a, b) w, |w| = 1, is c' + M w with M = S R D; writing
        # M = U diag(sigma) V^T, it is c' + U diag(sigma) w' with w' = V^T w again on the circle.
        c, s = math.cos(self.angle), math.sin(self.angle)
        a, b = self.semi_axes
        m = np.array([[sx * c * a, -sx * s * b], [sy * s * a, sy * c * b]], dtype=F64)
        u, sigma, _ = np.linalg.svd(m)
        # A reflection in U is absorbed by w' -> diag(1, -1) w'; keep U a rotation.
        angle = math.atan2(float(u[1, 0]), float(u[0, 0]))
        center = (sx * self.center[0] + tx, sy * self.center[1] + ty)
        return Ellipse(self.name, center, (float(sigma[0]), float(sigma[1])), angle)

    def _to_local(self, p: np.ndarray) -> np.ndarray:
        """Coordinates ``(..., 2)`` in the frame of the semi-axes."""
        c, s = math.cos(self.angle), math.sin(self.angle)
        d = p - np.array(self.center, dtype=F64)
        return np.stack([c * d[..., 0] + s * d[..., 1], -s * d[..., 0] + c * d[..., 1]], -1)

    def _to_world(self, q: np.ndarray, *, vector: bool = False) -> np.ndarray:
        c, s = math.cos(self.angle), math.sin(self.angle)
        out = np.stack([c * q[..., 0] - s * q[..., 1], s * q[..., 0] + c * q[..., 1]], -1)
        return out if vector else out + np.array(self.center, dtype=F64)

    def _normal_local(self, q: np.ndarray) -> np.ndarray:
        """Unit outward normals at local boundary points ``q (..., 2)`` (∇ of x²/a² + y²/b²)."""
        a, b = self.semi_axes
        g = np.stack([q[..., 0] / a**2, q[..., 1] / b**2], -1)
        return g / norm2(g)[..., None]

    def _nearest_local(self, q: np.ndarray) -> np.ndarray:
        """Nearest boundary points ``(..., 2)`` to local points ``q (..., 2)``."""
        a, b = self.semi_axes
        px, py = np.abs(q[..., 0]), np.abs(q[..., 1])
        tiny = np.finfo(F64).tiny
        tx = np.full_like(px, math.sqrt(0.5))
        ty = np.full_like(py, math.sqrt(0.5))
        for _ in range(_ITERATIONS):
            # (ex, ey) is the centre of curvature at the current point (a tx, b ty); the next point
            # is where the ray from it towards p crosses the circle of curvature.
            ex = (a * a - b * b) * tx**3 / a
            ey = (b * b - a * a) * ty**3 / b
            r = np.hypot(a * tx - ex, b * ty - ey)
            qx, qy = px - ex, py - ey
            ratio = r / np.maximum(np.hypot(qx, qy), tiny)
            tx = np.clip((qx * ratio + ex) / a, 0.0, 1.0)
            ty = np.clip((qy * ratio + ey) / b, 0.0, 1.0)
            norm = np.maximum(np.hypot(tx, ty), tiny)
            tx, ty = tx / norm, ty / norm
        x, y = np.copysign(a * tx, q[..., 0]), np.copysign(b * ty, q[..., 1])
        return np.stack([x, y], -1)

    def _sdf_piece(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.semi_axes
        q = self._to_local(p)
        dist = norm2(q - self._nearest_local(q))
        inside = (q[..., 0] / a) ** 2 + (q[..., 1] / b) ** 2 < 1.0
        sdf = np.where(inside, -dist, dist)
        return sdf, np.zeros(sdf.shape, dtype=np.int64)

    def piece_lengths(self) -> tuple[float, ...]:
        return (float(self._s[-1]),)

    def _piece_points(self, k: int, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Invert the arc-length table by linear interpolation: uniform u -> uniform by length.
        s, t = self._s, self._t
        target = np.clip(u, 0.0, 1.0) * s[-1]
        i = np.clip(np.searchsorted(s, target), 1, s.shape[0] - 1)
        w = (target - s[i - 1]) / (s[i] - s[i - 1])
        angle = t[i - 1] + w * (t[i] - t[i - 1])
        a, b = self.semi_axes
        q = np.stack([a * np.cos(angle), b * np.sin(angle)], -1)
        return self._to_world(q), self._to_world(self._normal_local(q), vector=True)

    def _project(self, k: int, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        near = self._nearest_local(self._to_local(q))
        return self._to_world(near), self._to_world(self._normal_local(near), vector=True)
