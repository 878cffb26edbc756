"""Fine-tuning a generated ensemble with the PINN trainer (Adam, then L-BFGS).

HyPINO's generated PINNs are an initialisation: training them further on the physics loss, as the
reference fine-tuner does (Bischof et al. 2025, HyPINO, arXiv 2509.05117, §5.2 of the brief: Adam,
then L-BFGS with a strong-Wolfe line search; the notebook runs 4500 + 500 steps), converges faster
than from random weights. This module is glue: the ensemble's canonical part is an ordinary module
``(N, 2) -> (N, 1)`` on [-1, 1]², which is exactly what :func:`hyperpino.pinn.fit.fit_pinn`
trains; members move, the output scales (buffers) stay.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from hyperpino.errors import HyperpinoError
from hyperpino.pde.frame import framed_for
from hyperpino.pde.problem import SpecLike, build_problem
from hyperpino.pinn.fit import FitConfig, fit_pinn
from hyperpino.pinn.history import Stage, Step, StopReason
from hyperpino.solver.ensemble import PINNEnsemble

LBFGS_SHARE = 0.1
"""Share of ``steps`` given to L-BFGS (the reference notebook: 500 of 4500 + 500)."""

WARMUP = 100
"""Adam steps of learning-rate warm-up from a given start: full-rate first steps throw a good start
away (helmholtz: rel L2 4.5 after 30 steps at lr 1e-3 without it)."""


@dataclass
class Finetuned:
    """The fine-tuned ``ensemble`` (the state :mod:`hyperpino.pinn.keep` chooses: never above the
    start's physics loss on the check set, nor above its estimated error), the trainer's
    ``history`` (step 0 the start; errors against the reference when one was given), why it
    stopped, ``best``: the history row of the state kept, and ``w_bc``."""

    ensemble: PINNEnsemble
    history: list[Step] = field(default_factory=list)
    stopped: StopReason = StopReason.STEP_BUDGET
    train_time: float = 0.0
    best: Step | None = None
    w_bc: float = 10.0
    """The boundary weight training ended on, which ranked the states (:mod:`hyperpino.pinn.keep`)."""
    scale: float = 1.0
    """The solution's size the run worked in (:mod:`hyperpino.pinn.scale`)."""
    estimates: tuple[float, float] | None = None
    """Estimated relative errors of the start and of the trained state (:mod:`hyperpino.pinn.estimate`)."""
    start_kept: bool = False
    """The start came back: the trained state's estimated error was the larger."""

    @property
    def estimate(self) -> float | None:
        """The estimated relative error of the state returned (None when it was not estimated)."""
        if self.estimates is None:
            return None
        return self.estimates[0] if self.start_kept else self.estimates[1]


def finetune_config(steps: int = 1000, **overrides) -> FitConfig:
    """The trainer's config for ``steps`` optimiser steps: 90 % Adam, 10 % L-BFGS (20 iterations
    each), Adam's learning rate 1e-3 with cosine decay after a warm-up of :data:`WARMUP` steps (at
    most a fifth of Adam's), as HyPINO's fine-tuner plus the warm-up."""
    if steps < 0:
        raise HyperpinoError(f"finetune: steps must be >= 0, got {steps}")
    lbfgs = int(round(LBFGS_SHARE * steps))
    base = FitConfig(adam_steps=steps - lbfgs, lbfgs_steps=lbfgs, warmup=min(WARMUP, (steps - lbfgs) // 5),
                     eval_every=max(1, min(250, steps // 10 or 1)))
    return replace(base, **overrides)


def finetune_run(spec: SpecLike, ens: PINNEnsemble, *, steps: int = 1000, config: FitConfig | None = None,
                 reference=None, callback: Callable[[Step], None] | None = None,
                 progress: Callable[[str], None] | None = None, stage: Stage = Stage.FINETUNE,
                 scale: float | None = None, **overrides) -> Finetuned:
    """Fine-tune a copy of ``ens`` on the problem; ``config`` (a :class:`FitConfig`) replaces the
    default :func:`finetune_config(steps) <finetune_config>`; ``overrides`` set its fields
    (``time_budget``, ``tol_residual``, ``target_error``, ``device``, ``dtype``, ``lr`` …).
    ``reference`` (anything with ``x, y, u, mask``) adds errors to the history and enables
    ``target_error``; ``scale``: the solution's size (estimated when None, :mod:`hyperpino.pinn.scale`).
    Any problem works, also one outside HyPINO's family: this is the PINN trainer."""
    problem = build_problem(spec)
    if not isinstance(ens, PINNEnsemble):
        raise HyperpinoError("finetune: expected a PINNEnsemble (from generate/refine), got "
                             f"{type(ens).__name__}")
    problem = framed_for(problem, ens.box, "finetune")  # the PINN's frame (hyperpino.pde.frame)
    cfg = replace(config, **overrides) if config is not None else finetune_config(steps, **overrides)
    if cfg.target_error is not None and reference is None:
        raise HyperpinoError("finetune: a target error needs a reference solution")
    ens = copy.deepcopy(ens)
    ens.requires_grad_(True)
    res = fit_pinn(problem, ens.canonical, cfg, reference=reference, callback=callback, progress=progress,
                   stage=stage, scale=scale)
    ref = next(ens.canonical.parameters())
    ens.to(device=ref.device, dtype=ref.dtype)  # the box-map buffers follow the members
    return Finetuned(ens, res.history, res.stopped, res.train_time, res.best, res.w_bc, res.scale,
                     res.estimates, res.start_kept)


def finetune(spec: SpecLike, ens: PINNEnsemble, *, steps: int = 1000, **options) -> PINNEnsemble:
    """The fine-tuned copy of ``ens`` (see :func:`finetune_run` for the options)."""
    return finetune_run(spec, ens, steps=steps, **options).ensemble


