"""Where a batch of manufactured problems is sampled: interior points, boundary points, band pixels.

All functions take the whole batch (leading axis ``B``) and pre-drawn uniforms, so a sample's points
depend only on its own numbers, never on the rest of the batch.
"""

from __future__ import annotations

import torch
from torch import Tensor

from hyperpino.mms import batch_geometry as bg

DENSE = 64
"""Points per piece of the activity check; a piece with 1..3 of them on the boundary is a sliver."""


def first(accept: Tensor, n: int) -> tuple[Tensor, Tensor]:
    """Indices ``(B, n)`` of the first ``n`` accepted of ``accept (B, M)`` per row (cycled when
    fewer) and the counts ``(B,)``."""
    b, m = accept.shape
    count = accept.sum(1)
    rank = accept.cumsum(1) - 1
    slot = torch.where(accept & (rank < n), rank, n)  # column n collects the rest
    order = torch.zeros(b, n + 1, dtype=torch.long, device=accept.device)
    order.scatter_(1, slot, torch.arange(m, device=accept.device).expand(b, -1))
    j = torch.arange(n, device=accept.device)[None] % count.clamp_min(1)[:, None]
    return torch.gather(order, 1, j), count


def compact(flag: Tensor) -> tuple[Tensor, Tensor]:
    """Column indices ``(B, K)`` of the true entries of ``flag (B, M)`` in order, padded with 0,
    and which of them are real ``(B, K)``; K is the largest count (at least 1)."""
    b = flag.shape[0]
    count = flag.sum(1)
    k = max(int(count.max()), 1)
    rows, cols = torch.nonzero(flag, as_tuple=True)
    start = torch.cumsum(count, 0) - count
    pos = torch.arange(rows.shape[0], device=flag.device) - start[rows]
    out = torch.zeros(b, k, dtype=torch.long, device=flag.device)
    out.view(-1).index_copy_(0, rows * k + pos, cols)
    return out, torch.arange(k, device=flag.device)[None] < count[:, None]


def cells(g: int, dtype=torch.float32, device=None) -> tuple[int, Tensor]:
    """Sampling cells of the ``g²`` image grid: blocks of ``s × s`` pixel cells (``s`` chosen so
    there are about 56² of them, whatever ``g``), as the factor ``s`` and their centres ``(C, 2)``."""
    s = max(1, g // 56)
    gc = -(-g // s)
    pitch = 2.0 / (g - 1)
    mid = (torch.arange(gc, dtype=torch.float64) * s + (s - 1) / 2) * pitch
    yy, xx = torch.meshgrid(1.0 - mid, mid - 1.0, indexing="ij")
    return s, torch.stack([xx, yy], -1).reshape(-1, 2).to(dtype=dtype, device=device)


def interior(holes: bg.HoleBatch, centres: Tensor, width: float, cover: Tensor, u: Tensor, n: int):
    """``n`` points ``(B, n, 2)`` uniform in the domain and whether there were enough ``(B,)``.

    Candidates are uniform in the cells (``centres (C, 2)``, side ``width``) flagged by
    ``cover (B, C)`` — those that may hold domain points — one per row of ``u (B, M, 3)``, then kept
    by the exact distance. Cells of a few pixels keep the search cheap at any image size.
    """
    listed, _ = compact(cover)  # a gather into each row's list of cells: no binary search
    total = cover.sum(1, keepdim=True)
    k = (u[..., 0].double() * total).floor().long().clamp(min=0).clamp_max((total - 1).clamp_min(0))
    cell = torch.gather(listed, 1, k.clamp_max(listed.shape[1] - 1))
    cand = centres.index_select(0, cell.flatten()).view(*cell.shape, 2)
    cand = cand + (u[..., 1:].to(centres.dtype) - 0.5) * width
    inside = bg.domain_sdf(holes, cand) < 0
    pick, count = first(inside, n)
    return torch.gather(cand, 1, pick[..., None].expand(-1, -1, 2)), count >= n


def coarse(cover: Tensor, g: int, s: int) -> Tensor:
    """``cover (B, G²)`` of pixel cells pooled to the ``s × s`` blocks of :func:`cells`: ``(B, C)``."""
    if s == 1:
        return cover
    img = cover.reshape(-1, 1, g, g).to(torch.float32)
    return torch.nn.functional.max_pool2d(img, s, s, ceil_mode=True).flatten(1) > 0


def boundary(holes: bg.HoleBatch, has: Tensor, u: Tensor, n: int):
    """``n`` boundary points of the pieces with a condition, by length: points, outward normals
    ``(B, n, 2)``, global pieces ``(B, n)``, which candidates were used ``(B, n)`` (for their third
    uniform), and whether any point was found ``(B,)``. ``has (B, P)``, ``u (B, M, 3)``."""
    start, end, length, is_disk = holes.piece_geometry()
    radius = bg.disk_radius_table(holes)
    weight = (length.to(torch.float64) * has).clamp_min(0)
    cw = weight.cumsum(1)
    # Pieces whose cumulative weight is ≤ the draw (a searchsorted over only P entries; written
    # out because torch's searchsorted opens a thread team per call).
    q = u[..., 0].double() * cw[:, -1:]
    piece = (cw[:, None, :] <= q[..., None]).sum(-1).clamp_max(bg.N_PIECES - 1)
    dt = holes.center.dtype
    bp, bn = bg.piece_points(start, end, radius, is_disk, piece, u[..., 1].to(dt))
    pick, count = first(bg.on_boundary(holes, bp, piece), n)
    g2 = lambda t: torch.gather(t, 1, pick[..., None].expand(-1, -1, t.shape[-1]))  # noqa: E731
    return g2(bp), g2(bn), torch.gather(piece, 1, pick), pick, count > 0


def activity(holes: bg.HoleBatch) -> tuple[Tensor, Tensor]:
    """Which pieces lie on the domain's boundary ``(B, P)``, and whether a sample has a sliver
    piece (1..3 of :data:`DENSE` points on the boundary) the spec reader might miss ``(B,)``."""
    b, dev, dt = holes.kind.shape[0], holes.kind.device, holes.center.dtype
    start, end, length, is_disk = holes.piece_geometry()
    radius = bg.disk_radius_table(holes)
    frac = ((torch.arange(DENSE, device=dev, dtype=dt) + 0.5) / DENSE).repeat(bg.N_PIECES)
    dpiece = torch.arange(bg.N_PIECES, device=dev).repeat_interleave(DENSE).expand(b, -1)
    dp, _ = bg.piece_points(start, end, radius, is_disk, dpiece, frac.expand(b, -1))
    hits = bg.on_boundary(holes, dp, dpiece).reshape(b, bg.N_PIECES, DENSE).sum(-1)
    real = length > 0
    return real & (hits >= 2), (real & (hits > 0) & (hits < 4)).any(1)
