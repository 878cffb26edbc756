"""Boundary conditions of a batch as tables, their rows ``a·u + b·∂u/∂n = g``, and their images.

A recipe's conditions (global piece -> up to two ``(code, a, b, lin)``) become two tensors,
``slots (B, P, 2, 4)`` = code, a, b, present and ``lin (B, P, 2, 3)``; rows at any points of known
piece and slot are then a few gathers. Labelled samples take ``g`` from the exact solution,
physics-only ones the linear data ``α + β·x + γ·y``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from hyperpino.mms import batch_geometry as bg
from hyperpino.mms.recipe import Recipe
from hyperpino.model.channels import CHANNELS

_CH = {name: i for i, name in enumerate(CHANNELS)}
_PAINT = (((0, 3), ("dirichlet_mask", "dirichlet_value")), ((1, 4), ("neumann_mask", "neumann_value")),
          ((2,), ("robin_mask", "robin_value", "robin_a", "robin_b")))
"""Condition codes painted into each group of channels: mask, value (and Robin's a, b); initial
data count as Dirichlet and Neumann."""
CONDITION = tuple(i for i, name in enumerate(CHANNELS) if name not in ("domain", "source"))
_COL = {ch: j for j, ch in enumerate(CONDITION)}


def tables(recipes: list[Recipe], dtype: torch.dtype, device) -> tuple[Tensor, Tensor]:
    """``slots (B, P, 2, 4)`` (code, a, b, present) and ``lin (B, P, 2, 3)`` of the recipes."""
    idx, vals = [], []
    for i, r in enumerate(recipes):
        for g, conds in r.conditions.items():
            for s, (code, ca, cb, cl) in enumerate(conds):
                idx.append((i, g, s))
                vals.append((code, ca, cb, 1.0, *cl))
    slots = np.zeros((len(recipes), bg.N_PIECES, 2, 7))
    if idx:
        i, g, s = np.array(idx).T
        slots[i, g, s] = np.array(vals, dtype=np.float64)
    t = torch.as_tensor(slots, device=device)
    return t[..., :4], t[..., 4:].to(dtype)


def rows(slots: Tensor, lin: Tensor, piece: Tensor, slot: Tensor, p: Tensor, normal: Tensor, d: Tensor,
         labelled: Tensor):
    """``code, a, b, g (B, M)`` of condition ``slot`` of ``piece (B, M)`` at points ``p (B, M, 2)``;
    ``d (B, 3, M)`` is u, u_x, u_y there."""
    idx = (piece * 2 + slot)[..., None]
    tab = torch.gather(slots.reshape(slots.shape[0], -1, 4), 1, idx.expand(-1, -1, 4))
    ln = torch.gather(lin.reshape(lin.shape[0], -1, 3), 1, idx.expand(-1, -1, 3))
    return _values(tab, ln, p, normal, d.transpose(1, 2), labelled[:, None])


def _values(tab: Tensor, ln: Tensor, p: Tensor, normal: Tensor, d: Tensor, labelled: Tensor):
    """``code, a, b, g (...)`` from condition rows ``tab (..., 4)``, linear data ``ln (..., 3)``,
    points and normals ``(..., 2)``, u and its gradient ``d (..., 3)``, ``labelled (...)``."""
    dt = p.dtype
    code = tab[..., 0].long()
    ra, rb = tab[..., 1].to(dt), tab[..., 2].to(dt)
    a = torch.where(code == 2, ra, torch.where((code == 0) | (code == 3), 1.0, 0.0))
    b = torch.where(code == 2, rb, torch.where((code == 1) | (code == 4), 1.0, 0.0))
    exact = a * d[..., 0] + b * (d[..., 1] * normal[..., 0] + d[..., 2] * normal[..., 1])
    value = ln[..., 0] + ln[..., 1] * p[..., 0] + ln[..., 2] * p[..., 1]
    # An initial rate u_t = h is ∂u/∂n = −h on the edge t = t0 (outward normal −t).
    value = torch.where(code == 4, -value, value)
    return code, a, b, torch.where(labelled, exact, value)


def paint(img: Tensor, slots: Tensor, lin: Tensor, border: Tensor, live: Tensor, piece: Tensor, feet: Tensor,
          normal: Tensor, d: Tensor, labelled: Tensor) -> None:
    """Paint the condition channels of ``img (B, C, G²)`` (zero there) at the band pixels
    ``border (B, K)`` (``live`` marks real ones; real ones of a row are distinct) from the data at
    their feet ``(B, K, 2)`` (``d (B, 3, K)``); a second condition of a piece overwrites the first
    in a channel they share. Works on the list of live pixels only."""
    b, k = border.shape
    at = torch.nonzero(live.flatten()).flatten()  # (L,) into the (B·K) band entries
    bi = at // k
    take = lambda t, w: t.reshape(b * k, w).index_select(0, at)  # noqa: E731
    pc = bi * bg.N_PIECES + take(piece, 1)[:, 0]
    tab = slots.reshape(-1, 8).index_select(0, pc).to(img.dtype).view(-1, 2, 4)
    ln = lin.reshape(-1, 6).index_select(0, pc).view(-1, 2, 3)
    args = (take(feet, 2), take(normal, 2), take(d.transpose(1, 2), 3), labelled.index_select(0, bi))
    cols: list[Tensor | None] = [None] * len(CONDITION)
    for s in (0, 1):
        code, ca, cb, cg = _values(tab[:, s], ln[:, s], *args)
        on = tab[:, s, 3] > 0
        for group, names in _PAINT:
            sel = on & ((code == group[0]) | (code == group[-1]))
            for name, val in zip(names, (1.0, cg, ca, cb), strict=False):
                j = _COL[_CH[name]]
                cols[j] = torch.where(sel, val, 0.0 if cols[j] is None else cols[j])
    _, c, n = img.shape
    pix = bi * (c * n) + take(border, 1)[:, 0]  # flat index of the pixel in channel 0
    chans = torch.tensor(CONDITION, device=img.device)
    img.view(-1).index_copy_(0, (pix[:, None] + chans * n).reshape(-1), torch.stack(cols, -1).reshape(-1))
