"""One network per task (an upper bound in CL1 at T times the memory; CL2/CL3 by entropy-based
task inference, as the "separate nets per task" column of Henning et al. 2021). All ``T`` networks
are evaluated in one vmapped call through :class:`~hyperpino.hypernet.FunctionalTarget`.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hyperpino.continual.methods.base import Scenario, TaskConditioned
from hyperpino.hypernet import FunctionalTarget


class Separate(TaskConditioned):
    """``target``: the per-task network (``C`` outputs); each task gets a freshly initialised copy."""

    def __init__(self, target: nn.Module, n_tasks: int, classes_per_task: int, scenario: Scenario = "cl1"):
        super().__init__(n_tasks, classes_per_task, scenario)
        nets = []
        for _ in range(n_tasks):
            net = copy.deepcopy(target)
            for sub in net.modules():
                if sub is not net and callable(getattr(sub, "reset_parameters", None)):
                    sub.reset_parameters()
            nets.append(net)
        self.nets = nn.ModuleList(nets)
        self.f = FunctionalTarget(target)

    def trainable(self, t: int) -> list[nn.Parameter]:
        return list(self.nets[t].parameters())

    def loss(self, t: int, x: Tensor, y: Tensor, tasks: Tensor) -> Tensor:
        return F.cross_entropy(self.nets[t](x), y)

    def logits(self, x: Tensor, n_seen: int) -> Tensor:
        stacked = {n: torch.stack([dict(self.nets[i].named_parameters())[n] for i in range(n_seen)])
                   for n in self.f.spec.names}
        return self.f(stacked, x)
