"""Target networks for the benchmarks: plain ``nn.Module``s, nothing to implement.

Any module taking ``x (N, *input_shape)`` and returning logits ``(N, outputs)`` works with every
method (the hypernetwork reads its parameters through :class:`~hyperpino.hypernet.ParamSpec` and
evaluates it with ``functional_call``). These two are the defaults of the CLI and the bench;
HyperInterval needs an MLP (a ``Sequential`` of Flatten/Linear and monotone activations) because it
propagates interval bounds through it.
"""

from __future__ import annotations

import math

from torch import nn

from hyperpino.errors import HyperpinoError


def mlp(
    input_shape: tuple[int, ...], hidden: tuple[int, ...] = (100, 100), outputs: int = 2
) -> nn.Sequential:
    """``(N, *input_shape) -> (N, outputs)``: Flatten, then Linear + ReLU per hidden width."""
    widths = (math.prod(input_shape), *hidden)
    layers: list[nn.Module] = [nn.Flatten()]
    for a, b in zip(widths[:-1], widths[1:], strict=True):
        layers += [nn.Linear(a, b), nn.ReLU()]
    layers.append(nn.Linear(widths[-1], outputs))
    return nn.Sequential(*layers)


def small_cnn(
    input_shape: tuple[int, ...], channels: tuple[int, int] = (16, 32), outputs: int = 2
) -> nn.Sequential:
    """``(N, C, H, W) -> (N, outputs)``: two 3×3 conv + ReLU + 2×2 max-pool blocks, then Linear."""
    if len(input_shape) != 3 or min(input_shape[1:]) < 4:
        raise HyperpinoError(f"target: small_cnn needs (C, H, W) images of at least 4×4, got {input_shape}")
    c, h, w = input_shape
    return nn.Sequential(
        nn.Conv2d(c, channels[0], 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(channels[0], channels[1], 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(channels[1] * (h // 4) * (w // 4), outputs),
    )


TARGETS = {"mlp": mlp, "cnn": small_cnn}
