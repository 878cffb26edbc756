"""Training samples for HyPINO: inputs, collocation targets, normalisation and the delta step.

A :class:`TrainBatch` holds B problems in raw units: model :class:`~hyperpino.model.inputs.Inputs`,
interior points with the source and (for manufactured problems) the exact u and derivatives, and
boundary rows in the unified form ``a·u + b·(d·∇u) = g`` of :mod:`hyperpino.pde.collocation`.

:meth:`TrainBatch.error_problem` turns problems into the problems the refinement loop asks of the
model (Bischof et al. 2025, HyPINO, arXiv 2509.05117, §4 of the brief): the error of an imperfect
approximation ū, with targets ``f − L ū``, ``u* − ū`` and ``g − B ū``. The reference model never
sees such inputs, although refinement feeds it nothing else after its first step.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import torch
from torch import Tensor

from hyperpino.model.inputs import DerivFn, Inputs, error_inputs, normalise, operator_scale
from hyperpino.pde.geometry import grid_points
from hyperpino.pde.residual import operator_residual, robin_residual


@dataclass
class TrainBatch:
    """B problems, raw units, canonical coordinates.

    ``inputs`` (:class:`Inputs`); ``interior (B, N, 2)``, ``source (B, N)``, ``labels (B, N, 6)``
    (u, u_x, u_y, u_xx, u_yy, u_xy; meaningful where ``labelled (B,)``); boundary rows
    ``boundary (B, Nb, 2)``, ``a, b, g (B, Nb)``, ``direction (B, Nb, 2)`` (d, outward unit normal).
    """

    inputs: Inputs
    interior: Tensor
    source: Tensor
    labels: Tensor
    labelled: Tensor
    boundary: Tensor
    a: Tensor
    b: Tensor
    g: Tensor
    direction: Tensor

    def __len__(self) -> int:
        return self.interior.shape[0]

    def to(self, device, non_blocking: bool = False) -> TrainBatch:
        out = {f.name: getattr(self, f.name).to(device, non_blocking=non_blocking) for f in fields(self)
               if f.name != "inputs"}
        ins = Inputs(**{f.name: getattr(self.inputs, f.name).to(device, non_blocking=non_blocking)
                        for f in fields(Inputs)})
        return TrainBatch(inputs=ins, **out)

    def pin_memory(self) -> TrainBatch:
        """A copy in page-locked memory (the DataLoader calls this), so copies to a GPU overlap."""
        out = {f.name: getattr(self, f.name).pin_memory() for f in fields(self) if f.name != "inputs"}
        ins = Inputs(**{f.name: getattr(self.inputs, f.name).pin_memory() for f in fields(Inputs)})
        return TrainBatch(inputs=ins, **out)

    def chunks(self, size: int) -> list[TrainBatch]:
        """Consecutive micro-batches of at most ``size`` problems."""
        parts, rest = [], self
        while len(rest) > size:
            first, rest = rest.split(size)
            parts.append(first)
        return [*parts, rest]

    def split(self, k: int) -> tuple[TrainBatch, TrainBatch]:
        """The first ``k`` problems and the rest."""
        def part(sl: slice) -> TrainBatch:
            out = {f.name: getattr(self, f.name)[sl] for f in fields(self) if f.name != "inputs"}
            ins = Inputs(**{f.name: getattr(self.inputs, f.name)[sl] for f in fields(Inputs)})
            return TrainBatch(inputs=ins, **out)

        return part(slice(0, k)), part(slice(k, None))

    @staticmethod
    def cat(parts: list[TrainBatch]) -> TrainBatch:
        out = {f.name: torch.cat([getattr(p, f.name) for p in parts]) for f in fields(TrainBatch)
               if f.name != "inputs"}
        return TrainBatch(inputs=Inputs.cat([p.inputs for p in parts]), **out)

    @staticmethod
    def from_mms(batch, band_px: float = 1.5) -> TrainBatch:
        """From a :class:`hyperpino.mms.Batch` made with bands ``band_px`` pixels wide (the
        generator's ``MMSConfig.band_px``); the band pixels' feet and normals are recomputed from
        the recipes' holes by the generator's own geometry (needs ``batch.recipes``)."""
        from hyperpino.mms import batch_geometry as bg

        b, _, g, _ = batch.images.shape
        holes = bg.HoleBatch.from_lists([r.holes for r in batch.recipes], dtype=torch.float64)
        grid = grid_points(g, dtype=torch.float64).reshape(1, -1, 2).expand(b, -1, -1)
        near = bg.nearest(holes, grid)
        pitch = 2.0 / (g - 1)
        band = (near.sdf.abs() <= band_px * pitch + 1e-6)[..., None]  # as the generator's bands
        dt = batch.images.dtype
        foot = torch.where(band, near.foot, grid).to(dt)
        direction = torch.where(band, near.normal, 0.0).to(dt)
        return TrainBatch(
            inputs=Inputs(batch.images, batch.coeffs, foot, direction), interior=batch.interior,
            source=batch.source, labels=batch.labels, labelled=batch.labelled.bool(),
            boundary=batch.boundary, a=batch.a, b=batch.b, g=batch.g, direction=batch.normal)

    def error_problem(self, derivs: DerivFn) -> TrainBatch:
        """The error problems of approximations ū given by ``derivs`` (canonical coordinates)."""
        d_in = derivs(self.interior, 2)
        d_bd = derivs(self.boundary, 1)
        # f − L ū and g − B ū: minus ū's residuals
        return replace(self, inputs=error_inputs(self.inputs, derivs),
                       source=-operator_residual(d_in, self.inputs.coeffs, self.source),
                       labels=self.labels - d_in.terms(),
                       g=-robin_residual(d_bd, self.direction, self.a, self.b, self.g))

    def normalised(self) -> tuple[Tensor, Tensor, TrainBatch]:
        """``(images, coeffs, targets)``: the normalised model inputs (:func:`normalise`) and this
        batch with its source, labels and boundary data divided by the same factors."""
        images, coeffs, scale = normalise(self.inputs.images, self.inputs.coeffs)
        k = operator_scale(self.inputs.coeffs)
        inputs = replace(self.inputs, coeffs=coeffs)
        targets = replace(self, inputs=inputs, source=self.source / (k * scale)[:, None],
                          labels=self.labels / scale[:, None, None], g=self.g / scale[:, None])
        return images, coeffs, targets
