"""A problem as collocation points on the canonical square, for residual losses.

Every condition takes one form, ``a·u + b·(d·∇u) = g`` in canonical coordinates
``X ∈ [-1, 1]²``: Dirichlet is ``(a, b) = (1, 0)``, Neumann ``(0, 1)`` with ``d = s ⊙ n`` (the user's
outward unit normal scaled by the box map, so ``d·∇_X u = ∂u/∂n`` exactly, also on a non-square
box), Robin keeps its ``a, b``. An initial value is Dirichlet on the t = t0 edge; an initial rate
``u_t = h`` is the Neumann condition ``∂u/∂n = −h`` there, since the outward normal is −t.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from hyperpino.pde.expr_torch import to_torch
from hyperpino.pde.finite import require_finite
from hyperpino.pde.problem import Condition, Problem


def condition_rows(cond: Condition, coords, user_pts: Tensor, normals: Tensor, scale: Tensor):
    """``(a, b, d, g)`` of one condition at user points ``(n, 2)`` with the user's unit outward
    ``normals (n, 2)``: the condition as ``a·u + b·(d·∇_X u) = g``, ``d`` canonical ``(n, 2)``."""
    def ev(e, field: str) -> Tensor:
        values = to_torch(e, coords)(user_pts[:, 0], user_pts[:, 1])
        require_finite(values, user_pts, f"bcs[{cond.index}].{field}", coords)
        return values

    g = ev(cond.value, "value")
    one, zero = torch.ones_like(g), torch.zeros_like(g)
    d = normals * scale
    if cond.kind in ("dirichlet", "initial_value"):
        return one, zero, d, g
    if cond.kind == "neumann":
        return zero, one, d, g
    if cond.kind == "initial_rate":
        return zero, one, d, -g
    return ev(cond.a, "a"), ev(cond.b, "b"), d, g


def user_normals(problem: Problem, canonical_normals: Tensor) -> Tensor:
    """The user's unit outward normals ``(n, 2)`` at boundary points with ``canonical_normals``."""
    n = canonical_normals * canonical_normals.new_tensor(problem.map.scale)
    return n / torch.linalg.vector_norm(n, dim=-1, keepdim=True).clamp_min(1e-30)


@dataclass(frozen=True)
class Collocation:
    """Points on the canonical square for residual losses.

    ``interior (Ni, 2)``, ``coeffs (Ni, 6)`` canonical operator coefficients (TERMS order),
    ``source (Ni,)``; boundary rows ``boundary (Nb, 2)``, ``a, b, g (Nb,)``, ``direction (Nb, 2)``,
    ``normal (Nb, 2)`` canonical unit outward normals, ``condition (Nb,)`` index into ``bcs``.
    """

    interior: Tensor
    coeffs: Tensor
    source: Tensor
    boundary: Tensor
    a: Tensor
    b: Tensor
    direction: Tensor
    g: Tensor
    normal: Tensor
    condition: Tensor


def sample_problem(
    problem: Problem,
    n_interior: int,
    n_boundary: int,
    *,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32,
) -> Collocation:
    """Uniform interior points and boundary rows (pieces with two conditions give two rows)."""
    m = problem.map
    dom = problem.canonical_domain
    pts = dom.sample_interior(n_interior, generator=generator, dtype=dtype)
    user = m.to_user(pts)
    coeffs = m.canonical_coefficients(problem.operator.coefficient_fn()(user))
    require_finite(coeffs.abs().amax(-1), user, "operator (a coefficient)", problem.coords)  # amax keeps NaN
    source = to_torch(problem.source, problem.coords)(user[:, 0], user[:, 1])
    require_finite(source, user, "operator.source", problem.coords)
    bs = dom.sample_boundary(n_boundary, generator=generator, dtype=dtype)
    ub, un = m.to_user(bs.points), user_normals(problem, bs.normals)
    scale = bs.points.new_tensor(m.scale)
    names = dom.geometry.piece_names
    parts = []
    for cond in problem.conditions:
        idx = [names.index(p) for p in cond.pieces]
        sel = torch.isin(bs.piece, torch.tensor(idx))
        if bool(sel.any()):
            a, b, d, g = condition_rows(cond, problem.coords, ub[sel], un[sel], scale)
            tag = torch.full_like(g, cond.index, dtype=torch.long)
            parts.append((bs.points[sel], a, b, d, g, bs.normals[sel], tag))
    cat = [torch.cat(col) for col in zip(*parts, strict=True)]
    return Collocation(
        pts,
        coeffs,
        source.expand(pts.shape[0]),
        boundary=cat[0],
        a=cat[1],
        b=cat[2],
        direction=cat[3],
        g=cat[4],
        normal=cat[5],
        condition=cat[6],
    )


def exact_residuals(problem: Problem, n: int = 512, seed: int = 0) -> dict[str, float]:
    """Max |L u* − f| inside and max |condition residual| per ``bcs`` entry, for a given exact u*.

    A spec whose exact solution does not satisfy its own equations has a typo; ``hyperpino check``
    reports these numbers. Evaluated in float64 in the user's coordinates.
    """
    if problem.exact is None:
        return {}
    from hyperpino.pde.expr import symbol

    gen = torch.Generator().manual_seed(seed)
    x, y = (symbol(c) for c in problem.coords)
    u = problem.exact
    lu = to_torch(problem.operator.apply(u) - problem.source, problem.coords)
    pts = problem.domain.sample_interior(n, generator=gen, dtype=torch.float64)
    out = {"pde": float(lu(pts[:, 0], pts[:, 1]).abs().max())}
    bs = problem.domain.sample_boundary(n, generator=gen, dtype=torch.float64)
    fu, fx, fy = (to_torch(e, problem.coords) for e in (u, u.diff(x), u.diff(y)))
    names = problem.domain.geometry.piece_names
    for cond in problem.conditions:
        sel = torch.isin(bs.piece, torch.tensor([names.index(p) for p in cond.pieces]))
        if not bool(sel.any()):
            continue
        p, nrm = bs.points[sel], bs.normals[sel]
        val = fu(p[:, 0], p[:, 1]).expand(p.shape[0])
        grad = torch.stack(
            [fx(p[:, 0], p[:, 1]).expand(p.shape[0]), fy(p[:, 0], p[:, 1]).expand(p.shape[0])], -1
        )
        a, b, _, g = condition_rows(cond, problem.coords, p, nrm, torch.ones(2, dtype=torch.float64))
        res = a * val + b * (grad * nrm).sum(-1) - g
        out[f"bcs[{cond.index}]"] = float(res.abs().max())
    return out
