"""HyPINO's mixed-supervision loss, computed for the whole batch by the residual engine.

Terms as in Bischof et al. 2025 (HyPINO, arXiv 2509.05117, §3.3 of the brief), each a Huber loss
(δ = 1) averaged per sample: the PDE residual, supervised derivatives and values (manufactured
problems only), and the Dirichlet, Neumann and Robin rows. Unlike the reference (a Python loop of
``autograd.grad`` per sample), the derivatives of all B generated PINNs come from one batched
``torch.func`` call (:func:`hyperpino.pde.residual.derivatives`), and the targets are in the
normalised units of :meth:`TrainBatch.normalised`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from hyperpino.model.target import TargetPINN
from hyperpino.model.train_batch import TrainBatch

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
    res = (terms * t.inputs.coeffs[:, None, :]).sum(-1) - t.source
    lab = t.labelled.to(terms.dtype)
    parts = {
        "residual": _huber(res),
        "derivatives": _huber(terms[..., 1:] - t.labels[..., 1:]) * lab,
        "value": _huber(terms[..., 0] - t.labels[..., 0]) * lab,
    }
    bc = t.a * d_bd.u + t.b * (d_bd.grad * t.direction).sum(-1) - t.g
    dirichlet, neumann = t.b == 0, t.a == 0
    parts["dirichlet"] = _huber(bc, dirichlet)
    parts["neumann"] = _huber(bc, neumann)
    parts["robin"] = _huber(bc, ~(dirichlet | neumann))
    total = sum(getattr(weights, k) * v.mean() for k, v in parts.items())
    return total, {k: v.mean().detach() for k, v in parts.items()}
