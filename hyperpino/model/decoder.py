"""HyPINO's decoder: attention pooling into one token per target tensor, per-tensor heads, θ0 + Δθ.

Bischof et al. 2025 (HyPINO, arXiv 2509.05117, §1.3 of the brief): for each Swin stage, learned
queries, one per generated tensor, attend over that stage's tokens (``nn.MultiheadAttention``); the
pooled vectors of all stages are concatenated into tokens ``(B, T, D)``, and token ``t`` feeds the
MLP head of tensor ``t``. Unlike the reference (θ = head output), θ = θ0 + Δθ with the core's
named residual base θ0 (MIP, Ortiz, Guttag & Dalca 2023), so an untrained model already yields a
sensibly initialised PINN and the heads learn the problem-dependent correction.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from hyperpino.hypernet import HyperNetConfig, HyperNetwork, ParamSpec, PerTensorHead, ResidualBase
from hyperpino.model.presets import HyPINOConfig


class AttentionPool(nn.Module):
    """``features (B, H, W, C) -> (B, T, C)``: T learned queries attend over the H·W tokens."""

    def __init__(self, n_queries: int, channels: int, num_heads: int):
        super().__init__()
        self.queries = nn.Parameter(nn.init.trunc_normal_(torch.empty(n_queries, channels), std=0.02))
        # The stage outputs are an un-normalised residual stream; normalise the keys/values so the
        # attention logits have the same scale on every stage.
        self.norm = nn.LayerNorm(channels)
        self.attn = nn.MultiheadAttention(channels, num_heads, batch_first=True)

    def forward(self, features: Tensor) -> Tensor:
        kv = self.norm(features.flatten(1, 2))  # (B, H·W, C)
        q = self.queries[None].expand(kv.shape[0], -1, -1).to(kv.dtype)
        return self.attn(q, kv, kv, need_weights=False)[0]


class Decoder(nn.Module):
    """``[features_i (B, H_i, W_i, C_i)] -> θ: name -> (B, *shape)`` for the target ``spec``.

    ``base``: θ0 (normally a copy of a freshly initialised target PINN). ``hypernet`` is the core's
    :class:`HyperNetwork` in token mode: ``hypernet.delta(tokens)`` is Δθ, ``hypernet.base`` is θ0.
    """

    def __init__(self, config: HyPINOConfig, spec: ParamSpec, base: ResidualBase):
        super().__init__()
        self.spec = spec
        self.pools = nn.ModuleList(
            AttentionPool(len(spec), d, h) for d, h in zip(config.stage_dims, config.num_heads, strict=True)
        )
        d = config.token_dim
        head = PerTensorHead(
            spec, d, lambda e: (config.head_hidden(e.numel),), "gelu", tokens=True, out_bias=False
        )
        hn_config = HyperNetConfig.preset("hypino", mip=True, delta_scale=config.delta_scale)
        self.hypernet = HyperNetwork(spec, d, hn_config, base=base, head=head)

    def tokens(self, features: list[Tensor]) -> Tensor:
        """``(B, T, sum C_i)``: the pooled features of all stages, one token per target tensor."""
        return torch.cat([pool(f) for pool, f in zip(self.pools, features, strict=True)], dim=-1)

    def forward(self, features: list[Tensor]) -> dict[str, Tensor]:
        return self.hypernet(self.tokens(features))
