"""Hyperfan-in initialisation of a hypernetwork's output layer.

Chang, Sahni & Mahajan 2020, "Principled weight initialization for hypernetworks" (ICLR). Ordinary
initialisers (Xavier, Kaiming) applied to a hypernetwork give generated weights of the wrong scale;
hyperfan-in instead chooses the output layer's variance so that the *generated* target weights have
the variance a fan-in initialisation would give them:

    Var(θ_w) = g² / fan_in          (halved when the layer's bias is generated too)
    Var(θ_b) = g² / 2               (the other half of a unit-variance pre-activation)
    Var(H)   = Var(θ) / (d_k · E[h²])

with ``H`` the output matrix, ``d_k`` its input width and ``E[h²]`` the mean square of its input
(Chang et al.'s ``Var(e)`` of the embedding, propagated through Kaiming-initialised hidden layers,
which preserve it). Norm scales (role ``norm``) get 0: they are generated as deviations from 1.
"""

from __future__ import annotations

import math

from torch import nn

from hyperpino.hypernet.spec import ParamSpec


def hyperfan_in_std(spec: ParamSpec, gain: float = 1.0) -> dict[str, float]:
    """Target standard deviation of every generated tensor, ``name -> std``."""
    names = set(spec.names)
    out: dict[str, float] = {}
    for e in spec:
        prefix, _, leaf = e.name.rpartition(".")
        if e.role == "norm":
            out[e.name] = 0.0
        elif e.role == "bias":
            out[e.name] = gain / math.sqrt(2.0)
        else:
            bias = f"{prefix}.{leaf.replace('weight', 'bias', 1)}".lstrip(".")
            halve = leaf.startswith("weight") and bias in names
            out[e.name] = gain / math.sqrt(e.fan_in * (2.0 if halve else 1.0))
    return out


def init_output_layer_(layer: nn.Linear, target_std: float, in_second_moment: float) -> None:
    """Normal weights with std ``target_std / √(d_k · E[h²])``, zero bias (hyperfan-in)."""
    std = target_std / math.sqrt(layer.in_features * in_second_moment)
    nn.init.normal_(layer.weight, std=std)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
