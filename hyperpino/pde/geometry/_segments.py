"""Straight segments: points along them, projections onto them (NumPy, float64).

Shared by the rectangle (four axis-aligned segments) and the polygon (one segment per edge).
All functions broadcast: segment endpoints ``a``, ``b`` and points ``q`` only need compatible
leading shapes.
"""

from __future__ import annotations

import numpy as np

from hyperpino.pde.geometry._arrays import norm2


def segment_points(a: np.ndarray, b: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Points ``a + u (b - a)``: ``a, b (2,)``, ``u (m,)`` -> ``(m, 2)``."""
    return a + u[:, None] * (b - a)


def segment_param(a: np.ndarray, b: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Parameter in [0, 1] of the point of ``[a, b]`` nearest ``q``: ``(..., 2)`` -> ``(...)``."""
    (ex, ey), (dx, dy) = np.moveaxis(b - a, -1, 0), np.moveaxis(q - a, -1, 0)
    return np.clip((dx * ex + dy * ey) / (ex * ex + ey * ey), 0.0, 1.0)


def segment_project(a: np.ndarray, b: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Nearest points of segment ``[a, b]`` to ``q``: ``(..., 2)`` -> ``(..., 2)``."""
    return a + segment_param(a, b, q)[..., None] * (b - a)


def cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """z-component of ``u x v``: ``(..., 2)`` -> ``(...)``."""
    return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]


def ccw_outward_normal(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Unit normal ``(e_y, -e_x) / |e|`` of ``e = b - a``; outward on a counter-clockwise loop."""
    e = b - a
    n = np.stack([e[..., 1], -e[..., 0]], -1)
    return n / norm2(n)[..., None]
