"""The settings of one solve: the spec's ``[run]`` table with the caller's options on top.

:meth:`SolveOptions.resolve` is the one place where command-line (or keyword) options override the
spec's ``[run]`` table and where the defaults that depend on other options are filled in.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from hyperpino.errors import HyperpinoError
from hyperpino.pde.spec import RunSpec

TOL_BUDGET = 300.0
"""Seconds of training allowed when a tolerance is given without a step count or time budget."""
SCRATCH_BUDGET = 120.0
"""Seconds of training for a PINN from scratch when nothing else bounds it."""


@dataclass(frozen=True)
class SolveOptions:
    """How to solve (see ``hyperpino solve --help``).

    ``refine``: refinement steps; ``finetune_steps``: optimiser steps of fine-tuning (0: none unless
    a tolerance or a time budget asks for training); ``time_budget``: seconds of training;
    ``tol_residual``: stop at this relative PDE residual (``pde.residual.relative_residual``);
    ``tol_boundary``: stop at this boundary residual RMS; ``tol``: stop at this relative L2 error against the
    reference (benchmarking: a user with the reference needs no PINN); ``from_scratch``: skip the
    model and train a PINN from random weights (always so for specs outside the model's family).
    """

    refine: int = 3
    finetune_steps: int = 0
    time_budget: float | None = None
    tol_residual: float | None = None
    tol_boundary: float | None = None
    tol: float | None = None
    from_scratch: bool = False
    seed: int = 0
    device: str = "auto"
    dtype: str = "float32"
    progress_every: float = 5.0

    @classmethod
    def resolve(cls, run: RunSpec, **overrides) -> SolveOptions:
        """The spec's ``run`` table, then every override that is not None."""
        base = {"refine": run.refine, "finetune_steps": run.finetune_steps, "seed": run.seed,
                "device": run.device, "dtype": run.dtype}
        unknown = set(overrides) - set(cls.__dataclass_fields__)
        if unknown:
            raise TypeError(f"solve: unknown option(s) {', '.join(sorted(unknown))}")
        base.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**base)

    def __post_init__(self) -> None:
        if self.refine < 0 or self.finetune_steps < 0:
            raise HyperpinoError(f"solve: refine and finetune steps must be >= 0, got {self.refine}, "
                                 f"{self.finetune_steps}")
        for name in ("time_budget", "tol_residual", "tol_boundary", "tol", "progress_every"):
            v = getattr(self, name)
            if v is not None and not v > 0:
                raise HyperpinoError(f"solve: --{name.replace('_', '-')} must be positive, got {v}")
        if self.dtype not in ("float32", "float64"):
            raise HyperpinoError(f"solve: --dtype float32 or float64, got {self.dtype!r}")

    @property
    def trains(self) -> bool:
        """Whether the solve trains (fine-tunes or trains from scratch) at all."""
        return bool(self.finetune_steps or self.time_budget is not None or self.from_scratch
                    or any(t is not None for t in (self.tol_residual, self.tol_boundary, self.tol)))

    def budget(self, scratch: bool) -> tuple[int | None, float | None]:
        """``(steps, seconds)`` of training: what the user gave, else :data:`TOL_BUDGET` seconds
        with a tolerance, else :data:`SCRATCH_BUDGET` from scratch."""
        if self.finetune_steps or self.time_budget is not None:
            return self.finetune_steps or None, self.time_budget
        tolerance = any(t is not None for t in (self.tol_residual, self.tol_boundary, self.tol))
        return None, TOL_BUDGET if tolerance else SCRATCH_BUDGET if scratch else None

    def to_json(self) -> dict:
        return asdict(self)
