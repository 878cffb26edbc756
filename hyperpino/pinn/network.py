"""The HyPINO target network: Fourier features followed by a "modified MLP", as a plain module.

This is the network whose weights the HyPINO hypernetwork generates (Bischof et al. 2025, "HyPINO:
Multi-Physics Neural Operators via HyperPINNs and the Method of Manufactured Solutions",
arXiv 2509.05117; ``ModulationMFNN`` in the reference code). Its body is the "modified MLP" of
Wang, Teng & Perdikaris 2021, "Understanding and mitigating gradient pathologies in
physics-informed neural networks" (SIAM J. Sci. Comput.), where two gates ``U`` and ``V`` computed
from the input modulate every hidden layer.

With the default :class:`PINNConfig` the network has 5,409 parameters: three 22→32 input layers
(``gate_u``, ``gate_v``, ``inp``), three 32→32 hidden layers and a 32→1 output layer. The Fourier
frequencies are a buffer, so a generated parameter dict (``name -> tensor``) never contains them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class PINNConfig:
    """Size of the target PINN; the defaults are HyPINO's (5,409 parameters)."""

    width: int = 32
    depth: int = 3
    """Number of modulated hidden layers after the input layer."""
    n_freqs: int = 5
    freq_base: float = 0.1
    """Frequencies are ``freq_base · 2**k`` for ``k = 0 .. n_freqs-1`` (0.1 … 1.6 by default)."""
    in_dim: int = 2

    def __post_init__(self) -> None:
        for name, least in (("width", 1), ("depth", 0), ("n_freqs", 0), ("in_dim", 1)):
            if getattr(self, name) < least:
                raise ValueError(f"PINNConfig.{name}: must be >= {least}, got {getattr(self, name)}")
        if not self.freq_base > 0:
            raise ValueError(f"PINNConfig.freq_base: must be > 0, got {self.freq_base}")

    @property
    def feature_dim(self) -> int:
        """Width of the Fourier features: the raw input plus a sin and a cos per coordinate and
        frequency (22 for the defaults)."""
        return self.in_dim * (1 + 2 * self.n_freqs)


class FourierFeatures(nn.Module):
    """``x (..., d) -> (x, sin(2π f x), cos(2π f x)) (..., d·(1 + 2·n_freqs))``.

    The sin block and the cos block each list, for every coordinate, all frequencies in order.
    Frequencies are fixed (a buffer, not a parameter), as in HyPINO.
    """

    freqs: Tensor

    def __init__(self, n_freqs: int = 5, freq_base: float = 0.1):
        super().__init__()
        self.register_buffer("freqs", freq_base * 2.0 ** torch.arange(n_freqs, dtype=torch.float32))

    def forward(self, x: Tensor) -> Tensor:
        # (..., d, 1) * (n_freqs,) -> (..., d, n_freqs) -> (..., d·n_freqs)
        z = (2 * math.pi * x[..., None] * self.freqs.to(x.dtype)).flatten(-2)
        return torch.cat([x, torch.sin(z), torch.cos(z)], dim=-1)


class ModifiedMLP(nn.Module):
    """The HyPINO target PINN, ``x (..., in_dim) -> u (..., 1)``.

    With ``φ`` the Fourier features of ``x`` (Wang et al. 2021, modified MLP)::

        U = tanh(W_U φ + b_U),  V = tanh(W_V φ + b_V),  h = tanh(W_in φ + b_in)
        h = tanh(W_k (U ⊙ h + V ⊙ (1 − h)) + b_k)      for k = 0 .. depth-1
        u = W_out h + b_out

    Parameter names: ``gate_u.*``, ``gate_v.*``, ``inp.*``, ``hidden.<k>.*``, ``out.*``
    (``weight`` and ``bias`` each). Weights are Glorot-uniform, biases zero.
    """

    def __init__(self, config: PINNConfig | None = None):
        super().__init__()
        self.config = config = config or PINNConfig()
        feat, width = config.feature_dim, config.width
        self.features = FourierFeatures(config.n_freqs, config.freq_base)
        self.gate_u = nn.Linear(feat, width)
        self.gate_v = nn.Linear(feat, width)
        self.inp = nn.Linear(feat, width)
        self.hidden = nn.ModuleList(nn.Linear(width, width) for _ in range(config.depth))
        self.out = nn.Linear(width, 1)
        for layer in self.modules():
            if isinstance(layer, nn.Linear):
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] != self.config.in_dim:
            raise ValueError(f"ModifiedMLP: expected points (..., {self.config.in_dim}), "
                             f"got shape {tuple(x.shape)}")
        phi = self.features(x)
        u, v = torch.tanh(self.gate_u(phi)), torch.tanh(self.gate_v(phi))
        h = torch.tanh(self.inp(phi))
        for layer in self.hidden:
            # U⊙h + V⊙(1−h) written as V + h⊙(U−V): one product fewer per layer
            h = torch.tanh(layer(v + h * (u - v)))
        return self.out(h)


class ScaledOutput(nn.Module):
    """``x -> scale · net(x)``: a network answering in the problem's units (:mod:`hyperpino.pinn.scale`).

    ``scale`` is a buffer, not a parameter: the optimiser moves ``net`` in units where the answer is
    of order one, as a fresh network's output is.
    """

    scale: Tensor

    def __init__(self, net: nn.Module, scale: float):
        super().__init__()
        self.net = net
        self.register_buffer("scale", torch.tensor(float(scale)))

    def forward(self, x: Tensor) -> Tensor:
        return self.scale * self.net(x)

    @torch.no_grad()
    def folded(self) -> nn.Module:
        """The same function as the plain wrapped network (a :class:`ModifiedMLP` or any module with a
        linear ``out`` layer): the scale multiplied into that layer, ``u = s·(W h + b) = (s W) h + s b``,
        so it loads wherever a ModifiedMLP does. In place: the wrapper is spent afterwards."""
        net = self.net
        net.out.weight.mul_(self.scale)
        net.out.bias.mul_(self.scale)
        return net
