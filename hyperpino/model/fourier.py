"""Fourier features of image channels and of vectors, as HyPINO's encoder uses them.

Bischof et al. 2025 (HyPINO, arXiv 2509.05117) map every scalar input ``v`` to
``(v, sin(2π f v), cos(2π f v))`` with ``f = 0.1·2^k``, k = 0..4 (the same frequencies as the
target PINN), so values of very different magnitudes stay distinguishable after a linear layer.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class FourierChannels(nn.Module):
    """``x (B, C, ...) -> (B, C·(1 + 2F), ...)`` (``F = n_freqs``); ``identity=False`` drops the raw
    value, giving ``(B, C·2F, ...)``. Works for images ``(B, C, H, W)`` and vectors ``(B, C)``."""

    freqs: Tensor

    def __init__(self, n_freqs: int = 5, freq_base: float = 0.1, *, identity: bool = True):
        super().__init__()
        self.identity = identity
        # Not persistent: the frequencies are fixed by the config, not learned weights.
        self.register_buffer(
            "freqs", freq_base * 2.0 ** torch.arange(n_freqs, dtype=torch.float32), persistent=False
        )

    def out_channels(self, channels: int) -> int:
        return channels * (int(self.identity) + 2 * len(self.freqs))

    def forward(self, x: Tensor) -> Tensor:
        f = self.freqs.to(x.dtype).reshape(1, 1, -1, *([1] * (x.ndim - 2)))
        z = (2 * math.pi * x[:, :, None] * f).flatten(1, 2)  # (B, C·F, ...)
        parts = [x, torch.sin(z), torch.cos(z)] if self.identity else [torch.sin(z), torch.cos(z)]
        return torch.cat(parts, dim=1)


def signed_log1p(x: Tensor) -> Tensor:
    """``sign(x)·log(1 + |x|)``: compresses sources spanning orders of magnitude (HyPINO §1.1)."""
    return torch.sign(x) * torch.log1p(x.abs())
