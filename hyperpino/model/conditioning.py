"""Global conditioning of the encoder: coefficient + input-statistics embedding, and FiLM.

HyPINO (Bischof et al. 2025, arXiv 2509.05117, §1.2) conditions every Swin stage on the operator
coefficients and on magnitude statistics of the inputs with FiLM (Perez et al. 2018, "FiLM: Visual
Reasoning with a General Conditioning Layer"). The reference scales by the raw γ, which with a
default-initialised linear layer multiplies features by ≈ 0 at the start; here the scale is
``1 + γ`` and the FiLM layer starts at zero, so every stage is the identity map at initialisation.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from hyperpino.model.channels import CHANNELS
from hyperpino.model.fourier import FourierChannels, signed_log1p
from hyperpino.pde.terms import N_TERMS

STAT_CHANNELS = tuple(
    CHANNELS.index(c) for c in ("dirichlet_value", "neumann_value", "robin_value", "source")
)
"""Channels whose magnitude the statistics describe (the right-hand sides of the problem)."""
N_STATS = 4  # mean, max, min, std


class ConditionEmbedding(nn.Module):
    """``(images (B, 10, G, G), coeffs (B, 6)) -> (B, coef_dim + stats_dim)``.

    Coefficients (``TERMS`` order) -> Fourier features -> Linear -> GELU. Statistics: mean, max,
    min and std of the ``sign·log1p|·|`` of each value channel, detached (they describe the input,
    nothing should be learned through them), -> Fourier features -> Linear -> GELU.
    """

    def __init__(self, coef_dim: int, stats_dim: int, n_freqs: int = 5):
        super().__init__()
        self.fourier = FourierChannels(n_freqs)
        self.fourier_stats = FourierChannels(n_freqs, identity=False)
        self.coef = nn.Sequential(nn.Linear(self.fourier.out_channels(N_TERMS), coef_dim), nn.GELU())
        n = len(STAT_CHANNELS) * N_STATS
        self.stats = nn.Sequential(nn.Linear(self.fourier_stats.out_channels(n), stats_dim), nn.GELU())
        self.out_dim = coef_dim + stats_dim

    def forward(self, images: Tensor, coeffs: Tensor) -> Tensor:
        # The log keeps the statistics O(10) for sources up to ~1e4, inside the Fourier features'
        # useful range (frequencies 0.1…1.6).
        v = signed_log1p(images[:, STAT_CHANNELS].detach()).flatten(2)  # (B, 4, G²)
        stats = torch.cat([v.mean(-1), v.amax(-1), v.amin(-1), v.std(-1)], dim=1)
        return torch.cat([self.coef(self.fourier(coeffs)), self.stats(self.fourier_stats(stats))], dim=1)


class FiLM(nn.Module):
    """``(x (B, H, W, C), cond (B, D)) -> x·(1 + γ) + β`` with ``(γ, β) = Linear(cond)``, zero at init."""

    def __init__(self, cond_dim: int, channels: int):
        super().__init__()
        self.proj = nn.Linear(cond_dim, 2 * channels)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x: Tensor, cond: Tensor) -> Tensor:
        gamma, beta = self.proj(cond)[:, None, None].chunk(2, dim=-1)
        return x * (1 + gamma) + beta
