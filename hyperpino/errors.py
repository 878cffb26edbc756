"""The project's error types.

Everything a user can get wrong (a spec file, a CLI flag, a checkpoint that does not fit) raises a
subclass of :class:`HyperpinoError`. The CLI prints such an error on one line and exits with code 2;
any other exception is an internal failure (exit code 1).
"""

from __future__ import annotations


def printable(text: str) -> str:
    """``text`` with newlines, terminal escapes and other unprintable characters written as Python
    escapes (``\\n``, ``\\x1b``): what a message echoes from a file stays one harmless line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class HyperpinoError(Exception):
    """Base class of user-facing errors. ``str(err)`` is the one-line message."""


class SpecError(HyperpinoError):
    """A problem with user input, located by a field path such as ``bcs[2].on``.

    ``str(err)`` reads ``"<path>: <message>"`` (or just the message when the path is empty).
    """

    def __init__(self, path: str, message: str):
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)

    @classmethod
    def from_validation(cls, err, where: str) -> SpecError:
        """The first problem of a pydantic ``ValidationError`` of the settings found at ``where``
        (a file or table name), located by field path: ``"<where>.<field>: <message>"``."""
        first = err.errors(include_url=False)[0]
        msg = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            msg = "unknown key"
        path = ".".join(str(p) for p in first["loc"] if p != "__root__")
        if ":" in msg and not path:  # a model-level check names its field itself
            path, _, msg = msg.partition(": ")
        return cls(f"{where}.{path}" if path else where, msg)


class ExpressionError(SpecError):
    """A mathematical expression from a file that is malformed, unsafe or too large."""


class GeometryError(SpecError):
    """A geometry that is malformed, empty or degenerate."""


class OutOfFamilyError(HyperpinoError):
    """A problem outside what a model was trained for (e.g. variable coefficients, zero-shot)."""


class CheckpointError(HyperpinoError):
    """A weights file whose keys, shapes or metadata do not match what is asked of it."""


class DataError(HyperpinoError):
    """A data file (HDF5 samples or trajectories) that is unreadable or has the wrong layout,
    dtype, shape or number of samples; ``str(err)`` names the file and the dataset."""
