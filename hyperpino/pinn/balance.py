"""The training loss's boundary weight: weight the residual that lags.

A PINN's loss adds the PDE residual and the boundary residual with a weight, and with a fixed
weight the trainer settles on whatever split of the two that weight implies. On the bundled
examples that split left the boundary behind: after 300 s of fine-tuning with ``w_bc = 10`` the
relative PDE residual (:func:`~hyperpino.pde.residual.relative_residual`) was 3e-4 to 5e-3 but the
relative boundary residual (:func:`~hyperpino.pde.residual.relative_boundary_residual`) 1e-2 to
6e-2 on helmholtz, poisson_L, poisson_C and wave, and the error followed the boundary (wave: rel.
L2 0.45). The rule here is a multiplicative update in the spirit of weight balancing for PINNs
(Wang, Teng & Perdikaris 2021 balance the terms' gradient statistics; here the criterion is the
two relative residuals that ``--tol-residual`` asks to be small together): at each evaluation the
boundary weight doubles while the boundary's relative residual is more than :data:`LAG` times the
PDE's, up to :data:`SPAN` times the configured weight, and halves in the mirror case, but never
below the configured weight. Under a tolerance the residual that already meets it does not move
the weight.

Why never below: letting the weight fall where the PDE residual lags was measured and dropped
(``--tol-residual 1e-3``, 300 s, one thread, 2026-12-06): it traded the boundary for the PDE
residual and the error followed the boundary, rel. L2 heat 5.5e-5 → 8.0e-4, advection_diffusion
2.9e-4 → 6.6e-3, disk_robin 6.8e-5 → 2.7e-4, while raising it where the boundary lags took wave
from 0.45 to 3.3e-2, poisson_C from 3.1e-2 to 6.5e-3 and helmholtz from 3.2e-3 to 1.1e-3.
"""

from __future__ import annotations

from dataclasses import dataclass

LAG = 2.0
"""How many times larger one relative residual must be than the other before the weight moves."""
SPAN = 256.0
"""The boundary weight stays within ``[w_bc, w_bc · SPAN]`` of the configured ``w_bc``."""


@dataclass
class BoundaryBalance:
    """The training loss's boundary weight ``w_bc``, moved by :meth:`update` towards equal
    relative residuals while the lagging one is above the tolerance ``tol`` (0: always), never
    below where it started."""

    w_bc: float
    tol: float

    def __post_init__(self) -> None:
        self.lo, self.hi = self.w_bc, self.w_bc * SPAN

    def ladder(self) -> tuple[float, ...]:
        """Every weight :meth:`update` can reach: ``w_bc · 2^k`` up to ``w_bc · SPAN``."""
        out = [self.lo]
        while out[-1] < self.hi:
            out.append(min(self.hi, 2 * out[-1]))
        return tuple(out)

    def update(self, residual: float, bc_residual: float) -> bool:
        """Move the weight after a measurement (relative PDE and boundary residuals); True when it
        changed (an L-BFGS memory built on the old loss is then stale)."""
        old = self.w_bc
        if bc_residual > self.tol and bc_residual > LAG * residual:
            self.w_bc = min(self.hi, 2 * self.w_bc)
        elif residual > self.tol and residual > LAG * bc_residual:
            self.w_bc = max(self.lo, self.w_bc / 2)
        return self.w_bc != old
