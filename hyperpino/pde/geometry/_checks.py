"""Validation of primitive parameters: names, finite numbers, points, each primitive's numbers.

Each helper raises :class:`GeometryError` located by a field path such as
``geometry.primitives.hole.radius``, so a bad spec value is reported where it was written. This
module needs no torch: ``hyperpino check`` runs the same checks before torch is imported
(:mod:`hyperpino.pde.spec_check`), and the primitives' constructors run them again.
"""

from __future__ import annotations

import math
import re

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
    """The vertices of a polygon (``where`` names its ``vertices`` field): at least 3 points, at
    most :data:`MAX_VERTICES`, exactly 3 for a triangle. Simplicity is checked by the polygon."""
    got = points(where, vertices)
    if triangle and len(got) != 3:
        raise GeometryError(where, f"a triangle needs exactly 3 vertices, got {len(got)}")
    if len(got) < 3:
        raise GeometryError(where, f"a polygon needs at least 3 vertices, got {len(got)}")
    if len(got) > MAX_VERTICES:
        raise GeometryError(where, f"too many vertices ({len(got)}, at most {MAX_VERTICES})")
    return got
