"""HNET's output regulariser (von Oswald, Henning, Sacramento & Grewe 2020, ICLR, arXiv 1906.00695,
Eq. 2): while learning task T, keep the weights the hypernetwork generates for earlier tasks where
they were,

    R = β · 1/|S| · Σ_{t ∈ S} ‖h(e_t, Θ_h) − h(e_t, Θ_h*)‖²,   S ⊆ {0, ..., T−1},

with Θ_h* the hypernetwork before task T. ``S`` is all previous tasks or a random subset of them
(constant cost per step). The factor 1/|S| is applied exactly once (HyperMask and HINT divide twice).
"""

from __future__ import annotations

import torch
from torch import Tensor


def output_regulariser(generated: Tensor, targets: Tensor, beta: float) -> Tensor:
    """``β · mean_k ‖generated_k − targets_k‖²`` for ``generated, targets (K, P)``; a scalar.

    ``targets`` are treated as constants (detached)."""
    if generated.shape != targets.shape or generated.ndim != 2:
        raise ValueError(
            f"expected two (K, P) tensors, got {tuple(generated.shape)} and {tuple(targets.shape)}"
        )
    return beta * (generated - targets.detach()).pow(2).sum(dim=1).mean()


def previous_tasks(t: int, batch: int | None, generator: torch.Generator | None = None) -> Tensor:
    """The regularised tasks while learning task ``t``: all of ``0..t-1`` (``batch`` None or
    ``>= t``) or ``batch`` of them drawn without replacement. ``(K,)`` int64."""
    if batch is None or batch >= t:
        return torch.arange(t)
    return torch.randperm(t, generator=generator)[:batch].sort().values
