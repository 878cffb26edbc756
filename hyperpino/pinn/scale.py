"""The size of a linear problem's solution, estimated before training: the PINN trainer's units.

Every problem here is linear, so multiplying the data (f, g) by k multiplies the solution by k and
the physics loss by k². Adam is blind to that, but two parts of training are not: a fresh network
answers values of order one whatever the problem asks for, and L-BFGS stops on absolute
tolerances (torch's ``tolerance_grad`` 1e-7, ``tolerance_change`` 1e-9) and scales its first step
by the gradient's size. Measured before this
module (``-Δu = k sin πx sin πy`` on the unit square, from scratch, 30 s, one thread): rel. L2 0.91
for k = 1e-3, 0.20 for k = 1 (u of size 0.025) and 4.3e-3 for k = 1e3 — the same problem in other
units. The trainer therefore works in the problem's own units (the non-dimensionalisation
recommended for PINNs by Wang, Wang & Perdikaris 2023, "An expert's guide to training
physics-informed neural networks"): a fresh network's output is multiplied by the solution's
size, and the loss of a problem outside the sizes the trainer was tuned on is rescaled into them.

The size is not known before solving, but a cheap least-squares solve gives it: the physics loss
is quadratic in the coefficients of a polynomial, so the best combination of the products of
Chebyshev polynomials ``T_i(X) T_j(Y)`` up to a total degree of 12 (91 functions, a spectral
least-squares method) is one small linear solve, and its root mean square over the interior
points is the estimate (0.03 s; within 0.68-1.26 of the reference solution's RMS on the eleven
bundled examples and ~0.99-1.02 on the smooth problems of tests/pinn/test_scale.py). It only has
to be right to within a factor of a few. A basis of the random hidden features of a fresh network
(as in Dwivedi & Srinivasan 2020, "Physics informed extreme learning machine") was tried first:
too poor to satisfy zero boundary data and a source at once, it answered 0.04 of poisson_L's size.

Inside the band of sizes the trainer was tuned on, only the output scale changes; the loss keeps
the user's units there (:func:`loss_unit`).
"""

from __future__ import annotations

import math

import torch

from hyperpino.pde.collocation import sample_problem
from hyperpino.pde.problem import Problem
from hyperpino.pinn.spectral import DEGREE, spectral_fit

MISFIT = 0.9
"""Relative misfit ``‖A c − rhs‖ / ‖rhs‖`` above which the basis does not resolve the problem and
the estimate is not used. The bundled examples have 0 to 0.79 (helmholtz; the holes of poisson_C
0.62), with estimates 0.68-1.26 of the true size; −Δu = f with u = sin(kπx) sin(kπy) has 0.96 for
k = 8 to 40, where the estimate is 2.2x (k = 8) to 156x (k = 40) the size."""


def solution_scale(problem: Problem, *, w_bc: float = 10.0, seed: int = 0, n_interior: int = 1024,
                   n_boundary: int = 512, degree: int = DEGREE) -> float:
    """Root mean square of u over the domain, estimated by least squares in a polynomial basis.

    Minimises ``mean (L u − f)² + w_bc · mean (a u + b ∂_d u − g)²`` over ``u = Σ c_ij T_i(X) T_j(Y)``,
    ``i + j ≤ degree``, at ``n_interior`` uniform interior points and ``n_boundary`` boundary rows
    (drawn with ``seed``) in canonical coordinates, in float64. Returns 0.0 when the data are all
    zero (u = 0 solves the problem), and 1.0 (the user's units, as if there were no estimate) when
    the estimate is not finite or the basis does not resolve the problem (relative misfit above
    :data:`MISFIT`: a solution of too high a frequency for degree ``degree``).
    """
    gen = torch.Generator().manual_seed(seed)
    col = sample_problem(problem, n_interior, n_boundary, generator=gen, dtype=torch.float64)
    if not (bool(col.source.any()) or bool(col.g.any())):
        return 0.0
    fit = spectral_fit(col, col.source, col.g, w_bc=w_bc, degree=degree)
    size, misfit = float(fit.u.square().mean().sqrt()), fit.misfit
    if not (math.isfinite(size) and size > 0) or not misfit <= MISFIT:
        return 1.0
    return size


def output_scale(problem: Problem, **options) -> float:
    """:func:`solution_scale`, or 1.0 where u = 0 solves the problem (any scale fits it)."""
    return solution_scale(problem, **options) or 1.0


TUNED = (0.05, 5.0)
"""Solution sizes (RMS) the trainer's settings were tuned on (the bundled examples: 0.08 to 1.3):
inside this band the loss is left in the user's units."""


def loss_unit(size: float) -> float:
    """What the training residuals are measured in for a solution of RMS ``size``: 1 inside
    :data:`TUNED` (the user's units), else ``size`` over the band's nearer edge, which brings the
    problem to that edge.

    Only L-BFGS sees the loss's scale (its tolerances and first step are absolute; Adam's steps
    are not), and rescaling the loss of problems inside the band was measured to cost accuracy:
    fine-tuning the ten in-family examples for 20 s (one thread, 2026-12-07) with every residual
    measured in units of the size raised rel. L2 in 9 of 10 (poisson_L 4.2e-2 / 4.8e-2 → 6.4e-2,
    helmholtz_G 1.7e-2 / 1.8e-2 → 3.7e-2, advection_diffusion 3.0e-3 / 4.3e-3 → 8.6e-3)."""
    lo, hi = TUNED
    return size / min(max(size, lo), hi)
