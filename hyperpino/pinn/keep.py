"""Which of a training run's measured states :func:`~hyperpino.pinn.fit.fit_pinn` returns.

Every evaluation measures the model on the fixed check set: the loss there is a Monte Carlo
estimate of the integral of the squared residuals, and two states measured on the same points
differ by a paired mean whose standard error the points themselves give. The rule:

* the **last** state, unless an earlier one has a lower check loss by more than ``z`` standard
  errors of that paired difference (then the one with the lowest loss). Once L-BFGS has overfitted
  its collocation points the check loss wanders within its sampling error while the error keeps
  falling (helmholtz from scratch, 120 s: the lowest-loss state at 77 s had rel. L2 1.0e-2, the last
  one 4.1e-3 with a loss 9 % higher, 0.4 standard errors), so a difference the check set cannot
  resolve goes to the state that trained longer;
* never one whose loss is above the **start**'s (fine-tuning does not make the physics worse than
  what it was given), nor a non-finite one;
* the last state when it met a tolerance (the user's own criterion).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

from torch import Tensor, nn

from hyperpino.pinn.history import Step, StopReason

Z_SIGNIFICANT = 2.0
"""Standard errors by which an earlier state must beat the last one to be returned instead."""


@dataclass
class Snapshot:
    """One measured state: its history ``row``, its weights and its squared residuals on the check
    set, ``pde_sq`` (N_interior,) and ``bc_sq`` (N_boundary,)."""

    row: Step
    state: dict[str, Tensor]
    pde_sq: Tensor
    bc_sq: Tensor


def paired_se(a: Snapshot, b: Snapshot, w_pde: float, w_bc: float) -> float:
    """Standard error of ``loss(a) − loss(b)`` estimated from the check points (the two states were
    measured on the same points, so the per-point differences are what vary)."""
    se2 = 0.0
    for w, x, y in ((w_pde, a.pde_sq, b.pde_sq), (w_bc, a.bc_sq, b.bc_sq)):
        d = (x - y).double()
        if d.numel() > 1:
            se2 += w * w * float(d.var()) / d.numel()
    return math.sqrt(se2)


class Keeper:
    """Holds the start, the lowest-loss and the last state of a run; :meth:`choose` applies the
    module's rule. ``keep_best=False``: always the last state."""

    def __init__(self, w_pde: float, w_bc: float, *, keep_best: bool = True, z: float = Z_SIGNIFICANT):
        self.w_pde, self.w_bc, self.keep_best, self.z = w_pde, w_bc, keep_best, z
        self.start: Snapshot | None = None
        self.best: Snapshot | None = None
        self.last: Snapshot | None = None

    def offer(self, model: nn.Module, row: Step, pde_sq: Tensor, bc_sq: Tensor) -> None:
        """Record ``model``'s current state, measured as ``row`` with these squared residuals."""
        snap = Snapshot(row, copy.deepcopy(model.state_dict()), pde_sq.detach().flatten(),
                        bc_sq.detach().flatten())
        if self.start is None:
            self.start = snap
        if self.best is None or row.loss < self.best.row.loss:
            self.best = snap
        self.last = snap

    def choose(self, stopped: StopReason) -> Snapshot | None:
        """The state to return (None before the first measurement)."""
        last, best, start = self.last, self.best, self.start
        if last is None or not self.keep_best:
            return last
        if not math.isfinite(last.row.loss):
            return best  # NaN never ranks below anything: the lowest finite state, else the start
        if stopped.tolerance or last is best:
            return last
        if last.row.loss > start.row.loss:
            return best
        margin = self.z * paired_se(last, best, self.w_pde, self.w_bc)
        return last if last.row.loss - best.row.loss <= margin else best
