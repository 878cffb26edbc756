"""Batched signed distances of the MMS geometry family: the box [-1, 1]² minus up to four holes.

:mod:`hyperpino.pde.geometry` analyses one domain at a time in float64 on the CPU; a training
batch needs hundreds of domains per second. For this one family — ``box - h0 - h1 - …`` with
disks and counter-clockwise polygons — the CSG distance, the nearest piece, its foot point and the
outward normal are computed for all samples at once, grouped by hole type (points ``(B, M, 2)``,
holes padded to :data:`MAX_HOLES`). Conventions follow :mod:`hyperpino.pde.geometry`: negative
inside, difference ``max(a, −b)`` with ties to the left operand, normals out of the domain (into a
hole on its edge), pieces of the box ``left, right, bottom, top``.

Global piece index of a sample: ``0..3`` the box, ``4 + h·MAX_VERTICES + e`` edge ``e`` of hole
``h`` (a disk has the one piece ``e = 0``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from hyperpino.mms.holes import MAX_HOLES, MAX_VERTICES, vertices

N_PIECES = 4 + MAX_HOLES * MAX_VERTICES
BOX_NORMALS = ((-1.0, 0.0), (1.0, 0.0), (0.0, -1.0), (0.0, 1.0))


@dataclass(frozen=True)
class HoleBatch:
    """Holes of ``B`` samples, padded: ``kind (B, H)`` (−1 none, 0 disk, 1 polygon), ``center (B, H, 2)``,
    ``radius (B, H)``, ``verts (B, H, V+1, 2)`` (padded with the first vertex, so edge ``e`` runs
    from vertex ``e`` to ``e+1`` and padding edges have length 0), ``nvert (B, H)``."""

    kind: Tensor
    center: Tensor
    radius: Tensor
    verts: Tensor
    nvert: Tensor

    @staticmethod
    def from_lists(holes: list[list[dict]], dtype=torch.float64, device=None) -> HoleBatch:
        b = len(holes)
        kind = np.full((b, MAX_HOLES), -1, dtype=np.int64)
        center = np.zeros((b, MAX_HOLES, 2))
        radius = np.zeros((b, MAX_HOLES))
        verts = np.zeros((b, MAX_HOLES, MAX_VERTICES + 1, 2))
        nvert = np.zeros((b, MAX_HOLES), dtype=np.int64)
        for i, sample in enumerate(holes):
            for h, hole in enumerate(sample):
                if hole["type"] == "disk":
                    kind[i, h], radius[i, h] = 0, float(hole["radius"])
                    center[i, h] = hole["center"]
                else:
                    v = vertices(hole)
                    kind[i, h], nvert[i, h] = 1, v.shape[0]
                    verts[i, h] = v[0]
                    verts[i, h, : v.shape[0]] = v
                    center[i, h] = v.mean(0)
        to = lambda a: torch.as_tensor(a, dtype=dtype, device=device)  # noqa: E731
        ix = lambda a: torch.as_tensor(a, device=device)  # noqa: E731
        return HoleBatch(ix(kind), to(center), to(radius), to(verts), ix(nvert))

    def piece_geometry(self) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """Per global piece: ``start, end (B, P, 2)``, ``length (B, P)``, ``is_disk (B, P)`` bool.

        Segments run start -> end; a disk piece's length is its circumference (start = centre).
        """
        b = self.kind.shape[0]
        dt, dev = self.center.dtype, self.center.device
        box = torch.tensor([[[-1, -1], [-1, 1]], [[1, -1], [1, 1]], [[-1, -1], [1, -1]], [[-1, 1], [1, 1]]],
                           dtype=dt, device=dev)
        start = torch.zeros(b, N_PIECES, 2, dtype=dt, device=dev)
        end = torch.zeros_like(start)
        start[:, :4], end[:, :4] = box[:, 0], box[:, 1]
        hv = self.verts
        start[:, 4:] = hv[:, :, :-1].reshape(b, -1, 2)
        end[:, 4:] = hv[:, :, 1:].reshape(b, -1, 2)
        length = torch.linalg.vector_norm(end - start, dim=-1)
        is_disk = torch.zeros(b, N_PIECES, dtype=torch.bool, device=dev)
        disk = self.kind == 0
        first = 4 + torch.arange(MAX_HOLES, device=dev) * MAX_VERTICES
        is_disk[:, first] = disk
        disk_len = 2 * math.pi * self.radius
        length[:, first] = torch.where(disk, disk_len, length[:, first])
        start[:, first] = torch.where(disk[..., None], self.center, start[:, first])
        none = (self.kind < 0).repeat_interleave(MAX_VERTICES, dim=1)
        length[:, 4:] = length[:, 4:].masked_fill(none, 0.0)
        # Padding edges of a disk slot (e >= 1) are not pieces either.
        pad_disk = torch.zeros_like(none)
        pad_disk.view(b, MAX_HOLES, MAX_VERTICES)[:, :, 1:] = disk[..., None]
        length[:, 4:] = length[:, 4:].masked_fill(pad_disk, 0.0)
        return start, end, length, is_disk


def box_sdf(p: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """The box [-1, 1]²: ``sdf (...)``, piece ``(...)``, foot ``(..., 2)``, outward normal ``(..., 2)``."""
    q = p.abs() - 1.0
    sdf = torch.linalg.vector_norm(q.clamp_min(0.0), dim=-1) + q.amax(-1).clamp_max(0.0)
    vertical = q[..., 0] > q[..., 1]
    piece = torch.where(vertical, (p[..., 0] >= 0).long(), 2 + (p[..., 1] >= 0).long())
    normals = p.new_tensor(BOX_NORMALS)[piece]
    foot = torch.where(vertical[..., None], torch.stack([normals[..., 0], p[..., 1].clamp(-1, 1)], -1),
                       torch.stack([p[..., 0].clamp(-1, 1), normals[..., 1]], -1))
    return sdf, piece, foot, normals


def _polygon(p: Tensor, v: Tensor, full: bool):
    """Polygons ``v (I, E+1, 2)`` (closed: the last vertex repeats the first) at ``p (I, M, 2)``:
    sdf, edge, foot, domain normal (into the hole). One pass per edge, a dozen calls each."""
    px, py = p[..., 0].contiguous(), p[..., 1].contiguous()
    d = v[:, 1:] - v[:, :-1]
    inv = 1.0 / (d * d).sum(-1).clamp_min(1e-30)
    dx, dy = d[..., 0], d[..., 1]
    slope = dx / torch.where(dy == 0, 1.0, dy)
    best = torch.full_like(px, math.inf)
    above = py < v[:, 0, 1:2]
    inside = torch.zeros_like(above)
    if full:
        edge = torch.zeros(px.shape, dtype=torch.long, device=p.device)
        fx, fy = px.clone(), py.clone()
    for e in range(v.shape[1] - 1):
        rx, ry = px - v[:, e, 0:1], py - v[:, e, 1:2]
        t = torch.mul(rx, (dx * inv)[:, e : e + 1]).addcmul_(ry, (dy * inv)[:, e : e + 1]).clamp_(0.0, 1.0)
        ex, ey = torch.addcmul(rx, t, -dx[:, e : e + 1]), torch.addcmul(ry, t, -dy[:, e : e + 1])
        dist2 = torch.mul(ex, ex).addcmul_(ey, ey)
        if full:
            closer = dist2 < best
            edge.masked_fill_(closer, e)
            fx = torch.where(closer, px - ex, fx)
            fy = torch.where(closer, py - ey, fy)
        torch.minimum(best, dist2, out=best)
        # Crossing number: edges straddling the horizontal through p, with p left of the crossing.
        nxt = py < v[:, e + 1, 1:2]
        inside ^= (above != nxt) & (rx < ry * slope[:, e : e + 1])
        above = nxt
    dist = best.sqrt_()
    sdf = torch.where(inside, -dist, dist)
    if not full:
        return sdf, None, None, None
    de = torch.gather(d, 1, edge[..., None].expand(-1, -1, 2))
    normal = torch.stack([-de[..., 1], de[..., 0]], -1)
    normal = normal / torch.linalg.vector_norm(normal, dim=-1, keepdim=True).clamp_min(1e-30)
    return sdf, edge, torch.stack([fx, fy], -1), normal


def _disk(p: Tensor, c: Tensor, r: Tensor, full: bool):
    rel = p - c[:, None]
    dist = torch.linalg.vector_norm(rel, dim=-1)
    sdf = dist - r[:, None]
    if not full:
        return sdf, None, None, None
    unit = rel / dist.clamp_min(1e-30)[..., None]
    return sdf, torch.zeros_like(sdf, dtype=torch.long), c[:, None] + r[:, None, None] * unit, -unit


def hole_sdf(holes: HoleBatch, p: Tensor, full: bool = False):
    """Per-hole distances ``(B, H, M)`` at ``p (B, M, 2)`` (+inf for empty slots); with ``full``
    also the nearest edge ``(B, H, M)``, foot and domain normal ``(B, H, M, 2)``."""
    b, m = p.shape[:2]
    sdf = torch.full((b, MAX_HOLES, m), math.inf, dtype=p.dtype, device=p.device)
    edge = torch.zeros(b, MAX_HOLES, m, dtype=torch.long, device=p.device) if full else None
    foot = torch.zeros(b, MAX_HOLES, m, 2, dtype=p.dtype, device=p.device) if full else None
    normal = torch.zeros_like(foot) if full else None
    # Disks, then polygons by vertex count: no work on padding edges.
    for kind, nv in ((0, 0), *((1, k) for k in range(3, MAX_VERTICES + 1))):
        sel = (holes.kind == kind) if kind == 0 else (holes.kind == 1) & (holes.nvert == nv)
        ib, ih = torch.nonzero(sel, as_tuple=True)
        if ib.numel() == 0:
            continue
        pts = p.index_select(0, ib)
        if kind == 0:
            out = _disk(pts, holes.center[ib, ih].to(p.dtype), holes.radius[ib, ih].to(p.dtype), full)
        else:
            v = holes.verts[ib, ih].to(p.dtype)
            out = _polygon(pts, torch.cat([v[:, :nv], v[:, :1]], 1), full)
        rows = ib * MAX_HOLES + ih  # index_copy_: far cheaper than advanced-index assignment on CPU
        sdf.view(-1, m).index_copy_(0, rows, out[0])
        if full:
            edge.view(-1, m).index_copy_(0, rows, out[1])
            foot.view(-1, m, 2).index_copy_(0, rows, out[2])
            normal.view(-1, m, 2).index_copy_(0, rows, out[3])
    return sdf, edge, foot, normal


@dataclass(frozen=True)
class Nearest:
    """The domain at points ``(B, M)``: ``sdf``, global ``piece``, ``foot, normal (B, M, 2)``."""

    sdf: Tensor
    piece: Tensor
    foot: Tensor
    normal: Tensor


def domain_sdf(holes: HoleBatch, p: Tensor) -> Tensor:
    """CSG distance ``(B, M)`` of ``box - holes`` at ``p (B, M, 2)``."""
    hs = hole_sdf(holes, p)[0]
    return torch.maximum(box_sdf(p)[0], (-hs).amax(1))


def nearest(holes: HoleBatch, p: Tensor) -> Nearest:
    """Distance, attributed piece, its foot point and outward normal at ``p (B, M, 2)``."""
    bs, bpiece, bfoot, bnormal = box_sdf(p)
    hs, hedge, hfoot, hnormal = hole_sdf(holes, p, full=True)
    neg = -hs
    hbest, hidx = neg.max(1)  # first maximum: ties go to the earlier hole, as in the CSG tree
    use_hole = hbest > bs
    sdf = torch.where(use_hole, hbest, bs)
    gi = hidx[:, None]
    piece_h = 4 + hidx * MAX_VERTICES + torch.gather(hedge, 1, gi).squeeze(1)
    foot_h = torch.gather(hfoot, 1, gi[..., None].expand(-1, -1, -1, 2)).squeeze(1)
    norm_h = torch.gather(hnormal, 1, gi[..., None].expand(-1, -1, -1, 2)).squeeze(1)
    return Nearest(
        sdf,
        torch.where(use_hole, piece_h, bpiece),
        torch.where(use_hole[..., None], foot_h, bfoot),
        torch.where(use_hole[..., None], norm_h, bnormal),
    )


def on_boundary(holes: HoleBatch, p: Tensor, piece: Tensor, tol: float = 1e-7) -> Tensor:
    """Whether points ``p (B, M, 2)`` lying on global ``piece (B, M)`` are on the domain's boundary.

    A box point must lie outside every hole; a hole point inside the box and outside the other holes.
    """
    hs = hole_sdf(holes, p)[0]
    owner = torch.where(piece >= 4, (piece - 4) // MAX_VERTICES, -1)
    own = torch.arange(MAX_HOLES, device=p.device)[None, :, None] == owner[:, None, :]
    outside_others = hs.masked_fill(own, math.inf).amin(1) > tol
    inside_box = (p.abs().amax(-1) < 1.0 - tol) | (piece < 4)
    return outside_others & inside_box


def piece_points(start: Tensor, end: Tensor, radius: Tensor, is_disk: Tensor, piece: Tensor, t: Tensor):
    """Points and outward normals ``(B, M, 2)`` at fractions ``t (B, M)`` along global ``piece (B, M)``.

    ``start, end (B, P, 2)``, ``radius, is_disk (B, P)`` from :meth:`HoleBatch.piece_geometry` and
    :func:`disk_radius_table`.
    """
    g = lambda a: torch.gather(a, 1, piece[..., None].expand(-1, -1, 2))  # noqa: E731
    a, b = g(start), g(end)
    d = b - a
    seg = a + t[..., None] * d
    seg_n = torch.stack([-d[..., 1], d[..., 0]], -1)  # into a counter-clockwise hole
    seg_n = seg_n / torch.linalg.vector_norm(seg_n, dim=-1, keepdim=True).clamp_min(1e-30)
    box_n = start.new_tensor(BOX_NORMALS)[piece.clamp_max(3)]
    seg_n = torch.where((piece < 4)[..., None], box_n, seg_n)
    ang = 2 * math.pi * t
    unit = torch.stack([torch.cos(ang), torch.sin(ang)], -1)
    disk = torch.gather(is_disk, 1, piece)
    r = torch.gather(radius, 1, piece)
    return (torch.where(disk[..., None], a + unit * r[..., None], seg),
            torch.where(disk[..., None], -unit, seg_n))


def disk_radius_table(holes: HoleBatch) -> Tensor:
    """Radius per global piece ``(B, P)`` (zero for segments)."""
    b = holes.kind.shape[0]
    out = torch.zeros(b, N_PIECES, dtype=holes.radius.dtype, device=holes.radius.device)
    first = 4 + torch.arange(MAX_HOLES, device=out.device) * MAX_VERTICES
    out[:, first] = torch.where(holes.kind == 0, holes.radius, 0.0)
    return out
