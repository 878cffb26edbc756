"""The error of a trained network estimated from its residuals alone (no reference solution).

For a linear problem ``L u = f``, ``B u = g`` and a network ``u_θ``, the error ``e = u* − u_θ``
solves ``L e = −(L u_θ − f)``, ``B e = −(B u_θ − g)``: the network's residuals are the data of its
error's own problem. Solving that problem in an auxiliary space and taking the size of the answer
is the hierarchical a posteriori estimator of finite elements (Bank & Weiser 1985, "Some a
posteriori error estimators for elliptic partial differential equations", Math. Comp. 44); the
auxiliary space here is the Chebyshev basis of :mod:`hyperpino.pinn.spectral`, so the estimate sees
the error's smooth part, which is where a poor answer's error lives.

Why the physics loss is not enough: it is the mean square of the residuals, which high-frequency
residuals dominate, while ``L⁻¹`` damps those and passes the low ones, and boundary residuals pass
into the error undamped. Fine-tuning poisson_C (Laplace around four holes) from the model for 5 s
(2026-12-07) lowered the check loss from 3.31 to 2.35 while rel. L2 rose from 0.561 to 0.602; this
estimate rose from 0.42 to 0.50. Measured on the eleven bundled examples of the model's family,
fine-tuned 2, 5 and 15 s from the model (33 runs, 121 measured states, one thread), it ordered the
states of each run as the reference did in 174 of 176 pairs (helmholtz at 5 s: a state at rel. L2
1.31 estimated 0.81, below the start's 1.03 estimated 1.02; heat at 15 s: two states at 2.0e-4 and
2.2e-4) and came within 0.62-3.9x of the true error (0.6-1.4x on the smooth problems, up to 3.9x
on helmholtz_G). It ranks states; it certifies nothing.
"""

from __future__ import annotations

import copy
import math
from typing import NamedTuple

import torch
from torch import nn

from hyperpino.pde.collocation import sample_problem
from hyperpino.pde.problem import Problem
from hyperpino.pde.residual import derivatives, module_point_fn, operator_residual, robin_residual
from hyperpino.pinn.spectral import DEGREE, spectral_fit

W_BC = 1e3
"""Boundary weight of the error's fit. A boundary residual is error itself, so the fit should honour
it nearly exactly. On the 176 pairs of states above, pairs misordered with a weight of 10 / 1e2 /
1e3 / 1e4: 10 / 7 / 1 / 8 (with 10, poisson_C's estimate fell 0.33 → 0.17 while the error rose
0.561 → 0.602; with 1e4 helmholtz_G's error was overstated up to 10x)."""
MISFIT = 0.9
"""Relative misfit of the error's fit above which the basis does not resolve the error (an error of
too high a frequency for the basis) and there is no estimate."""


class Estimate(NamedTuple):
    """``error``: the estimated relative L2 error ``‖e‖ / ‖u_θ + e‖`` over the interior points;
    ``misfit``: how much of the error's data the basis could not fit (0 to 1)."""

    error: float
    misfit: float


def error_estimate(problem: Problem, model: nn.Module, *, seed: int = 0, n_interior: int = 4096,
                   n_boundary: int = 2048, w_bc: float = W_BC, degree: int = DEGREE) -> Estimate | None:
    """The estimated relative L2 error of ``model`` (canonical points ``(N, 2) -> (N, 1)`` of
    ``problem.map``) on ``problem``, from ``n_interior`` uniform interior points and ``n_boundary``
    boundary rows drawn with ``seed``, in float64 on the CPU (the model is copied there). None when
    the estimate is not finite or the basis does not resolve the error (misfit above :data:`MISFIT`).
    """
    gen = torch.Generator().manual_seed(seed)
    col = sample_problem(problem, n_interior, n_boundary, generator=gen, dtype=torch.float64)
    net = copy.deepcopy(model).to(device="cpu", dtype=torch.float64)
    fn = module_point_fn(net)
    params = {name: p.detach()[None] for name, p in net.named_parameters()}
    with torch.no_grad():
        inner = derivatives(fn, params, col.interior)
        edge = derivatives(fn, params, col.boundary, order=1)
        r = operator_residual(inner, col.coeffs[None], col.source[None])[0]
        rb = robin_residual(edge, col.direction, col.a, col.b, col.g)[0]
    fit = spectral_fit(col, -r, -rb, w_bc=w_bc, degree=degree)
    u = inner.u[0]
    size = float((u + fit.u).norm())
    error = float(fit.u.norm()) / size if size > 0 else math.inf
    if not math.isfinite(error) or fit.misfit > MISFIT:
        return None
    return Estimate(error, fit.misfit)
