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

States are ranked on the loss the training **ended** on: when the boundary weight moved during the
run (:mod:`hyperpino.pinn.balance`), with the final weight, so the lowest-loss state is tracked for
every weight the run could end with (``ranks``). With the configured weight instead, a run that had
to raise the boundary weight judged its own progress by the loss it had left: fine-tuning on wave
(2026-12-06, 120 s, the weight raised to 2560) returned its state at 25 s (step 750) with the
relative boundary residual 0.40 (rel. L2 1.03) over its last one (4.1e-2), whose loss at ``w_bc = 10``
was 3.1 times higher; the configured weight still decides when it did not move.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable
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

    def __post_init__(self) -> None:
        # the means once: a state is ranked at every weight of Keeper.ranks, at every offer
        self.pde_ms, self.bc_ms = float(self.pde_sq.double().mean()), float(self.bc_sq.double().mean())


def check_loss(snap: Snapshot, w_pde: float, w_bc: float) -> float:
    """``w_pde · mean(pde_sq) + w_bc · mean(bc_sq)`` of a measured state (NaN when it was)."""
    return w_pde * snap.pde_ms + w_bc * snap.bc_ms


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
    """Holds the start, the last and, for each boundary weight in ``ranks`` (default: ``w_bc``
    alone), the lowest-loss state of a run; :meth:`choose` applies the module's rule.
    ``keep_best=False``: always the last state."""

    def __init__(self, w_pde: float, w_bc: float, *, keep_best: bool = True, z: float = Z_SIGNIFICANT,
                 ranks: Iterable[float] = ()):
        self.w_pde, self.w_bc, self.keep_best, self.z = w_pde, w_bc, keep_best, z
        self.ranks = tuple(sorted({w_bc, *ranks}))
        self.start: Snapshot | None = None
        self.last: Snapshot | None = None
        self._best: dict[float, Snapshot] = {}

    @property
    def best(self) -> Snapshot | None:
        """The lowest-loss state at the configured weight."""
        return self._best.get(self.w_bc)

    def offer(self, model: nn.Module, row: Step, pde_sq: Tensor, bc_sq: Tensor) -> None:
        """Record ``model``'s current state, measured as ``row`` with these squared residuals."""
        snap = Snapshot(row, copy.deepcopy(model.state_dict()), pde_sq.detach().flatten(),
                        bc_sq.detach().flatten())
        if self.start is None:
            self.start = snap
        for w in self.ranks:
            best = self._best.get(w)
            if best is None or check_loss(snap, self.w_pde, w) < check_loss(best, self.w_pde, w):
                self._best[w] = snap
        self.last = snap

    def choose(self, stopped: StopReason, w_bc: float | None = None) -> Snapshot | None:
        """The state to return (None before the first measurement), ranked with the boundary
        weight of ``ranks`` nearest ``w_bc`` (default: the configured one)."""
        last, start = self.last, self.start
        if last is None or not self.keep_best:
            return last
        w = self.w_bc if w_bc is None else min(self.ranks, key=lambda r: abs(math.log(r / w_bc)))
        best = self._best[w]
        loss = {id(s): check_loss(s, self.w_pde, w) for s in (last, best, start)}
        if not math.isfinite(loss[id(last)]):
            return best  # NaN never ranks below anything: the lowest finite state, else the start
        if stopped.tolerance or last is best:
            return last
        if loss[id(last)] > loss[id(start)]:
            return best
        margin = self.z * paired_se(last, best, self.w_pde, w)
        return last if loss[id(last)] - loss[id(best)] <= margin else best
