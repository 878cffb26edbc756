"""Convolutional stems: the rasterised problem ``(B, 10, G, G)`` -> features ``(B, C, G/4, G/4)``.

They replace Swin's patch embedding (Bischof et al. 2025, HyPINO, arXiv 2509.05117, §1.2 of the
brief): two stride-2 convolutions per input group. The masks feed a feature branch and a tanh
gate; the boundary values (Fourier features) are gated by it, so values count only where a
condition holds. The source is compressed by ``sign·log1p|·|`` before its Fourier features. A fixed
2-D sinusoidal position code is added before a 1×1 mixing convolution and GroupNorm.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from hyperpino.model.channels import CHANNELS
from hyperpino.model.fourier import FourierChannels, signed_log1p

MASKS = tuple(CHANNELS.index(c) for c in ("domain", "dirichlet_mask", "neumann_mask", "robin_mask"))
VALUES = tuple(
    CHANNELS.index(c) for c in ("dirichlet_value", "neumann_value", "robin_a", "robin_b", "robin_value")
)
SOURCE = CHANNELS.index("source")


def _down(c_in: int, c_out: int, last: nn.Module) -> nn.Sequential:
    """Two 3×3 stride-2 convolutions: ``(B, c_in, G, G) -> (B, c_out, G/4, G/4)``."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), nn.GELU(),
        nn.Conv2d(c_out, c_out, 3, stride=2, padding=1), last,
    )


def sinusoidal_2d(channels: int, size: int) -> Tensor:
    """Fixed position code ``(channels, size, size)`` on the canonical square (sin/cos of x and y;
    channels beyond a multiple of 4 are zero)."""
    n = channels // 4
    coords = torch.linspace(-1.0, 1.0, size)
    omega = math.pi * 2.0 ** torch.arange(n, dtype=torch.float32) / 2  # π/2 … coarse to fine
    x = coords[None, None, :] * omega[:, None, None]  # varies along columns
    y = coords.flip(0)[None, :, None] * omega[:, None, None]  # row 0 is y = +1
    x, y = x.expand(n, size, size), y.expand(n, size, size)
    code = torch.cat([x.sin(), x.cos(), y.sin(), y.cos()])
    return torch.cat([code, code.new_zeros(channels - 4 * n, size, size)])


class Stem(nn.Module):
    """``images (B, 10, G, G)`` in :data:`CHANNELS` order -> ``(B, channels, G/4, G/4)``."""

    pos: Tensor

    def __init__(self, channels: int, grid: int, n_freqs: int = 5):
        super().__init__()
        self.fourier = FourierChannels(n_freqs)
        c_bc, c_src = channels - channels // 2, channels // 2
        self.mask_feat = _down(len(MASKS), c_bc, nn.GELU())
        self.mask_gate = _down(len(MASKS), c_bc, nn.Tanh())
        self.values = _down(self.fourier.out_channels(len(VALUES)), c_bc, nn.GELU())
        self.source = _down(self.fourier.out_channels(1), c_src, nn.GELU())
        self.register_buffer("pos", sinusoidal_2d(channels, grid // 4), persistent=False)
        self.mix = nn.Conv2d(channels, channels, 1)
        self.norm = nn.GroupNorm(math.gcd(4, channels), channels)

    def forward(self, images: Tensor) -> Tensor:
        masks = images[:, MASKS]
        values = self.values(self.fourier(images[:, VALUES]))
        boundary = self.mask_feat(masks) + self.mask_gate(masks) * values
        source = self.source(self.fourier(signed_log1p(images[:, SOURCE : SOURCE + 1])))
        return self.norm(self.mix(torch.cat([boundary, source], dim=1) + self.pos.to(images.dtype)))
