"""Values of a finite element function at arbitrary points (isoparametric meshes included).

scikit-fem's ``Basis.probes`` needs an element finder, which quadratic meshes lack. Here each point
is tried against the ``k`` elements with the nearest centroids: the reference coordinates come
from the (possibly curved) element map's inverse, and the first element containing the point wins.
A point just outside the mesh (in the domain, but beyond a quadratic edge by round-off or beyond a
polygonal corner) takes the candidate it is least outside of, i.e. the polynomial is extrapolated
over a distance far below h, which keeps the interpolant's accuracy.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from skfem import Basis

_K = 8
"""Candidate elements per point."""


def inverse_map(mesh, pts: np.ndarray, cells: np.ndarray, iters: int = 12) -> np.ndarray:
    """Reference coordinates ``(dim, n)`` of ``pts (dim, n)`` in elements ``cells (n,)``.

    Newton's method on the element map ``F(X) = Σ_i x_i φ_i(X)`` (its geometric nodes ``x_i``),
    started at the centre; exact after one step for affine elements. Unlike scikit-fem's
    ``invF`` it never raises: a point far outside a curved element just gets a far reference point.
    """
    elem, nodes = mesh.elem(), mesh.dofs.element_dofs[:, cells]  # (nloc, n)
    xs = mesh.doflocs[:, nodes]  # (dim, nloc, n)
    X = np.full(pts.shape, 1.0 / (pts.shape[0] + 1))
    for _ in range(iters):
        F = np.zeros_like(pts)
        J = np.zeros((pts.shape[0], pts.shape[0], pts.shape[1]))
        for i in range(nodes.shape[0]):
            phi, dphi = elem.lbasis(X, i)
            F += xs[:, i] * phi
            J += xs[:, i][:, None] * dphi[None]
        step = np.linalg.solve(np.moveaxis(J, -1, 0), np.moveaxis(pts - F, -1, 0)[..., None])[..., 0].T
        X = X + step
        if np.abs(step).max() < 1e-14:
            break
    return X


def probe(basis: Basis, u: np.ndarray, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``u`` (nodal values ``(dofs,)``) at points ``pts (dim, n)``: values ``(n,)`` and outside-ness.

    The second array ``(n,)`` is how far (in reference coordinates, ~ distance / h) each point lies
    outside the element used: 0 inside the mesh, tiny beyond a curved edge, O(1) far away.
    """
    mesh = basis.mesh
    dim, n = pts.shape
    if n == 0:
        return np.zeros(0), np.zeros(0)
    centroids = mesh.p[:, mesh.t].mean(axis=1).T
    k = min(_K, mesh.t.shape[1])
    _, cand = cKDTree(centroids).query(pts.T, k)
    cand = cand.reshape(n, k)
    best = np.full(n, -1, dtype=np.int64)
    best_viol = np.full(n, np.inf)
    best_ref = np.zeros((dim, n))
    for j in range(k):
        cells = cand[:, j]
        ref = inverse_map(mesh, pts, cells)
        # how far outside the reference element (0 inside): simplex or interval
        viol = np.maximum(0.0, -ref).max(axis=0)
        viol = np.maximum(viol, ref.sum(axis=0) - 1.0)
        better = viol < best_viol - 1e-14
        best[better], best_viol[better], best_ref[:, better] = cells[better], viol[better], ref[:, better]
    values = np.zeros(n)
    for i in range(basis.Nbfun):
        phi = np.asarray(basis.elem.gbasis(basis.mapping, best_ref[:, :, None], i, tind=best)[0])
        values += phi.reshape(n) * u[basis.element_dofs[i, best]]
    return values, best_viol
