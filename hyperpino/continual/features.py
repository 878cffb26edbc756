"""Unit-RMS features: the hypernetwork's trunk output rescaled to mean square 1 per task.

Hyperfan-in (Chang, Sahni & Mahajan 2020, ICLR) sets the output layer's variance from the *expected*
mean square ``E[h²]`` of its input. With a narrow ReLU trunk (HNET's 25-25, von Oswald et al. 2020)
and a random N(0, 1) task embedding, the mean square of one task's features is far from its
expectation: over 200 (seed, task) draws of the 784-300-300 Permuted target its ratio to 1 had
standard deviation 0.79, so a task's generated weights started anywhere between 0.3× and 2.2× the
hyperfan-in scale. Dividing the features by their root mean square makes ``E[h²] = 1`` hold for
every task exactly, so every task's weights start at the hyperfan-in scale.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class UnitRMS(nn.Module):
    """``(..., D) -> (..., D)``: ``h / sqrt(mean(h²) + eps)`` over the last axis (no parameters)."""

    def __init__(self, eps: float = 1e-6):
        super().__init__()
        self.eps = eps

    def forward(self, h: Tensor) -> Tensor:
        return h * torch.rsqrt(h.pow(2).mean(dim=-1, keepdim=True) + self.eps)
