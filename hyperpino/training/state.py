"""The resumable state of a training run in one safetensors file: model and AdamW tensors, plus
JSON metadata (step, best validation, configs). Written atomically (temporary file + rename), so a
run killed at any moment resumes from the last complete state.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from hyperpino.errors import CheckpointError
from hyperpino.files import read_safetensors
from hyperpino.model.checkpoint import check_finite, save_atomic

FORMAT = "hyperpino.training.state/1"
_META = ("step", "best", "wall_time", "world_size", "train", "model", "mms")
"""Fields of the stored ``meta`` a resumed run reads."""


def save_state(path: str | Path, model: nn.Module, opt: torch.optim.Optimizer, meta: dict[str, Any]) -> None:
    """Write ``model``'s and ``opt``'s tensors and ``meta`` (JSON-able) to ``path``."""
    path = Path(path)
    tensors = {f"model.{k}": v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    osd = opt.state_dict()
    for i, state in osd["state"].items():
        for name, value in state.items():
            t = value if torch.is_tensor(value) else torch.tensor(value)
            tensors[f"opt.{i}.{name}"] = t.detach().contiguous().cpu()
    header = {"format": FORMAT, "meta": json.dumps(meta, sort_keys=True, default=str),
              "param_groups": json.dumps(osd["param_groups"])}
    save_atomic(path, tensors, header)


def load_state(path: str | Path, model: nn.Module, opt: torch.optim.Optimizer) -> dict[str, Any]:
    """Restore ``model`` and ``opt`` from ``path`` (strictly) and return the stored ``meta``."""
    path = Path(path)
    tensors, header = read_safetensors(path, "training state")
    if header.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a hyperpino training state (format {header.get('format')!r})")
    weights = {k[6:]: v for k, v in tensors.items() if k.startswith("model.")}
    expected = model.state_dict()
    missing, unexpected = sorted(set(expected) - set(weights)), sorted(set(weights) - set(expected))
    shapes = [k for k in expected if k in weights and weights[k].shape != expected[k].shape]
    if missing or unexpected or shapes:
        raise CheckpointError(f"{path}: the training state does not fit this model (missing {missing[:3]}, "
                              f"unexpected {unexpected[:3]}, shape mismatches {shapes[:3]})")
    check_finite(path, tensors)
    try:
        meta = json.loads(header["meta"])
        groups = json.loads(header["param_groups"])
        state: dict[int, dict[str, torch.Tensor]] = {}
        for key, value in tensors.items():
            if key.startswith("opt."):
                _, i, name = key.split(".", 2)
                state.setdefault(int(i), {})[name] = value
        params = [p for g in opt.param_groups for p in g["params"]]
        for i, named in state.items():
            for name, value in named.items():  # AdamW's moments have their parameter's shape
                if value.ndim and (i >= len(params) or value.shape != params[i].shape):
                    raise ValueError(f"optimizer state opt.{i}.{name} has shape {list(value.shape)}, "
                                     f"not its parameter's")
        model.load_state_dict(weights, strict=True)
        opt.load_state_dict({"state": state, "param_groups": groups})
    # a damaged header: missing or malformed JSON, optimizer state of another model
    except (KeyError, ValueError, TypeError, RecursionError) as err:
        msg = " ".join(str(err).split())[:160]
        raise CheckpointError(f"{path}: damaged training state ({type(err).__name__}: {msg}); "
                              "remove it to start afresh or use another --out") from None
    missing = [k for k in _META if not isinstance(meta, dict) or k not in meta]
    if missing or not isinstance(meta["step"], int) or not isinstance(meta["train"], dict):
        raise CheckpointError(f"{path}: damaged training state (metadata lacks or garbles "
                              f"{', '.join(missing) or 'step/train'}); remove it or use another --out")
    return meta
