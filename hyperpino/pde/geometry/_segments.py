"""Straight segments: points along them, projections onto them.

Shared by the rectangle (four axis-aligned segments) and the polygon (one segment per edge).
All functions broadcast: segment endpoints ``a``, ``b`` and points ``q`` only need compatible
leading shapes.
"""

from __future__ import annotations

import torch
from torch import Tensor


def segment_points(a: Tensor, b: Tensor, u: Tensor) -> Tensor:
    """Points ``a + u (b - a)``: ``a, b (2,)``, ``u (m,)`` -> ``(m, 2)``."""
    return a + u[:, None] * (b - a)


def segment_param(a: Tensor, b: Tensor, q: Tensor) -> Tensor:
    """Parameter in [0, 1] of the point of ``[a, b]`` nearest ``q``: ``(..., 2)`` -> ``(...)``."""
    e = b - a
    return (((q - a) * e).sum(-1) / (e * e).sum(-1)).clamp(0.0, 1.0)


def segment_project(a: Tensor, b: Tensor, q: Tensor) -> Tensor:
    """Nearest points of segment ``[a, b]`` to ``q``: ``(..., 2)`` -> ``(..., 2)``."""
    return a + segment_param(a, b, q)[..., None] * (b - a)


def cross(u: Tensor, v: Tensor) -> Tensor:
    """z-component of ``u x v``: ``(..., 2)`` -> ``(...)``."""
    return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]


def ccw_outward_normal(a: Tensor, b: Tensor) -> Tensor:
    """Unit normal ``(e_y, -e_x) / |e|`` of ``e = b - a``; outward on a counter-clockwise loop."""
    e = b - a
    n = torch.stack([e[..., 1], -e[..., 0]], -1)
    return n / torch.linalg.vector_norm(n, dim=-1, keepdim=True)
