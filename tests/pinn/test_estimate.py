"""The error estimated from the residuals alone (hyperpino.pinn.estimate), and fine-tuning's guard."""

import math

import pytest
import torch
from pinn_cases import SQUARE
from torch import nn

from hyperpino.pde.collocation import sample_problem
from hyperpino.pde.problem import build_problem
from hyperpino.pinn.estimate import error_estimate
from hyperpino.pinn.fit import FitConfig, fit_pinn
from hyperpino.pinn.history import Stage
from hyperpino.pinn.keep import Snapshot

SINE = SQUARE.format(k="2*pi**2", g=0)

pytestmark = pytest.mark.usefixtures("one_thread")


class Guess(nn.Module):
    """``amp · sin πx sin πy + shift + wiggle · sin 24πx sin 24πy`` at canonical points
    (x = (X + 1) / 2): the exact solution for (1, 0, 0), and errors of known shape otherwise."""

    def __init__(self, amp=1.0, shift=0.0, wiggle=0.0):
        super().__init__()
        self.amp, self.shift, self.wiggle = (nn.Parameter(torch.tensor(float(v)))
                                             for v in (amp, shift, wiggle))

    def forward(self, pts):
        x = (pts + 1) / 2
        s = torch.sin(math.pi * x[..., 0]) * torch.sin(math.pi * x[..., 1])
        w = torch.sin(24 * math.pi * x[..., 0]) * torch.sin(24 * math.pi * x[..., 1])
        return (self.amp * s + self.shift + self.wiggle * w)[..., None]


@pytest.fixture(scope="module")
def sine(tmp_path_factory):
    path = tmp_path_factory.mktemp("est") / "sine.toml"
    path.write_text(SINE)
    return build_problem(path)


def true_error(problem, guess):
    gen = torch.Generator().manual_seed(0)
    pts = sample_problem(problem, 4096, 16, generator=gen, dtype=torch.float64).interior
    with torch.no_grad():
        u, exact = guess.double()(pts)[:, 0], Guess().double()(pts)[:, 0]
    return float((u - exact).norm() / exact.norm())


def test_the_exact_solution_has_no_error(sine):
    assert error_estimate(sine, Guess()).error < 1e-8


@pytest.mark.parametrize("guess", [Guess(amp=1.1), Guess(amp=0.5), Guess(shift=0.05),
                                   Guess(amp=0.8, shift=-0.1)],
                         ids=["pde 10%", "pde 50%", "boundary", "both"])
def test_estimates_the_error_from_pde_and_boundary_residuals(sine, guess):
    # amp: a PDE residual only (zero on the edge); shift: a boundary residual only (L 1 = 0)
    assert error_estimate(sine, guess).error == pytest.approx(true_error(sine, guess), rel=0.05)


def test_ranks_as_the_error_does_where_the_physics_loss_does_not(sine):
    # a: u* + 0.2, the PDE holds, the edge is off by 0.2 (loss 10 · 0.04 = 0.4 with the trainer's
    # w_bc = 10); b: 0.7 u*, the edge holds, the PDE is off by 0.3 · 2π² sin sin (loss ≈ 8.8)
    a, b = Guess(shift=0.2), Guess(amp=0.7)
    assert true_error(sine, b) < true_error(sine, a)
    assert error_estimate(sine, b).error < error_estimate(sine, a).error


def test_no_estimate_where_the_basis_cannot_resolve_the_error(sine):
    est = error_estimate(sine, Guess(wiggle=0.05), n_interior=1024, n_boundary=512, w_bc=1e3)
    assert est is None  # sin 24πx sin 24πy: far beyond degree 12, the misfit is near 1


def snapshot(model):
    state = {k: v.clone() for k, v in model.state_dict().items()}
    return Snapshot(None, state, torch.zeros(2), torch.zeros(2))


def test_fine_tuning_returns_its_start_when_training_made_the_estimate_worse(sine, monkeypatch):
    # the guard on its own: the loss rule (the keeper) is told that a worse state won
    import hyperpino.pinn.fit as fit

    worse = Guess(amp=0.95, shift=0.3)
    chosen = []

    def choose(self, stopped, w_bc=None):
        chosen.append(True)
        return snapshot(worse)

    monkeypatch.setattr(fit.Keeper, "choose", choose)
    res = fit_pinn(sine, Guess(amp=0.95), FitConfig(adam_steps=2, lbfgs_steps=0, n_interior=64, n_boundary=32,
                                          n_check_interior=64, n_check_boundary=32, eval_every=1))
    assert chosen and res.start_kept
    assert res.estimates[0] < res.estimates[1]
    assert float(res.model.shift) == pytest.approx(0.0) and float(res.model.amp) == pytest.approx(0.95)
    # solve's scratch route hands in a random network: its start is no answer to fall back on
    res = fit_pinn(sine, Guess(amp=0.95), FitConfig(adam_steps=2, lbfgs_steps=0, n_interior=64, n_boundary=32,
                                          n_check_interior=64, n_check_boundary=32, eval_every=1),
                   stage=Stage.SCRATCH)
    assert res.estimates is None and not res.start_kept and float(res.model.shift) == pytest.approx(0.3)
    # a better trained state is returned
    monkeypatch.setattr(fit.Keeper, "choose", lambda self, stopped, w_bc=None: snapshot(Guess(amp=0.99)))
    res = fit_pinn(sine, Guess(amp=0.8), FitConfig(adam_steps=1, lbfgs_steps=0, n_interior=64, n_boundary=32,
                                                   n_check_interior=64, n_check_boundary=32))
    assert not res.start_kept and float(res.model.amp) == pytest.approx(0.99)
    assert res.estimates[1] < res.estimates[0]
