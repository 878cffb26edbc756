"""Validation of primitive parameters: names, finite numbers, points.

Each helper raises :class:`GeometryError` located by a field path such as
``geometry.primitives.hole.radius``, so a bad spec value is reported where it was written.
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
