"""Online EWC (Kirkpatrick et al. 2017, PNAS; online form: Schwarz et al. 2018, "Progress &
compress", ICML): after each task, a running diagonal Fisher ``F ← γF + F_t`` and anchor ``θ*``;
the penalty is ``λ/2 · Σ F (θ − θ*)²``.

``F_t`` is the true Fisher on (a sample of) the task's training inputs: per-sample gradients of
``log p(ŷ|x)`` with ``ŷ`` drawn from the model's own predictive distribution, computed in one
vmapped call (``torch.func.grad``). λ must be large on Split-MNIST (van de Ven & Tolias 2019; the
issue GMvandeVen/continual-learning #10): the defaults are tuned on the shipped data.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call, grad, vmap

from hyperpino.continual.methods.base import Scenario
from hyperpino.continual.methods.shared import SharedNet


def _key(name: str) -> str:
    return name.replace(".", "__")


class OnlineEWC(SharedNet):
    """``lam``: λ; ``gamma``: γ (1: plain EWC with summed Fishers); ``fisher_samples``: inputs
    used per task."""

    def __init__(self, net: nn.Module, n_tasks: int, classes_per_task: int, scenario: Scenario = "cl1",
                 *, lam: float = 1e4, gamma: float = 1.0, fisher_samples: int = 256):
        super().__init__(net, n_tasks, classes_per_task, scenario)
        self.lam, self.gamma, self.fisher_samples = lam, gamma, fisher_samples
        for n, p in net.named_parameters():
            self.register_buffer(f"fisher__{_key(n)}", torch.zeros_like(p))
            self.register_buffer(f"anchor__{_key(n)}", torch.zeros_like(p))

    def penalty(self) -> Tensor:
        total = torch.zeros(())
        for n, p in self.net.named_parameters():
            fisher, anchor = getattr(self, f"fisher__{_key(n)}"), getattr(self, f"anchor__{_key(n)}")
            total = total + (fisher * (p - anchor).pow(2)).sum()
        return 0.5 * self.lam * total

    def fisher(self, t: int, x: Tensor) -> dict[str, Tensor]:
        """Diagonal Fisher of task ``t`` from ``x (N, ...)``: ``name -> mean_i g_i²``."""
        params = {n: p.detach() for n, p in self.net.named_parameters()}
        with torch.no_grad():
            logits = self.scenario_logits(self.net(x), t, torch.full((x.shape[0],), t))
            sampled = torch.distributions.Categorical(logits=logits).sample()

        def logp(p: dict[str, Tensor], xi: Tensor, yi: Tensor) -> Tensor:
            out = self.scenario_logits(functional_call(self.net, p, (xi[None],)), t, torch.tensor([t]))
            return -F.cross_entropy(out, yi[None])

        grads = vmap(grad(logp), in_dims=(None, 0, 0))(params, x, sampled)
        return {n: g.pow(2).mean(dim=0) for n, g in grads.items()}

    @torch.no_grad()
    def end_task(self, t: int, x: Tensor, y: Tensor) -> None:
        with torch.enable_grad():
            new = self.fisher(t, x[: self.fisher_samples])
        for n, p in self.net.named_parameters():
            fisher = getattr(self, f"fisher__{_key(n)}")
            fisher.mul_(self.gamma).add_(new[n])
            getattr(self, f"anchor__{_key(n)}").copy_(p)
