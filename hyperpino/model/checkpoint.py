"""Checkpoint files: safetensors weights with JSON metadata, checked strictly on load.

The reference HyPINO (Bischof et al. 2025, arXiv 2509.05117) loads with ``strict=False`` and so
silently ignores missing, unexpected and mis-shaped weights; here every mismatch is an error that
names the keys. One file holds everything: safetensors' header carries string metadata, in which
the model config, preset, package version and a free-form provenance dict are stored as JSON.
Writes go to a temporary file renamed into place, so an interrupted save leaves no corrupt file.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from torch import Tensor

from hyperpino.errors import CheckpointError

FORMAT = "hyperpino.model.HyPINO/1"
_SHOW = 3  # keys named per kind of mismatch; the rest are counted


def package_version() -> str:
    try:
        return importlib.metadata.version("hyperpino")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def write_checkpoint(
    path: str | Path, tensors: Mapping[str, Tensor], *, config: dict[str, Any], preset: str | None,
    provenance: Mapping[str, Any] | None = None,
) -> None:
    """Write ``tensors`` (a state dict) and the metadata to ``path`` atomically."""
    path = Path(path)
    metadata = {
        "format": FORMAT,
        "preset": json.dumps(preset),
        "config": json.dumps(config, sort_keys=True),
        "hyperpino_version": package_version(),
        "torch_version": torch.__version__,
        "provenance": json.dumps(dict(provenance or {}), sort_keys=True, default=str),
    }
    # safetensors refuses views and shared storage: store contiguous CPU copies.
    data = {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}
    save_atomic(path, data, metadata)


def save_atomic(path: str | Path, tensors: Mapping[str, Tensor], metadata: dict[str, str]) -> None:
    """``safetensors.save_file`` to a temporary file renamed onto ``path``: a reader (or a resumed
    run) sees the old file or the new one, never half of one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    os.close(fd)
    try:
        save_file(dict(tensors), tmp, metadata=metadata)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600 files; a checkpoint is an ordinary file
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The decoded metadata: ``format``, ``preset``, ``config`` (dict), ``hyperpino_version``,
    ``torch_version``, ``provenance`` (dict). Raises :class:`CheckpointError` for a file that is not
    a hyperpino checkpoint."""
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            raw = f.metadata() or {}
    except Exception as err:  # safetensors raises its own SafetensorError besides OSError
        raise CheckpointError(f"{path}: not a readable safetensors file ({err})") from None
    if raw.get("format") != FORMAT:
        fmt = raw.get("format")
        raise CheckpointError(f"{path}: not a HyPINO checkpoint (format {fmt!r}, want {FORMAT!r})")
    meta: dict[str, Any] = dict(raw)
    for key in ("preset", "config", "provenance"):
        try:
            meta[key] = json.loads(raw[key])
        except (KeyError, json.JSONDecodeError) as err:
            raise CheckpointError(f"{path}: metadata field {key!r} is missing or not JSON ({err})") from None
    return meta


def read_tensors(path: str | Path, expected: Mapping[str, tuple[int, ...]], *,
                 what: str = "the model") -> dict[str, Tensor]:
    """The file's tensors, after checking that their names and shapes are exactly ``expected``
    (``what`` they should fit names it in the error)."""
    with safe_open(str(path), framework="pt", device="cpu") as f:
        found = {k: tuple(f.get_slice(k).get_shape()) for k in f.keys()}
    problems = describe_mismatch(expected, found)
    if problems:
        raise CheckpointError(f"{path}: does not fit {what}: {problems}")
    return load_file(str(path), device="cpu")


def describe_mismatch(expected: Mapping[str, tuple[int, ...]], found: Mapping[str, tuple[int, ...]]) -> str:
    """One line naming missing keys, unexpected keys and the first shape mismatches; ``""`` if none."""

    def listed(keys: list[str]) -> str:
        more = f" (+{len(keys) - _SHOW} more)" if len(keys) > _SHOW else ""
        return ", ".join(keys[:_SHOW]) + more

    missing = [k for k in expected if k not in found]
    unexpected = [k for k in found if k not in expected]
    shapes = [
        f"{k} {list(found[k])} in file vs {list(expected[k])} in model"
        for k in expected
        if k in found and tuple(found[k]) != tuple(expected[k])
    ]
    parts = []
    if missing:
        parts.append(f"missing keys: {listed(missing)}")
    if unexpected:
        parts.append(f"unexpected keys: {listed(unexpected)}")
    if shapes:
        parts.append(f"shape mismatch: {listed(shapes)}")
    return "; ".join(parts)


def pack(src: str | Path, dst: str | Path, *, half: bool = True,
         note: Mapping[str, Any] | None = None) -> dict[str, int]:
    """Rewrite the checkpoint ``src`` as ``dst`` for shipping: floating tensors in float16 when
    ``half`` (weights of a trained HyPINO fit fp16's range; loading casts back to the model's
    dtype), metadata kept, ``note`` merged into the provenance. Returns sizes in bytes."""
    meta = read_metadata(src)
    tensors = load_file(str(src), device="cpu")
    if half:
        big = {k: float(v.abs().max()) for k, v in tensors.items() if v.is_floating_point() and v.numel()}
        over = [k for k, m in big.items() if m > torch.finfo(torch.float16).max]
        if over:
            raise CheckpointError(f"{src}: values beyond float16's range in {', '.join(over[:_SHOW])}")
        tensors = {k: v.half() if v.is_floating_point() else v for k, v in tensors.items()}
    stored = "float16" if half else "as trained"
    provenance = {**meta["provenance"], **dict(note or {}), "stored_dtype": stored}
    write_checkpoint(dst, tensors, config=meta["config"], preset=meta["preset"], provenance=provenance)
    return {"src_bytes": Path(src).stat().st_size, "dst_bytes": Path(dst).stat().st_size}
