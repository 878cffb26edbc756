"""The HyPINO input contract: the image channels and rasterising a problem into them.

Both the MMS training data and a user's problem become these images, so the model, its training
data and the solver read one definition. Conditions are expressed as in
:mod:`hyperpino.pde.collocation` (``a·u + b·(d·∇u) = g``).
"""

from __future__ import annotations

import torch
from torch import Tensor

from hyperpino.pde import geometry as geo
from hyperpino.pde.collocation import condition_rows, user_normals
from hyperpino.pde.expr_torch import to_torch
from hyperpino.pde.finite import require_finite
from hyperpino.pde.problem import Problem

CHANNELS = (
    "domain",
    "dirichlet_mask",
    "dirichlet_value",
    "neumann_mask",
    "neumann_value",
    "robin_mask",
    "robin_a",
    "robin_b",
    "robin_value",
    "source",
)
"""Image channels in the order :func:`rasterize_problem` stacks them."""


def rasterize_problem(
    problem: Problem, n: int, *, band_px: float = 1.5, dtype: torch.dtype = torch.float32
) -> Tensor:
    """Model input images ``(len(CHANNELS), n, n)`` on the canonical square (row 0 is y = +1).

    Boundary bands are ``band_px`` pixels wide on each side of the boundary; values are those of
    the condition at each band pixel's nearest boundary point. Neumann values are
    ``g / |d|``, the normal derivative in canonical units; the source is zero outside the domain.
    """
    m = problem.map
    dom = problem.canonical_domain
    r = geo.rasterize(dom, n, band_px=band_px)
    out = torch.zeros(len(CHANNELS), n, n, dtype=dtype)
    ch = {name: out[i] for i, name in enumerate(CHANNELS)}
    ch["domain"][:] = r.domain.to(dtype)
    grid = geo.grid_points(n, dtype=torch.float64)
    user = m.to_user(grid.reshape(-1, 2))
    f = to_torch(problem.source, problem.coords)(user[:, 0], user[:, 1]).expand(user.shape[0])
    # where(), not a product: a source undefined outside the domain (log(x) left of x = 0) is NaN
    # there, and NaN · 0 is NaN
    ch["source"][:] = torch.where(r.domain, f.reshape(n, n), 0.0).to(dtype)
    inside = r.domain.reshape(-1)
    require_finite(ch["source"].reshape(-1)[inside], user[inside], "operator.source", problem.coords)
    names = dom.geometry.piece_names
    scale = torch.tensor(m.scale, dtype=torch.float64)
    for cond in problem.conditions:
        sel = torch.isin(r.piece, torch.tensor([names.index(p) for p in cond.pieces]))
        if not bool(sel.any()):
            continue
        foot = m.to_user(r.foot[sel].double())
        normals = user_normals(problem, r.normal[sel].double())
        a, b, d, g = condition_rows(cond, problem.coords, foot, normals, scale)
        where = f"bcs[{cond.index}]"
        for field, v in (("value", g), ("a", a), ("b", b)):  # finite in float64: also in dtype?
            require_finite(v.to(dtype), foot, f"{where}.{field}", problem.coords)
        if cond.kind in ("dirichlet", "initial_value"):
            ch["dirichlet_mask"][sel] = 1
            ch["dirichlet_value"][sel] = g.to(dtype)
        elif cond.kind in ("neumann", "initial_rate"):
            ch["neumann_mask"][sel] = 1
            ch["neumann_value"][sel] = (g / torch.linalg.vector_norm(d, dim=-1)).to(dtype)
        else:
            dn = torch.linalg.vector_norm(d, dim=-1)
            ch["robin_mask"][sel] = 1
            ch["robin_a"][sel], ch["robin_b"][sel] = a.to(dtype), (b * dn).to(dtype)
            ch["robin_value"][sel] = g.to(dtype)
    return out
