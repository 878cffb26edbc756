"""The boundary weight under a residual tolerance (hyperpino.pinn.balance) and its use in fit_pinn."""

import pytest
import torch

from hyperpino.pde.problem import build_problem
from hyperpino.pinn import fit as fit_module
from hyperpino.pinn.balance import LAG, SPAN, BoundaryBalance
from hyperpino.pinn.fit import FitConfig, fit_pinn
from hyperpino.pinn.history import Phase


def test_the_weight_follows_the_lagging_residual_within_its_span():
    b = BoundaryBalance(10.0, tol=1e-3)
    assert b.update(residual=1e-3, bc_residual=1e-2) and b.w_bc == 20.0        # boundary lags
    assert b.update(residual=1e-2, bc_residual=1e-3) and b.w_bc == 10.0        # PDE lags
    assert not b.update(residual=1e-2, bc_residual=1e-3) and b.w_bc == 10.0    # never below the start
    # within LAG of each other, or the lagging one already at the tolerance: no move
    assert not b.update(residual=1e-2, bc_residual=0.9 * LAG * 1e-2)
    assert not b.update(residual=1e-4, bc_residual=9e-4)
    for _ in range(40):
        b.update(residual=1e-6, bc_residual=1.0)
    assert b.w_bc == 10.0 * SPAN
    for _ in range(40):
        b.update(residual=1.0, bc_residual=1e-6)
    assert b.w_bc == 10.0




SMALL = dict(adam_steps=60, lbfgs_steps=12, lbfgs_iters=5, eval_every=20, n_interior=256, n_boundary=128,
             n_check_interior=256, n_check_boundary=128, lbfgs_restart_on_stall=False)


def _moves(tol_residual, balance=True) -> list[float]:
    lines = []
    fit_pinn(build_problem("examples/helmholtz.toml"),
             config=FitConfig(tol_residual=tol_residual, balance=balance, **SMALL), progress=lines.append)
    return [float(line.split("boundary weight now ")[1].split()[0]) for line in lines if "weight now" in line]


def test_fit_raises_the_weight_where_the_boundary_lags(one_thread):
    """Helmholtz from scratch: the PDE residual falls first, the boundary lags, its weight goes up,
    with a tolerance or without one; not with ``balance=False``."""
    moved = _moves(1e-6)
    assert moved and moved[0] == 20.0
    assert _moves(None) == moved
    assert _moves(1e-6, balance=False) == []


def test_a_moved_weight_restarts_lbfgs_and_the_check_loss_keeps_the_configured_one(one_thread, monkeypatch):
    class EveryTime:
        """Doubles the weight at every measurement."""

        def __init__(self, w_bc, tol):
            self.w_bc = w_bc

        def ladder(self):
            return tuple(self.w_bc * 2 ** k for k in range(64))

        def update(self, residual, bc_residual):
            self.w_bc *= 2
            return True

    made, built = [], torch.optim.LBFGS
    monkeypatch.setattr(fit_module, "BoundaryBalance", EveryTime)
    monkeypatch.setattr(torch.optim, "LBFGS", lambda *a, **k: made.append(1) or built(*a, **k))
    cfg = FitConfig(tol_residual=1e-6, **SMALL)
    res = fit_pinn(build_problem("examples/disk_robin.yaml"), config=cfg)
    lbfgs_rows = [row for row in res.history if row.phase is Phase.LBFGS]
    # one memory to start with, a fresh one after every move but the last row's
    assert len(lbfgs_rows) >= 2 and len(made) == len(lbfgs_rows)
    # one doubling per measurement after the start; the kept state was ranked with the last weight
    assert res.w_bc == cfg.w_bc * 2 ** (len(res.history) - 1)
    for row in res.history:   # the rows keep the configured weights, whatever the training loss was
        assert row.loss == pytest.approx(cfg.w_pde * row.pde_rms ** 2 + cfg.w_bc * row.bc_rms ** 2, rel=1e-4)
