"""HyPINO's encoder: stems, timm Swin stages and FiLM -> multi-scale features.

Bischof et al. 2025 (HyPINO, arXiv 2509.05117, §1.2 of the brief) use the four stages of a Swin
transformer (Liu et al. 2021, "Swin Transformer: Hierarchical Vision Transformer using Shifted
Windows") on convolutional stems, each stage followed by FiLM (Perez et al. 2018) on the operator
coefficients and input statistics. The stages are built with timm's public
``SwinTransformerStage``: the reference creates a whole ``SwinTransformer`` through a private
helper and never calls its patch embedding, final norm or head, which are not built here.
"""

from __future__ import annotations

import torch
from timm.models.swin_transformer import SwinTransformerStage
from torch import Tensor, nn

from hyperpino.model.conditioning import ConditionEmbedding, FiLM
from hyperpino.model.presets import HyPINOConfig
from hyperpino.model.stem import Stem


class Encoder(nn.Module):
    """``(images (B, 10, G, G), coeffs (B, 6)) -> [features_i (B, H_i, W_i, C_i)]``, one per stage.

    ``H_i = W_i = G/4 / 2^i`` and ``C_i = embed_dim·2^i`` (channels last, timm's Swin layout).
    Inputs are not validated here; :class:`~hyperpino.model.hypino.HyPINO` does that.
    """

    def __init__(self, config: HyPINOConfig):
        super().__init__()
        self.config = config
        dims, res = config.stage_dims, config.stage_resolutions
        self.stem = Stem(config.embed_dim, config.grid, config.n_freqs)
        self.condition = ConditionEmbedding(config.coef_embed, config.stats_embed, config.n_freqs)
        # Stochastic depth rising linearly over all blocks (Liu et al. 2021; timm's classic rule).
        # (Computed on the CPU: a model may be built on the meta device to check a checkpoint's shapes.)
        rates = torch.linspace(0, config.drop_path, sum(config.depths), device="cpu").tolist()
        starts = [sum(config.depths[:i]) for i in range(len(dims))]
        self.stages = nn.ModuleList(
            SwinTransformerStage(
                dim=dims[max(i - 1, 0)],
                out_dim=dims[i],
                input_resolution=(res[max(i - 1, 0)],) * 2,  # before this stage's patch merging
                depth=depth,
                downsample=i > 0,
                num_heads=config.num_heads[i],
                window_size=config.window,
                mlp_ratio=config.mlp_ratio,
                drop_path=rates[starts[i] : starts[i] + depth],
            )
            for i, depth in enumerate(config.depths)
        )
        self.films = nn.ModuleList(FiLM(self.condition.out_dim, d) for d in dims)

    def forward(self, images: Tensor, coeffs: Tensor) -> list[Tensor]:
        cond = self.condition(images, coeffs)
        x = self.stem(images).permute(0, 2, 3, 1)  # (B, G/4, G/4, C): timm stages are channels-last
        features = []
        for stage, film in zip(self.stages, self.films, strict=True):
            x = film(stage(x), cond)
            features.append(x)
        return features
