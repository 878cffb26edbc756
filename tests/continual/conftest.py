import pytest
import torch

from hyperpino.continual.data import Benchmark, Task


@pytest.fixture
def conflicting_tasks() -> Benchmark:
    """Three 2-class tasks on the same kind of inputs with conflicting rules: task t labels
    ``x`` by the sign of ``x · w_t``, ``w_1 = −w_0`` (a shared head cannot serve both)."""
    gen = torch.Generator().manual_seed(0)
    ws = [torch.tensor([1.0, 0.0]), torch.tensor([-1.0, 0.0]), torch.tensor([0.0, 1.0])]
    tasks = []
    for w in ws:
        xtr, xte = torch.randn(256, 2, generator=gen), torch.randn(128, 2, generator=gen)
        tasks.append(Task(xtr, (xtr @ w > 0).long(), xte, (xte @ w > 0).long(), (0, 1)))
    return Benchmark("conflicting", tuple(tasks), 2)
