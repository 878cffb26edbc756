"""Random holes cut from the box [-1, 1]²: disks, rectangles, triangles and star-shaped polygons.

HyPINO's training geometries (Bischof et al. 2025, arXiv 2509.05117, §3.1) are the square minus
up to three holes that may overlap each other and cross the outer edge; here up to four, with the
published disk-radius bug (``uniform(1, 0.5)``) avoided. Every hole is stored as plain numbers
rounded to the config's decimals, so its spec primitive and its batched SDF
(:mod:`hyperpino.mms.batch_geometry`) describe exactly the same shape. Triangles and polygons are
counter-clockwise with sorted angles around a centre, hence simple.
"""

from __future__ import annotations

import bisect
import itertools
import math

import numpy as np

HOLE_TYPES = ("disk", "rectangle", "triangle", "polygon")
MAX_HOLES = 4
MAX_VERTICES = 6
"""Polygon holes have 4–6 vertices; rectangles are stored as 4 counter-clockwise vertices."""
RECT_SIDES = ("bottom", "right", "top", "left")
"""Rectangle vertex order (min, (max_x, min_y), max, (min_x, max_y)) makes edge i this side."""


def weighted(rng: np.random.Generator, cum: list[float]) -> int:
    """An index drawn with probabilities proportional to the steps of ``cum`` (cumulative weights)."""
    return min(bisect.bisect_right(cum, rng.random() * cum[-1]), len(cum) - 1)


def draw_holes(rng: np.random.Generator, cfg) -> list[dict]:
    """Random holes for one sample: dicts with ``type`` and rounded geometry."""
    lo, hi = cfg.n_holes
    count = int(rng.integers(lo, hi + 1))
    names = [t for t in HOLE_TYPES if cfg.hole_weights.get(t, 0.0) > 0]
    cum = list(itertools.accumulate(cfg.hole_weights[t] for t in names))
    out = []
    for _ in range(count):
        kind = names[weighted(rng, cum)]
        c = rng.uniform(-1.0, 1.0, size=2)
        size = rng.uniform(*cfg.hole_size)
        r = lambda v: np.round(np.asarray(v, dtype=np.float64), cfg.decimals)  # noqa: E731
        if kind == "disk":
            out.append({"type": "disk", "center": r(c), "radius": float(r(max(size, 0.05)))})
        elif kind == "rectangle":
            half = rng.uniform(0.4, 1.0, size=2) * size
            lo_, hi_ = r(c - half), r(c + half)
            out.append({"type": "rectangle", "min": lo_, "max": hi_})
        else:
            n = 3 if kind == "triangle" else int(rng.integers(4, MAX_VERTICES + 1))
            # Angles spaced at least a third of the even spacing apart: no sliver edges.
            gaps = rng.uniform(1.0, 2.0, size=n)
            ang = rng.uniform(0, 2 * math.pi) + np.cumsum(gaps / gaps.sum() * 2 * math.pi)
            rad = size * rng.uniform(0.6, 1.0, size=n)
            verts = r(c + np.stack([rad * np.cos(ang), rad * np.sin(ang)], -1))
            out.append({"type": kind, "vertices": verts})
    return out


def vertices(hole: dict) -> np.ndarray:
    """Counter-clockwise vertices ``(n, 2)`` of a non-disk hole."""
    if hole["type"] == "rectangle":
        (x0, y0), (x1, y1) = hole["min"], hole["max"]
        return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)
    return np.asarray(hole["vertices"], dtype=np.float64)


def piece_names(name: str, hole: dict) -> list[str]:
    """Boundary piece names of a hole, in edge order (as :mod:`hyperpino.pde.geometry` names them)."""
    if hole["type"] == "disk":
        return [name]
    if hole["type"] == "rectangle":
        return [f"{name}.{side}" for side in RECT_SIDES]
    return [f"{name}.{i}" for i in range(len(hole["vertices"]))]


def primitive(hole: dict) -> dict:
    """The spec primitive table of a hole (plain floats)."""
    f = lambda a: [float(v) for v in a]  # noqa: E731
    if hole["type"] == "disk":
        return {"type": "disk", "center": f(hole["center"]), "radius": float(hole["radius"])}
    if hole["type"] == "rectangle":
        return {"type": "rectangle", "min": f(hole["min"]), "max": f(hole["max"])}
    return {"type": hole["type"], "vertices": [f(v) for v in hole["vertices"]]}
