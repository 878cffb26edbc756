"""The interface every continual-learning method implements, and the two families of methods.

* :class:`TaskConditioned`: one set of target weights per task (hypernetworks, one network per
  task). Training is the same in every scenario (task ``t``'s head, within-task labels); CL2/CL3
  evaluation infers the task per sample (entropy over all tasks' heads, vmapped).
* Shared-network methods (:mod:`.shared`): one network; the scenario decides the output layer:
  CL1 multi-head (``T·C`` outputs, task ``t`` reads its slice), CL2 one shared ``C``-way head,
  CL3 a growing softmax over the classes of the tasks seen so far (van de Ven & Tolias 2019).

Scenarios (van de Ven & Tolias 2019): ``cl1`` task-incremental (task id given), ``cl2``
domain-incremental (within-task label, no id), ``cl3`` class-incremental (global label ``t·C + y``).
"""

from __future__ import annotations

from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from hyperpino.continual.inference import infer_by_entropy, predictions
from hyperpino.continual.task_inference import PPCATaskInference
from hyperpino.errors import HyperpinoError

Scenario = Literal["cl1", "cl2", "cl3"]
SCENARIOS: tuple[str, ...] = get_args(Scenario)


def check_scenario(scenario: str) -> None:
    if scenario not in SCENARIOS:
        raise HyperpinoError(f"--scenario: unknown {scenario!r} (known: {', '.join(SCENARIOS)})")


class Method(nn.Module):
    """Abstract base. A method learns tasks ``0..T-1`` in order; the runner calls, per task,
    :meth:`begin_task`, then per step :meth:`set_progress`, :meth:`train_step`, and finally
    :meth:`end_task`. All state that must survive a restart lives in parameters and buffers of
    fixed shape (allocated for all ``n_tasks`` at construction), so ``state_dict`` round-trips."""

    replay_all: bool = False
    """Joint training: batches are drawn from the union of the tasks seen so far."""

    def __init__(self, n_tasks: int, classes_per_task: int, scenario: Scenario):
        super().__init__()
        check_scenario(scenario)
        self.n_tasks, self.classes_per_task, self.scenario = n_tasks, classes_per_task, scenario

    # ----------------------------------------------------------------------------- training
    def begin_task(self, t: int) -> None:
        """Called before the first step of task ``t``."""

    def end_task(self, t: int, x: Tensor, y: Tensor) -> None:
        """Called after the last step of task ``t`` with (a sample of) its training data."""

    def set_progress(self, t: int, fraction: float) -> None:
        """The fraction of task ``t``'s steps done so far (for schedules)."""

    def generators(self) -> dict[str, torch.Generator]:
        """The method's own random streams that run across tasks, by name. The runner seeds them
        from the run's seed and saves their states with every checkpoint
        (:mod:`hyperpino.continual.streams`)."""
        return {}

    def trainable(self, t: int) -> list[nn.Parameter]:
        """The parameters the optimiser of task ``t`` updates."""
        return [p for p in self.parameters() if p.requires_grad]

    def loss(self, t: int, x: Tensor, y: Tensor, tasks: Tensor) -> Tensor:
        """Training loss on a batch ``x (N, ...)`` with within-task labels ``y (N,)`` of tasks
        ``tasks (N,)`` (all ``t`` except for joint training), regularisers included."""
        raise NotImplementedError

    def train_step(self, t: int, x: Tensor, y: Tensor, tasks: Tensor, opt: torch.optim.Optimizer) -> float:
        opt.zero_grad(set_to_none=True)
        loss = self.loss(t, x, y, tasks)
        loss.backward()
        opt.step()
        return float(loss.detach())

    # ---------------------------------------------------------------------------- evaluation
    def predict(self, x: Tensor, tasks: Tensor, n_seen: int) -> Tensor:
        """Labels for ``x (N, ...)`` of true tasks ``tasks (N,)`` after ``n_seen`` tasks: within-task
        labels in CL1/CL2, global labels ``t·C + y`` in CL3 (compare with :meth:`truth`)."""
        raise NotImplementedError

    def truth(self, y: Tensor, tasks: Tensor) -> Tensor:
        return tasks * self.classes_per_task + y if self.scenario == "cl3" else y


class TaskConditioned(Method):
    """Methods with one set of target weights per task; subclasses implement :meth:`logits`.

    CL2/CL3 task inference: by the entropy of each task's head (default), or, after
    :meth:`use_generative_inference`, by per-task generative models fitted when each task ends
    (:mod:`hyperpino.continual.task_inference`). :attr:`inference` switches between the two at
    evaluation time (``"entropy"`` or ``"ppca"``)."""

    def __init__(self, n_tasks: int, classes_per_task: int, scenario: Scenario):
        super().__init__(n_tasks, classes_per_task, scenario)
        self.task_models: PPCATaskInference | None = None
        self.inference = "entropy"

    def use_generative_inference(self, input_dim: int, rank: int = 20) -> None:
        """Fit a PPCA model of every task's inputs at :meth:`end_task` and infer tasks with it."""
        self.task_models = PPCATaskInference(self.n_tasks, input_dim, rank)
        self.inference = "ppca"

    def end_task(self, t: int, x: Tensor, y: Tensor) -> None:
        if self.task_models is not None:
            self.task_models.fit(t, x)

    def logits(self, x: Tensor, n_seen: int) -> Tensor:
        """``x (N, ...) -> (n_seen, N, C)``: every seen task's network on the same inputs."""
        raise NotImplementedError

    def task_loss(self, logits: Tensor, y: Tensor) -> Tensor:
        return F.cross_entropy(logits, y)

    def infer_task(self, x: Tensor, n_seen: int, logits: Tensor) -> Tensor:
        """``(N,)``: the task each sample is assigned to (generative models, or entropy;
        HyperInterval overrides the entropy rule)."""
        if self.inference == "ppca":
            if self.task_models is None:
                raise HyperpinoError("task_inference: 'ppca' needs use_generative_inference() first")
            return self.task_models.infer(x, n_seen)
        return infer_by_entropy(logits)

    @torch.no_grad()
    def predict(self, x: Tensor, tasks: Tensor, n_seen: int) -> Tensor:
        logits = self.logits(x, n_seen)
        if self.scenario == "cl1":
            return predictions(logits, tasks)
        inferred = self.infer_task(x, n_seen, logits)
        within = predictions(logits, inferred)
        return within if self.scenario == "cl2" else inferred * self.classes_per_task + within
