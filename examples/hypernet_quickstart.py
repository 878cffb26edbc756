"""Any module -> hypernetwork-driven module (shown in docs/hypernet.md and the README)."""

import torch
from torch import nn

from hyperpino.hypernet import FunctionalTarget, HyperNetwork

target = nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 1))
hnet = HyperNetwork.for_module(target, cond_dim=1)  # MIP: cos/sin encoding, θ0 = copy of target
f = FunctionalTarget(target)                         # target evaluated with generated weights

gamma = torch.rand(8, 1)                # M = 8 conditioning values in [0, 1]
theta = hnet(gamma)                     # {"0.weight": (8, 32, 1), "0.bias": (8, 32), ...}
x = torch.linspace(-1, 1, 100)[:, None]
u = f(theta, x)                         # (8, 100, 1): all eight networks at once
loss = (u - torch.sin(3 * x)).pow(2).mean()
loss.backward()                         # gradients reach θ0, the trunk and the heads

plain = f.to_module(theta, index=3)     # an ordinary nn.Sequential holding network 3's weights
assert torch.allclose(plain(x), u[3], atol=1e-6)
