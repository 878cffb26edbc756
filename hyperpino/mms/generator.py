"""Batched generation of manufactured problems: recipes -> geometry, points, exact data, images.

The method of manufactured solutions (Roache 2002) picks u*, sets f = L u* and reads boundary data
off u*. HyPINO (Bischof et al. 2025, arXiv 2509.05117, §3.1) does this one sample at a time with
autograd, sympy and a KD-tree, ~1 sample/s per core. Here a batch of B recipes is evaluated at once:
u* and its derivatives by the per-structure templates (:mod:`hyperpino.mms.templates`), the holes'
distances by :mod:`hyperpino.mms.batch_geometry`, all in torch on the chosen device. Samples whose
magnitudes break the config's bounds are redrawn (next attempt of the same index) until accepted.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import torch
from torch import Tensor

from hyperpino.mms import batch_geometry as bg
from hyperpino.mms.batch import Batch
from hyperpino.mms.config import MMSConfig
from hyperpino.mms.recipe import KINDS, Recipe, draw_recipe
from hyperpino.mms.templates import template
from hyperpino.pde.discretize import CHANNELS
from hyperpino.pde.geometry import grid_points

_CH = {name: i for i, name in enumerate(CHANNELS)}
_DENSE = 64
"""Points per piece of the activity check; a piece with 1..3 of them on the boundary is a sliver."""


def evaluate_terms(terms: list[list], pts: Tensor) -> Tensor:
    """Σ over each sample's terms of (u, u_x, u_y, u_xx, u_yy, u_xy): ``(B, M, 6)`` at ``pts (B, M, 2)``.

    ``terms[b]`` is a list of (structure, params); each structure is evaluated once for all its
    instances in the batch.
    """
    out = pts.new_zeros(*pts.shape[:2], 6)
    groups: dict[tuple, list] = defaultdict(list)
    for b, sample in enumerate(terms):
        for structure, params in sample:
            groups[structure].append((b, params))
    x, y = pts[..., 0], pts[..., 1]
    for structure, inst in groups.items():
        idx = torch.tensor([b for b, _ in inst], device=pts.device)
        params = torch.as_tensor(np.stack([p for _, p in inst]), dtype=pts.dtype, device=pts.device)
        out.index_put_((idx,), template(structure).evaluate(x[idx], y[idx], params), accumulate=True)
    return out


def _first(accept: Tensor, n: int) -> tuple[Tensor, Tensor]:
    """Indices ``(B, n)`` of the first ``n`` accepted candidates per row (cycled when fewer) and counts."""
    count = accept.sum(1)
    order = torch.argsort((~accept).to(torch.int8), dim=1, stable=True)
    j = torch.arange(n, device=accept.device)[None] % count.clamp_min(1)[:, None]
    return torch.gather(order, 1, j), count


class MMSGenerator:
    """Draws and evaluates problems; ``generate(indices)`` is deterministic in ``(seed, index)``."""

    def __init__(self, cfg: MMSConfig | None = None, seed: int = 0, *, device: str | torch.device = "cpu",
                 dtype: torch.dtype = torch.float32):
        self.cfg = cfg or MMSConfig()
        self.seed = int(seed)
        self.device = torch.device(device)
        self.dtype = dtype
        g = self.cfg.grid
        self.grid = grid_points(g, dtype=dtype).reshape(-1, 2).to(self.device)
        self.pitch = 2.0 / (g - 1)
        self.stats = {"attempts": 0, "accepted": 0}

    def generate(self, indices) -> Batch:
        """Accepted samples for ``indices`` (in that order); rejected draws are retried."""
        indices = [int(i) for i in indices]
        done: dict[int, Batch] = {}
        pending = [(i, 0) for i in indices]
        while pending:
            too_many = [i for i, a in pending if a >= self.cfg.max_attempts]
            if too_many:
                raise RuntimeError(f"sample {too_many[0]}: no acceptable draw in {self.cfg.max_attempts} "
                                   "attempts (loosen the rejection bounds)")
            recipes = [draw_recipe(self.cfg, self.seed, i, a) for i, a in pending]
            batch, ok = self.evaluate(recipes)
            self.stats["attempts"] += len(recipes)
            self.stats["accepted"] += int(ok.sum())
            for j in torch.nonzero(ok).flatten().tolist():
                done[recipes[j].index] = batch.select(torch.tensor([j]))
            flags = zip(recipes, ok.tolist(), strict=True)
            pending = [(r.index, r.attempt + 1) for r, good in flags if not good]
        return Batch.cat([done[i] for i in indices])

    # -- one attempt for a list of recipes --

    def evaluate(self, recipes: list[Recipe]) -> tuple[Batch, Tensor]:
        """Tensors of every recipe and whether each passes the checks ``(B,)``."""
        cfg, dev, dt = self.cfg, self.device, self.dtype
        b, n_int, n_bnd = len(recipes), cfg.n_interior, cfg.n_boundary
        holes = bg.HoleBatch.from_lists([r.holes for r in recipes], dtype=dt, device=dev)
        m_int, m_bnd = math.ceil(1.3 * n_int) + 64, 2 * n_bnd + 64
        size = 3 * (m_int + m_bnd)
        uni = [np.random.default_rng([r.seed, r.index, r.attempt, 1]).random(size) for r in recipes]
        uni = torch.as_tensor(np.stack(uni), dtype=torch.float64, device=dev)
        u_int = uni[:, : 3 * m_int].reshape(b, m_int, 3)
        u_bnd = uni[:, 3 * m_int :].reshape(b, m_bnd, 3)

        # Grid: mask, band, nearest boundary point of each band pixel.
        grid = self.grid.expand(b, -1, -1)
        near = bg.nearest(holes, grid)
        mask = near.sdf <= 0
        band = near.sdf.abs() <= cfg.band_px * self.pitch + 1e-6
        ok = mask.to(dt).mean(1) >= cfg.min_area

        # Interior: uniform in the cells that cover the domain, then the exact test.
        cover = (near.sdf <= 0.75 * self.pitch).to(torch.float64)
        cum = cover.cumsum(1)
        k = (u_int[..., 0] * cum[:, -1:]).floor().clamp_max(cum[:, -1:] - 1)
        cell = torch.searchsorted(cum, k + 1).clamp_max(cum.shape[1] - 1)
        cand = self.grid[cell] + ((u_int[..., 1:] - 0.5) * self.pitch).to(dt)
        inside = bg.domain_sdf(holes, cand) < 0
        pick, count = _first(inside, n_int)
        interior = torch.gather(cand, 1, pick[..., None].expand(-1, -1, 2))
        ok &= count >= n_int

        # Boundary: pieces with a condition, by length; keep points on the domain's boundary.
        start, end, length, is_disk = holes.piece_geometry()
        radius = bg.disk_radius_table(holes)
        slots = torch.zeros(b, bg.N_PIECES, 2, 4, dtype=torch.float64)  # code, a, b, has; per slot
        lin = torch.zeros(b, bg.N_PIECES, 2, 3, dtype=torch.float64)
        for i, r in enumerate(recipes):
            for g, conds in r.conditions.items():
                for s, (code, ca, cb, cl) in enumerate(conds):
                    slots[i, g, s] = torch.tensor([code, ca, cb, 1.0], dtype=torch.float64)
                    lin[i, g, s] = torch.tensor(cl, dtype=torch.float64)
        slots, lin = slots.to(dev), lin.to(dev)
        has = slots[:, :, 0, 3] > 0
        weight = (length.to(torch.float64) * has).clamp_min(0)
        cw = weight.cumsum(1)
        piece = torch.searchsorted(cw, (u_bnd[..., 0] * cw[:, -1:]).contiguous(), right=True)
        piece = piece.clamp_max(bg.N_PIECES - 1)
        bp, bn = bg.piece_points(start, end, radius, is_disk, piece, u_bnd[..., 1].to(dt))
        on = bg.on_boundary(holes, bp, piece)
        pick, count = _first(on, n_bnd)
        ok &= count > 0
        g2 = lambda t: torch.gather(t, 1, pick[..., None].expand(-1, -1, t.shape[-1]))  # noqa: E731
        bnd, bnormal = g2(bp), g2(bn)
        bpiece = torch.gather(piece, 1, pick)
        second = torch.gather(slots[:, :, 1, 3], 1, bpiece) > 0
        slot = (second & (torch.gather(u_bnd[..., 2], 1, pick) < 0.5)).long()

        # Which pieces are on the boundary (for the spec), and no slivers the spec reader might miss.
        frac = ((torch.arange(_DENSE, device=dev, dtype=dt) + 0.5) / _DENSE).repeat(bg.N_PIECES)
        dpiece = torch.arange(bg.N_PIECES, device=dev).repeat_interleave(_DENSE).expand(b, -1)
        dp, _ = bg.piece_points(start, end, radius, is_disk, dpiece, frac.expand(b, -1))
        hits = bg.on_boundary(holes, dp, dpiece).reshape(b, bg.N_PIECES, _DENSE).sum(-1)
        real = length > 0
        active = real & (hits >= 2)
        ok &= ~(real & (hits > 0) & (hits < 4)).any(1)

        # Band pixels' feet, compacted to (B, K).
        kband = max(int(band.sum(1).max()), 1)
        border = torch.argsort((~band).to(torch.int8), dim=1, stable=True)[:, :kband]
        feet = torch.gather(near.foot, 1, border[..., None].expand(-1, -1, 2))

        # Exact data: one evaluation of all templates at grid, feet, interior and boundary points.
        pts = torch.cat([grid, feet, interior, bnd], 1)
        d = evaluate_terms([r.terms for r in recipes], pts)
        ng = grid.shape[1]
        d_grid, d_feet = d[:, :ng], d[:, ng : ng + kband]
        d_int, d_bnd = d[:, ng + kband : ng + kband + n_int], d[:, ng + kband + n_int :]
        coeffs = torch.as_tensor(np.stack([r.coeffs for r in recipes]), dtype=dt, device=dev)
        labelled = torch.tensor([r.labelled for r in recipes], device=dev)
        lab = labelled[:, None]
        f_of = lambda dd: torch.where(lab, (dd * coeffs[:, None]).sum(-1), dd[..., 0])  # noqa: E731
        f_grid, f_int = f_of(d_grid), f_of(d_int)

        # Unified rows at boundary points.
        code_b, a_b, b_b, g_b = self._rows(slots, lin, bpiece, slot, bnd, bnormal, d_bnd, labelled)

        # Images.
        img = torch.zeros(b, len(CHANNELS), ng, dtype=dt, device=dev)
        img[:, _CH["domain"]] = mask.to(dt)
        img[:, _CH["source"]] = f_grid * mask
        fpiece = torch.gather(near.piece, 1, border)
        fnormal = torch.gather(near.normal, 1, border[..., None].expand(-1, -1, 2))
        fband = torch.gather(band, 1, border)
        for s in (0, 1):
            fslot = torch.full_like(fpiece, s)
            code, ca, cb, cg = self._rows(slots, lin, fpiece, fslot, feet, fnormal, d_feet, labelled)
            live = fband & (torch.gather(slots[:, :, s, 3], 1, fpiece) > 0)
            for codes, mname, vname in (((0, 3), "dirichlet_mask", "dirichlet_value"),
                                        ((1, 4), "neumann_mask", "neumann_value"),
                                        ((2,), "robin_mask", "robin_value")):
                sel = live & torch.isin(code, torch.tensor(codes, device=dev))
                self._paint(img, _CH[mname], border, sel, torch.ones_like(cg))
                self._paint(img, _CH[vname], border, sel, cg)
                if mname == "robin_mask":
                    self._paint(img, _CH["robin_a"], border, sel, ca)
                    self._paint(img, _CH["robin_b"], border, sel, cb)
        images = img.reshape(b, len(CHANNELS), cfg.grid, cfg.grid)

        # Rejection of bad magnitudes (labelled) and non-finite values (all).
        fin = lambda t: torch.isfinite(t).flatten(1).all(1)  # noqa: E731
        ok &= fin(d_int) & fin(d_bnd) & fin(f_grid) & fin(d_feet) & fin(g_b)
        big = lambda t: t.abs().flatten(1).amax(1)  # noqa: E731
        u_dom = torch.where(mask, d_grid[..., 0], 0.0)
        dn = (d_bnd[..., 1:3] * bnormal).sum(-1)
        checks = ((big(d_int[..., 0]) <= cfg.max_u) & (big(u_dom) <= cfg.max_u)
                  & (d_int[..., 0].std(1) >= cfg.min_std_u) & (big(d_int) <= cfg.max_derivative)
                  & (big(dn) <= cfg.max_normal_derivative))
        ok &= torch.where(labelled, checks, True)
        ok &= (big(f_int) <= cfg.max_source) & (big(torch.where(mask, f_grid, 0.0)) <= cfg.max_source)
        anchored = ((code_b == 0) | (code_b == 2) | (code_b == 3)).any(1)
        ok &= anchored | torch.tensor([r.kind == "first-order" for r in recipes], device=dev)

        batch = Batch(
            images=images, coeffs=coeffs, interior=interior,
            labels=torch.where(lab[..., None], d_int, 0.0), source=f_int, boundary=bnd,
            a=a_b, b=b_b, g=g_b, normal=bnormal, code=code_b.to(torch.int8),
            labelled=labelled, kind=torch.tensor([KINDS.index(r.kind) for r in recipes], device=dev),
            index=torch.tensor([r.index for r in recipes], device=dev), active=active, recipes=recipes,
        )
        return batch, ok.cpu()

    @staticmethod
    def _paint(img: Tensor, ch: int, border: Tensor, sel: Tensor, values: Tensor) -> None:
        plane = img[:, ch]
        cur = torch.gather(plane, 1, border)
        plane.scatter_(1, border, torch.where(sel, values.to(plane.dtype), cur))

    def _rows(self, slots, lin, piece, slot, p, normal, d, labelled):
        """``code, a, b, g`` of condition ``slot`` of ``piece`` at points ``p (B, M, 2)``."""
        dt = p.dtype
        idx = piece * 2 + slot
        flat = slots.reshape(slots.shape[0], -1, 4)
        row = torch.gather(flat, 1, idx[..., None].expand(-1, -1, 4)).to(dt)
        code = row[..., 0].long()
        ra, rb = row[..., 1], row[..., 2]
        a = torch.where(code == 2, ra, torch.where((code == 0) | (code == 3), 1.0, 0.0))
        b = torch.where(code == 2, rb, torch.where((code == 1) | (code == 4), 1.0, 0.0))
        u, dn = d[..., 0], (d[..., 1:3] * normal).sum(-1)
        exact = a * u + b * dn
        lc = torch.gather(lin.reshape(lin.shape[0], -1, 3), 1, idx[..., None].expand(-1, -1, 3)).to(dt)
        value = lc[..., 0] + lc[..., 1] * p[..., 0] + lc[..., 2] * p[..., 1]
        # An initial rate u_t = h is ∂u/∂n = −h on the edge t = t0 (outward normal −t).
        value = torch.where(code == 4, -value, value)
        return code, a, b, torch.where(labelled[:, None], exact, value)
