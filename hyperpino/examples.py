"""Where the bundled example spec files are (``examples/`` of a source checkout)."""

from __future__ import annotations

from pathlib import Path

from hyperpino.errors import HyperpinoError


def examples_dir() -> Path:
    """The bundled ``examples/`` folder; raises :class:`HyperpinoError` when it is not there
    (an installed wheel without the source tree)."""
    path = Path(__file__).resolve().parents[1] / "examples"
    if not path.is_dir():
        raise HyperpinoError(f"bundled examples not found at {path}")
    return path
