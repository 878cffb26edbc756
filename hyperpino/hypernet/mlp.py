"""The small fully connected networks hypernetworks are built of (trunk and head bodies).

Hidden layers are initialised Kaiming-normal (fan-in, with the activation's gain) with zero biases,
so the mean square of the activations is preserved from layer to layer; the hyperfan-in output
initialisation (Chang, Sahni & Mahajan 2020, "Principled weight initialization for hypernetworks",
ICLR) relies on that. Zero biases also keep a ReLU/LeakyReLU network positively homogeneous, the
premise of the magnitude-proportionality analysis of MIP (Ortiz, Guttag & Dalca 2023,
arXiv 2304.07645).
"""

from __future__ import annotations

import math
from typing import Literal, get_args

from torch import Tensor, nn

from hyperpino.errors import SpecError

Activation = Literal["relu", "leaky_relu", "tanh", "gelu", "silu", "elu"]

LEAKY_SLOPE = 0.01


def make_activation(name: Activation) -> nn.Module:
    """A fresh activation module by name (an explicit table, not ``getattr(nn, name)``)."""
    table: dict[str, type[nn.Module]] = {
        "relu": nn.ReLU,
        "tanh": nn.Tanh,
        "gelu": nn.GELU,
        "silu": nn.SiLU,
        "elu": nn.ELU,
    }
    if name == "leaky_relu":
        return nn.LeakyReLU(LEAKY_SLOPE)
    if name not in table:
        raise SpecError("activation", f"unknown {name!r} (known: {', '.join(get_args(Activation))})")
    return table[name]()


def activation_gain(name: Activation) -> float:
    """Kaiming gain: √(2/(1+a²)) for (leaky) ReLU, 5/3 for tanh; the smooth ReLU-likes (GELU, SiLU,
    ELU) use ReLU's √2, a close approximation for them."""
    if name == "leaky_relu":
        return math.sqrt(2.0 / (1.0 + LEAKY_SLOPE**2))
    if name == "tanh":
        return 5.0 / 3.0
    return math.sqrt(2.0)


class MLP(nn.Module):
    """``(..., in_dim) -> (..., out_dim)``: Linear layers of widths ``hidden`` then ``out_dim``.

    The activation follows every hidden layer, and also the last one when ``activate_last`` (a
    trunk whose output feeds heads). ``bias_last=False`` drops the last layer's bias (a MIP head:
    θ0 plays that role). :attr:`last` is the output layer, re-initialised by the heads.
    """

    def __init__(
        self,
        in_dim: int,
        hidden: tuple[int, ...],
        out_dim: int,
        activation: Activation = "leaky_relu",
        *,
        activate_last: bool = False,
        bias_last: bool = True,
    ):
        super().__init__()
        widths = (in_dim, *hidden, out_dim)
        if any(w < 1 for w in widths):
            raise SpecError("MLP", f"layer widths must be positive, got {widths}")
        n = len(widths) - 1
        self.layers = nn.ModuleList(
            nn.Linear(a, b, bias=bias_last or i < n - 1)
            for i, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True))
        )
        self.act = make_activation(activation)
        self.activate_last = activate_last
        gain = activation_gain(activation)
        for layer in self.layers:
            nn.init.normal_(layer.weight, std=gain / math.sqrt(layer.in_features))
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)

    @property
    def last(self) -> nn.Linear:
        return self.layers[-1]

    @property
    def out_dim(self) -> int:
        return self.layers[-1].out_features

    def forward(self, x: Tensor) -> Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if self.activate_last or i < len(self.layers) - 1:
                x = self.act(x)
        return x
