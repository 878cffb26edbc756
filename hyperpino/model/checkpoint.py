"""Checkpoint files: safetensors weights with JSON metadata, checked strictly on load.

The reference HyPINO (Bischof et al. 2025, arXiv 2509.05117) loads with ``strict=False`` and so
silently ignores missing, unexpected and mis-shaped weights; here every mismatch is an error that
names the keys. One file holds everything: safetensors' header carries string metadata, in which
the model config, preset, package version and a free-form provenance dict are stored as JSON.
Writes go through :func:`hyperpino.files.write_atomic`, so an interrupted save leaves no corrupt
file; reads check the header (names, shapes, dtypes, bounded config sizes) before any allocation.
"""

from __future__ import annotations

import importlib.metadata
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from hyperpino.errors import CheckpointError
from hyperpino.files import read_safetensors, read_safetensors_layout, write_atomic

FORMAT = "hyperpino.model.HyPINO/1"
_SHOW = 3  # keys named per kind of mismatch; the rest are counted

LIMITS: dict[str, int | float] = {
    "grid": 1024, "embed_dim": 4096, "window": 64, "n_freqs": 64, "coef_embed": 8192, "stats_embed": 8192,
    "head_hidden_min": 65536, "head_hidden_max": 65536, "head_hidden_factor": 1024.0, "mlp_ratio": 64.0,
    "stages": 8, "depth": 64, "heads": 1024,
    "pinn.width": 4096, "pinn.depth": 64, "pinn.n_freqs": 64, "pinn.in_dim": 8,
}
"""Largest values a checkpoint's stored config may hold (each far above the ``paper`` preset): the
sizes are read from a file, so they are bounded before any model is built from them."""

_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64}
_DECLARED = {"float32": "F32", "float16": "F16", "bfloat16": "BF16", "float64": "F64", "as trained": "F32"}


def package_version() -> str:
    try:
        return importlib.metadata.version("hyperpino")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def write_checkpoint(
    path: str | Path, tensors: Mapping[str, Tensor], *, config: dict[str, Any], preset: str | None,
    provenance: Mapping[str, Any] | None = None,
) -> None:
    """Write ``tensors`` (a state dict) and the metadata to ``path`` atomically. The metadata
    records the floating dtype of the tensors (``dtype``), which loading checks against the file."""
    # safetensors refuses views and shared storage: store contiguous CPU copies.
    data = {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}
    dtypes = sorted({str(v.dtype).removeprefix("torch.") for v in data.values() if v.is_floating_point()})
    metadata = {
        "format": FORMAT,
        "preset": json.dumps(preset),
        "config": json.dumps(config, sort_keys=True),
        "dtype": ",".join(dtypes),
        "hyperpino_version": package_version(),
        "torch_version": torch.__version__,
        "provenance": json.dumps(dict(provenance or {}), sort_keys=True, default=str),
    }
    save_atomic(path, data, metadata)


def save_atomic(path: str | Path, tensors: Mapping[str, Tensor], metadata: dict[str, str]) -> None:
    """``safetensors.save_file`` through :func:`hyperpino.files.write_atomic`: a reader (or a
    resumed run) sees the old file or the new one, never half of one."""
    from safetensors.torch import save_file

    write_atomic(path, lambda tmp: save_file(dict(tensors), str(tmp), metadata=metadata))


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The decoded metadata: ``format``, ``preset``, ``config`` (dict), ``hyperpino_version``,
    ``torch_version``, ``provenance`` (dict), ``dtype`` (may be absent). Raises
    :class:`CheckpointError` for a file that is not a hyperpino checkpoint."""
    _, raw = read_safetensors(path, "HyPINO checkpoint", tensors=False)
    return _decode(path, raw)


def _decode(path: str | Path, raw: Mapping[str, str]) -> dict[str, Any]:
    if raw.get("format") != FORMAT:
        fmt = _short(raw.get("format"))
        raise CheckpointError(f"{path}: not a HyPINO checkpoint (format {fmt}, want {FORMAT!r})")
    meta: dict[str, Any] = dict(raw)
    kinds = {"preset": (str, type(None)), "config": dict, "provenance": dict}
    for key, kind in kinds.items():
        try:
            meta[key] = json.loads(raw[key])
        # ValueError: also Python's limit on the digits of a JSON integer; RecursionError: nesting
        except (KeyError, ValueError, RecursionError) as err:
            why = "missing" if isinstance(err, KeyError) else f"not JSON ({_short(str(err), 80)})"
            raise CheckpointError(f"{path}: metadata field {key!r} is {why}") from None
        if not isinstance(meta[key], kind):
            raise CheckpointError(f"{path}: metadata field {key!r} has the wrong type "
                                  f"({type(meta[key]).__name__})")
    return meta


def _short(value: Any, n: int = 60) -> str:
    """``repr`` of a value read from a file, cut to ``n`` characters (one line, escapes quoted)."""
    text = repr(value)
    return text if len(text) <= n else text[:n] + "…"


def check_config_bounds(path: str | Path, config: Mapping[str, Any]) -> None:
    """Raise :class:`CheckpointError` when a size in ``config`` (a stored HyPINO config, plain
    JSON) is not a number or exceeds :data:`LIMITS`; done before anything is built from it."""

    def bad(field: str, value: Any, limit: Any) -> CheckpointError:
        return CheckpointError(f"{path}: metadata config.{field} = {_short(value)} is not a number "
                               f"in [1, {limit}] (the file's metadata does not describe a usable model)")

    def number(field: str, value: Any, limit: int | float, integer: bool = True) -> None:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if not integer:
            ok = ok or (isinstance(value, float) and math.isfinite(value))
        if not ok or not 0 < value <= limit:
            raise bad(field, value, limit)

    for name in ("grid", "embed_dim", "window", "n_freqs", "coef_embed", "stats_embed", "head_hidden_min",
                 "head_hidden_max"):
        if name in config:
            number(name, config[name], LIMITS[name])
    for name in ("head_hidden_factor", "mlp_ratio"):
        if name in config:
            number(name, config[name], LIMITS[name], integer=False)
    for name, each in (("depths", "depth"), ("num_heads", "heads")):
        values = config.get(name, [1])
        if not isinstance(values, list) or not 0 < len(values) <= LIMITS["stages"]:
            raise CheckpointError(f"{path}: metadata config.{name} must be a list of 1 to "
                                  f"{LIMITS['stages']} entries, got {_short(values)}")
        for i, v in enumerate(values):
            number(f"{name}[{i}]", v, LIMITS[each])
    pinn = config.get("pinn", {})
    if not isinstance(pinn, dict):
        raise CheckpointError(f"{path}: metadata config.pinn must be a table, got {_short(pinn)}")
    for name in ("width", "depth", "n_freqs", "in_dim"):
        if name in pinn:
            least_zero = name in ("depth", "n_freqs")
            value = pinn[name]
            if least_zero and value == 0 and not isinstance(value, bool):
                continue
            number(f"pinn.{name}", value, LIMITS[f"pinn.{name}"])


def check_layout(path: str | Path, layout: Mapping[str, tuple[str, tuple[int, ...]]],
                 expected: Mapping[str, tuple[int, ...]], meta: Mapping[str, Any] | None, *,
                 what: str = "the model") -> None:
    """Check a file's header (:func:`~hyperpino.files.read_safetensors_layout`) before reading
    its data: names and shapes exactly ``expected``, floating dtypes known and the one the
    metadata declares (``dtype``, or ``provenance.stored_dtype`` of older files) — a float16 file
    relabelled bfloat16 reads as garbage, so the label is checked against the declaration."""
    problems = describe_mismatch(expected, {k: shape for k, (_, shape) in layout.items()})
    if problems:
        raise CheckpointError(f"{path}: does not fit {what}: {problems}")
    unknown = sorted(k for k, (dt, _) in layout.items() if dt not in _DTYPES)
    if unknown:
        k = unknown[0]
        raise CheckpointError(f"{path}: tensor {k} is stored as {layout[k][0]}; weights must be one of "
                              f"{', '.join(_DTYPES)}")
    declared = _declared_dtypes(path, meta)
    if declared is not None:
        wrong = sorted(k for k, (dt, _) in layout.items() if dt not in declared)
        if wrong:
            k = wrong[0]
            names = " or ".join(sorted(declared))
            raise CheckpointError(f"{path}: tensor {k} is stored as {layout[k][0]} but the metadata declares "
                                  f"{names} (a relabelled or damaged file)")


def _declared_dtypes(path: str | Path, meta: Mapping[str, Any] | None) -> set[str] | None:
    if not meta:
        return None
    text = meta.get("dtype")
    if text is None:
        prov = meta.get("provenance") or {}
        text = prov.get("stored_dtype") if isinstance(prov, dict) else None
    if text is None:
        return None
    names = [t.strip() for t in str(text).split(",") if t.strip()]
    if not names or any(n not in _DECLARED for n in names):
        raise CheckpointError(f"{path}: metadata declares an unknown dtype {_short(text)} "
                              f"(known: {', '.join(k for k in _DECLARED if k != 'as trained')})")
    return {_DECLARED[n] for n in names}


ARCHITECTURE_FREE = ("drop_path", "delta_scale", "zero_output")
"""Config fields that change no tensor's shape (training or initialisation only)."""


def check_preset(path: str | Path, preset: Any, config: Any) -> None:
    """A stored preset label must name a preset whose architecture the stored ``config`` (a
    :class:`~hyperpino.model.presets.HyPINOConfig`) has: a ``paper`` label on ``small`` weights is
    a damaged or mislabelled file. ``None`` (a custom architecture) is always consistent."""
    from hyperpino.model.presets import PRESETS

    if preset is None:
        return
    if preset not in PRESETS:
        raise CheckpointError(f"{path}: metadata preset {_short(preset)} is not a known preset "
                              f"({', '.join(PRESETS)}) or null")
    differ = preset_differences(preset, config)
    if differ:
        first = differ[0]
        raise CheckpointError(f"{path}: metadata says preset {preset!r} but its config has {first} "
                              f"({len(differ)} field(s) differ from the preset)")


def preset_differences(preset: str, config: Any) -> list[str]:
    """``"field = value (preset: value)"`` for each architecture field of ``config`` that differs
    from preset ``preset``'s."""
    from hyperpino.model.presets import PRESETS

    mine, theirs = config.to_dict(), PRESETS[preset].to_dict()
    return [f"{k} = {mine[k]} ({preset}: {theirs[k]})" for k in theirs
            if k not in ARCHITECTURE_FREE and mine.get(k) != theirs[k]]


def check_finite(path: str | Path, tensors: Mapping[str, Tensor]) -> None:
    """Raise :class:`CheckpointError` naming the first tensor with NaN or infinite values."""
    for k, v in tensors.items():
        if v.is_floating_point():
            bad = int((~torch.isfinite(v)).sum())
            if bad:
                raise CheckpointError(f"{path}: tensor {k} holds {bad} NaN or infinite value(s) "
                                      f"of {v.numel()}")


def read_tensors(path: str | Path, expected: Mapping[str, tuple[int, ...]], *,
                 what: str = "the model", meta: Mapping[str, Any] | None = None) -> dict[str, Tensor]:
    """The file's tensors, after checking from the header alone that their names and shapes are
    exactly ``expected`` (``what`` they should fit names it in the error) and their dtypes those
    ``meta`` declares; then that every value is finite."""
    layout, _ = read_safetensors_layout(path, "weights file")
    check_layout(path, layout, expected, meta, what=what)
    tensors, _ = read_safetensors(path, "weights file")
    check_finite(path, tensors)
    return tensors


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
    tensors, _ = read_safetensors(src, "HyPINO checkpoint")
    check_finite(src, tensors)
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
