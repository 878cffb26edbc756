"""Typed configuration of a :class:`~hyperpino.hypernet.hypernet.HyperNetwork`, with presets.

``mip=True`` is the magnitude-invariant parametrisation of Ortiz, Guttag & Dalca 2023
(arXiv 2304.07645): constant-norm input encoding and an additive residual base θ0, with the Δθ
output layer initialised ``delta_scale`` times smaller than hyperfan-in. ``mip=False`` is a plain
hypernetwork: raw input, no θ0, hyperfan-in output initialisation (Chang et al. 2020).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

from hyperpino.errors import SpecError
from hyperpino.hypernet.encoding import EncodingName
from hyperpino.hypernet.mlp import Activation
from hyperpino.hypernet.presets import pick_preset

HeadName = Literal["per_tensor", "chunked", "lstm"]


@dataclass(frozen=True)
class HyperNetConfig:
    """Architecture of a hypernetwork: ``cond -> encoding -> trunk -> head -> (θ0 +) Δθ``."""

    head: HeadName = "per_tensor"
    mip: bool = True
    """Add the learnable residual base θ0 and initialise Δθ small. (The encoding is separate.)"""
    encoding: EncodingName | None = "cos_sin"
    """Input encoding of γ ∈ [0, 1]^D; ``None`` for raw inputs or learned embeddings."""
    trunk: tuple[int, ...] = (64, 64)
    """Widths of the shared MLP before the head (activated outputs); ``()`` for none."""
    head_hidden: tuple[int, ...] = (32,)
    """Hidden widths of each per-tensor head / of the chunk generator; ``()`` for linear heads."""
    activation: Activation = "leaky_relu"
    delta_scale: float = 0.1
    """MIP only: Δθ starts at ``delta_scale`` × the hyperfan-in scale, so θ ≈ θ0 at first."""
    tokens: bool = False
    """Per-tensor head only: the input is one token per target tensor, ``(M, T, D)``."""
    chunk_size: int = 256
    chunk_emb_dim: int = 8
    lstm_hidden: int = 64
    target_gain: float = 1.0
    """Gain ``g`` of the hyperfan-in target variances ``g²/fan_in`` (1: Chang et al.)."""
    cond_second_moment: float | None = None
    """Mean square of one (encoded) input component for hyperfan-in; ``None``: from the encoding
    (1/2 for cos/sin, 1/3 for (γ, 1−γ), 1 for unencoded inputs)."""

    def __post_init__(self) -> None:
        def bad(field: str, message: str) -> SpecError:
            return SpecError(f"HyperNetConfig.{field}", message)

        for field, allowed in (
            ("head", get_args(HeadName)),
            ("encoding", (*get_args(EncodingName), None)),
            ("activation", get_args(Activation)),
        ):
            if getattr(self, field) not in allowed:
                raise bad(field, f"unknown {getattr(self, field)!r} (known: {', '.join(map(str, allowed))})")
        for field in ("trunk", "head_hidden"):
            widths = getattr(self, field)
            if not isinstance(widths, tuple) or any(not isinstance(w, int) or w < 1 for w in widths):
                raise bad(field, f"expected a tuple of positive ints, got {widths!r}")
        for field in ("chunk_size", "chunk_emb_dim", "lstm_hidden"):
            if getattr(self, field) < 1:
                raise bad(field, f"must be >= 1, got {getattr(self, field)}")
        if not self.delta_scale >= 0:
            raise bad("delta_scale", f"must be >= 0, got {self.delta_scale}")
        if not self.target_gain > 0:
            raise bad("target_gain", f"must be > 0, got {self.target_gain}")
        if self.cond_second_moment is not None and not self.cond_second_moment > 0:
            raise bad("cond_second_moment", f"must be > 0, got {self.cond_second_moment}")
        if self.tokens and self.head != "per_tensor":
            raise bad("tokens", f"per-tensor tokens need head='per_tensor', not {self.head!r}")

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> HyperNetConfig:
        """A named preset (see :data:`PRESETS`) with optional field overrides."""
        return pick_preset(PRESETS, name, **overrides)


PRESETS: dict[str, HyperNetConfig] = {
    # MIP (Ortiz et al. 2023) with per-tensor heads: the default.
    "mip": HyperNetConfig(),
    # The plain hypernetwork MIP is compared with: raw γ, no θ0, hyperfan-in.
    "plain": HyperNetConfig(mip=False, encoding=None),
    # HNET (von Oswald et al. 2020), task embeddings in, chunked generator; hypnettorch example
    # sizes (generator 100-100, chunk 750, chunk embeddings 8).
    "hnet": HyperNetConfig(
        head="chunked", mip=False, encoding=None, trunk=(), head_hidden=(100, 100), chunk_size=750
    ),
    # Dependency-preserving LSTM hypernetwork (Chandra et al. 2023), task embeddings in.
    "dph": HyperNetConfig(head="lstm", mip=False, encoding=None, trunk=(), chunk_size=750),
    # HyPINO-style decoder heads: one token per target tensor, GELU, no θ0 (as the paper).
    "hypino": HyperNetConfig(
        mip=False, encoding=None, trunk=(), tokens=True, head_hidden=(128,), activation="gelu"
    ),
    # CoDA-style context-conditioned expert θ = θc + W·ξ: residual base plus bias-free linear heads.
    "coda": HyperNetConfig(mip=True, encoding=None, trunk=(), head_hidden=()),
}
