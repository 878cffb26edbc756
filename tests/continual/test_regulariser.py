"""The output regulariser on a hand-made case: a linear generator ``h(e) = W e``."""

import torch

from hyperpino.continual.regulariser import output_regulariser, previous_tasks


def test_value_and_gradient_of_a_linear_generator():
    w = torch.tensor([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]], requires_grad=True)  # (P=3, E=2)
    e = torch.tensor([[1.0, 0.0], [0.5, 2.0]])  # two previous tasks, (K=2, E=2)
    targets = torch.tensor([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    beta = 0.1
    reg = output_regulariser(e @ w.T, targets, beta)
    # by hand: h(e_0) = (1, 0, 3) -> ‖·‖² = 10; h(e_1) = (4.5, -2, 2.5) -> (3.5² + 3² + 1.5²) = 23.5
    assert torch.isclose(reg, torch.tensor(beta * (10.0 + 23.5) / 2))
    reg.backward()
    # d/dW β/K Σ_k ‖W e_k − y_k‖² = β/K Σ_k 2 (W e_k − y_k) e_kᵀ
    r0 = torch.tensor([1.0, 0.0, 3.0])
    r1 = torch.tensor([3.5, -3.0, 1.5])
    expected = beta / 2 * 2 * (torch.outer(r0, e[0]) + torch.outer(r1, e[1]))
    assert torch.allclose(w.grad, expected)


def test_targets_are_constants():
    gen = torch.ones(1, 4, requires_grad=True)
    tgt = torch.zeros(1, 4, requires_grad=True)
    output_regulariser(gen, tgt, 1.0).backward()
    assert tgt.grad is None


def test_previous_task_subset():
    assert previous_tasks(3, None).tolist() == [0, 1, 2]
    assert previous_tasks(3, 5).tolist() == [0, 1, 2]
    sub = previous_tasks(10, 4, torch.Generator().manual_seed(1))
    assert len(sub) == 4 and len(set(sub.tolist())) == 4 and max(sub) < 10
