"""Collocation points drawn where the PDE residual is large (residual-based adaptive distribution).

Uniform points spend most of a PINN's loss where it already fits. RAD (Wu, Zhu, Tan, Kartha &
Lu 2023, "A comprehensive study of non-adaptive and residual-based adaptive sampling for
physics-informed neural networks", CMAME 403) draws a pool of uniform candidates, measures the
residual ``ε`` there and keeps ``n`` of them with probability

    p(x) ∝ ε(x)^k / mean(ε^k) + c

so a share of the points follows the residual and the rest stays uniform (``c`` sets the split:
with ``k = c = 1``, half of the probability mass is uniform). The paper's default ``k = 1, c = 1``
is used. Boundary rows stay uniform: the boundary weight (:mod:`hyperpino.pinn.balance`) answers a
lagging boundary, and drawing them by RAD as well moved rel. L2 both ways on the four examples whose
boundary lags (docs/solve.md, 2026-12-06).

Measured (fine-tuning, ``--tol-residual 1e-3 --time-budget 120s``, one thread, 2026-12-06): the
relative PDE residual on the uniform check set fell from 5e-2 to 4.9e-3 on poisson_L (its
re-entrant corner, where uniform points are too sparse), 1.6e-2 to 7.0e-3 on advection_diffusion,
9.2e-3 to 5.8e-3 on helmholtz_G and 6.5e-3 to 4.7e-3 on poisson_C; rel. L2 moved within run-to-run
noise (docs/solve.md has the table).
"""

from __future__ import annotations

import torch
from torch import nn

from hyperpino.pde.collocation import Collocation, sample_problem
from hyperpino.pde.problem import Problem
from hyperpino.pde.residual import derivatives, module_point_fn, operator_residual

POOL = 4
"""Uniform candidates per kept interior point."""
K, C = 1.0, 1.0
"""RAD's exponent and uniform share (Wu et al. 2023's default)."""


def residual_weights(model: nn.Module, col: Collocation, k: float = K, c: float = C) -> torch.Tensor:
    """RAD's unnormalised sampling weights ``ε^k / mean(ε^k) + c`` at ``col``'s interior points,
    ``(N,)``; uniform (all ``1 + c``) where the residual vanishes everywhere."""
    params = {name: p.detach().unsqueeze(0) for name, p in model.named_parameters()}
    with torch.no_grad():
        d = derivatives(module_point_fn(model), params, col.interior)
        eps = operator_residual(d, col.coeffs[None], col.source[None])[0].abs().pow(k)
    mean = eps.mean()
    if not bool(torch.isfinite(mean)) or float(mean) == 0.0:
        return torch.full_like(eps, 1.0 + c)
    return eps / mean + c


def sample_adaptive(problem: Problem, model: nn.Module, n_interior: int, n_boundary: int, *,
                    generator: torch.Generator, dtype: torch.dtype, device, pool: int = POOL) -> Collocation:
    """``n_interior`` interior points drawn by RAD from ``pool · n_interior`` uniform candidates
    (without replacement) and ``n_boundary`` uniform boundary rows, on ``device``."""
    cand = sample_problem(problem, pool * n_interior, n_boundary, generator=generator, dtype=dtype)
    cand = Collocation(**{k: v.to(device) for k, v in vars(cand).items()})
    p = residual_weights(model, cand).double().cpu()
    idx = torch.multinomial(p, n_interior, replacement=False, generator=generator).to(device)
    return Collocation(**{**vars(cand), "interior": cand.interior[idx], "coeffs": cand.coeffs[idx],
                          "source": cand.source[idx]})
