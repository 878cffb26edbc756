"""Synaptic Intelligence (Zenke, Poole & Ganguli 2017, ICML): each parameter's contribution to the
loss decrease along the training path, ``ω += −g·Δθ`` per step, becomes after each task an
importance ``Ω += ω / ((θ_end − θ_start)² + ξ)``; the penalty is ``c · Σ Ω (θ − θ*)²``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from hyperpino.continual.methods.base import Scenario
from hyperpino.continual.methods.shared import SharedNet


def _key(name: str) -> str:
    return name.replace(".", "__")


class SI(SharedNet):
    """``c``: penalty strength (100: best of 1, 10, 100, 1000 on the validation split of both
    shipped MNIST benchmarks); ``xi``: ξ, the damping of the importance."""

    def __init__(self, net: nn.Module, n_tasks: int, classes_per_task: int, scenario: Scenario = "cl1",
                 *, c: float = 100.0, xi: float = 0.1):
        super().__init__(net, n_tasks, classes_per_task, scenario)
        self.c, self.xi = c, xi
        for n, p in net.named_parameters():
            for kind in ("omega", "path", "anchor", "start"):
                self.register_buffer(f"{kind}__{_key(n)}", torch.zeros_like(p))

    def _buf(self, kind: str, name: str) -> Tensor:
        return getattr(self, f"{kind}__{_key(name)}")

    def penalty(self) -> Tensor:
        total = torch.zeros(())
        for n, p in self.net.named_parameters():
            total = total + (self._buf("omega", n) * (p - self._buf("anchor", n)).pow(2)).sum()
        return self.c * total

    @torch.no_grad()
    def begin_task(self, t: int) -> None:
        for n, p in self.net.named_parameters():
            self._buf("start", n).copy_(p)
            self._buf("path", n).zero_()

    def train_step(self, t: int, x: Tensor, y: Tensor, tasks: Tensor, opt: torch.optim.Optimizer) -> float:
        before = {n: p.detach().clone() for n, p in self.net.named_parameters()}
        value = super().train_step(t, x, y, tasks, opt)
        with torch.no_grad():
            for n, p in self.net.named_parameters():
                if p.grad is not None:
                    self._buf("path", n).add_(-p.grad * (p - before[n]))
        return value

    @torch.no_grad()
    def end_task(self, t: int, x: Tensor, y: Tensor) -> None:
        for n, p in self.net.named_parameters():
            delta = p - self._buf("start", n)
            self._buf("omega", n).add_(self._buf("path", n) / (delta.pow(2) + self.xi))
            self._buf("anchor", n).copy_(p)
