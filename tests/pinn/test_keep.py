"""Which measured state a training run returns (hyperpino.pinn.keep)."""

import math

import pytest
import torch
from torch import nn

from hyperpino.pinn.balance import SPAN, BoundaryBalance
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


def test_states_are_ranked_with_the_weight_training_ended_on(points):
    """Wave's case: an early state fits the PDE and leaves the boundary far off; training raised the
    boundary weight and its last state fits both. At the configured weight the early one has the
    lower loss; at the final weight the last one does, and that is the one returned."""
    pde, bc = points
    keeper, net = Keeper(1.0, 10.0, ranks=BoundaryBalance(10.0, 0.0).ladder()), nn.Linear(1, 1)
    _offer(keeper, net, 0.0, pde * 10, bc * 100)                      # the start
    early = _offer(keeper, net, 1.0, pde * 0.1, bc * 10)
    last = _offer(keeper, net, 2.0, pde * 2, bc * 0.1)
    assert early.loss < last.loss                                     # at w_bc = 10
    assert keeper.choose(StopReason.TIME_BUDGET).row is early
    assert keeper.choose(StopReason.TIME_BUDGET, w_bc=2560.0).row is last
    assert keeper.choose(StopReason.TIME_BUDGET, w_bc=2500.0).row is last  # the nearest weight ranked
    assert keeper.best.row is early                                   # the configured weight's best


def test_the_ladder_is_every_weight_the_balance_reaches():
    b = BoundaryBalance(10.0, 0.0)
    ladder = b.ladder()
    assert ladder[0] == 10.0 and ladder[-1] == 10.0 * SPAN and len(ladder) == 9
    reached = {b.w_bc}
    for _ in range(20):
        b.update(residual=1e-6, bc_residual=1.0)
        reached.add(b.w_bc)
    assert reached == set(ladder)
