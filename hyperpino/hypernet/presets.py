"""Named presets of frozen dataclass configurations, with field overrides.

Every configuration in the package with named presets (hypernetworks, HyPINO models, MixER runs,
continual-learning benchmarks) picks one through :func:`pick_preset`, so an unknown name or field
is the same one-line :class:`~hyperpino.errors.SpecError` everywhere.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

from hyperpino.errors import SpecError

C = TypeVar("C")


def pick_preset(presets: Mapping[str, C], name: str, **overrides: Any) -> C:
    """``presets[name]`` with ``overrides`` applied (``dataclasses.replace``: validation runs again).

    Raises :class:`SpecError` at ``preset`` for an unknown name, and at the field for an unknown
    override.
    """
    if name not in presets:
        raise SpecError("preset", f"unknown {name!r} (known: {', '.join(presets)})")
    base = presets[name]
    known = {f.name for f in dataclasses.fields(base)}
    for field in overrides:
        if field not in known:
            fields = ", ".join(sorted(known))
            raise SpecError(field, f"not a field of {type(base).__name__} (known: {fields})")
    return dataclasses.replace(base, **overrides)
