"""Settings of ``hyperpino train``: one frozen pydantic model, read from TOML, with defaults that
train the ``small`` preset on a CPU.

A TOML file holds a ``[train]`` table (these fields), optionally ``[train.weights]`` (loss weights),
``[model]`` (:class:`~hyperpino.model.presets.HyPINOConfig` overrides) and ``[mms]`` (generator
settings, :class:`~hyperpino.mms.config.MMSConfig`). The schedule is the reference's (Bischof et
al. 2025, HyPINO, §3.3 of the brief): AdamW, linear warm-up, cosine decay to ``min_lr_ratio``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import tomllib
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hyperpino.errors import SpecError
from hyperpino.training.loss import LossWeights

EXAMPLES = ("heat", "helmholtz", "helmholtz_G", "poisson_C", "poisson_G", "poisson_L", "wave")
"""The seven HyPINO benchmarks (``examples/NAME.toml``): the default validation set."""


_W = LossWeights()


class Weights(BaseModel):
    """The ``[train.weights]`` table: :class:`LossWeights`, validated (its defaults)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    residual: float = Field(_W.residual, ge=0)
    derivatives: float = Field(_W.derivatives, ge=0)
    value: float = Field(_W.value, ge=0)
    dirichlet: float = Field(_W.dirichlet, ge=0)
    neumann: float = Field(_W.neumann, ge=0)
    robin: float = Field(_W.robin, ge=0)

    def loss_weights(self) -> LossWeights:
        return LossWeights(**self.model_dump())


class TrainConfig(BaseModel):
    """All knobs of a training run (per process; under DDP the global batch is ``batch_size·K``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    preset: str = "small"
    steps: int = Field(2000, ge=1)
    batch_size: int = Field(8, ge=1)
    lr: float = Field(3e-4, gt=0)
    warmup: Annotated[float, Field(ge=0, lt=1)] = 0.02
    """Fraction of the steps spent warming up linearly from ``min_lr_ratio·lr``."""
    min_lr_ratio: float = Field(1e-2, gt=0, le=1)
    weight_decay: float = Field(1e-4, ge=0)
    grad_clip: float = Field(1.0, gt=0)
    n_interior: int = Field(512, ge=1)
    n_boundary: int = Field(512, ge=1)
    refine_fraction: Annotated[float, Field(ge=0, le=1)] = 0.25
    """Share of each batch turned into the error problem of the model's own current answer."""
    physics_fraction: Annotated[float, Field(ge=0, le=1)] = 0.3
    """Share of physics-only problems (no known solution) in the generated data."""
    weights: Weights = Weights()
    validate_every: int = Field(100, ge=1)
    checkpoint_every: int = Field(50, ge=1)
    validation: tuple[str, ...] = EXAMPLES
    """Bundled examples to validate on (zero-shot relative L2 against the reference solutions)."""
    seed: int = 0
    workers: int = Field(1, ge=0)
    """Data-generating processes per training process (0: generate in the training process)."""
    data: tuple[str, ...] = ()
    """HDF5 files from ``hyperpino mms generate``; empty: generate on the fly."""
    amp: bool = True
    """bfloat16 autocast for the hypernetwork on CUDA (the PINN derivatives stay float32)."""
    accumulate: int = Field(1, ge=1)
    """Micro-batches of ``batch_size`` per optimizer step: the effective batch is their product."""
    time_budget: float | None = Field(None, gt=0)
    """Seconds of training (all sessions of the run together, start-up and the final save
    included): the schedule follows elapsed time instead of ``steps``, and the run stops in time
    to validate, checkpoint and pack its model."""
    checkpoint_seconds: float = Field(60.0, gt=0)
    """Also checkpoint when this much wall time passed since the last checkpoint, so a kill (even
    ``kill -9``) loses at most this much work; ``--checkpoint-interval`` sets it."""
    init: str | None = None
    """Weights to start from (a checkpoint path, or ``bundled``): a warm start with a fresh
    optimizer and the usual warm-up. Ignored when the run resumes from its own state."""
    log_every: int = Field(1, ge=1)
    """Steps per log line; the trainer reads values back from the device only then."""
    heldout: int = Field(64, ge=0)
    """Held-out generated problems in each validation (median relative L2 of u); 0: none."""

    @property
    def samples_per_step(self) -> int:
        """Problems per optimizer step and process (``batch_size · accumulate``)."""
        return self.batch_size * self.accumulate

    def lr_at_fraction(self, frac: float) -> float:
        """Learning rate at ``frac`` ∈ [0, 1] of the run: linear warm-up over ``warmup``, then
        cosine decay to ``min_lr_ratio · lr``."""
        lo, warm = self.min_lr_ratio, self.warmup
        frac = min(max(frac, 0.0), 1.0)
        if frac < warm:
            return self.lr * (lo + (1 - lo) * frac / warm)
        rest = (frac - warm) / max(1e-12, 1 - warm)
        return self.lr * (lo + (1 - lo) * 0.5 * (1 + math.cos(math.pi * rest)))

    def lr_at(self, step: int) -> float:
        """Learning rate of optimizer step ``step`` (0-based): warm-up, then cosine decay."""
        warm = max(1, round(self.warmup * self.steps))
        lo = self.min_lr_ratio
        if step < warm:
            return self.lr * (lo + (1 - lo) * step / warm)
        frac = min(1.0, (step - warm) / max(1, self.steps - warm))
        return self.lr * (lo + (1 - lo) * 0.5 * (1 + math.cos(math.pi * frac)))


def read_train_toml(path: str | Path | None) -> dict[str, Any]:
    """The tables ``train``, ``model`` and ``mms`` of a TOML file (empty dicts when absent)."""
    if path is None:
        return {"train": {}, "model": {}, "mms": {}}
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(str(path), "no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise SpecError(str(path), f"invalid TOML: {err}") from None
    unknown = set(data) - {"train", "model", "mms"}
    if unknown:
        raise SpecError(f"{path.name}.{sorted(unknown)[0]}", "unknown table (known: train, model, mms)")
    for key in ("train", "model", "mms"):
        if not isinstance(data.setdefault(key, {}), dict):
            raise SpecError(f"{path.name}.{key}", "must be a table")
    return data


def train_config(table: dict[str, Any], where: str = "train", **overrides: Any) -> TrainConfig:
    """Validate ``table`` (the ``[train]`` table) with ``overrides`` (e.g. from the command line)."""
    merged = {**table, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        return TrainConfig.model_validate(merged)
    except ValidationError as err:
        raise SpecError.from_validation(err, where) from None
