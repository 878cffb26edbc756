"""HyperNetwork: conditioning vectors -> parameters of a target network, ``name -> (M, *shape)``.

Assembles ``cond -> encoding -> trunk -> head -> θ``. With MIP (Ortiz, Guttag & Dalca 2023,
"Magnitude Invariant Parametrizations Improve Hypernetwork Learning", arXiv 2304.07645) the
encoding has constant norm and ``θ = θ0 + Δθ`` with a named residual base θ0; without it the
hypernetwork is plain, ``θ = Δθ`` with hyperfan-in initialisation (Chang et al. 2020).

Example::

    target = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 1))
    hnet = HyperNetwork.for_module(target, cond_dim=1)          # MIP, per-tensor heads
    f = FunctionalTarget(target)
    y = f(hnet(gamma), x)                                       # (M, 1), (N, 1) -> (M, N, 1)
"""

from __future__ import annotations

import dataclasses
from typing import Any

from torch import Tensor, nn

from hyperpino.errors import SpecError
from hyperpino.hypernet.config import HyperNetConfig
from hyperpino.hypernet.encoding import ENCODINGS, SECOND_MOMENT, check_unit_range, encoded_dim
from hyperpino.hypernet.heads import ChunkedHead, Head, LSTMHead, PerTensorHead
from hyperpino.hypernet.init import hyperfan_in_std
from hyperpino.hypernet.mlp import MLP
from hyperpino.hypernet.residual_base import ResidualBase
from hyperpino.hypernet.spec import ParamSpec


class HyperNetwork(nn.Module):
    """``forward(cond) -> name -> (M, *shape)`` for the tensors of ``spec``.

    ``cond``: ``(M, cond_dim)``, or ``(M, T, cond_dim)`` per-tensor tokens (``config.tokens``).
    With an encoding, values must lie in [0, 1]. ``base``: θ0 (MIP only; default
    :meth:`ResidualBase.from_spec`; :meth:`for_module` copies the target instead). ``head``: a
    prebuilt head replacing the one the config describes (its ``in_dim`` must match the trunk's
    output; its output layer is re-initialised like the config's own head).
    """

    def __init__(
        self,
        spec: ParamSpec,
        cond_dim: int,
        config: HyperNetConfig | None = None,
        *,
        base: ResidualBase | None = None,
        head: Head | None = None,
    ):
        super().__init__()
        self.spec, self.cond_dim = spec, cond_dim
        self.config = config = config if config is not None else HyperNetConfig()
        if cond_dim < 1:
            raise SpecError("cond_dim", f"must be >= 1, got {cond_dim}")
        enc_dim = encoded_dim(config.encoding, cond_dim)
        self.trunk = (
            MLP(enc_dim, config.trunk[:-1], config.trunk[-1], config.activation, activate_last=True)
            if config.trunk
            else None
        )
        feat_dim = config.trunk[-1] if config.trunk else enc_dim
        self.head = head if head is not None else _build_head(config, spec, feat_dim)
        if self.head.in_dim != feat_dim or self.head.spec.shapes != spec.shapes:
            raise SpecError("head", f"expects in_dim {feat_dim} and the spec's tensors; got "
                            f"in_dim {self.head.in_dim}")
        if config.mip:
            self.base = base if base is not None else ResidualBase.from_spec(spec)
            self.base.check_against(spec)
        elif base is not None:
            raise SpecError("base", "a residual base θ0 is only used with mip=True")
        else:
            self.base = None
        m2 = config.cond_second_moment or SECOND_MOMENT[config.encoding]
        scale = config.delta_scale if config.mip else 1.0
        stds = hyperfan_in_std(spec, config.target_gain)
        self.head.init_output_({n: scale * s for n, s in stds.items()}, m2)

    @classmethod
    def for_module(
        cls,
        target: nn.Module,
        *,
        cond_dim: int,
        config: HyperNetConfig | str | None = None,
        include: tuple[str, ...] | list[str] | None = None,
        exclude: tuple[str, ...] | list[str] = (),
        reinit_base: bool = False,
        **overrides: Any,
    ) -> HyperNetwork:
        """A hypernetwork generating ``target``'s parameters (all, or those the glob patterns
        ``include``/``exclude`` select). ``config``: a config or a preset name; ``overrides``:
        config fields (``head="lstm"``, ``mip=False``, ...). With MIP, θ0 is a copy of
        ``target``'s current parameters (``reinit_base``: re-initialised first)."""
        if isinstance(config, str):
            config = HyperNetConfig.preset(config)
        config = dataclasses.replace(config or HyperNetConfig(), **overrides)
        spec = ParamSpec.from_module(target, include=include, exclude=exclude)
        base = ResidualBase.from_module(target, spec, reinit=reinit_base) if config.mip else None
        return cls(spec, cond_dim, config, base=base)

    def encode(self, cond: Tensor) -> Tensor:
        """``(M, [T,] cond_dim) -> (M, [T,] encoded_dim)``; validates the shape (and range)."""
        want = 3 if self.config.tokens else 2
        if cond.ndim != want or cond.shape[-1] != self.cond_dim:
            shape = "(M, T, {})" if self.config.tokens else "(M, {})"
            raise SpecError("cond", f"expected shape {shape.format(self.cond_dim)}, got {tuple(cond.shape)}")
        if self.config.encoding is None:
            return cond
        check_unit_range(cond, "cond")
        return ENCODINGS[self.config.encoding](cond, check=False)

    def delta(self, cond: Tensor) -> dict[str, Tensor]:
        """Δθ, the head's output: ``name -> (M, *shape)``."""
        h = self.encode(cond)
        if self.trunk is not None:
            h = self.trunk(h)
        return self.head(h)

    def forward(self, cond: Tensor) -> dict[str, Tensor]:
        """θ for each of the M conditioning vectors: ``name -> (M, *shape)``."""
        delta = self.delta(cond)
        if self.base is not None:
            theta0 = self.base()
            return {n: theta0[n] + d for n, d in delta.items()}
        # Plain mode: norm scales are generated as deviations from 1, so a zero output still
        # leaves a LayerNorm/BatchNorm an identity scale.
        return {e.name: delta[e.name] + 1.0 if e.role == "norm" else delta[e.name] for e in self.spec}


def _build_head(config: HyperNetConfig, spec: ParamSpec, in_dim: int) -> Head:
    out_bias = not config.mip  # with MIP, θ0 is the output bias (a named one)
    if config.head == "per_tensor":
        return PerTensorHead(
            spec, in_dim, config.head_hidden, config.activation, tokens=config.tokens, out_bias=out_bias
        )
    if config.head == "chunked":
        return ChunkedHead(
            spec, in_dim, config.chunk_size, config.chunk_emb_dim, config.head_hidden,
            config.activation, out_bias=out_bias,
        )
    return LSTMHead(spec, in_dim, config.chunk_size, config.chunk_emb_dim, config.lstm_hidden,
                    out_bias=out_bias)
