"""Value types of command-line options: counts, positive numbers, seeds.

Each is an argparse ``type=``: it returns the parsed value or raises
:class:`argparse.ArgumentTypeError` with a one-line reason, which the ``hyperpino`` command prints
as ``error: <command>: argument --x: <reason>`` and exit code 2. Names say what is accepted:
a *count* may be 0 (``--refine 0``: no refinement; ``--threads 0``: torch's default), a
*positive* value may not.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable

SEED_MAX = 2**32 - 1
"""Largest seed (NumPy's generators take 32-bit seeds)."""


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def int_in(least: int, most: int | None = None) -> Callable[[str], int]:
    """An int in ``[least, most]`` (no upper bound when ``most`` is None)."""

    def parse(text: str) -> int:
        value = _int(text)
        if value < least or (most is not None and value > most):
            bound = f">= {least}" if most is None else f"in [{least}, {most}]"
            raise argparse.ArgumentTypeError(f"must be {bound}, got {value}")
        return value

    parse.__name__ = f"int >= {least}"
    return parse


count = int_in(0)
"""A whole number >= 0 (0 meaning none, or a default, where the option says so)."""
positive_int = int_in(1)
"""A whole number >= 1."""
seed = int_in(0, SEED_MAX)
"""A random seed in ``[0, 2^32 − 1]``."""


def positive_float(text: str) -> float:
    """A finite number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def fraction(text: str) -> float:
    """A number in ``(0, 1]``."""
    value = positive_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value
