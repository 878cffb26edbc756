"""Which ensemble a solve answers with: the generated / refined one or fine-tuning's.

Fine-tuning starts from the generated PINN with its own output layer, while the zero-shot answer
has a least-squares output layer (:mod:`hyperpino.solver.generation`), so what fine-tuning returns
can be worse than the ensemble the solve already had even when it is no worse than its own start.
The answer is the one with the smaller error estimated from its residuals
(:mod:`hyperpino.pinn.estimate`) when both have an estimate, else the one with the smaller physics
loss, both losses taken with the boundary weight training ended on. Measured on poisson_C,
fine-tuned 5 s from the model (2026-12-07): the physics loss kept the zero-shot answer (rel. L2
0.581, loss 2.40) over fine-tuning's start (0.561, loss 3.31); the estimates (0.46 and 0.42) keep
the start. A met tolerance is the user's criterion: that answer stands.
"""

from __future__ import annotations

import math

from hyperpino.pde.problem import Problem
from hyperpino.pinn.estimate import error_estimate
from hyperpino.pinn.history import Stage, Step
from hyperpino.solver.ensemble import PINNEnsemble
from hyperpino.solver.finetune import Finetuned


def physics_loss(row: Step, w_pde: float, w_bc: float) -> float:
    """``w_pde · pde_rms² + w_bc · bc_rms²`` of a history row (its check-set measurement)."""
    return w_pde * row.pde_rms ** 2 + w_bc * row.bc_rms ** 2


def history_loss(history: list[Step], w_pde: float, w_bc: float) -> float:
    """The physics loss of the last zero-shot / refinement row (what fine-tuning has to beat)."""
    rows = [e for e in history if e.stage in (Stage.ZERO_SHOT, Stage.REFINE)]
    return physics_loss(rows[-1], w_pde, w_bc) if rows else math.inf


def pick_answer(problem: Problem, before: PINNEnsemble, tuned: Finetuned, history: list[Step], *,
                w_pde: float = 1.0, seed: int = 0) -> tuple[PINNEnsemble, list[str]]:
    """The answer of a solve that fine-tuned ``before`` (the zero-shot or refined ensemble, whose rows
    end ``history``) into ``tuned``, and the summary's notes on the choice. ``problem`` in the
    ensembles' frame; ``seed`` draws the estimate's points."""
    notes = []
    if tuned.start_kept and tuned.estimates is not None:
        start, last = tuned.estimates
        notes.append(f"fine-tuning's trained state had a larger estimated error than its start "
                     f"({last:.3g} vs {start:.3g}, from the residuals): it returned its start")
    if tuned.best is None or tuned.stopped.tolerance:  # nothing measured to compare; the user's criterion
        return tuned.ensemble, notes
    which = "refined" if any(e.stage is Stage.REFINE for e in history) else "zero-shot"
    mine = tuned.estimate
    if mine is None:
        est = error_estimate(problem, tuned.ensemble.canonical, seed=seed)
        mine = None if est is None else est.error
    theirs = error_estimate(problem, before.canonical, seed=seed) if mine is not None else None
    if theirs is not None:
        if mine <= theirs.error:
            return tuned.ensemble, notes
        notes.append(f"fine-tuning's answer had a larger estimated error than the {which} ensemble's "
                     f"({mine:.3g} vs {theirs.error:.3g}, from the residuals): kept that")
        return before, notes
    tuned_loss = physics_loss(tuned.best, w_pde, tuned.w_bc)
    loss_before = history_loss(history, w_pde, tuned.w_bc)
    if tuned_loss < loss_before:
        return tuned.ensemble, notes
    notes.append(f"fine-tuning did not lower the physics loss (boundary weight {tuned.w_bc:g}) below the "
                 f"{which} ensemble's ({tuned_loss:.3e} vs {loss_before:.3e}): kept that")
    return before, notes
