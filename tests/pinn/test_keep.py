"""Which measured state a training run returns (hyperpino.pinn.keep)."""

import math

import pytest
import torch
from torch import nn

from hyperpino.pinn.history import Stage, Step, StopReason
from hyperpino.pinn.keep import Keeper, paired_se


def _offer(keeper: Keeper, net: nn.Module, value: float, pde_sq: torch.Tensor, bc_sq: torch.Tensor):
    """Set ``net``'s weight to ``value`` and offer it measured with these squared residuals."""
    with torch.no_grad():
        net.weight.fill_(value)
    loss = float(pde_sq.mean() + 10 * bc_sq.mean())
    row = Step(Stage.SCRATCH, 0, 0.0, loss, math.sqrt(float(pde_sq.mean())), math.sqrt(float(bc_sq.mean())))
    keeper.offer(net, row, pde_sq, bc_sq)
    return row


@pytest.fixture
def points():
    g = torch.Generator().manual_seed(0)
    # heavy-tailed squared residuals, as a PINN's are
    return torch.rand(2048, generator=g) ** 4, torch.rand(512, generator=g) ** 4 * 1e-2


def test_an_earlier_state_within_sampling_error_loses_to_the_last(points):
    pde, bc = points
    g = torch.Generator().manual_seed(1)
    keeper, net = Keeper(1.0, 10.0), nn.Linear(1, 1)
    _offer(keeper, net, 0.0, pde * 100, bc * 100)                     # the start
    best = _offer(keeper, net, 1.0, pde, bc)                          # lowest loss
    # where the residual sits moves between states: per point the change is as large as the value
    noisy = pde * 2 * torch.rand(pde.shape, generator=g) * 1.02
    last = _offer(keeper, net, 2.0, noisy, bc)                        # a few % higher
    assert last.loss > best.loss
    assert last.loss - best.loss <= 2 * paired_se(keeper.last, keeper.best, 1.0, 10.0)
    kept = keeper.choose(StopReason.TIME_BUDGET)
    assert kept.row is last and float(kept.state["weight"]) == 2.0


def test_a_clearly_better_earlier_state_is_returned(points):
    pde, bc = points
    keeper, net = Keeper(1.0, 10.0), nn.Linear(1, 1)
    _offer(keeper, net, 0.0, pde * 100, bc * 100)
    best = _offer(keeper, net, 1.0, pde, bc)
    _offer(keeper, net, 2.0, pde * 1.5, bc * 1.5)                     # 50 % worse at every point
    kept = keeper.choose(StopReason.TIME_BUDGET)
    assert kept.row is best and float(kept.state["weight"]) == 1.0
    # a tolerance met by the last state is the user's answer whatever the ranking
    assert keeper.choose(StopReason.TOL_RESIDUAL).row is keeper.last.row
    assert Keeper(1.0, 10.0, keep_best=False).choose(StopReason.TIME_BUDGET) is None


def test_never_above_the_start_and_never_non_finite(points):
    pde, bc = points
    keeper, net = Keeper(1.0, 10.0), nn.Linear(1, 1)
    start = _offer(keeper, net, 0.0, pde, bc)
    g = torch.Generator().manual_seed(2)
    later = _offer(keeper, net, 1.0, pde * 2 * torch.rand(pde.shape, generator=g) * 1.02, bc)
    assert 0 < later.loss - start.loss <= 2 * paired_se(keeper.last, keeper.start, 1.0, 10.0)
    # above the start: within sampling error, but the start is never given up for worse physics
    assert keeper.choose(StopReason.TIME_BUDGET).row is start
    _offer(keeper, net, 2.0, torch.full_like(pde, math.nan), bc)
    assert keeper.choose(StopReason.DIVERGED).row is start


def test_paired_se_is_zero_for_identical_measurements(points):
    pde, bc = points
    keeper, net = Keeper(1.0, 10.0), nn.Linear(1, 1)
    _offer(keeper, net, 0.0, pde, bc)
    _offer(keeper, net, 1.0, pde, bc)
    assert paired_se(keeper.last, keeper.start, 1.0, 10.0) == 0.0
