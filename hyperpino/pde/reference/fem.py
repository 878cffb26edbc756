"""Steady elliptic problems on CSG domains: isoparametric P2 finite elements with scikit-fem.

scikit-fem: Gustafsson & McBain 2020, "scikit-fem: A Python package for finite element assembly",
JOSS 5(52), 2369. The operator ``L u = c_xx u_xx + c_xy u_xy + c_yy u_yy + c_x u_x + c_y u_y + c_u u``
(coefficients constant or smooth functions) is rewritten in divergence form. With the symmetric
``A = −[[c_xx, c_xy/2], [c_xy/2, c_yy]]`` one has ``A:∇²u = ∇·(A∇u) − (∇·A)·∇u`` where
``(∇·A)_j = Σ_i ∂_i A_ij``, so

    L u = −∇·(A∇u) + (b + ∇·A)·∇u + c_u u,   b = (c_x, c_y),

and the weak form is ``∫ A∇u·∇v + (b + ∇·A)·∇u v + c_u u v − ∮ (A∇u·n) v = ∫ f v``. The spec's
Neumann and Robin data give ``∂u/∂n``, not the conormal derivative ``A∇u·n``; splitting
``A∇u·n = (n·An) ∂u/∂n + (t·An) ∂u/∂t`` (t the unit tangent) and ``∂u/∂n = (g − a u)/b`` turns the
boundary integral into a mass-like term, a tangential-derivative term and a load, exact for
anisotropic A too. Dirichlet values are nodal (P2 interpolation) and removed by condensation.
Curved edges are quadratic arcs through the exact boundary (see :mod:`.mesh`), so the L2 error is
O(h³) also on disks and ellipses.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from skfem import Basis, BilinearForm, ElementTriP2, FacetBasis, LinearForm, MeshTri1, MeshTri2, asm

from hyperpino.errors import HyperpinoError
from hyperpino.pde.problem import Problem
from hyperpino.pde.reference import interruptible
from hyperpino.pde.reference.mesh import mesh_domain, tag_facets
from hyperpino.pde.reference.numeric import diff, np_fn
from hyperpino.pde.terms import TERMS

INTORDER = 6
"""Quadrature degree: exact for P2×P2 products with quadratic coefficients, ample for sources."""


@dataclass(frozen=True)
class FemSolution:
    """A P2 solution: ``basis`` (scikit-fem), nodal values ``u (dofs,)`` and statistics."""

    basis: Basis
    u: np.ndarray
    h: float
    nodes: int
    elements: int
    solve_time: float

    @property
    def dofs(self) -> int:
        return int(self.u.shape[0])


def p2_mesh(problem: Problem, h: float) -> tuple[MeshTri2, np.ndarray, np.ndarray]:
    """The isoparametric P2 mesh, its boundary facets ``(F,)`` and their piece indices ``(F,)``."""
    raw = mesh_domain(problem.domain, h)
    m1 = MeshTri1(raw.points, raw.triangles)
    m2 = MeshTri2.from_mesh(m1)
    facets = m2.boundary_facets()
    mid = m1.p[:, m2.facets[:, facets]].mean(axis=1)
    piece, foot = tag_facets(problem.domain, mid)
    # Move each boundary facet's mid-node onto the exact curve (a no-op on straight edges); the
    # nodes of a quadratic mesh are the vertices followed by one mid-node per facet.
    doflocs = m2.doflocs.copy()
    doflocs[:, m1.p.shape[1] + facets] = foot
    return MeshTri2(doflocs, m2.t), facets, piece


def solve_steady(problem: Problem, h: float) -> FemSolution:
    """Solve an ``(x, y)`` problem with P2 elements on a mesh of size ``h`` (user coordinates)."""
    if problem.spec.is_evolution:
        raise HyperpinoError("reference solver: (x, t) problems are marched in time (timestep.py)")
    start = time.perf_counter()
    coords = problem.coords
    mesh, facets, piece = p2_mesh(problem, h)
    basis = Basis(mesh, ElementTriP2(), intorder=INTORDER)
    c = dict(zip(TERMS, problem.operator.coefficients, strict=True))
    x, y = coords
    # A = -[[cxx, cxy/2], [cxy/2, cyy]]; b_eff = b + div A (see the module docstring)
    op = "operator (a coefficient or its derivative)"
    axx, axy, ayy = (np_fn(-e, coords, op) for e in (c["uxx"], c["uxy"] / 2, c["uyy"]))
    bx = np_fn(c["ux"] - diff(c["uxx"], x) - diff(c["uxy"] / 2, y), coords, op)
    by = np_fn(c["uy"] - diff(c["uxy"] / 2, x) - diff(c["uyy"], y), coords, op)
    cu, f = np_fn(c["u"], coords, op), np_fn(problem.source, coords, "operator.source")

    # Coefficients are evaluated once at the quadrature points, not once per pair of basis functions.
    q = np.asarray(basis.global_coordinates())
    fields = {k: fn(*q) * np.ones(q.shape[1:]) for k, fn in
              (("axx", axx), ("axy", axy), ("ayy", ayy), ("bx", bx), ("by", by), ("cu", cu), ("f", f))}
    A = asm(_volume, basis, **fields).tocsr()
    rhs = asm(_load, basis, f=fields["f"])
    names = problem.domain.geometry.piece_names
    fixed: dict[int, float] = {}
    for cond in problem.conditions:
        sel = np.isin(piece, [names.index(p) for p in cond.pieces])
        if not sel.any():
            continue
        if cond.kind == "dirichlet":
            dofs = basis.get_dofs(facets[sel]).all()
            g = np_fn(cond.value, coords, f"bcs[{cond.index}].value")(*basis.doflocs[:, dofs])
            fixed.update(zip(dofs.tolist(), np.broadcast_to(g, dofs.shape).tolist(), strict=True))
            continue
        a_, b_ = (0, 1) if cond.kind == "neumann" else (cond.a, cond.b)
        fb_basis = FacetBasis(mesh, ElementTriP2(), facets=facets[sel], intorder=INTORDER)
        q = np.asarray(fb_basis.global_coordinates())
        nx, ny = np.asarray(fb_basis.normals)
        a_xx, a_xy, a_yy = (fn(*q) * np.ones(q.shape[1:]) for fn in (axx, axy, ayy))
        anx, any_ = a_xx * nx + a_xy * ny, a_xy * nx + a_yy * ny
        nan, tan = nx * anx + ny * any_, -ny * anx + nx * any_  # n·An, t·An with t = (-n_y, n_x)
        ra, rb, rg = (np_fn(e, coords, f"bcs[{cond.index}].{field}")(*q) * np.ones(q.shape[1:])
                      for e, field in ((a_, "a"), (b_, "b"), (cond.value, "value")))
        A = A + asm(_edge, fb_basis, robin=nan * ra / rb, tan=tan).tocsr()
        rhs = rhs + asm(_load, fb_basis, f=nan * rg / rb)
    has_robin = any(c.kind == "robin" for c in problem.conditions)
    if not fixed and not has_robin and c["u"] == 0:
        raise HyperpinoError("reference solver: the discrete problem is singular (pure Neumann "
                             "data without a u term fixes u only up to a constant)")
    u = _condensed_solve(A.tocsr(), rhs, fixed, neumann_only=not fixed and not has_robin)
    return FemSolution(basis, u, float(h), int(mesh.t.max()) + 1, int(mesh.t.shape[1]),
                       time.perf_counter() - start)


@BilinearForm
def _volume(u, v, w):
    gu, gv = u.grad, v.grad
    flux = (w.axx * gu[0] + w.axy * gu[1]) * gv[0] + (w.axy * gu[0] + w.ayy * gu[1]) * gv[1]
    return flux + (w.bx * gu[0] + w.by * gu[1]) * v + w.cu * u * v


@LinearForm
def _load(v, w):
    return w.f * v


@BilinearForm
def _edge(u, v, w):
    """Robin/Neumann part of ``−∮ (A∇u·n) v``: ``(n·An)(a/b) u v − (t·An) ∂_t u v``."""
    dt = -w.n[1] * u.grad[0] + w.n[0] * u.grad[1]
    return w.robin * u * v - w.tan * dt * v


def _condensed_solve(A: sp.csr_matrix, rhs: np.ndarray, fixed: dict[int, float], *,
                     neumann_only: bool = False) -> np.ndarray:
    """Solve ``A u = rhs`` with ``u[d] = fixed[d]`` (Dirichlet rows and columns removed)."""
    n = A.shape[0]
    u = np.zeros(n)
    d = np.fromiter(fixed.keys(), dtype=np.int64, count=len(fixed))
    u[d] = np.fromiter(fixed.values(), dtype=np.float64, count=len(fixed))
    free = np.setdiff1d(np.arange(n), d)
    reduced = rhs[free] - A[free][:, d] @ u[d]
    if not (np.all(np.isfinite(reduced)) and np.all(np.isfinite(A.data))):
        raise HyperpinoError("reference solver: the assembled system is not finite (an expression of "
                             "the spec overflows at a quadrature point)")
    # SuperLU runs without returning to Python (minutes for fine meshes): interruptible by Ctrl-C.
    u[free] = interruptible.call(spla.spsolve, A[free][:, free].tocsc(), reduced, name="superlu")
    if not np.all(np.isfinite(u)):
        if neumann_only:
            raise HyperpinoError("reference solver: the discrete problem is singular (pure Neumann "
                                 "data without a u term fixes u only up to a constant)")
        raise HyperpinoError("reference solver: the discrete problem is singular (its operator has a "
                             "non-trivial null space with these conditions, e.g. at an eigenvalue)")
    return u
