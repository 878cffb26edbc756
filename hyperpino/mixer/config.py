"""Run configuration files (TOML or JSON) for ``hyperpino mixer train``::

    data = "odebench.h5"          # a dataset file (see hyperpino.mixer.dataset for the layout)
    preset = "paper"              # optional: start from a named preset for the data's suite
    device = "cpu"                # or "cuda", "auto"
    seed = 0
    [model]                       # MixERConfig fields
    expert = "coda"
    n_experts = 3
    [model.solver]                # SolverConfig fields
    method = "rk4"
    [train]                       # MixerTrainConfig fields
    outer_steps = 100
    [adapt]                       # AdaptConfig fields
    method = "published"

With a preset, the file's keys override the preset's values. Unknown keys are errors that name the key.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import tomllib

from hyperpino.errors import SpecError
from hyperpino.mixer.adaptation import AdaptConfig
from hyperpino.mixer.alternating import MixerTrainConfig
from hyperpino.mixer.integrate import SolverConfig
from hyperpino.mixer.mixture import MixERConfig


@dataclass(frozen=True)
class RunConfig:
    data: str = ""
    preset: str = ""
    device: str = "cpu"
    seed: int = 0
    model: MixERConfig = field(default_factory=MixERConfig)
    train: MixerTrainConfig = field(default_factory=MixerTrainConfig)
    adapt: AdaptConfig = field(default_factory=AdaptConfig)


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


def _table(values: dict, key: str) -> dict:
    v = values.pop(key, {})
    if not isinstance(v, dict):
        raise SpecError(key, f"expected a table, got {type(v).__name__}")
    return dict(v)


def parse(values: dict, suite: str | None = None) -> RunConfig:
    """A :class:`RunConfig` from a parsed file; ``suite``: the dataset's suite, which a ``preset`` needs."""
    values = dict(values)
    model, train, adapt = _table(values, "model"), _table(values, "train"), _table(values, "adapt")
    name = values.get("preset") or ""
    if name:
        from hyperpino.mixer.presets import preset

        if not suite or suite == "user":
            raise SpecError("preset", f"{name!r} needs a generated suite's dataset, not {suite or 'none'!r}")
        p = preset(name, suite)
        base = dataclasses.asdict(p.model)
        solver = {**base.pop("solver"), **_table(model, "solver")}
        model = {**base, **model, "solver": solver}
        train = {**dataclasses.asdict(p.train), **train}
        adapt = {**dataclasses.asdict(p.adapt), **adapt}
    if "solver" in model:
        model["solver"] = _build(SolverConfig, model["solver"], "model.solver")
    return _build(RunConfig, {**values, "model": _build(MixERConfig, model, "model"),
                              "train": _build(MixerTrainConfig, train, "train"),
                              "adapt": _build(AdaptConfig, adapt, "adapt")}, "")


def read_values(path: str | Path | None) -> dict:
    """The raw table of a TOML/JSON run configuration (``None``: empty)."""
    if path is None:
        return {}
    path = Path(path)
    if not path.is_file():
        raise SpecError(str(path), "no such config file")
    text = path.read_text(encoding="utf-8")
    try:
        values = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as err:
        raise SpecError(str(path), f"cannot parse: {err}") from None
    if not isinstance(values, dict):
        raise SpecError(str(path), "expected a table at the top level")
    return values


def load_config(path: str | Path | None, suite: str | None = None) -> RunConfig:
    """Read a TOML/JSON run configuration (``None``: the defaults); ``suite`` for a ``preset``."""
    return parse(read_values(path), suite)
