"""Neural-ODE solves with torchdiffeq (Chen et al. 2018): fixed-step RK4 or adaptive dopri5.

Gradients flow through the solver's operations (discretise-then-optimise, as the reference's
``RecursiveCheckpointAdjoint``). Time is the normalised grid ``τ ∈ [0, 1]`` shared by all
environments; each environment's span ``S_e`` scales its field (see :mod:`hyperpino.mixer.dataset`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import Tensor

from hyperpino.errors import SpecError

SOLVERS = ("rk4", "dopri5")


@dataclass(frozen=True)
class SolverConfig:
    """``method``: ``rk4`` (``substeps`` steps per output interval) or ``dopri5`` (``rtol``/``atol``)."""

    method: str = "rk4"
    substeps: int = 2
    rtol: float = 1e-4
    atol: float = 1e-6

    def __post_init__(self) -> None:
        if self.method not in SOLVERS:
            raise SpecError("solver.method", f"unknown {self.method!r} (known: {', '.join(SOLVERS)})")
        if self.substeps < 1:
            raise SpecError("solver.substeps", f"must be >= 1, got {self.substeps}")


def solve(rhs: Callable[[Tensor, Tensor], Tensor], y0: Tensor, tau: Tensor, cfg: SolverConfig) -> Tensor:
    """``y0 (*S)``, ``tau (T,)`` -> states ``(T, *S)`` of ``dy/dτ = rhs(τ, y)``."""
    from torchdiffeq import odeint

    if cfg.method == "rk4":
        step = float((tau[1:] - tau[:-1]).min()) / cfg.substeps
        return odeint(rhs, y0, tau, method="rk4", options={"step_size": step})
    return odeint(rhs, y0, tau, method="dopri5", rtol=cfg.rtol, atol=cfg.atol)
