"""What HyPINO reads: a problem's images and coefficients, their linear normalisation, and the
images of the error problem that iterative refinement hands back to the model.

Normalisation uses linearity (a fix of the reference HyPINO, Bischof et al. 2025, arXiv 2509.05117,
which only log-compresses the inputs, §7 of the brief): dividing the operator and the source by
``k = max|c|`` leaves the problem unchanged, and dividing all data (source, boundary values) by one
scalar ``s`` divides the solution by ``s``. The model therefore always sees coefficients of size 1
and data of size 1, and its PINN is multiplied by ``s`` afterwards. Robin's ``a, b`` are
coefficients and are not scaled.

The error problem (§4 of the brief): for a linear operator the correction ``δ = u − ū`` of an
approximation ``ū`` solves ``L δ = f − L ū`` with boundary data ``g − B ū``, on the same geometry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import torch
from torch import Tensor

from hyperpino.model.channels import CHANNELS, rasterize_problem
from hyperpino.pde import geometry as geo
from hyperpino.pde.problem import Problem
from hyperpino.pde.residual import Derivatives

CH = {name: i for i, name in enumerate(CHANNELS)}
DATA_CHANNELS = tuple(CH[c] for c in ("dirichlet_value", "neumann_value", "robin_value", "source"))
"""Channels that scale with the solution (everything else is a mask or a coefficient)."""
TINY = 1e-8
"""Below this a problem's data counts as zero (its solution is u = 0; the scale stays 1)."""

DerivFn = Callable[[Tensor, int], Derivatives]
"""``derivs(points (B, P, 2), order) -> Derivatives`` of B approximations ū, canonical coordinates."""


@dataclass
class Inputs:
    """B problems as the model sees them, before normalisation, on the canonical square.

    ``images (B, 10, G, G)`` (:data:`CHANNELS`), ``coeffs (B, 6)`` canonical operator coefficients
    (``TERMS`` order); for the boundary bands, ``foot (B, G², 2)`` the nearest boundary point of each
    pixel and ``direction (B, G², 2)`` the unit direction whose derivative the Neumann and Robin
    channels hold (the outward normal on a square box; zeros off the bands). Pixels are in
    ``grid_points(G)`` order, row-major, row 0 at y = +1.
    """

    images: Tensor
    coeffs: Tensor
    foot: Tensor
    direction: Tensor

    def __len__(self) -> int:
        return self.images.shape[0]

    def to(self, device=None, dtype=None) -> Inputs:
        return Inputs(**{f.name: getattr(self, f.name).to(device=device, dtype=dtype) for f in fields(self)})

    @staticmethod
    def cat(parts: list[Inputs]) -> Inputs:
        return Inputs(**{f.name: torch.cat([getattr(p, f.name) for p in parts]) for f in fields(Inputs)})


def problem_inputs(problem: Problem, grid: int, *, dtype: torch.dtype = torch.float32) -> Inputs:
    """One problem (``B = 1``) rasterised on a ``grid × grid`` canonical image.

    Raises :class:`~hyperpino.errors.OutOfFamilyError` for variable coefficients (HyPINO's
    coefficient input is one constant vector).
    """
    m = problem.map
    coeffs = m.canonical_coefficients(torch.tensor(problem.operator.vector(), dtype=torch.float64))
    images = rasterize_problem(problem, grid, dtype=dtype)
    r = geo.rasterize(problem.canonical_domain, grid, band_px=1.5)
    n_c = r.normal.reshape(-1, 2).double()
    # The flux channels hold d·∇_X u / |d| with d = s ⊙ n_user and n_user ∝ s ⊙ n_c (see
    # collocation.py), so the direction is s² ⊙ n_c, normalised; it equals n_c on a square box.
    s = torch.tensor(m.scale, dtype=torch.float64)
    d = n_c * s * s
    d = d / torch.linalg.vector_norm(d, dim=-1, keepdim=True).clamp_min(1e-30)
    return Inputs(images[None], coeffs[None].to(dtype), r.foot.reshape(1, -1, 2).to(dtype), d[None].to(dtype))


def normalise(images: Tensor, coeffs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``(images, coeffs) -> (images', coeffs', scale (B,))`` with ``max|coeffs'| = 1`` and data of
    size at most 1; the solution of the original problem is ``scale ·`` that of the new one."""
    k = operator_scale(coeffs)
    coeffs = coeffs / k[:, None]
    images = images.clone()
    images[:, CH["source"]] /= k[:, None, None]
    data = images[:, list(DATA_CHANNELS)].abs().flatten(1).amax(1)
    scale = torch.where(data > TINY, data, torch.ones_like(data))
    images[:, list(DATA_CHANNELS)] /= scale[:, None, None, None]
    return images, coeffs, scale


def operator_scale(coeffs: Tensor) -> Tensor:
    """``k = max|c|`` per problem ``(B,)``: :func:`normalise` divides the operator and source by it."""
    return coeffs.abs().amax(1).clamp_min(TINY)


def error_inputs(inputs: Inputs, derivs: DerivFn) -> Inputs:
    """The inputs of the error problem of approximations ``ū`` (one per problem).

    ``derivs`` gives ū's derivatives at canonical points; the source channel becomes
    ``(f − L ū)`` on the domain, and each boundary channel ``g − B ū`` at its band pixels' feet.
    """
    img, c = inputs.images, inputs.coeffs
    b, _, g, _ = img.shape
    grid = geo.grid_points(g, dtype=img.dtype).reshape(1, -1, 2).to(img.device).expand(b, -1, -1)
    lu = (derivs(grid, 2).terms() * c[:, None, :]).sum(-1).reshape(b, g, g)
    feet = derivs(inputs.foot, 1)
    u, dn = feet.u.reshape(b, g, g), (feet.grad * inputs.direction).sum(-1).reshape(b, g, g)
    out = img.clone()
    out[:, CH["source"]] = (img[:, CH["source"]] - lu) * img[:, CH["domain"]]
    out[:, CH["dirichlet_value"]] = (img[:, CH["dirichlet_value"]] - u) * img[:, CH["dirichlet_mask"]]
    out[:, CH["neumann_value"]] = (img[:, CH["neumann_value"]] - dn) * img[:, CH["neumann_mask"]]
    robin = img[:, CH["robin_a"]] * u + img[:, CH["robin_b"]] * dn
    out[:, CH["robin_value"]] = (img[:, CH["robin_value"]] - robin) * img[:, CH["robin_mask"]]
    return Inputs(out, c, inputs.foot, inputs.direction)
