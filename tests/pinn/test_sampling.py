"""Residual-based adaptive collocation (hyperpino.pinn.sampling) and its use in fit_pinn."""

import torch
from torch import nn

from hyperpino.pde.collocation import sample_problem
from hyperpino.pde.expr_torch import to_torch
from hyperpino.pde.problem import build_problem
from hyperpino.pinn import fit as fit_module
from hyperpino.pinn.fit import FitConfig, fit_pinn
from hyperpino.pinn.sampling import C, residual_weights, sample_adaptive

# poisson_G's four Gaussian sources (width sqrt(0.02) ≈ 0.14) on [-1, 1]², the canonical square itself
CENTRES = torch.tensor([[0.4, 0.4], [-0.5, 0.3], [-0.2, -0.5], [0.5, -0.4]])


class Zero(nn.Module):
    """u ≡ 0 (with one parameter, as the residual engine wants): its residual is −f."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return self.w * x[..., :1]


def _near_sources(points: torch.Tensor) -> float:
    return float((torch.cdist(points, CENTRES).amin(-1) < 0.3).float().mean())


def test_points_follow_the_residual_and_half_stay_uniform():
    problem = build_problem("examples/poisson_G.toml")
    gen = torch.Generator().manual_seed(0)
    uniform = sample_problem(problem, 4096, 64, generator=gen)
    adaptive = sample_adaptive(problem, Zero(), 4096, 64, generator=gen, dtype=torch.float32, device="cpu")
    assert adaptive.interior.shape == (4096, 2) and adaptive.coeffs.shape == (4096, 6)
    assert adaptive.source.shape == (4096,) and adaptive.boundary.shape[0] >= 64
    assert 0.2 < _near_sources(uniform.interior) < 0.35            # the discs' share of the square
    # k = c = 1: half the probability mass follows |f| (all of it near the sources), half is uniform;
    # drawn without replacement from 4x as many candidates, so below the 0.64 of independent draws
    assert _near_sources(adaptive.interior) > 0.45
    # the kept points carry their own source values, not the pool's first ones
    pts = problem.map.to_user(adaptive.interior)
    assert torch.allclose(adaptive.source, to_torch(problem.source, problem.coords)(pts[:, 0], pts[:, 1]))


def test_weights_have_mean_one_plus_c_and_are_uniform_for_a_vanishing_residual():
    problem = build_problem("examples/poisson_G.toml")
    col = sample_problem(problem, 512, 16, generator=torch.Generator().manual_seed(1))
    w = residual_weights(Zero(), col)
    assert torch.isclose(w.mean(), torch.tensor(1.0 + C)) and float(w.min()) >= C
    flat = type(col)(**{**vars(col), "source": torch.zeros_like(col.source)})
    assert torch.equal(residual_weights(Zero(), flat), torch.full((512,), 1.0 + C))


def test_fit_draws_adaptive_points_unless_told_not_to(monkeypatch):
    calls = []
    real = fit_module.sample_adaptive

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(fit_module, "sample_adaptive", counting)
    small = dict(adam_steps=20, lbfgs_steps=2, lbfgs_iters=3, resample_every=10, eval_every=10,
                 n_interior=128, n_boundary=64, n_check_interior=128, n_check_boundary=64)
    problem = build_problem("examples/poisson_G.toml")
    fit_pinn(problem, config=FitConfig(adaptive=False, **small))
    assert calls == []
    out = fit_pinn(problem, config=FitConfig(**small))
    assert len(calls) >= 3                                          # Adam's start, its resample, L-BFGS
    assert all(torch.isfinite(torch.tensor(r.loss)) for r in out.history)
