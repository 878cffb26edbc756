"""Checkpoints as safetensors (tensors) + JSON (configs, progress); loading checks keys and shapes.

A checkpoint directory holds ``model.safetensors`` (the MixER state: stacked experts, contexts,
gate), ``optim.safetensors`` (optimiser moments, for resuming) and ``state.json``. Files are written
to temporaries and renamed, so an interrupted run leaves the previous checkpoint intact.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from torch import nn

from hyperpino.errors import CheckpointError
from hyperpino.files import read_safetensors, read_safetensors_layout, write_atomic, write_text_atomic


def _save_tensors(tensors: dict[str, torch.Tensor], path: Path) -> None:
    from safetensors.torch import save_file

    tensors = {k: v.detach().cpu().contiguous() for k, v in tensors.items()}
    write_atomic(path, lambda tmp: save_file(tensors, str(tmp)))


def _optim_tensors(opts: dict[str, torch.optim.Optimizer]) -> tuple[dict, dict]:
    tensors, groups = {}, {}
    for name, opt in opts.items():
        sd = opt.state_dict()
        for idx, st in sd["state"].items():
            for key, val in st.items():
                tensors[f"{name}.{idx}.{key}"] = torch.as_tensor(val)
        groups[name] = sd["param_groups"]
    return tensors, groups


def save(directory: str | os.PathLike, model: nn.Module, state: dict,
         optimizers: dict[str, torch.optim.Optimizer] | None = None) -> None:
    """Write ``model``'s state dict, the optimisers and the JSON-serialisable ``state``."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    _save_tensors(dict(model.state_dict()), d / "model.safetensors")
    state = dict(state)
    if optimizers:
        tensors, groups = _optim_tensors(optimizers)
        _save_tensors(tensors or {"_empty": torch.zeros(1)}, d / "optim.safetensors")
        state["optim_groups"] = groups
    write_text_atomic(d / "state.json", json.dumps(state, indent=1))


def read_state(directory: str | os.PathLike) -> dict:
    path = Path(directory) / "state.json"
    if not path.is_file():
        raise CheckpointError(f"{directory}: no state.json (not a mixer checkpoint)")
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as err:  # also a file cut short or not text
        msg = " ".join(str(err).split())[:120]
        raise CheckpointError(f"{path}: not valid JSON ({msg})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: expected a JSON object, got {type(state).__name__}")
    return state


LIMITS = {"dim": 1024, "n_envs": 1_000_000, "n_experts": 1024, "ctx_dim": 4096, "width": 16384, "depth": 64}
"""Largest sizes a checkpoint's ``state.json`` may claim; checked before a model is built from it."""


def check_sizes(directory: str | os.PathLike, sizes: dict) -> None:
    """Raise :class:`CheckpointError` for a size in ``state.json`` beyond :data:`LIMITS`."""
    for name, limit in LIMITS.items():
        value = sizes.get(name)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)
                                  or not 0 < value <= limit):
            raise CheckpointError(f"{Path(directory) / 'state.json'}: {name} = {str(value)[:40]!r} "
                                  f"is not a whole number in [1, {limit}]")


def check_layout(directory: str | os.PathLike, expected: dict[str, tuple[int, ...]]) -> None:
    """Compare ``model.safetensors``' header (names, shapes) with ``expected`` before reading it."""
    path = Path(directory) / "model.safetensors"
    layout, _ = read_safetensors_layout(path, "mixer model.safetensors")
    found = {k: shape for k, (_, shape) in layout.items()}
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    wrong = [k for k in expected if k in found and tuple(found[k]) != tuple(expected[k])]
    if missing or extra or wrong:
        raise CheckpointError(f"{path}: does not fit the model state.json describes (missing {missing[:3]}, "
                              f"unexpected {extra[:3]}, shape mismatches {wrong[:3]})")


def load_model(directory: str | os.PathLike, model: nn.Module) -> None:
    """Load ``model.safetensors`` into ``model`` strictly (same keys, same shapes)."""
    path = Path(directory) / "model.safetensors"
    tensors, _ = read_safetensors(path, "mixer model.safetensors")
    own = model.state_dict()
    missing = sorted(set(own) - set(tensors))
    extra = sorted(set(tensors) - set(own))
    if missing or extra:
        raise CheckpointError(
            f"{path}: keys do not match the model (missing {missing[:3]}, unexpected {extra[:3]})"
        )
    for k, v in tensors.items():
        if tuple(v.shape) != tuple(own[k].shape):
            raise CheckpointError(
                f"{path}: {k} has shape {tuple(v.shape)}, the model needs {tuple(own[k].shape)}"
            )
    for k, v in tensors.items():
        if v.is_floating_point() and not bool(torch.isfinite(v).all()):
            raise CheckpointError(f"{path}: tensor {k} holds NaN or infinite values")
    model.load_state_dict(tensors)


def load_optimizers(directory: str | os.PathLike, optimizers: dict[str, torch.optim.Optimizer]) -> None:
    d = Path(directory)
    groups = read_state(d).get("optim_groups", {})
    tensors = read_safetensors(d / "optim.safetensors", "mixer optim.safetensors")[0] if (
        d / "optim.safetensors").is_file() else {}
    for name, opt in optimizers.items():
        if name not in groups:
            continue
        state: dict[int, dict] = {}
        for key, val in tensors.items():
            head, idx, field = key.split(".", 2)
            if head == name:
                state.setdefault(int(idx), {})[field] = val
        opt.load_state_dict({"state": state, "param_groups": groups[name]})
