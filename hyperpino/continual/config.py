"""The per-task training budget of a continual-learning run (:class:`ContinualTrainConfig`).

The name ``TrainConfig`` belongs to :mod:`hyperpino.training` (HyPINO training); this one only
describes how each task of a continual run is optimised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hyperpino.errors import HyperpinoError


@dataclass(frozen=True)
class ContinualTrainConfig:
    """Per-task optimisation budget (Adam, a fresh optimiser per task as in hypercl).

    ``schedule``: ``"constant"`` or ``"cosine"`` (the learning rate decays to 0 over each task's
    steps). ``augment_shift``: random translations of up to this many pixels of each training
    image (applied before a Permuted task's permutation; :mod:`hyperpino.continual.augment`)."""

    steps_per_task: int = 300
    batch_size: int = 64
    lr: float = 1e-3
    schedule: str = "constant"
    augment_shift: int = 0
    eval_chunk: int = 2048

    def __post_init__(self) -> None:
        if self.schedule not in ("constant", "cosine"):
            raise HyperpinoError(f"ContinualTrainConfig.schedule: unknown {self.schedule!r} "
                                 "(known: constant, cosine)")
        if self.steps_per_task < 1 or self.batch_size < 1 or not self.lr > 0 or self.augment_shift < 0:
            raise HyperpinoError(f"ContinualTrainConfig: steps, batch size and lr must be positive, the "
                                 f"shift >= 0 (got {self})")

    def lr_at(self, step: int) -> float:
        """The learning rate of step ``step`` (0-based) of a task."""
        if self.schedule == "constant":
            return self.lr
        return 0.5 * self.lr * (1 + math.cos(math.pi * step / self.steps_per_task))
