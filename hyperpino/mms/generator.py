"""Batched generation of manufactured problems: recipes -> geometry, points, exact data, images.

The method of manufactured solutions (Roache 2002) picks u*, sets f = L u* and reads boundary data
off u*. HyPINO (Bischof et al. 2025, arXiv 2509.05117, §3.1) does this one sample at a time with
autograd, sympy and a KD-tree, ~1 sample/s per core. Here a batch of B recipes is evaluated at once:
u* and its derivatives as batched jets of all terms (:mod:`hyperpino.mms.jets`), the image grid's
distance in windows around holes (:mod:`hyperpino.mms.grid_sdf`), exact nearest boundary points
only for the band pixels (:mod:`hyperpino.mms.batch_geometry`), points and conditions by
:mod:`hyperpino.mms.points` and :mod:`hyperpino.mms.conditions`, all in torch on the chosen
device. Samples whose magnitudes break the config's bounds are redrawn (next attempts of the same
index, several at once in later rounds) until accepted.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from hyperpino.errors import HyperpinoError
from hyperpino.mms import batch_geometry as bg
from hyperpino.mms import conditions as cond
from hyperpino.mms import points
from hyperpino.mms.batch import Batch
from hyperpino.mms.config import MMSConfig
from hyperpino.mms.grid_sdf import grid_sdf, reach_for
from hyperpino.mms.jets import batch_jets, compile_batch
from hyperpino.mms.recipe import KINDS, Recipe, draw_recipe
from hyperpino.model.channels import CHANNELS
from hyperpino.pde.geometry import grid_points

_CH = {name: i for i, name in enumerate(CHANNELS)}
_RETRY = 8
"""Most attempts of one index evaluated together in a retry round (1, 2, 4, … per round)."""


def evaluate_terms(terms: list[list], pts: Tensor, bubble=None) -> Tensor:
    """Σ over each sample's terms of (u, u_x, u_y, u_xx, u_yy, u_xy): ``(B, M, 6)`` at ``pts (B, M, 2)``.

    ``terms[b]`` is a list of (structure, params); see :mod:`hyperpino.mms.jets`. ``bubble (B,)``:
    bubble codes multiplying each sum (:mod:`hyperpino.mms.bubble`); none by default.
    """
    x, y = pts[..., 0].contiguous(), pts[..., 1].contiguous()
    return batch_jets(compile_batch(terms, bubble), x, y).transpose(1, 2)


def evaluate_recipes(recipes: list[Recipe], pts: Tensor) -> Tensor:
    """u* of labelled recipes (f of physics-only ones) and derivatives: ``(B, M, 6)`` at ``pts (B, M, 2)``."""
    return evaluate_terms([r.terms for r in recipes], pts, [r.bubble for r in recipes])


class MMSGenerator:
    """Draws and evaluates problems; ``generate(indices)`` is deterministic in ``(seed, index)``.

    ``threads``: torch intra-op threads while generating on the CPU (restored afterwards); ``None``
    leaves the process setting. The default is 1 because torch opens a thread team for every call
    on more than 32 k elements, and on a shared, oversubscribed CPU each team costs milliseconds:
    measured there, two threads ran several times *slower* than one. Parallelise with processes
    (``hyperpino mms generate --workers``, DataLoader workers) instead.
    """

    def __init__(self, cfg: MMSConfig | None = None, seed: int = 0, *, device: str | torch.device = "cpu",
                 dtype: torch.dtype = torch.float32, threads: int | None = 1):
        self.cfg = cfg or MMSConfig()
        self.threads = threads
        self.seed = int(seed)
        self.device = torch.device(device)
        self.dtype = dtype
        g = self.cfg.grid
        self.grid = grid_points(g, dtype=dtype).reshape(-1, 2).to(self.device)
        self.pitch = 2.0 / (g - 1)
        self.box = bg.box_sdf(self.grid)[0]
        self.block, self.centres = points.cells(g, dtype=dtype, device=self.device)
        self.stats = {"attempts": 0, "accepted": 0}

    def generate(self, indices) -> Batch:
        """Accepted samples for ``indices`` (in that order); rejected draws are retried.

        Round r evaluates up to 2^r attempts of each index still open and keeps the first
        acceptable one, so the result is the same as trying one attempt at a time.
        """
        before = torch.get_num_threads()
        own = self.threads is not None and self.device.type == "cpu" and self.threads != before
        if own:
            torch.set_num_threads(self.threads)
        indices = [int(i) for i in indices]
        if not indices:
            raise HyperpinoError("MMSGenerator.generate: no sample indices given")
        try:
            return self._generate(indices)
        finally:
            if own:
                torch.set_num_threads(before)

    def _generate(self, indices: list[int]) -> Batch:
        out: Batch | None = None
        where: dict[int, list[int]] = {}
        for pos, i in enumerate(indices):
            where.setdefault(i, []).append(pos)
        pending = {i: 0 for i in where}
        rnd = 0
        while pending:
            if any(a >= self.cfg.max_attempts for a in pending.values()):
                i = next(i for i, a in pending.items() if a >= self.cfg.max_attempts)
                raise RuntimeError(f"sample {i}: no acceptable draw in {self.cfg.max_attempts} "
                                   "attempts (loosen the rejection bounds)")
            k = min(2**rnd, _RETRY)
            tries = [(i, a) for i, a0 in pending.items()
                     for a in range(a0, min(a0 + k, self.cfg.max_attempts))]
            recipes = [draw_recipe(self.cfg, self.seed, i, a) for i, a in tries]
            batch, ok = self.evaluate(recipes)
            self.stats["attempts"] += len(recipes)
            self.stats["accepted"] += int(ok.sum())
            src, dst = [], []
            for j, ((i, _), good) in enumerate(zip(tries, ok.tolist(), strict=True)):
                if good and i in pending:
                    src += [j] * len(where[i])
                    dst += where[i]
                    del pending[i]
            for i in pending:
                pending[i] += k
            if out is None and len(tries) == len(indices):
                out = batch  # the first round, one try per position: rows of rejects get overwritten
                keep = [j for j, p in zip(src, dst, strict=True) if j != p]
                if keep:
                    out = self._place(out, batch, keep, [p for j, p in zip(src, dst, strict=True) if j != p])
            else:
                out = self._place(out, batch, src, dst, len(indices))
            rnd += 1
        return out

    @staticmethod
    def _place(out: Batch | None, batch: Batch, src: list[int], dst: list[int], n: int = 0) -> Batch:
        """Rows ``src`` of ``batch`` written to rows ``dst`` of ``out`` (allocated as ``n`` rows)."""
        if out is None:
            fields = {f: getattr(batch, f).new_zeros(n, *getattr(batch, f).shape[1:]) for f in Batch.TENSORS}
            out = Batch(**fields, recipes=[None] * n)
        s, d = torch.tensor(src, dtype=torch.long), torch.tensor(dst, dtype=torch.long)
        for f in Batch.TENSORS:
            dest = getattr(out, f)
            dest.index_copy_(0, d.to(dest.device), getattr(batch, f).index_select(0, s.to(dest.device)))
        for j, pos in zip(src, dst, strict=True):
            out.recipes[pos] = batch.recipes[j]
        return out

    # -- one attempt for a list of recipes --

    def evaluate(self, recipes: list[Recipe]) -> tuple[Batch, Tensor]:
        """Tensors of every recipe and whether each passes the checks ``(B,)``."""
        cfg, dev, dt = self.cfg, self.device, self.dtype
        b, n_int, n_bnd, ng = len(recipes), cfg.n_interior, cfg.n_boundary, self.grid.shape[0]
        holes = bg.HoleBatch.from_lists([r.holes for r in recipes], dtype=dt, device=dev)
        m_int, m_bnd = math.ceil(1.3 * n_int) + 64, 2 * n_bnd + 64
        size = 3 * (m_int + m_bnd)
        uni = np.stack([np.random.default_rng([r.seed, r.index, r.attempt, 1]).random(size, dtype=np.float32)
                        for r in recipes])
        uni = torch.as_tensor(uni, device=dev)
        u_int = uni[:, : 3 * m_int].reshape(b, m_int, 3)
        u_bnd = uni[:, 3 * m_int :].reshape(b, m_bnd, 3)
        labelled = torch.tensor([r.labelled for r in recipes], device=dev)
        coeffs = torch.as_tensor(np.stack([r.coeffs for r in recipes]), dtype=dt, device=dev)

        # Grid: distance where it matters, mask, band pixels and their nearest boundary points.
        band_w = cfg.band_px * self.pitch + 1e-6
        sdf = grid_sdf(holes, self.grid, cfg.grid, self.box, reach_for(self.pitch, band_w))
        mask = sdf <= 0
        ok = mask.to(dt).mean(1) >= cfg.min_area
        border, live = points.compact(sdf.abs() <= band_w)
        near = bg.nearest(holes, self.grid.index_select(0, border.flatten()).view(b, -1, 2))

        # Points: interior, boundary (pieces with a condition), which pieces are real.
        cover = points.coarse(sdf <= 0.75 * self.pitch, cfg.grid, self.block)  # may hold domain points
        interior, enough = points.interior(holes, self.centres, self.block * self.pitch, cover, u_int, n_int)
        ok &= enough
        slots, lin = cond.tables(recipes, dt, dev)
        bnd, bnormal, bpiece, pick, found = points.boundary(holes, slots[:, :, 0, 3] > 0, u_bnd, n_bnd)
        ok &= found
        second = torch.gather(slots[:, :, 1, 3], 1, bpiece) > 0
        slot = (second & (torch.gather(u_bnd[..., 2], 1, pick) < 0.5)).long()
        active, sliver = points.activity(holes)
        ok &= ~sliver

        # Exact data (see hyperpino.mms.jets): u and f on the grid, six derivatives inside, u and
        # its gradient at band feet and boundary points. Physics-only terms are f itself.
        parts = compile_batch([r.terms for r in recipes], [r.bubble for r in recipes])
        op = torch.where(labelled[:, None], coeffs, coeffs.new_tensor([1.0, 0, 0, 0, 0, 0]))
        uf = batch_jets(parts, self.grid[None, :, 0], self.grid[None, :, 1], operator=op)
        u_grid, f_grid = uf[:, 0], uf[:, 1]
        d_int = batch_jets(parts, interior[..., 0], interior[..., 1]).transpose(1, 2)
        f_int = torch.where(labelled[:, None], (d_int * coeffs[:, None]).sum(-1), d_int[..., 0])
        kb = border.shape[1]
        both = torch.cat([near.foot, bnd], 1)
        d1 = batch_jets(parts, both[..., 0].contiguous(), both[..., 1].contiguous(), order=1)
        d_feet, d_bnd = d1[..., :kb], d1[..., kb:]

        code_b, a_b, b_b, g_b = cond.rows(slots, lin, bpiece, slot, bnd, bnormal, d_bnd, labelled)
        img = torch.empty(b, len(CHANNELS), ng, dtype=dt, device=dev)  # every element written once
        img[:, _CH["domain"]] = mask
        source = torch.mul(f_grid, mask, out=img[:, _CH["source"]])
        for ch in cond.CONDITION:
            img[:, ch].zero_()
        cond.paint(img, slots, lin, border, live, near.piece, near.foot, near.normal, d_feet, labelled)

        # Rejection of bad magnitudes (labelled) and non-finite values (all).
        fin = lambda t: torch.isfinite(t).flatten(1).all(1)  # noqa: E731
        ok &= fin(d_int) & fin(d_bnd) & fin(torch.where(live[:, None], d_feet, 0.0)) & fin(g_b)
        big = lambda t: t.abs().flatten(1).amax(1)  # noqa: E731
        dn = d_bnd[:, 1] * bnormal[..., 0] + d_bnd[:, 2] * bnormal[..., 1]
        checks = ((big(d_int[..., 0]) <= cfg.max_u) & (big(torch.where(mask, u_grid, 0.0)) <= cfg.max_u)
                  & (d_int[..., 0].std(1) >= cfg.min_std_u) & (big(d_int) <= cfg.max_derivative)
                  & (big(dn) <= cfg.max_normal_derivative))
        ok &= torch.where(labelled, checks, True)
        # amax propagates NaN, so these also reject non-finite values on the grid's domain pixels.
        ok &= (big(f_int) <= cfg.max_source) & (big(source) <= cfg.max_source)
        anchored = ((code_b == 0) | (code_b == 2) | (code_b == 3)).any(1)
        ok &= anchored | torch.tensor([r.kind == "first-order" for r in recipes], device=dev)

        batch = Batch(
            images=img.reshape(b, len(CHANNELS), cfg.grid, cfg.grid), coeffs=coeffs, interior=interior,
            labels=torch.where(labelled[:, None, None], d_int, 0.0), source=f_int, boundary=bnd,
            a=a_b, b=b_b, g=g_b, normal=bnormal, code=code_b.to(torch.int8),
            labelled=labelled, kind=torch.tensor([KINDS.index(r.kind) for r in recipes], device=dev),
            index=torch.tensor([r.index for r in recipes], device=dev), active=active, recipes=recipes,
        )
        return batch, ok.cpu()
