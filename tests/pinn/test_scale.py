"""The solution's size before training, and a trainer that answers the same in any units."""

import math

import numpy as np
import pytest
import torch
from pinn_cases import SQUARE

from hyperpino.errors import HyperpinoError
from hyperpino.pde.collocation import sample_problem
from hyperpino.pde.problem import build_problem
from hyperpino.pinn.fit import FitConfig, GridEvaluator, fit_pinn, losses
from hyperpino.pinn.network import ModifiedMLP
from hyperpino.pinn.scale import loss_unit, output_scale, solution_scale
from hyperpino.pinn.spectral import chebyshev_basis

EXACT_RMS = 0.5 / (2 * math.pi**2)  # RMS of sin(πx) sin(πy) / (2π²) over the unit square


pytestmark = pytest.mark.usefixtures("one_thread")


def _square(tmp_path, k, g="0"):
    path = tmp_path / f"sq_{k}_{g}.toml"
    path.write_text(SQUARE.format(k=k, g=g))
    return build_problem(path)


def test_chebyshev_basis_matches_autograd():
    pts = torch.tensor([[0.3, -0.7], [-0.9, 0.2], [1.0, -1.0]], dtype=torch.float64, requires_grad=True)
    assert chebyshev_basis(pts, 5).terms().shape == (21, 3, 6)
    for j in (0, 7, 20):
        u = chebyshev_basis(pts, 5).u[j]
        (grad,) = torch.autograd.grad(u.sum(), pts, create_graph=True)
        (gx,) = torch.autograd.grad(grad[:, 0].sum(), pts, retain_graph=True)
        (gy,) = torch.autograd.grad(grad[:, 1].sum(), pts)
        want = torch.stack([u, grad[:, 0], grad[:, 1], gx[:, 0], gy[:, 1], gx[:, 1]], -1)
        torch.testing.assert_close(chebyshev_basis(pts, 5).terms()[j].detach(), want.detach())


def test_estimate_is_the_solutions_size_and_linear_in_the_data(tmp_path):
    one = solution_scale(_square(tmp_path, 1))
    assert 0.5 < one / EXACT_RMS < 2.0
    # a linear problem in other units: the estimate follows exactly (it is a linear solve)
    assert solution_scale(_square(tmp_path, 1e-3)) == pytest.approx(1e-3 * one, rel=1e-6)
    assert solution_scale(_square(tmp_path, 1e3)) == pytest.approx(1e3 * one, rel=1e-6)
    # boundary data alone: u = 5 everywhere
    assert solution_scale(_square(tmp_path, 0, g="5")) == pytest.approx(5.0, rel=1e-3)


def test_zero_data_has_no_size(tmp_path):
    problem = _square(tmp_path, 0)
    assert solution_scale(problem) == 0.0
    assert output_scale(problem) == 1.0


def test_scratch_training_is_the_same_in_any_units(tmp_path):
    """The same problem with its data scaled by 1e-3 and 1e3 trains to the same relative error.
    Before the trainer worked in the problem's units, the small one's L-BFGS stopped on its
    absolute tolerances at once and a fresh network's O(1) answer swamped u ~ 1e-5."""
    cfg = FitConfig(adam_steps=100, lbfgs_steps=3, lbfgs_iters=20, eval_every=50, n_interior=128,
                    n_boundary=64, n_check_interior=128, n_check_boundary=64, balance=False,
                    adaptive=False, device="cpu")
    n = 33
    x = np.linspace(0, 1, n)
    xx, yy = np.meshgrid(x, x)
    mask = np.ones_like(xx, dtype=bool)
    errors = {}
    for k in (1e-3, 1e3):
        problem = _square(tmp_path, k)
        u = k * np.sin(np.pi * xx) * np.sin(np.pi * yy) / (2 * np.pi**2)
        res = fit_pinn(problem, config=cfg)
        assert type(res.model) is ModifiedMLP  # the scale folded in: loads wherever a ModifiedMLP does
        errors[k] = GridEvaluator(problem, x, x, u, mask, "cpu", torch.float32)(res.model)["rel_l2"]
    assert errors[1e-3] < 1.0 and errors[1e3] < 1.0  # below u = 0 (the old code: 5e3 for k = 1e-3)
    assert errors[1e-3] == pytest.approx(errors[1e3], rel=0.05)


def test_loss_unit_leaves_the_tuned_band_in_the_users_units():
    assert loss_unit(0.05) == loss_unit(1.0) == loss_unit(5.0) == 1.0
    assert loss_unit(2.5e-5) == pytest.approx(2.5e-5 / 0.05)  # brought to the band's edge
    assert loss_unit(25.0) == pytest.approx(5.0)


def test_near_resonance_and_unresolved_problems(tmp_path):
    # Δu + κ²u = f near the first eigenvalue 2π² = 19.74 of the unit square, u = x(1-x)y(1-y):
    # a ridge relative to the raw columns drowned the low modes (estimate 3x too small)
    kappa2 = 19.7
    spec = SQUARE.replace('exact = "{k}*sin(pi*x)*sin(pi*y)/(2*pi**2)"', 'exact = "x*(1-x)*y*(1-y)"').replace(
        'expr = "-uxx - uyy"', f'expr = "uxx + uyy + {kappa2}*u"').replace(
        'source = "{k}*sin(pi*x)*sin(pi*y)"',
        f'source = "-2*y*(1-y) - 2*x*(1-x) + {kappa2}*x*(1-x)*y*(1-y)"').format(g="0")
    path = tmp_path / "resonant.toml"
    path.write_text(spec)
    rms = 1 / 30  # RMS of x(1-x)y(1-y) over the unit square: (∫ x²(1-x)² dx)·(same in y) = 1/30²
    assert 0.5 < solution_scale(build_problem(path)) / rms < 2.0
    # a solution of too high a frequency for the basis: no estimate (the user's units)
    fast = SQUARE.replace("sin(pi*x)*sin(pi*y)/(2*pi**2)", "sin(12*pi*x)*sin(12*pi*y)/(288*pi**2)").replace(
        "sin(pi*x)*sin(pi*y)", "sin(12*pi*x)*sin(12*pi*y)").format(k=1, g="0")
    path = tmp_path / "fast.toml"
    path.write_text(fast)
    assert solution_scale(build_problem(path)) == 1.0


def test_losses_in_a_unit_and_a_bad_scale(tmp_path):
    problem = _square(tmp_path, 1)
    col = sample_problem(problem, 64, 32, generator=torch.Generator().manual_seed(0))
    net = ModifiedMLP()
    plain = losses(net, col)
    scaled = losses(net, col, 0.01)
    for p, s in zip(plain, scaled, strict=True):
        torch.testing.assert_close(s, p / 0.01**2)
    with pytest.raises(HyperpinoError, match="scale must be a positive number"):
        fit_pinn(problem, config=FitConfig(adam_steps=1, lbfgs_steps=0), scale=0.0)
