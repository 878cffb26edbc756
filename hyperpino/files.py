"""Files written whole or not at all, and safetensors files read strictly.

Every file the package writes (results, datasets, checkpoints, caches) goes through
:func:`write_atomic`: the content is written to a temporary file in the same folder and renamed
into place, so a kill at any moment leaves either the old file or the new one, never half of one.
Every safetensors file it reads goes through :func:`read_safetensors`, which turns the several
error types a damaged file can raise into one :class:`~hyperpino.errors.CheckpointError`; every
HDF5 file is opened by :func:`open_hdf5` (one :class:`~hyperpino.errors.DataError` for a missing,
empty or damaged file).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hyperpino.errors import CheckpointError, DataError, HyperpinoError


def write_atomic(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """Call ``write(tmp)`` on a temporary path next to ``path``, then rename it onto ``path``.

    The temporary file is removed when ``write`` fails or is interrupted. The result is an
    ordinary 0644 file (``mkstemp`` would leave 0600). Returns ``path``. A place that cannot be
    written (a file in the way, no permission, a full disk) is a :class:`HyperpinoError`.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as err:  # the place is wrong (a file in the way, no permission, read-only)
        raise HyperpinoError(f"{path}: cannot write here ({err.strerror or err})") from None
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as err:
        if err.errno is None:  # not the file system's refusal: a library's own error
            raise
        raise HyperpinoError(f"{path}: cannot write ({err.strerror})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return path


def output_folder(path: str | Path, flag: str = "--out") -> Path:
    """``path`` checked as an output folder before a command computes, so a wrong ``--out`` costs a
    second, not the run: an existing folder, or one that can be made (nothing on the way is a file,
    and its nearest existing folder is writable). Nothing is created: a command that refuses later
    leaves no empty folder behind; the writers make it. A :class:`HyperpinoError` names ``flag``."""
    path = Path(path)
    why = _not_ready(path)
    if why:
        raise HyperpinoError(f"{flag} {path}: {why}")
    return path


def output_file(path: str | Path, flag: str = "--out") -> Path:
    """``path`` checked as a file to be written later: not a folder, and its folder ready as in
    :func:`output_folder`; the same errors, naming the file."""
    path = Path(path)
    try:
        is_dir = path.is_dir()
    except OSError as err:
        raise HyperpinoError(f"{flag} {path}: cannot write here ({err.strerror or err})") from None
    if is_dir:
        raise HyperpinoError(f"{flag} {path}: is a folder, not a file name")
    why = _not_ready(path.parent)
    if why:
        raise HyperpinoError(f"{flag} {path}: cannot write here ({path.parent}: {why})")
    return path


def _not_ready(folder: Path) -> str | None:
    """Why ``folder`` cannot be made or written, or None; creates nothing."""
    try:
        probe = folder.absolute()
        while not probe.exists():  # up to the nearest part that exists
            probe = probe.parent
        if not probe.is_dir():
            return "exists and is not a folder" if probe == folder.absolute() else f"{probe} is not a folder"
        if not os.access(probe, os.W_OK | os.X_OK):
            return "the folder is not writable" if probe == folder.absolute() else f"{probe} is not writable"
    except OSError as err:  # e.g. a part that cannot be searched
        return f"cannot check the place ({err.strerror or err})"
    return None


def write_text_atomic(path: str | Path, text: str) -> Path:
    """:func:`write_atomic` for a text file (UTF-8)."""
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def read_safetensors(path: str | Path, what: str = "safetensors file",
                     *, tensors: bool = True) -> tuple[dict[str, Any], dict[str, str]]:
    """``(tensors, metadata)`` of a safetensors file; ``tensors=False`` reads the header only
    (returns an empty dict for the tensors).

    Raises :class:`CheckpointError` naming ``path`` and ``what`` was expected when the file is
    missing, truncated or not safetensors at all.
    """
    return _read(path, what, lambda f: {k: f.get_tensor(k) for k in f.keys()} if tensors else {})


def read_safetensors_layout(path: str | Path, what: str = "safetensors file"
                            ) -> tuple[dict[str, tuple[str, tuple[int, ...]]], dict[str, str]]:
    """``(layout, metadata)`` from the header alone: ``layout`` maps each tensor's name to its
    stored dtype (safetensors' spelling: ``F32``, ``F16``, ``BF16`` …) and shape. Nothing is
    allocated, so a file can be checked before a model of its claimed size is built. Errors as
    :func:`read_safetensors`."""
    def layout(f) -> dict[str, tuple[str, tuple[int, ...]]]:
        out = {}
        for k in f.keys():
            sl = f.get_slice(k)
            out[k] = (str(sl.get_dtype()), tuple(int(n) for n in sl.get_shape()))
        return out

    return _read(path, what, layout)


def _read(path: str | Path, what: str, body: Callable[[Any], Any]) -> tuple[Any, dict[str, str]]:
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such {what}")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            metadata = dict(f.metadata() or {})
            out = body(f)
    # safetensors raises SafetensorError, OSError or ValueError depending on how a file is damaged
    except Exception as err:  # noqa: BLE001
        msg = " ".join(str(err).split())[:200]  # one line, whatever the library's message holds
        raise CheckpointError(f"{path}: not a readable {what} ({type(err).__name__}: {msg})") from None
    return out, metadata


def open_hdf5(path: str | Path):
    """``h5py.File(path, "r")``; a missing file, an empty one, or one that is not HDF5 (bad magic,
    truncated superblock) is a one-line :class:`DataError` naming the path."""
    import h5py

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such data file")
    try:
        return h5py.File(path, "r")
    except OSError as err:
        why = "empty file" if path.stat().st_size == 0 else " ".join(str(err).split())[:120]
        raise DataError(f"{path}: not a readable HDF5 file ({why})") from None
