"""Saving a generated solution and loading it back as a standalone module (safetensors + JSON).

One file: the members' parameters stacked ``name -> (K, *shape)`` and ``weights (K,)`` as
safetensors tensors; the header's string metadata holds JSON (format tag, the target PINN's
config, the box, the problem's name and spec, package version). Loading rebuilds a
:class:`~hyperpino.solver.ensemble.PINNEnsemble` and needs nothing but this file: no HyPINO model,
no spec. Names and shapes are checked strictly (as for model checkpoints), and writes are atomic.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import torch

from hyperpino.errors import CheckpointError
from hyperpino.files import read_safetensors
from hyperpino.model.checkpoint import check_config_bounds, package_version, read_tensors, save_atomic
from hyperpino.pinn.network import PINNConfig
from hyperpino.solver.ensemble import PINNEnsemble

FORMAT = "hyperpino.solver.PINNEnsemble/1"
MAX_MEMBERS = 4096
"""Most ensemble members a saved file may claim (the solver makes a handful)."""


def save_pinn(ens: PINNEnsemble, path: str | Path, *, name: str = "", spec_json: str = "",
              extra: dict[str, Any] | None = None) -> Path:
    """Write ``ens`` to ``path`` (``.safetensors``); returns the path."""
    path = Path(path)
    theta, weights = ens.theta()
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in theta.items()}
    tensors["weights"] = weights.detach().cpu().contiguous().clone()
    meta = {
        "format": FORMAT,
        "members": str(len(ens)),
        "box": json.dumps(ens.box),
        "pinn_config": json.dumps(dataclasses.asdict(ens.config), sort_keys=True),
        "dtype": str(weights.dtype).removeprefix("torch."),
        "name": name,
        "spec": spec_json,
        "extra": json.dumps(extra or {}, sort_keys=True, default=str),
        "hyperpino_version": package_version(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    save_atomic(path, tensors, meta)
    return path


def read_pinn_metadata(path: str | Path) -> dict[str, Any]:
    """The decoded metadata of a saved ensemble (``box``, ``pinn_config``, ``members``, ``name`` …)."""
    _, raw = read_safetensors(path, "saved PINN ensemble", tensors=False)
    if raw.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a saved PINN ensemble (format {raw.get('format')!r}, "
                              f"want {FORMAT!r})")
    try:
        meta: dict[str, Any] = dict(raw)
        meta["members"] = int(raw["members"])
        meta["box"] = tuple(tuple(float(v) for v in side) for side in json.loads(raw["box"]))
        pinn = json.loads(raw["pinn_config"])
        check_config_bounds(path, {"pinn": pinn})  # sizes from a file: bounded before building
        meta["pinn_config"] = PINNConfig(**pinn)
        meta["extra"] = json.loads(raw.get("extra", "{}"))
    except (KeyError, ValueError, TypeError, RecursionError) as err:
        raise CheckpointError(f"{path}: metadata is damaged ({' '.join(str(err).split())[:160]})") from None
    if not 0 < meta["members"] <= MAX_MEMBERS:
        raise CheckpointError(f"{path}: metadata members = {meta['members']} is not in [1, {MAX_MEMBERS}]")
    return meta


def load_pinn(path: str | Path, *, device: str | torch.device = "cpu") -> PINNEnsemble:
    """The ensemble saved at ``path`` as a :class:`PINNEnsemble` (user coordinates in, u out)."""
    from hyperpino.model.target import TargetPINN

    meta = read_pinn_metadata(path)
    k = meta["members"]
    spec = TargetPINN(meta["pinn_config"]).spec
    expected = {name: (k, *shape) for name, shape in spec.shapes.items()}
    expected["weights"] = (k,)
    stored = read_tensors(path, expected, what=f"a {k}-member ensemble", meta=meta)
    tensors = {name: v.to(device) for name, v in stored.items()}
    weights = tensors.pop("weights")
    return PINNEnsemble.from_theta(tensors, weights, meta["box"], meta["pinn_config"])
