"""Typed configuration of the HyPINO hypernetwork, with the presets ``small`` and ``paper``.

``paper`` is the architecture of Bischof et al. 2025 (HyPINO, arXiv 2509.05117; ≈77M parameters):
Swin (Liu et al. 2021) stages of width 128/256/512/1024 at 56²…7² tokens from 224² inputs.
``small`` keeps the layout at a size that trains on a CPU (64² inputs, < 10M parameters).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from hyperpino.errors import SpecError
from hyperpino.hypernet.presets import pick_preset
from hyperpino.pinn.network import PINNConfig


@dataclass(frozen=True)
class HyPINOConfig:
    """Architecture of :class:`~hyperpino.model.hypino.HyPINO`. Images are ``(B, 10, grid, grid)``;
    the stems reduce them to ``grid/4``, and each Swin stage after the first halves that."""

    grid: int = 64
    embed_dim: int = 48
    """Channels of the first Swin stage; stage ``i`` has ``embed_dim·2^i``."""
    depths: tuple[int, ...] = (2, 2, 4, 2)
    num_heads: tuple[int, ...] = (2, 4, 8, 16)
    """Attention heads per Swin stage, also used by the decoder's pooling attention of that stage."""
    window: int = 4
    mlp_ratio: float = 2.0
    drop_path: float = 0.0
    """Largest stochastic-depth rate (linear over blocks, as timm); the paper uses timm's 0.1."""
    n_freqs: int = 5
    """Fourier frequencies ``0.1·2^k`` of the value channels, coefficients and statistics."""
    coef_embed: int = 96
    stats_embed: int = 32
    """Widths of the coefficient and input-statistics embeddings; FiLM reads their concatenation."""
    head_hidden_factor: float = 1.0
    head_hidden_min: int = 32
    head_hidden_max: int = 256
    """Hidden width of a tensor's head: ``clip(factor·numel, min, max)`` (paper: 2, 32, 1920)."""
    delta_scale: float = 0.1
    """Δθ starts at this fraction of the hyperfan-in scale, so θ ≈ θ0 at initialisation (MIP)."""
    zero_output: bool = True
    """θ0's output layer starts at zero, so an untrained model answers u ≈ 0 and Δθ is a
    correction; with a random θ0 (Glorot) every problem's Δθ must first cancel θ0's own output
    (RMS ~0.6 against typical normalised solutions of ~0.08). Affects initialisation only."""
    pinn: PINNConfig = field(default_factory=PINNConfig)

    def __post_init__(self) -> None:
        def bad(name: str, message: str) -> SpecError:
            return SpecError(f"HyPINOConfig.{name}", message)

        for name in ("grid", "embed_dim", "window", "n_freqs", "coef_embed", "stats_embed",
                     "head_hidden_min", "head_hidden_max"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise bad(name, f"must be a positive int, got {getattr(self, name)!r}")
        for name in ("depths", "num_heads"):
            values = getattr(self, name)
            if not isinstance(values, tuple) or not values or any(
                not isinstance(v, int) or v < 1 for v in values
            ):
                raise bad(name, f"expected a non-empty tuple of positive ints, got {values!r}")
        if len(self.num_heads) != len(self.depths):
            raise bad("num_heads", f"needs one entry per stage ({len(self.depths)}), "
                      f"got {len(self.num_heads)}")
        for i, (dim, heads) in enumerate(zip(self.stage_dims, self.num_heads, strict=True)):
            if dim % heads:
                raise bad(f"num_heads[{i}]", f"{heads} does not divide the stage width {dim}")
        # Patch merging halves the token grid after every stage but the first.
        step = 4 * 2 ** (len(self.depths) - 1)
        if self.grid % step:
            raise bad("grid", f"must be a multiple of {step} for {len(self.depths)} stages, got {self.grid}")
        if not self.mlp_ratio > 0 or not 0 <= self.drop_path < 1 or not self.delta_scale >= 0:
            raise bad("mlp_ratio/drop_path/delta_scale", "need mlp_ratio > 0, 0 <= drop_path < 1, "
                      f"delta_scale >= 0; got {self.mlp_ratio}, {self.drop_path}, {self.delta_scale}")
        if not self.head_hidden_factor > 0 or self.head_hidden_min > self.head_hidden_max:
            raise bad("head_hidden_*", "need factor > 0 and min <= max")

    @property
    def stage_dims(self) -> tuple[int, ...]:
        return tuple(self.embed_dim * 2**i for i in range(len(self.depths)))

    @property
    def stage_resolutions(self) -> tuple[int, ...]:
        return tuple(self.grid // 4 // 2**i for i in range(len(self.depths)))

    @property
    def token_dim(self) -> int:
        """Width of a decoder token: the pooled features of all stages, concatenated."""
        return sum(self.stage_dims)

    def head_hidden(self, numel: int) -> int:
        width = round(self.head_hidden_factor * numel)
        return int(min(max(width, self.head_hidden_min), self.head_hidden_max))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict (tuples become lists); inverse of :meth:`from_dict`."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HyPINOConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise SpecError("HyPINOConfig", f"unknown field(s) {', '.join(unknown)}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        if isinstance(values.get("pinn"), dict):
            values["pinn"] = PINNConfig(**values["pinn"])
        return cls(**values)

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> HyPINOConfig:
        """A named preset (:data:`PRESETS`) with optional field overrides."""
        return pick_preset(PRESETS, name, **overrides)


PRESETS: dict[str, HyPINOConfig] = {
    # CPU-trainable: 64² inputs -> 16²…2² tokens, narrow heads.
    "small": HyPINOConfig(),
    # Bischof et al. 2025: timm Swin-v1 hyper-parameters and the reference's head widths
    # (1408 for the 22×32 input weights, 1920 for the 32×32 ones, 64/32 for vectors).
    "paper": HyPINOConfig(
        grid=224, embed_dim=128, depths=(2, 2, 10, 2), num_heads=(4, 8, 8, 16), window=7,
        mlp_ratio=2.0, drop_path=0.1, head_hidden_factor=2.0, head_hidden_min=32, head_hidden_max=1920,
    ),
}
