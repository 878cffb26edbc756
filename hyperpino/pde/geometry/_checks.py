"""Validation of primitive parameters: names, finite numbers, points, each primitive's numbers.

Each helper raises :class:`GeometryError` located by a field path such as
``geometry.primitives.hole.radius``, so a bad spec value is reported where it was written. This
module needs no torch: ``hyperpino check`` runs the same checks before torch is imported
(:mod:`hyperpino.pde.spec_check`), and the primitives' constructors run them again.
"""

from __future__ import annotations

import math
import re

import numpy as np

from hyperpino.errors import GeometryError

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def check_name(name: object) -> str:
    """A primitive name: an identifier without dots (dots separate a primitive from its pieces)."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise GeometryError("geometry.primitives",
                            f"invalid primitive name {name!r}: use letters, digits and '_' "
                            "(not starting with a digit)")
    return name


def number(where: str, value: object) -> float:
    """``value`` as a finite float; strings and booleans are rejected rather than converted."""
    if isinstance(value, (str, bytes, bool)):
        raise GeometryError(where, f"expected a number, got {value!r}")
    try:
        out = float(value)  # type: ignore[arg-type]
    except OverflowError:  # an int beyond float64
        raise GeometryError(where, "expected a finite number, got an integer beyond 1e308") from None
    except (TypeError, ValueError):
        raise GeometryError(where, f"expected a number, got {value!r}") from None
    if not math.isfinite(out):
        raise GeometryError(where, f"expected a finite number, got {out}")
    return out


def positive(where: str, value: object) -> float:
    """A finite number > 0."""
    out = number(where, value)
    if out <= 0:
        raise GeometryError(where, f"must be positive, got {out:g}")
    return out


def pair(where: str, value: object) -> tuple[float, float]:
    """Two finite numbers ``[x, y]`` (any sequence, array or tensor of length 2)."""
    if isinstance(value, (str, bytes)):
        raise GeometryError(where, f"expected two numbers [x, y], got {value!r}")
    try:
        items = list(value)  # type: ignore[call-overload]
    except TypeError:
        raise GeometryError(where, f"expected two numbers [x, y], got {value!r}") from None
    if len(items) != 2:
        raise GeometryError(where, f"expected two numbers [x, y], got {len(items)} values")
    return number(f"{where}[0]", items[0]), number(f"{where}[1]", items[1])


def points(where: str, value: object) -> tuple[tuple[float, float], ...]:
    """A sequence of points ``[[x, y], ...]``; element ``i`` is reported as ``where[i]``."""
    # Arrays and tensors have a length and iterate like lists; strings do too but are never points.
    if isinstance(value, (str, bytes)) or not (hasattr(value, "__len__")
                                               and hasattr(value, "__iter__")):
        raise GeometryError(where, f"expected a list of points [[x, y], ...], got {value!r}")
    return tuple(pair(f"{where}[{i}]", v) for i, v in enumerate(value))  # type: ignore[arg-type]


RECTANGLE_SIDES = ("left", "right", "bottom", "top")
"""The rectangle's pieces ``NAME.left`` ... in this order."""

MAX_VERTICES = 1024
"""Most vertices of a polygon (the simplicity check compares all pairs of edges)."""


def rectangle(where: str, lo: object, hi: object) -> tuple[tuple[float, float], tuple[float, float]]:
    """``(min, max)`` corners of a rectangle with positive width and height."""
    a, b = pair(f"{where}.min", lo), pair(f"{where}.max", hi)
    if not (a[0] < b[0] and a[1] < b[1]):
        raise GeometryError(f"{where}.max", f"must exceed min in both x and y "
                            f"(min = {list(a)}, max = {list(b)})")
    return a, b


def disk(where: str, center: object, radius: object) -> tuple[tuple[float, float], float]:
    """``(center, radius)`` of a disk with a positive radius."""
    return pair(f"{where}.center", center), positive(f"{where}.radius", radius)


def ellipse(where: str, center: object, semi_axes: object,
            angle: object) -> tuple[tuple[float, float], tuple[float, float], float]:
    """``(center, semi_axes, angle)`` of an ellipse with positive semi-axes."""
    ab = pair(f"{where}.semi_axes", semi_axes)
    axes = positive(f"{where}.semi_axes[0]", ab[0]), positive(f"{where}.semi_axes[1]", ab[1])
    return pair(f"{where}.center", center), axes, number(f"{where}.angle", angle)


def polygon(where: str, vertices: object, *, triangle: bool = False) -> tuple[tuple[float, float], ...]:
    """The vertices of a simple polygon (``where`` names its ``vertices`` field): at least 3
    points, at most :data:`MAX_VERTICES`, exactly 3 for a triangle; see :func:`check_simple`."""
    got = points(where, vertices)
    if triangle and len(got) != 3:
        raise GeometryError(where, f"a triangle needs exactly 3 vertices, got {len(got)}")
    if len(got) < 3:
        raise GeometryError(where, f"a polygon needs at least 3 vertices, got {len(got)}")
    if len(got) > MAX_VERTICES:
        raise GeometryError(where, f"too many vertices ({len(got)}, at most {MAX_VERTICES})")
    check_simple(where, got)
    return got


_REL_TOL = 1e-9
"""Polygon edges closer than this (relative to the polygon's size) count as touching."""


def check_simple(where: str, verts: tuple[tuple[float, float], ...]) -> None:
    """Raise unless ``verts`` (at least 3) form a simple polygon with non-zero area.

    All pairs of edges at once in NumPy (float64): no torch, so ``hyperpino check`` runs it
    before torch is imported; 256 vertices take milliseconds.
    """
    n = len(verts)
    a = np.asarray(verts, dtype=np.float64)
    size = float((a.max(0) - a.min(0)).max())
    tol = _REL_TOL * size
    b = np.roll(a, -1, 0)
    e = b - a
    lengths = np.hypot(e[:, 0], e[:, 1])
    short = np.flatnonzero(lengths <= tol)
    if short.size:
        i = int(short[0])
        raise GeometryError(where, f"vertices {i} and {(i + 1) % n} coincide")
    # Non-adjacent edges must not touch: pairwise segment distances, all pairs at once.
    i, j = np.triu_indices(n, 2)
    keep = ~((i == 0) & (j == n - 1))
    i, j = i[keep], j[keep]
    ai, bi, aj, bj = a[i], b[i], a[j], b[j]
    # Proper crossings: each segment's endpoints lie strictly on opposite sides of the other.
    proper = ((_cross(bi - ai, aj - ai) * _cross(bi - ai, bj - ai) < 0)
              & (_cross(bj - aj, ai - aj) * _cross(bj - aj, bi - aj) < 0))
    touch = np.minimum.reduce([_distance2(ai, bi, aj), _distance2(ai, bi, bj),
                               _distance2(aj, bj, ai), _distance2(aj, bj, bi)])
    bad = np.flatnonzero(proper | (touch <= tol * tol))
    if bad.size:
        k = int(bad[0])
        raise GeometryError(where, f"edges {int(i[k])} and {int(j[k])} intersect "
                            "(the polygon must be simple)")
    if abs(0.5 * float(_cross(a, b).sum())) <= _REL_TOL * size * size:
        raise GeometryError(where, "the vertices enclose zero area (they are collinear)")
    # Consecutive edges meet only at their shared vertex unless the boundary folds back on itself.
    e_next = np.roll(e, -1, 0)
    fold = np.flatnonzero((np.abs(_cross(e, e_next)) <= _REL_TOL * lengths * np.roll(lengths, -1))
                          & ((e * e_next).sum(-1) < 0))
    if fold.size:
        i = int(fold[0])
        raise GeometryError(where, f"edges {i} and {(i + 1) % n} overlap (the polygon folds back)")


def _cross(u, v):
    return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]


def _distance2(a, b, q):
    """Squared distance from points ``q`` to segments ``[a, b]`` (arrays ``(..., 2)``)."""
    e = b - a
    t = np.clip(((q - a) * e).sum(-1) / (e * e).sum(-1), 0.0, 1.0)
    r = q - (a + t[..., None] * e)
    return (r * r).sum(-1)
