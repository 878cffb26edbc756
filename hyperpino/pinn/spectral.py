"""A small spectral least-squares solver: the problem's rows in a Chebyshev basis.

The products ``T_i(X) T_j(Y)`` of Chebyshev polynomials up to a total degree (91 functions at
degree 12) on canonical points: the least-squares fit of a linear problem's interior and boundary
rows in that basis is one small dense solve (a spectral least-squares method), a few hundredths of
a second. Two uses: the size of the solution before training (:mod:`hyperpino.pinn.scale`) and the
error of a trained network, from the same equations with its residuals as the data
(:mod:`hyperpino.pinn.estimate`). Nothing here knows a network.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor

from hyperpino.pde.collocation import Collocation
from hyperpino.pde.residual import Derivatives, operator_residual, robin_residual

DEGREE = 12
"""Total degree of the Chebyshev basis (91 functions)."""
RIDGE = 1e-10
"""Ridge strength on the normal equations of unit-norm columns (a ridge relative to the raw columns'
mean diagonal, which the high-degree second derivatives dominate, drowned the low modes of a
Helmholtz problem near resonance: 3-16x too small)."""


class SpectralFit(NamedTuple):
    """:func:`spectral_fit`'s answer: the fitted function's values at the interior points ``u (N,)``
    and the fit's relative misfit ``‖A c − rhs‖ / ‖rhs‖`` (near 1: the basis does not resolve it)."""

    u: Tensor
    misfit: float


def spectral_fit(col: Collocation, interior: Tensor, boundary: Tensor, *, w_bc: float,
                 degree: int = DEGREE) -> SpectralFit:
    """The function ``v = Σ c_ij T_i(X) T_j(Y)``, ``i + j ≤ degree``, that minimises

        mean (L v − interior)² + w_bc · mean (a v + b ∂_d v − boundary)²

    with ``L``, ``a``, ``b``, ``d`` of ``col`` (its points canonical, float64): ``interior (N,)`` the
    wanted ``L v`` at ``col.interior``, ``boundary (Nb,)`` the wanted boundary rows. The source and
    boundary data of ``col`` itself are not used (pass them to solve the problem)."""
    with torch.no_grad():
        inner = chebyshev_basis(col.interior, degree)
        # the basis functions as K "models" of the residual engine: L φ_j (N, K), B φ_j (Nb, K)
        lh = operator_residual(inner, col.coeffs[None], 0.0).T
        bh = robin_residual(chebyshev_basis(col.boundary, degree), col.direction, col.a, col.b, 0.0).T
        wb = math.sqrt(w_bc)
        a = torch.cat([lh / math.sqrt(len(lh)), wb * bh / math.sqrt(len(bh))])
        rhs = torch.cat([interior / math.sqrt(len(lh)), wb * boundary / math.sqrt(len(bh))])
        norms = a.norm(dim=0).clamp_min(1e-300)  # unit columns: the ridge weighs every mode alike
        an = a / norms
        normal = an.T @ an
        c = torch.linalg.solve(normal + RIDGE * torch.eye(len(normal), dtype=a.dtype), an.T @ rhs) / norms
        size = rhs.norm()
        misfit = float((a @ c - rhs).norm() / size) if size > 0 else 0.0
        return SpectralFit(c @ inner.u, misfit)


def chebyshev_basis(points: Tensor, degree: int) -> Derivatives:
    """Values and derivatives of the products ``T_i(X) T_j(Y)``, ``i + j ≤ degree``, at
    ``points (N, 2)``, one basis function per model: ``u (K, N)``, ``grad (K, N, 2)``,
    ``hess (K, N, 2, 2)`` with ``K = (degree + 1)(degree + 2) / 2``."""
    tx, ty = _chebyshev(points[:, 0], degree), _chebyshev(points[:, 1], degree)  # (3, degree + 1, N)
    pairs = [(i, j) for i in range(degree + 1) for j in range(degree + 1 - i)]
    i = torch.tensor([p[0] for p in pairs])
    j = torch.tensor([p[1] for p in pairs])
    fx, dfx, ddfx = tx[:, i]
    fy, dfy, ddfy = ty[:, j]
    cross = dfx * dfy
    hess = torch.stack([torch.stack([ddfx * fy, cross], -1), torch.stack([cross, fx * ddfy], -1)], -2)
    return Derivatives(fx * fy, torch.stack([dfx * fy, fx * dfy], -1), hess)


def _chebyshev(x: Tensor, degree: int) -> Tensor:
    """``T_n(x)``, ``T_n'(x)``, ``T_n''(x)`` for n = 0 … degree by the three-term recurrence
    (differentiated twice): ``(3, degree + 1, N)``."""
    t = [torch.ones_like(x), x]
    d = [torch.zeros_like(x), torch.ones_like(x)]
    dd = [torch.zeros_like(x), torch.zeros_like(x)]
    for n in range(1, degree):
        t.append(2 * x * t[n] - t[n - 1])
        d.append(2 * t[n] + 2 * x * d[n] - d[n - 1])
        dd.append(4 * d[n] + 2 * x * dd[n] - dd[n - 1])
    return torch.stack([torch.stack(v[:degree + 1]) for v in (t, d, dd)])
