"""The generated PINN's output layer, solved by least squares on the problem's own physics.

The target PINN is ``u(X) = w·h(X; θ_hidden) + b`` with a linear output layer (``out.weight``,
``out.bias``), and the PDE family is linear. Given the hidden layers the hypernetwork generated,
the PDE residual ``L u − f`` and the boundary residual ``a u + b ∂_d u − g`` are therefore *linear*
in ``(w, b)``: the best output layer for those features is one small least-squares problem
(``width + 1`` unknowns) per PDE, solved in closed form. HyPINO (Bischof et al. 2025, arXiv
2509.05117) takes the generated output layer as it is; here the hypernetwork provides a
problem-specific basis and the physics fixes its coefficients, as in extreme-learning-machine and
random-feature PINNs (Dwivedi & Srinivasan 2020, "Physics informed extreme learning machine";
Dong & Li 2021, "Local extreme learning machines ... for solving linear PDEs"), but with features
that a trained network chose for this problem instead of random ones. No iterative optimisation:
zero-shot generation stays one forward pass plus one ``(width+1)²`` solve per problem.

A small ridge term pulls the solution towards the generated output layer, so an ill-conditioned
basis cannot produce huge coefficients.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

from hyperpino.pinn.fit import FitConfig as PINNTrainConfig

BOUNDARY_WEIGHT = math.sqrt(PINNTrainConfig.w_bc)
"""Weight of the boundary rows against the PDE rows: the square root of the PINN trainer's boundary
weight, so the solve minimises the physics loss that refinement's early stop and fine-tuning use
(``mean r_pde² + w_bc · mean r_bc²``)."""
RIDGE = 1e-6
"""Ridge strength relative to the mean diagonal of the normal equations."""


@dataclass(frozen=True)
class Rows:
    """Collocation rows of B linear problems in canonical coordinates, raw units.

    ``interior (B, N, 2)``, ``coeffs (B, 6)`` or ``(B, N, 6)`` (TERMS order), ``source (B, N)``;
    boundary rows ``a·u + b·(d·∇u) = g``: ``boundary (B, Nb, 2)``, ``a, b, g (B, Nb)``,
    ``direction (B, Nb, 2)``.
    """

    interior: Tensor
    coeffs: Tensor
    source: Tensor
    boundary: Tensor
    a: Tensor
    b: Tensor
    g: Tensor
    direction: Tensor

    @staticmethod
    def stack(rows: list[Rows]) -> Rows:
        """B single-problem rows (each with a leading axis of 1 and the same interior count) as one
        batch; shorter boundary sets are padded with empty rows (a = b = g = 0, which weigh nothing)."""
        nb = max(r.boundary.shape[1] for r in rows)

        def pad(x: Tensor) -> Tensor:
            extra = nb - x.shape[1]
            return torch.cat([x, x.new_zeros(x.shape[0], extra, *x.shape[2:])], 1) if extra else x

        out = {k: torch.cat([getattr(r, k) for r in rows]) for k in ("interior", "coeffs", "source")}
        out.update({k: torch.cat([pad(getattr(r, k)) for r in rows])
                    for k in ("boundary", "a", "b", "g", "direction")})
        return Rows(**out)


def problem_rows(problem, n_interior: int = 1024, n_boundary: int = 512, *, seed: int = 0,
                 device=None) -> Rows:
    """The rows (B = 1) of a :class:`~hyperpino.pde.problem.Problem`: uniform interior points and
    boundary rows drawn with ``seed`` (:func:`~hyperpino.pde.collocation.sample_problem`)."""
    from hyperpino.pde.collocation import sample_problem

    c = sample_problem(problem, n_interior, n_boundary, generator=torch.Generator().manual_seed(seed))
    return Rows(*(t[None].to(device) for t in (c.interior, c.coeffs, c.source, c.boundary, c.a, c.b,
                                                c.g, c.direction)))


def features_theta(theta: dict[str, Tensor], width: int) -> dict[str, Tensor]:
    """θ of B PINNs -> θ of ``B·(width+1)`` PINNs whose outputs are the hidden features
    ``h_0 … h_{width-1}`` and the constant 1 (the output layer replaced by unit rows)."""
    k = width + 1
    out = {name: v.repeat_interleave(k, dim=0) for name, v in theta.items()
           if name not in ("out.weight", "out.bias")}
    b = next(iter(theta.values())).shape[0]
    ref = theta["out.weight"]
    eye = torch.eye(k, width, dtype=ref.dtype, device=ref.device)  # row `width` is all zeros
    out["out.weight"] = eye[None].expand(b, -1, -1).reshape(b * k, 1, width)
    one = torch.zeros(k, 1, dtype=ref.dtype, device=ref.device)
    one[width, 0] = 1.0
    out["out.bias"] = one[None].expand(b, -1, -1).reshape(b * k, 1)
    return out


def _per_feature(x: Tensor, k: int) -> Tensor:
    return x.repeat_interleave(k, dim=0)


@torch.no_grad()
def solve_output_layer(target, theta: dict[str, Tensor], scale: Tensor, rows: Rows, *,
                       boundary_weight: float = BOUNDARY_WEIGHT, ridge: float = RIDGE) -> dict[str, Tensor]:
    """θ with ``out.weight (B, 1, W)`` and ``out.bias (B, 1)`` replaced by the least-squares
    solution of the problems ``rows``; the answer stays ``scale[b] · target(θ', X)[b]``.

    ``target``: the :class:`~hyperpino.model.target.TargetPINN`; ``theta``: ``name -> (B, *shape)``;
    ``scale (B,)``: the output scales of the input normalisation.
    """
    width = theta["out.weight"].shape[-1]
    k = width + 1
    bsz = scale.shape[0]
    theta = {n: v.float() for n, v in theta.items()}
    feats = features_theta(theta, width)
    d_in = target.derivatives(feats, _per_feature(rows.interior, k), order=2)
    d_bd = target.derivatives(feats, _per_feature(rows.boundary, k), order=1)
    n, nb = rows.interior.shape[1], rows.boundary.shape[1]
    coeffs = rows.coeffs if rows.coeffs.dim() == 3 else rows.coeffs[:, None, :]
    # L h_j at the interior points and B h_j on the boundary rows: (B, N, k) and (B, Nb, k)
    lh = (d_in.terms().reshape(bsz, k, n, 6) * coeffs[:, None]).sum(-1).transpose(1, 2)
    flux = (d_bd.grad.reshape(bsz, k, nb, 2) * rows.direction[:, None]).sum(-1)
    bh = (rows.a[:, None] * d_bd.u.reshape(bsz, k, nb) + rows.b[:, None] * flux).transpose(1, 2)
    # Each set of rows is a mean over its points (padding rows, a = b = 0, do not count).
    real = ((rows.a != 0) | (rows.b != 0)).sum(1).clamp_min(1).to(lh.dtype)[:, None, None]
    a_mat = torch.cat([lh / n**0.5, boundary_weight * bh / real.sqrt()], 1).double()
    rhs = torch.cat([rows.source / n**0.5, boundary_weight * rows.g / real[..., 0].sqrt()], 1).double()
    w0 = torch.cat([theta["out.weight"][:, 0], theta["out.bias"]], 1).double() * scale.double()[:, None]
    normal = a_mat.transpose(1, 2) @ a_mat
    lam = ridge * normal.diagonal(dim1=1, dim2=2).mean(1).clamp_min(1e-30)
    eye = torch.eye(k, dtype=torch.float64, device=normal.device)
    lhs = normal + lam[:, None, None] * eye
    w = torch.linalg.solve(lhs, (a_mat.transpose(1, 2) @ rhs[..., None])[..., 0] + lam[:, None] * w0)
    ok = torch.isfinite(w).all(1, keepdim=True)
    w = torch.where(ok, w, w0)  # a singular system (no physics rows, say) keeps the generated layer
    w = (w / scale.double()[:, None]).to(theta["out.weight"].dtype)
    out = dict(theta)
    out["out.weight"] = w[:, None, :width].contiguous()
    out["out.bias"] = w[:, width:].contiguous()
    return out
