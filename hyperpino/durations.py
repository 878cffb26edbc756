"""Durations on the command line: ``90``, ``90s``, ``8m``, ``1.5h``."""

from __future__ import annotations

import math

from hyperpino.errors import SpecError


def parse_duration(text: str | float | int, option: str = "--time-budget") -> float:
    """Seconds of ``"90"``, ``"90s"``, ``"8m"``, ``"1.5h"`` (a number alone is seconds).

    Raises :class:`SpecError` located at ``option`` for anything else, and for a duration that
    is not a positive finite number.
    """
    if isinstance(text, int | float):
        seconds = float(text)
    else:
        s = str(text).strip().lower()
        unit = {"s": 1.0, "m": 60.0, "h": 3600.0}.get(s[-1:], None)
        number = s[:-1] if unit else s
        try:
            seconds = float(number) * (unit or 1.0)
        except ValueError:
            raise SpecError(option, f"expected a duration like 60s, 8m or 1.5h, got {text!r}") from None
    if not (math.isfinite(seconds) and seconds > 0):
        raise SpecError(option, f"expected a positive duration, got {text!r}")
    return seconds
