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
from hyperpino.model.checkpoint import save_atomic

FORMAT = "hyperpino.training.state/1"


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
    model.load_state_dict(weights, strict=True)
    state: dict[int, dict[str, torch.Tensor]] = {}
    for key, value in tensors.items():
        if key.startswith("opt."):
            _, i, name = key.split(".", 2)
            state.setdefault(int(i), {})[name] = value
    opt.load_state_dict({"state": state, "param_groups": json.loads(header["param_groups"])})
    return json.loads(header["meta"])
