"""Triangle meshes of CSG domains with gmsh, boundary facets tagged by piece name.

Each primitive becomes an OpenCASCADE surface (rectangle, disk, ellipse rotated about its centre,
polygon) and the CSG tree is applied with OCC booleans (``cut``, ``fuse``, ``intersect``); gmsh
meshes the result with triangles of size at most ``h`` (Geuzaine & Remacle 2009, "Gmsh: a 3-D
finite element mesh generator with built-in pre- and post-processing facilities", IJNME 79).

OCC renumbers curves freely during booleans, so boundary facets are *not* tagged through gmsh's
entities: each facet is mapped to the nearest boundary piece of the :class:`~hyperpino.pde.geometry
.Domain` at its midpoint (its signed distance and piece attribution). The same query gives the
foot on the exact boundary, where the P2 mesh puts the facet's mid-node, so curved edges become
isoparametric quadratic arcs and the geometry error stays O(h³).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from hyperpino.errors import HyperpinoError
from hyperpino.pde import geometry as geo
from hyperpino.pde.reference import interruptible


@dataclass(frozen=True)
class TriMesh:
    """A linear triangle mesh: ``points (2, P)``, ``triangles (3, T)`` (indices into points)."""

    points: np.ndarray
    triangles: np.ndarray
    h: float


def _primitive(occ, prim: geo.Primitive) -> int:
    """Add one primitive as an OCC surface; returns its tag."""
    if isinstance(prim, geo.Rectangle):
        (x0, y0), (x1, y1) = prim.min, prim.max
        return occ.addRectangle(x0, y0, 0.0, x1 - x0, y1 - y0)
    if isinstance(prim, geo.Disk):
        (cx, cy), r = prim.center, prim.radius
        return occ.addDisk(cx, cy, 0.0, r, r)
    if isinstance(prim, geo.Ellipse):
        (cx, cy), (a, b), angle = prim.center, prim.semi_axes, prim.angle
        if a < b:  # OCC wants the major radius along x; rotate a quarter turn more instead
            a, b, angle = b, a, angle + math.pi / 2
        tag = occ.addDisk(cx, cy, 0.0, a, b)
        if angle:
            occ.rotate([(2, tag)], cx, cy, 0.0, 0.0, 0.0, 1.0, angle)
        return tag
    if isinstance(prim, geo.Polygon | geo.Triangle):
        pts = [occ.addPoint(x, y, 0.0) for x, y in prim.vertices]
        lines = [occ.addLine(pts[i], pts[(i + 1) % len(pts)]) for i in range(len(pts))]
        return occ.addPlaneSurface([occ.addCurveLoop(lines)])
    raise HyperpinoError(f"reference solver: no gmsh shape for {type(prim).__name__}")


def _build(occ, g: geo.Geometry) -> list[tuple[int, int]]:
    """Apply the CSG tree with OCC booleans; returns the resulting (dim, tag) surfaces."""
    if isinstance(g, geo.Primitive):
        return [(2, _primitive(occ, g))]
    left, right = _build(occ, g.left), _build(occ, g.right)
    if isinstance(g, geo.Union):
        out, _ = occ.fuse(left, right)
    elif isinstance(g, geo.Intersection):
        out, _ = occ.intersect(left, right)
    elif isinstance(g, geo.Difference):
        out, _ = occ.cut(left, right)
    else:
        raise HyperpinoError(f"reference solver: unknown CSG node {type(g).__name__}")
    return out


def mesh_domain(domain: geo.Domain, h: float) -> TriMesh:
    """Mesh ``domain`` (user coordinates) with linear triangles of size about ``h``."""
    if not (h > 0 and math.isfinite(h)):
        raise HyperpinoError(f"reference solver: the mesh size h must be positive, got {h}")
    # gmsh's mesher never returns to Python until done: run it where Ctrl-C need not wait for it.
    tags, coords, nodes = interruptible.in_child(_gmsh_mesh, domain, h, name="gmsh")
    if len(nodes) == 0:
        raise HyperpinoError("reference solver: gmsh produced no triangles for this geometry")
    index = np.zeros(int(tags.max()) + 1, dtype=np.int64)
    index[tags.astype(np.int64)] = np.arange(len(tags))
    tri = index[np.asarray(nodes, dtype=np.int64).reshape(-1, 3)]
    used = np.unique(tri)  # drop points that no triangle uses (OCC construction points)
    remap = np.full(len(tags), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    pts = coords.reshape(-1, 3)[used, :2]
    return TriMesh(pts.T.copy(), remap[tri].T.copy(), float(h))


def _gmsh_mesh(domain: geo.Domain, h: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One gmsh session: node tags, node coordinates ``(3·N,)`` and triangle node tags ``(3·T,)``."""
    import gmsh

    gmsh.initialize(readConfigFiles=False, interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 0)
        gmsh.model.add("hyperpino")
        surfaces = _build(gmsh.model.occ, domain.geometry)
        if len(surfaces) > 1:  # pieces of one region must share their nodes along common edges
            gmsh.model.occ.fragment(surfaces, [])
        gmsh.model.occ.synchronize()
        gmsh.option.setNumber("Mesh.MeshSizeMax", h)
        gmsh.option.setNumber("Mesh.MeshSizeMin", 0.0)
        # No curvature-based refinement: a uniform h keeps convergence studies clean (callers
        # pick h below the smallest feature; see ``default_h``).
        gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", 0)
        gmsh.option.setNumber("Mesh.MeshSizeFromPoints", 0)
        gmsh.option.setNumber("Mesh.MeshSizeExtendFromBoundary", 0)
        gmsh.option.setNumber("Mesh.Algorithm", 6)  # Frontal-Delaunay: well-shaped triangles
        gmsh.model.mesh.generate(2)
        tags, coords, _ = gmsh.model.mesh.getNodes()
        _, nodes = gmsh.model.mesh.getElementsByType(2)  # 3-node triangles
    finally:
        gmsh.finalize()
    return tags, coords, nodes


def tag_facets(domain: geo.Domain, midpoints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Piece index (into ``geometry.piece_names``) ``(F,)`` and boundary foot ``(2, F)`` per facet.

    ``midpoints (2, F)`` are the midpoints of straight boundary facets.
    """
    q = torch.from_numpy(np.ascontiguousarray(midpoints.T, dtype=np.float64))
    foot, _, piece = domain.nearest_boundary(q)
    active = {domain.geometry.piece_names.index(p) for p in domain.active_pieces}
    bad = [int(p) for p in piece.unique() if int(p) not in active]
    if bad:
        raise HyperpinoError(f"reference solver: a mesh facet maps to the inactive piece "
                             f"{domain.geometry.piece_names[bad[0]]!r}")
    return piece.numpy(), foot.numpy().T.copy()
