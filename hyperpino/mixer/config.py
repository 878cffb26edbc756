"""Run configuration files (TOML or JSON) for ``hyperpino mixer train``::

    data = "odebench.h5"          # a dataset file (see hyperpino.mixer.dataset for the layout)
    device = "cpu"                # or "cuda", "auto"
    seed = 0
    [model]                       # MixERConfig fields
    expert = "coda"
    n_experts = 3
    [model.solver]                # SolverConfig fields
    method = "rk4"
    [train]                       # MixerTrainConfig fields
    outer_steps = 100

Unknown keys are errors that name the key.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import tomllib

from hyperpino.errors import SpecError
from hyperpino.mixer.alternating import MixerTrainConfig
from hyperpino.mixer.integrate import SolverConfig
from hyperpino.mixer.mixture import MixERConfig


@dataclass(frozen=True)
class RunConfig:
    data: str = ""
    device: str = "cpu"
    seed: int = 0
    model: MixERConfig = field(default_factory=MixERConfig)
    train: MixerTrainConfig = field(default_factory=MixerTrainConfig)


def _build(cls, values: dict, where: str):
    if not isinstance(values, dict):
        raise SpecError(where, f"expected a table, got {type(values).__name__}")
    names = {f.name for f in dataclasses.fields(cls)}
    for key in values:
        if key not in names:
            path = f"{where}.{key}" if where else key
            raise SpecError(path, f"unknown key (known: {', '.join(sorted(names))})")
    try:
        return cls(**values)
    except TypeError as err:
        raise SpecError(where or "config", str(err)) from None


def parse(values: dict) -> RunConfig:
    values = dict(values)
    model = dict(values.pop("model", {}))
    if "solver" in model:
        model["solver"] = _build(SolverConfig, model["solver"], "model.solver")
    return _build(RunConfig, {**values, "model": _build(MixERConfig, model, "model"),
                              "train": _build(MixerTrainConfig, values.pop("train", {}), "train")}, "")


def load_config(path: str | Path | None) -> RunConfig:
    """Read a TOML/JSON run configuration (``None``: the defaults)."""
    if path is None:
        return RunConfig()
    path = Path(path)
    if not path.is_file():
        raise SpecError(str(path), "no such config file")
    text = path.read_text(encoding="utf-8")
    try:
        values = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as err:
        raise SpecError(str(path), f"cannot parse: {err}") from None
    return parse(values)
