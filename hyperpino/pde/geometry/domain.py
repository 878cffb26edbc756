"""An analysed region: its boundary pieces and their lengths, its area, and sampling.

A candidate piece may be hidden inside another primitive, coincide with another piece, or be cut
short by the CSG. :class:`Domain` decides piece by piece, point by point, with one test: a point
``p`` on piece ``k`` lies on the region's boundary iff

  (a) the CSG attributes ``p`` to piece ``k`` (so of two coincident pieces only one counts), and
  (b) stepping ``eps`` along the region's outward normal ``n`` leaves the region and stepping
      back enters it: ``sdf(p + eps n) > eps/2`` and ``sdf(p - eps n) < -eps/2``.

(b) rejects hidden pieces and the coincident edges of ``box - corner``; the half-``eps`` margins
make it robust to round-off, at the price of a sliver of width ~eps at corners. The analysis runs
the test on a fine grid of arc-length fractions per piece (piece lengths, area by Green's theorem
``A = 1/2 ∮ p·n ds``); sampling runs it on random candidates and keeps those that pass.

All internal computation is NumPy float64 on the CPU, so building a domain needs no torch (a spec
is checked before torch is imported). The methods take tensors or arrays and answer in kind
(:mod:`._arrays`); the samplers draw from a ``torch.Generator`` and return tensors, cast to the
requested dtype.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from hyperpino.errors import GeometryError
from hyperpino.pde.geometry._arrays import F64, as_f64, back, linspace, norm2
from hyperpino.pde.geometry.base import BBox, Geometry, Primitive, bbox_extent

if TYPE_CHECKING:
    import torch
    from torch import Tensor

_REL_EPS = 1e-6
"""Normal step of the on-boundary test and tolerance of ``contains``, relative to the size."""

_MIN_ULPS = 64
"""The normal step ``eps`` must be at least this many float64 units in the last place of the
largest coordinate, or the on-boundary test cannot tell the sides apart."""

_REL_TIE = 1e-9
"""Distances closer than this (relative) are ties; the CSG then attributes the left operand."""

_REL_SPACING = 1e-4
"""Spacing of the analysis grid along each piece, relative to the size."""

_MIN_GRID = 64
"""Fewest analysis grid points on a piece, however short."""

_MAX_GRID_TOTAL = 50_000
"""Most analysis grid points over all pieces; the spacing grows beyond (polygons with many
edges: every SDF evaluation costs points x edges)."""

_MIN_ACTIVE = 2
"""A piece is active when at least this many analysis grid points pass the test."""

_REL_AREA = 1e-6
"""A region whose area is below this fraction of size² counts as empty."""

_MAX_CANDIDATES = 1 << 18
"""Most candidates drawn at once by the rejection samplers (they loop for more)."""

_CHUNK_ELEMENTS = 1 << 15
"""Points x pieces per evaluation chunk: bounds the memory of polygon SDFs ``(chunk, E)`` and
of distance tables (their intermediates stay in the cache: larger chunks were slower)."""

_CHUNK_POINTS = 4096
"""At most this many points per SDF evaluation."""


@dataclass(frozen=True)
class BoundarySample:
    """Points on a domain's boundary with their outward normals and pieces.

    ``points (n, 2)`` lie on the boundary, ``normals (n, 2)`` are unit and point out of the domain
    (into a hole on a hole's edge), ``piece (n,)`` (long) indexes ``geometry.piece_names``.
    """

    points: Tensor
    normals: Tensor
    piece: Tensor


class Domain:
    """A geometry analysed once: active pieces, their lengths, area; sampling and containment.

    Raises :class:`GeometryError` at ``where`` if the region is empty or has (near-)zero area, or
    if no piece lies on its boundary.

    Attributes: ``geometry``; ``active_pieces``, the pieces with positive length on the boundary
    in ``geometry.piece_names`` order; ``piece_length``, their lengths on the boundary;
    ``piece_bounds``, per active piece the box ``((xmin, xmax), (ymin, ymax))`` of the analysis
    points found on the boundary (within the grid spacing of the piece's true extent); ``area``;
    ``bounds``, a box tightly containing the region; ``size``, the larger side of the box around
    all primitives (the length scale of tolerances); ``eps``, the normal step of the on-boundary
    test and tolerance of :meth:`contains`.
    """

    def __init__(self, geometry: Geometry, *, where: str = "geometry"):
        if not isinstance(geometry, Geometry):
            raise GeometryError(where, f"expected a geometry, got {type(geometry).__name__}")
        self.geometry = geometry
        self.where = where
        self._pieces: list[tuple[Primitive, int]] = [
            (q, k) for q in geometry.primitives() for k in range(len(q.local_pieces))]
        self._full_length = [length for q in geometry.primitives() for length in q.piece_lengths()]
        boxes = [q.bbox() for q in geometry.primitives()]
        self._outer: BBox = ((min(b[0][0] for b in boxes), max(b[0][1] for b in boxes)),
                             (min(b[1][0] for b in boxes), max(b[1][1] for b in boxes)))
        self.size = bbox_extent(self._outer)
        self.eps = _REL_EPS * self.size
        far = max(abs(v) for side in self._outer for v in side)
        # The on-boundary test steps eps across the boundary: that step must be representable at
        # the coordinates' magnitude (a denormal disk, or a box of side 2 at 1e16, has none).
        if not (math.isfinite(far) and self.eps > _MIN_ULPS * math.ulp(far)):
            raise GeometryError(where, f"the geometry is too small to resolve: it spans {self.size:.3g} "
                                f"at coordinates of magnitude {far:.3g} (float64 needs a span of at least "
                                f"{_MIN_ULPS * math.ulp(far) / _REL_EPS:.3g} there)")
        self._tie = _REL_TIE * self.size
        # The (chunk, E) intermediates are those of one primitive at a time: its pieces bound the
        # chunk, not all pieces.
        widest = max(len(q.local_pieces) for q in geometry.primitives())
        self._chunk = max(32, min(_CHUNK_POINTS, _CHUNK_ELEMENTS // widest))
        self._analyse()

    def _analyse(self) -> None:
        """Run the on-boundary test on a fine grid along every candidate piece."""
        names = self.geometry.piece_names
        (x0, x1), (y0, y1) = self._outer
        centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2], dtype=F64)
        spacing = max(_REL_SPACING * self.size, sum(self._full_length) / _MAX_GRID_TOTAL)
        self._fraction = [0.0] * len(names)
        active, lengths, boxes, twice_area = [], {}, {}, 0.0
        grids = [(np.arange(m, dtype=F64) + 0.5) / m
                 for m in (max(_MIN_GRID, math.ceil(full / spacing)) for full in self._full_length)]
        pts, own, piece = self._curve_points(list(range(len(names))), grids)
        on, normals = self._on_boundary(pts, own, piece)
        sizes = [u.shape[0] for u in grids]
        cuts = np.cumsum(sizes)[:-1]
        parts = zip(np.split(pts, cuts), np.split(normals, cuts), np.split(on, cuts), strict=True)
        for g, (p, nrm, ok) in enumerate(parts):
            count, m, full = int(ok.sum()), sizes[g], self._full_length[g]
            if count < _MIN_ACTIVE:
                continue
            self._fraction[g] = count / m
            active.append(names[g])
            lengths[names[g]] = full * count / m
            r = p - centre
            twice_area += float(((r[:, 0] * nrm[:, 0] + r[:, 1] * nrm[:, 1]) * ok).sum()) * full / m
            px, py = p[ok, 0], p[ok, 1]
            boxes[names[g]] = ((float(px.min()), float(px.max())), (float(py.min()), float(py.max())))
        if not active:
            raise self._no_boundary_error()
        self.active_pieces: tuple[str, ...] = tuple(active)
        self.piece_length: dict[str, float] = lengths
        self.piece_bounds: dict[str, BBox] = boxes
        self.area: float = twice_area / 2
        if self.area <= _REL_AREA * self.size**2:
            raise GeometryError(self.where, f"the domain is too thin to resolve: {_describe(self.geometry)} "
                                f"has (near-)zero area ({self.area:.3g}, below {_REL_AREA:g} of its "
                                f"size² {self.size**2:.3g})")
        xs, ys = zip(*boxes.values(), strict=True)
        pad = 2 * spacing
        self.bounds: BBox = ((min(x[0] for x in xs) - pad, max(x[1] for x in xs) + pad),
                             (min(y[0] for y in ys) - pad, max(y[1] for y in ys) + pad))

    def _no_boundary_error(self) -> GeometryError:
        expr = _describe(self.geometry)
        depth, at = self._deepest()
        if depth < -self.eps:
            (x0, x1), (y0, y1) = self._outer
            if bool((self._sdf(_grid(x0, x1, y0, y1, 257)) < -self.eps).any()):
                return GeometryError(self.where, f"the domain has no boundary: none of the pieces of "
                                     f"{expr} lies on the boundary of the region")
        if depth < 0:  # inside points, but none of a coarse grid: a sliver
            return GeometryError(self.where, f"the domain is too thin to resolve: {expr} is about "
                                 f"{-2 * depth:.3g} wide near ({at[0]:.6g}, {at[1]:.6g}), below the "
                                 f"resolution of the geometry's analysis ({2 * self.eps:.3g}; widen it)")
        return GeometryError(self.where, f"the domain is empty: {expr} contains no points")

    def _deepest(self) -> tuple[float, tuple[float, float]]:
        """The most negative signed distance found, and where: a grid search over the primitives'
        box that zooms in around the best point eight times (a sliver between grid lines shows)."""
        (x0, x1), (y0, y1) = self._outer
        best, at = math.inf, ((x0 + x1) / 2, (y0 + y1) / 2)
        for _ in range(9):
            grid = _grid(x0, x1, y0, y1, 65)
            d = self._sdf(grid)
            i = int(d.argmin())
            if float(d[i]) < best:
                best, at = float(d[i]), (float(grid[i, 0]), float(grid[i, 1]))
            hx, hy = (x1 - x0) / 16, (y1 - y0) / 16
            x0, x1, y0, y1 = at[0] - hx, at[0] + hx, at[1] - hy, at[1] + hy
        return best, at

    def __repr__(self) -> str:
        return (f"Domain({_describe(self.geometry)}, area={self.area:.6g}, "
                f"active_pieces={self.active_pieces})")

    def sdf(self, p: Any) -> Any:
        """The geometry's signed distance ``(...)`` at ``p (..., 2)``, in float64, chunked
        (a tensor for a tensor, an array for an array)."""
        x = as_f64(p)
        return back(self._sdf(x.reshape(-1, 2)).reshape(x.shape[:-1]), p)

    def contains(self, p: Any) -> Any:
        """Whether points ``p (..., 2)`` lie in the closed region: bool ``(...)`` (tensor or array,
        as ``p``)."""
        x = as_f64(p)
        return back(self._sdf(x.reshape(-1, 2)).reshape(x.shape[:-1]) <= self.eps, p)

    def _sdf(self, p: np.ndarray) -> np.ndarray:
        """The signed distance ``(m,)`` at float64 points ``(m, 2)``, chunked."""
        return self._chunked(self.geometry._evaluate, p, self.geometry._offsets, 0.0)[0]

    def boundary_curve(self, piece: str, u: Any) -> tuple[Any, Any, Any]:
        """Points along a candidate piece and whether they lie on the region's boundary.

        ``u (m,)`` are arc-length fractions in [0, 1] along the primitive's piece. Returns points
        ``(m, 2)``, the region's outward normals ``(m, 2)`` there and a bool mask ``(m,)`` of the
        points on the boundary (float64; tensors or arrays, as ``u``).
        """
        names = self.geometry.piece_names
        if piece not in names:
            raise GeometryError(self.where, f"no boundary piece named {piece!r}")
        g = names.index(piece)
        prim, k = self._pieces[g]
        pts, own = prim._piece_points(k, as_f64(u))
        on, normals = self._on_boundary(pts, own, g)
        return back(pts, u), back(normals, u), back(on, u)

    def boundary_points(self, pieces: Sequence[str], u: Any) -> Any:
        """The points ``(m, 2)`` on the region's boundary among those at arc-length fractions
        ``u (k,)`` along each of the candidate ``pieces``, all pieces in one test (float64; a
        tensor or an array, as ``u``)."""
        names = self.geometry.piece_names
        for piece in pieces:
            if piece not in names:
                raise GeometryError(self.where, f"no boundary piece named {piece!r}")
        index = [names.index(p) for p in pieces]
        pts, own, piece = self._curve_points(index, [as_f64(u)] * len(index))
        return back(pts[self._on_boundary(pts, own, piece)[0]], u)

    def _on_boundary(self, pts: np.ndarray, own: np.ndarray,
                     g: int | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The on-boundary test (see the module docstring) for points ``(m, 2)`` on piece ``g``.

        ``g`` is one piece index or one per point ``(m,)``; ``own (m, 2)`` are the primitive's
        own normals. Returns the mask ``(m,)`` and the region's outward normals ``(m, 2)``.
        """
        _, piece, orient = self._chunked(self.geometry._attribute, pts, self._tie)
        normals = orient[:, None] * own
        on = piece == g
        # Step only from the points attributed to their own piece; the rest are already out.
        idx = np.flatnonzero(on)
        step = self.eps * normals[idx]
        out = self._sdf(pts[idx] + step)
        back_ = self._sdf(pts[idx] - step)
        on[idx] = (out > 0.5 * self.eps) & (back_ < -0.5 * self.eps)
        return on, normals

    def _chunked(self, fn: Callable, p: np.ndarray, *args: Any) -> tuple[np.ndarray, ...]:
        """``fn(chunk, *args)`` (a tuple of arrays per point) over ``p (m, 2)`` in chunks."""
        c = self._chunk
        if p.shape[0] <= c:
            return fn(p, *args)
        parts = [fn(p[i:i + c], *args) for i in range(0, p.shape[0], c)]
        return tuple(np.concatenate(col) for col in zip(*parts, strict=True))

    def sample_interior(self, n: int, *, generator: torch.Generator | None = None,
                        dtype: torch.dtype | None = None) -> Tensor:
        """``n`` points ``(n, 2)`` uniform in the region (rejection sampling in :attr:`bounds`);
        a float32 tensor unless ``dtype`` says otherwise."""
        import torch

        n = _count(n)
        (x0, x1), (y0, y1) = self.bounds
        lo = torch.tensor([x0, y0], dtype=torch.float64)
        span = torch.tensor([x1 - x0, y1 - y0], dtype=torch.float64)
        rate = self.area / float(span.prod())
        kept, have = [], 0
        while have < n:
            m = min(max(int(1.2 * (n - have) / rate) + 64, 256), _MAX_CANDIDATES)
            cand = lo + span * torch.rand(m, 2, generator=generator, dtype=torch.float64)
            inside = cand[torch.from_numpy(self._sdf(cand.numpy()) < 0)]
            kept.append(inside)
            have += inside.shape[0]
        return torch.cat(kept)[:n].to(dtype or torch.float32)

    def sample_boundary(self, n: int, *, generator: torch.Generator | None = None,
                        pieces: Sequence[str] | None = None,
                        dtype: torch.dtype | None = None) -> BoundarySample:
        """``n`` points uniform by arc length over the active ``pieces`` (default: all); float32
        tensors unless ``dtype`` says otherwise.

        Each point picks a piece with probability proportional to its length on the boundary,
        then a uniform point of that piece's active part, so the samples are i.i.d.
        """
        import torch

        n = _count(n)
        chosen = self._select(pieces)
        names = self.geometry.piece_names
        weights = torch.tensor([self.piece_length[names[g]] for g in chosen], dtype=torch.float64)
        points = torch.zeros(n, 2, dtype=torch.float64)
        normals = torch.zeros(n, 2, dtype=torch.float64)
        piece = torch.zeros(n, dtype=torch.long)
        if n:
            slot = torch.multinomial(weights, n, replacement=True, generator=generator)
            for s, g in enumerate(chosen):
                where = slot == s
                need = int(where.sum())
                if need:
                    pts, nrm = self._sample_piece(g, need, generator)
                    points[where], normals[where] = torch.from_numpy(pts), torch.from_numpy(nrm)
                    piece[where] = g
        dtype = dtype or torch.float32
        return BoundarySample(points.to(dtype), normals.to(dtype), piece)

    def _sample_piece(self, g: int, need: int,
                      generator: torch.Generator | None) -> tuple[np.ndarray, np.ndarray]:
        """``need`` uniform points ``(need, 2)`` on the active part of piece ``g``, and normals."""
        import torch

        prim, k = self._pieces[g]
        pts_kept, nrm_kept, have = [], [], 0
        while have < need:
            m = min(int(1.2 * (need - have) / self._fraction[g]) + 16, _MAX_CANDIDATES)
            u = torch.rand(m, generator=generator, dtype=torch.float64).numpy()
            pts, own = prim._piece_points(k, u)
            on, normals = self._on_boundary(pts, own, g)
            pts_kept.append(pts[on])
            nrm_kept.append(normals[on])
            have += int(on.sum())
        return np.concatenate(pts_kept)[:need], np.concatenate(nrm_kept)[:need]

    def _select(self, pieces: Sequence[str] | None) -> list[int]:
        """Global indices of the requested active pieces (all active pieces for ``None``)."""
        names = self.geometry.piece_names
        if pieces is None:
            return [names.index(p) for p in self.active_pieces]
        if isinstance(pieces, str):
            pieces = [pieces]
        wanted = list(dict.fromkeys(pieces))
        for p in wanted:
            if p not in self.piece_length:
                raise GeometryError(self.where, f"{p!r} is not an active boundary piece "
                                    f"(active: {', '.join(self.active_pieces)})")
        if not wanted:
            raise GeometryError(self.where, "no boundary pieces selected")
        return [names.index(p) for p in wanted]

    def nearest_boundary(self, q: Any, *, spacing: float | None = None) -> tuple[Any, Any, Any]:
        """Nearest boundary points of ``q (m, 2)``: feet, normals ``(m, 2)`` and pieces ``(m,)``.

        First, each point is projected onto the piece the CSG attributes it to. If that
        projection is on the boundary at distance ``|sdf(q)|`` it is exact, because ``|sdf|`` is a
        lower bound on the distance to the boundary. The others (near corners, or attributed to a
        hidden piece) take the nearest of boundary samples every ``spacing`` (default
        ``1e-3 * size``) along the active pieces plus the region's corners (located by
        bisection), refined by projection onto that sample's piece when the projection is on the
        boundary. Normals are outward (at a corner, that of the sample's piece); outputs float64
        (tensors or arrays, as ``q``).
        """
        x = as_f64(q).reshape(-1, 2)
        d, piece, _ = self._chunked(self.geometry._evaluate, x, self.geometry._offsets, 0.0)
        foot, normal, done = x.copy(), np.zeros_like(x), np.zeros(d.shape, dtype=bool)
        for g in np.unique(piece).tolist():
            sel = piece == g
            prim, k = self._pieces[g]
            proj, own = prim._project(k, x[sel])
            on, out_normal = self._on_boundary(proj, own, g)
            dist = norm2(x[sel] - proj)
            foot[sel], normal[sel] = proj, out_normal
            done[sel] = on & (dist <= np.abs(d[sel]) + self._tie)
        rest = np.flatnonzero(~done)
        if rest.size:
            spacing = 1e-3 * self.size if spacing is None else float(spacing)
            f, n, p = self._nearest_sampled(x[rest], spacing)
            foot[rest], normal[rest], piece[rest] = f, n, p
        return back(foot, q), back(normal, q), back(piece, q)

    def _nearest_sampled(self, q: np.ndarray,
                         spacing: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The sampled fallback of :meth:`nearest_boundary` for points ``q (m, 2)``."""
        names = self.geometry.piece_names
        active = [names.index(name) for name in self.active_pieces]
        grids = [linspace(0.0, 1.0, math.ceil(self._full_length[g] / spacing) + 1) for g in active]
        pts, own, piece = self._curve_points(active, grids)
        on, nrm = self._on_boundary(pts, own, piece)
        # The ends of each active stretch are the region's corners, where the nearest boundary
        # point of many outside points lies: locate them (to ~eps) and add them as samples.
        ons = np.split(on, np.cumsum([u.shape[0] for u in grids])[:-1])
        ends = self._stretch_ends(active, grids, ons, spacing)
        end_pts, end_own, end_piece = self._curve_points(active, ends)
        end_nrm = self._on_boundary(end_pts, end_own, end_piece)[1]
        pts, nrm = np.concatenate([pts[on], end_pts]), np.concatenate([nrm[on], end_nrm])
        piece = np.concatenate([piece[on], end_piece])
        rows = max(1, _CHUNK_ELEMENTS // pts.shape[0])
        idx = np.concatenate([_nearest_index(q[i:i + rows], pts) for i in range(0, q.shape[0], rows)])
        foot, normal, piece = pts[idx], nrm[idx], piece[idx]
        for g in np.unique(piece).tolist():
            sel = piece == g
            prim, k = self._pieces[g]
            proj, own = prim._project(k, q[sel])
            on, out_normal = self._on_boundary(proj, own, g)
            closer = norm2(q[sel] - proj) <= norm2(q[sel] - foot[sel]) + self._tie
            ok = (on & closer)[:, None]
            foot[sel] = np.where(ok, proj, foot[sel])
            normal[sel] = np.where(ok, out_normal, normal[sel])
        return foot, normal, piece

    def _curve_points(self, pieces: list[int],
                      us: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Points on several pieces at once, so that one test covers them all.

        Returns points ``(M, 2)``, own normals ``(M, 2)`` and piece indices ``(M,)`` at the
        fractions ``us[i]`` along piece ``pieces[i]``, concatenated in that order.
        """
        parts = [self._pieces[g][0]._piece_points(self._pieces[g][1], u)
                 for g, u in zip(pieces, us, strict=True)]
        piece = np.concatenate([np.full(u.shape[0], g, dtype=np.int64)
                                for g, u in zip(pieces, us, strict=True)])
        return (np.concatenate([p for p, _ in parts]).reshape(-1, 2),
                np.concatenate([n for _, n in parts]).reshape(-1, 2), piece)

    def _stretch_ends(self, pieces: list[int], us: list[np.ndarray], ons: list[np.ndarray],
                      spacing: float) -> list[np.ndarray]:
        """Per piece, the fractions of the ends of its active stretches (on their active side).

        ``us[i]`` is an increasing grid along ``pieces[i]`` and ``ons[i]`` its test results; each
        change between neighbours is bisected until the bracket is below eps/4 in length.
        """
        inside, outside = [], []
        for u, on in zip(us, ons, strict=True):
            change = np.flatnonzero(on[1:] != on[:-1])
            inside.append(np.where(on[change], u[change], u[change + 1]))
            outside.append(np.where(on[change], u[change + 1], u[change]))
        steps = max(1, math.ceil(math.log2(4 * spacing / self.eps)))
        for _ in range(steps):
            mid = [0.5 * (a + b) for a, b in zip(inside, outside, strict=True)]
            pts, own, piece = self._curve_points(pieces, mid)
            on = self._on_boundary(pts, own, piece)[0]
            ok = np.split(on, np.cumsum([m.shape[0] for m in mid])[:-1])
            inside = [np.where(o, m, a) for o, m, a in zip(ok, mid, inside, strict=True)]
            outside = [np.where(o, b, m) for o, m, b in zip(ok, mid, outside, strict=True)]
        return inside


def _grid(x0: float, x1: float, y0: float, y1: float, n: int) -> np.ndarray:
    """An ``n × n`` grid over a box as points ``(n², 2)`` (float64), x-major."""
    gx, gy = linspace(x0, x1, n), linspace(y0, y1, n)
    return np.stack(np.meshgrid(gx, gy, indexing="ij"), -1).reshape(-1, 2)


def _count(n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"the number of samples must be a non-negative int, got {n!r}")
    return n


def _describe(geometry: Geometry) -> str:
    """A short text for messages: the CSG expression, or the primitive's name."""
    expression = getattr(geometry, "expression", None)
    if expression is None:
        return repr(geometry)
    text = expression()
    return text[1:-1] if text.startswith("(") and text.endswith(")") else text


def _nearest_index(q: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Index ``(m,)`` of the nearest of ``pts (M, 2)`` to each of ``q (m, 2)``."""
    dx = q[:, None, 0] - pts[:, 0]
    dy = q[:, None, 1] - pts[:, 1]
    return (dx * dx + dy * dy).argmin(1)
