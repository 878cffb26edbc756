"""Images of a domain on a square pixel grid: mask, boundary band, nearest boundary points, normals.

The grid convention (shared with every image in the project): ``grid_points(n, box)[i, j]`` is
``(x_j, y_i)`` with ``x = linspace(x0, x1, n)`` and ``y = linspace(y1, y0, n)``, so row 0 is the
top edge ``y = y1`` and column 0 the left edge ``x = x0`` — the orientation an image is shown in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from hyperpino.pde.geometry._checks import pair
from hyperpino.pde.geometry.domain import Domain

Box = tuple[tuple[float, float], tuple[float, float]]
_UNIT: Box = ((-1.0, 1.0), (-1.0, 1.0))

_SPACING_PX = 0.25
"""Boundary sampling step of the nearest-point fallback near corners, in pixels."""


def grid_points(n: int, box: Box = _UNIT, *, dtype: torch.dtype = torch.float32) -> Tensor:
    """Pixel centres ``(n, n, 2)``: ``[i, j] = (x_j, y_i)``, row 0 at the top (``y = y1``)."""
    (x0, x1), (y0, y1) = _check_box(box)
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"the grid size must be an int >= 2, got {n!r}")
    x = torch.linspace(x0, x1, n, dtype=torch.float64)
    y = torch.linspace(y1, y0, n, dtype=torch.float64)
    yy, xx = torch.meshgrid(y, x, indexing="ij")
    return torch.stack([xx, yy], -1).to(dtype)


@dataclass(frozen=True)
class Raster:
    """A domain on an ``n x n`` grid (see :func:`grid_points` for the pixel layout).

    ``domain (n, n)`` bool: pixel centre in the closed region. ``piece (n, n)`` long: index into
    ``geometry.piece_names`` of the nearest active piece for pixels within the band (either side
    of the boundary), else -1. ``foot (n, n, 2)``: nearest boundary point of band pixels (the
    pixel centre elsewhere). ``normal (n, n, 2)``: outward unit normal at the foot (zero
    elsewhere). Float tensors are float32.
    """

    domain: Tensor
    piece: Tensor
    foot: Tensor
    normal: Tensor


def rasterize(domain: Domain, n: int, *, box: Box = _UNIT, band_px: float = 1.5) -> Raster:
    """Rasterise ``domain`` on ``grid_points(n, box)``; the band is ``band_px`` pixels per side.

    A pixel is in the band when its distance to the boundary is at most ``band_px`` times the
    pixel pitch (the larger of the two axes' pitches). Feet are exact projections onto the
    boundary, except within a fraction of a pixel of corners (see
    :meth:`Domain.nearest_boundary`).
    """
    if not isinstance(domain, Domain):
        raise TypeError(f"rasterize needs a Domain, got {type(domain).__name__}")
    band_px = float(band_px)
    if not (math.isfinite(band_px) and band_px >= 0):
        raise ValueError(f"band_px must be a finite number >= 0, got {band_px}")
    grid = grid_points(n, box, dtype=torch.float64)
    (x0, x1), (y0, y1) = _check_box(box)
    pitch = max(x1 - x0, y1 - y0) / (n - 1)
    band = band_px * pitch
    flat = grid.reshape(-1, 2)
    sdf = domain.sdf(flat)
    piece = torch.full((n * n,), -1, dtype=torch.long)
    foot = flat.clone()
    normal = torch.zeros_like(flat)
    # |CSG sdf| never exceeds the true distance to the boundary, so this keeps every band pixel.
    cand = torch.nonzero(sdf.abs() <= band + domain.eps).flatten()
    if cand.numel():
        f, nrm, pc = domain.nearest_boundary(flat[cand], spacing=_SPACING_PX * pitch)
        near = torch.linalg.vector_norm(flat[cand] - f, dim=-1) <= band + domain.eps
        idx = cand[near]
        piece[idx], foot[idx], normal[idx] = pc[near], f[near], nrm[near]
    return Raster(domain=(sdf <= domain.eps).reshape(n, n), piece=piece.reshape(n, n),
                  foot=foot.reshape(n, n, 2).float(), normal=normal.reshape(n, n, 2).float())


def _check_box(box: object) -> Box:
    """Validate ``((x0, x1), (y0, y1))`` with ``x0 < x1`` and ``y0 < y1``."""
    try:
        xs, ys = box  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ValueError(f"box must be ((x0, x1), (y0, y1)), got {box!r}") from None
    (x0, x1), (y0, y1) = pair("box[0]", xs), pair("box[1]", ys)
    if not (x0 < x1 and y0 < y1):
        raise ValueError(f"box must have x0 < x1 and y0 < y1, got {box!r}")
    return (x0, x1), (y0, y1)
