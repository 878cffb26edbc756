"""Methods that train one shared network: fine-tuning (the lower bound) and joint training (the
upper bound). EWC and SI (:mod:`.ewc`, :mod:`.si`) add a penalty to fine-tuning.

The scenario decides the output layer (van de Ven & Tolias 2019): CL1 multi-head (``T·C`` outputs,
task ``t`` reads its slice), CL2 one shared ``C``-way head, CL3 a growing softmax over the
``(t+1)·C`` classes seen so far. Joint training replays every task seen so far ("cumulative"
training): after task ``t`` the network has learnt the union of tasks ``0..t`` with the same step
budget per task as the others.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hyperpino.continual.methods.base import Method, Scenario


def shared_outputs(n_tasks: int, classes_per_task: int, scenario: Scenario) -> int:
    """Output width of the shared network: ``C`` in CL2, ``T·C`` otherwise."""
    return classes_per_task if scenario == "cl2" else n_tasks * classes_per_task


class SharedNet(Method):
    """``net``: the shared network, ``(N, ...) -> (N, shared_outputs(...))``; trained as is."""

    def __init__(self, net: nn.Module, n_tasks: int, classes_per_task: int, scenario: Scenario = "cl1"):
        super().__init__(n_tasks, classes_per_task, scenario)
        self.net = net

    def scenario_logits(self, out: Tensor, t: int, tasks: Tensor) -> Tensor:
        """Network outputs ``(N, K)`` -> the logits the scenario's loss and prediction read."""
        c = self.classes_per_task
        if self.scenario == "cl1":
            return out.view(out.shape[0], -1, c)[torch.arange(out.shape[0]), tasks]
        if self.scenario == "cl2":
            return out
        return out[:, : (t + 1) * c]

    def task_loss(self, t: int, x: Tensor, y: Tensor, tasks: Tensor) -> Tensor:
        return F.cross_entropy(self.scenario_logits(self.net(x), t, tasks), self.truth(y, tasks))

    def penalty(self) -> Tensor:
        return torch.zeros(())

    def loss(self, t: int, x: Tensor, y: Tensor, tasks: Tensor) -> Tensor:
        return self.task_loss(t, x, y, tasks) + self.penalty()

    @torch.no_grad()
    def predict(self, x: Tensor, tasks: Tensor, n_seen: int) -> Tensor:
        return self.scenario_logits(self.net(x), n_seen - 1, tasks).argmax(dim=-1)


class Finetune(SharedNet):
    """Plain sequential training (no protection against forgetting)."""


class Joint(SharedNet):
    """Training on all tasks seen so far (an upper bound; not a continual method)."""

    replay_all = True
