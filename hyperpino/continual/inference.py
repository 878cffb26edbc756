"""Task inference for class- and domain-incremental evaluation (CL2/CL3), all tasks at once.

* Entropy (HNET+ENT, von Oswald et al. 2020): each sample goes to the task whose own head is most
  confident, ``argmin_t H(softmax(z_t / τ))``. Decided per sample (hypercl forces a test batch
  size of 1 for this; here the per-task logits ``(T, N, C)`` come from one vmapped call).
* Interval-weighted entropy (HyperInterval, Krukowski et al. 2024): ``argmin_t −Σ_c p_c log p_c /
  |z_u,c − z_l,c|`` with ``p = softmax((z_l + z_u)/2)`` (the rule of the authors' ``entropy.py``).
"""

from __future__ import annotations

import torch
from torch import Tensor


def entropy(logits: Tensor, temperature: float = 1.0) -> Tensor:
    """``(T, N, C) -> (T, N)``: the entropy of each task head's softmax."""
    logp = torch.log_softmax(logits / temperature, dim=-1)
    return -(logp.exp() * logp).sum(dim=-1)


def infer_by_entropy(logits: Tensor, temperature: float = 1.0) -> Tensor:
    """``(T, N, C) -> (N,)`` int64: the most confident task per sample."""
    return entropy(logits, temperature).argmin(dim=0)


def infer_by_interval_entropy(lower: Tensor, upper: Tensor, eps: float = 1e-8) -> Tensor:
    """``lower, upper (T, N, C) -> (N,)``: the interval-weighted entropy rule of HyperInterval."""
    logp = torch.log_softmax(0.5 * (lower + upper), dim=-1)
    score = -(logp.exp() * logp / ((upper - lower).abs() + eps)).sum(dim=-1)
    return score.argmin(dim=0)


def predictions(logits: Tensor, task: Tensor) -> Tensor:
    """``logits (T, N, C)``, ``task (N,)`` -> the within-task class each sample gets from its
    (given or inferred) task's head, ``(N,)``."""
    chosen = logits.gather(0, task[None, :, None].expand(1, -1, logits.shape[-1]))[0]
    return chosen.argmax(dim=-1)
