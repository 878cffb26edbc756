"""HyPINO's mixed-supervision loss, computed for the whole batch by the residual engine.

Terms as in Bischof et al. 2025 (HyPINO, arXiv 2509.05117, §3.3 of the brief), each a Huber loss
(δ = 1) averaged per sample: the PDE residual, supervised derivatives and values (manufactured
problems only; relative to each label's RMS, see below), and the Dirichlet, Neumann and Robin
rows. Unlike the reference (a Python loop of ``autograd.grad`` per sample), the derivatives of
all B generated PINNs come from one batched ``torch.func`` call
(:func:`hyperpino.pde.residual.derivatives`), and the targets are in the normalised units of
:meth:`TrainBatch.normalised`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from hyperpino.model.target import TargetPINN
from hyperpino.pde.residual import operator_residual, robin_residual
from hyperpino.training.batch import TrainBatch

RMS_FLOOR = 1e-3
"""Smallest label RMS (normalised units) that value and derivative errors are divided by."""
ORDERS = ([0], [1, 2], [3, 4, 5])
"""Columns of the labels (u, u_x, u_y, u_xx, u_yy, u_xy) by derivative order."""
TERMS = ("residual", "derivatives", "value", "dirichlet", "neumann", "robin")


@dataclass(frozen=True)
class LossWeights:
    """Weights of the loss terms (defaults: the reference's 0.25, 0.25, 1, 10, 1; Robin as Neumann)."""

    residual: float = 0.25
    derivatives: float = 0.25
    value: float = 1.0
    dirichlet: float = 10.0
    neumann: float = 1.0
    robin: float = 1.0


def _huber(x: Tensor, mask: Tensor | None = None) -> Tensor:
    """Per-sample mean Huber loss of residuals ``x (B, N, ...)``, optionally over ``mask (B, N)``."""
    h = F.huber_loss(x, torch.zeros_like(x), reduction="none", delta=1.0)
    h = h.flatten(2).mean(-1) if h.dim() > 2 else h
    if mask is None:
        return h.mean(1)
    m = mask.to(h.dtype)
    return (h * m).sum(1) / m.sum(1).clamp_min(1.0)


def hypino_loss(theta: dict[str, Tensor], target: TargetPINN, t: TrainBatch,
                weights: LossWeights) -> tuple[Tensor, dict[str, Tensor]]:
    """Total loss (a scalar) and the batch mean of each term (detached).

    ``theta``: generated parameters ``name -> (B, *shape)`` (cast to float32 here: derivatives are
    always taken in at least single precision, also under autocast); ``t``: normalised targets.
    """
    theta = {k: v.float() if v.dtype in (torch.float16, torch.bfloat16) else v for k, v in theta.items()}
    d_in = target.derivatives(theta, t.interior, order=2)
    d_bd = target.derivatives(theta, t.boundary, order=1)
    terms = d_in.terms()
    res = operator_residual(d_in, t.inputs.coeffs, t.source)
    lab = t.labelled.to(terms.dtype)
    # Supervised values and derivatives are compared relative to each label's RMS over the points:
    # in normalised units (data scaled to size 1) a high-frequency u* is ~1/ω² small, and absolute
    # errors of it would leave the value terms negligible next to the residual.
    # One RMS per derivative order (u; u_x, u_y; u_xx, u_yy, u_xy), so a component that is zero
    # for this u* (u_yy of a function of x alone) is not divided by ~0.
    sq = t.labels.pow(2).mean(1, keepdim=True)
    rms = torch.cat([sq[..., idx].mean(-1, keepdim=True).expand(*sq.shape[:-1], len(idx))
                     for idx in ORDERS], -1).sqrt().clamp_min(RMS_FLOOR)
    rel = (terms - t.labels) / rms
    parts = {
        "residual": _huber(res),
        "derivatives": _huber(rel[..., 1:]) * lab,
        "value": _huber(rel[..., 0]) * lab,
    }
    bc = robin_residual(d_bd, t.direction, t.a, t.b, t.g)
    dirichlet, neumann = t.b == 0, t.a == 0
    parts["dirichlet"] = _huber(bc, dirichlet)
    parts["neumann"] = _huber(bc, neumann)
    parts["robin"] = _huber(bc, ~(dirichlet | neumann))
    total = sum(getattr(weights, k) * v.mean() for k, v in parts.items())
    return total, {k: v.mean().detach() for k, v in parts.items()}
