"""Iterative delta refinement: bookkeeping, cached derivatives, early stopping, and a constructed
case where each step solves the error problem as well as a fixed dictionary allows."""

from __future__ import annotations

import pytest
import torch
from solve_cases import SQUARE_EXACT, write
from torch import nn

import hyperpino
from hyperpino.model.inputs import CH, Inputs, problem_inputs
from hyperpino.model.target import TargetPINN
from hyperpino.pde import geometry as geo
from hyperpino.pde.problem import build_problem
from hyperpino.pinn.history import StopReason
from hyperpino.pinn.network import ModifiedMLP, PINNConfig
from hyperpino.solver import generate, refine_many
from hyperpino.solver.problems import exact_reference
from hyperpino.solver.refinement import ResidualProbe


@pytest.fixture(scope="module")
def problem(tmp_path_factory):
    return build_problem(write(tmp_path_factory.mktemp("spec") / "s.toml", SQUARE_EXACT))


def test_refine_appends_members_and_leaves_the_input_alone(tiny, problem):
    pinn = hyperpino.generate(tiny, problem)
    before = [p.clone() for p in pinn.parameters()]
    (r,) = refine_many(tiny, [problem], [pinn], 3, early_stop=False)
    assert len(r.ensemble) == 4 and len(pinn) == 1
    assert [e.step for e in r.history] == [0, 1, 2, 3]
    assert [e.members for e in r.history] == [1, 2, 3, 4]
    assert all(torch.equal(a, b) for a, b in zip(before, pinn.parameters(), strict=True))
    x = torch.rand(10, 2) * 2 - 1
    with torch.no_grad():  # the first member is still the zero-shot PINN
        first = r.ensemble.weights[0] * r.ensemble.canonical.members[0](x)
        torch.testing.assert_close(first, pinn(x))


def test_refine_refuses_a_pinn_of_another_box(tiny, problem):
    from hyperpino.errors import HyperpinoError
    from hyperpino.examples import examples_dir

    other = hyperpino.generate(tiny, examples_dir() / "advection_diffusion.toml")
    with pytest.raises(HyperpinoError, match="box"):
        hyperpino.refine(tiny, problem, other, iters=1)
    with pytest.raises(HyperpinoError, match="PINNEnsemble"):
        hyperpino.refine(tiny, problem, torch.nn.Linear(2, 1), iters=1)


def test_early_stopping_keeps_only_improving_steps(tiny, problem):
    (r,) = refine_many(tiny, [problem], [hyperpino.generate(tiny, problem)], 4)
    losses = [e.loss for e in r.history]
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False))
    assert len(r.ensemble) == len(r.history)
    assert r.stopped in (StopReason.STEPS, StopReason.NO_GAIN)


def test_batched_refinement_equals_one_by_one(tiny, problem, tmp_path):
    other = build_problem(write(tmp_path / "o.toml", SQUARE_EXACT.replace('+ u"', '+ 2*u"')))
    problems = [problem, other]
    pinns = generate(tiny, problems)
    together = refine_many(tiny, problems, pinns, 2, early_stop=False)
    x = torch.rand(20, 2) * 2 - 1
    for p, pinn, r in zip(problems, pinns, together, strict=True):
        (alone,) = refine_many(tiny, [p], [pinn], 2, early_stop=False)
        with torch.no_grad():
            torch.testing.assert_close(r.ensemble(x), alone.ensemble(x), rtol=1e-4, atol=1e-5)


def test_probe_caches_equal_direct_evaluation(tiny, problem):
    inputs = problem_inputs(problem, tiny.config.grid)
    probe = ResidualProbe(problem, inputs, tiny.target)
    ens = hyperpino.refine(tiny, problem, hyperpino.generate(tiny, problem), iters=2, early_stop=False)
    theta, w = ens.theta()
    probe.add({k: v[:1] for k, v in theta.items()}, w[:1])
    probe.add({k: v[1:] for k, v in theta.items()}, w[1:])
    grid = geo.grid_points(tiny.config.grid).reshape(1, -1, 2)
    cached = probe.derivs(grid, 2)
    with torch.no_grad():
        direct = ens.derivatives(grid[0], order=2)
    for a, b in ((cached.u, direct.u), (cached.grad, direct.grad), (cached.hess, direct.hess)):
        torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-4 * float(b.abs().max()))
    fresh = probe.derivs(grid[:, :7] + 0.01, 2)  # points not cached: evaluated from the members
    torch.testing.assert_close(fresh.u, ens.derivatives(grid[0, :7] + 0.01).u, rtol=1e-4, atol=1e-5)


class RidgeOracle(nn.Module):
    """A stand-in for HyPINO that answers every (error) problem approximately: the PINN whose
    output layer minimises ``Σ_Ω (f − L u)² + Σ_D (g − u)² + λ‖w‖²`` on the image grid, the hidden
    layer fixed (``hidden``). The ridge term makes one answer only a partial solve, so only feeding
    back the true error problem (f − L ū, g − ū) lets refinement converge: iterated Tikhonov
    regularisation, which reaches the exact least-squares fit."""

    def __init__(self, grid: int, hidden: dict[str, torch.Tensor], config: PINNConfig, ridge: float):
        super().__init__()
        self.config = type("Config", (), {"grid": grid})()
        self.target = TargetPINN(config)
        self.ridge = ridge
        width = config.width
        # atom i < width is hidden unit i (out.weight = e_i), the last one the constant
        self.atoms = {k: v.detach()[None].repeat(width + 1, *[1] * v.dim()) for k, v in hidden.items()}
        self.atoms["out.weight"] = torch.eye(width + 1, width)[:, None, :]
        self.atoms["out.bias"] = torch.eye(width + 1)[:, -1:]
        pts = geo.grid_points(grid).reshape(-1, 2)
        self.grid_terms = self.target.derivatives(self.atoms, pts).terms()  # (atoms, G², 6)
        self.dummy = nn.Parameter(torch.zeros(1))  # a device for the pipeline to read

    def predict(self, inputs: Inputs):
        thetas = []
        for b in range(len(inputs)):
            img, c = inputs.images[b], inputs.coeffs[b]
            dom, dm = img[CH["domain"]].reshape(-1) > 0, img[CH["dirichlet_mask"]].reshape(-1) > 0
            lphi = (self.grid_terms * c).sum(-1)[:, dom]
            feet = self.target.derivatives(self.atoms, inputs.foot[b], order=1).u[:, dm]
            a = torch.cat([lphi, feet], 1).T.double()  # (rows, atoms)
            rhs = torch.cat([img[CH["source"]].reshape(-1)[dom], img[CH["dirichlet_value"]].reshape(-1)[dm]])
            gram = a.T @ a
            lam = self.ridge * gram.diagonal().mean()
            w = torch.linalg.solve(gram + lam * torch.eye(len(gram), dtype=gram.dtype), a.T @ rhs.double())
            theta = {k: v[:1].clone() for k, v in self.atoms.items()}
            theta["out.weight"] = w[None, None, :-1].float()
            theta["out.bias"] = w[None, -1:].float()
            thetas.append(theta)
        return {k: torch.cat([t[k] for t in thetas]) for k in self.atoms}, torch.ones(len(inputs))


def _pinn_problem(tmp_path):
    """A problem whose exact solution is a small PINN u* (``-Δu + u = f`` on the square, u = u*
    on the boundary), with f and u* as sympy expressions of the network; and u*'s parameters."""
    import dataclasses

    import sympy

    from hyperpino.pde.expr import symbol

    cfg = PINNConfig(width=3, depth=0, n_freqs=1, freq_base=0.25)
    torch.manual_seed(3)
    net = ModifiedMLP(cfg)
    with torch.no_grad():
        net.inp.bias.uniform_(-0.5, 0.5)
        net.out.weight.copy_(torch.tensor([[1.0, -0.7, 0.5]]))
        net.out.bias.fill_(0.2)
    x, y = symbol("x"), symbol("y")
    z = 2 * sympy.pi * sympy.Float(cfg.freq_base)
    phi = [x, y, sympy.sin(z * x), sympy.sin(z * y), sympy.cos(z * x), sympy.cos(z * y)]
    w_in, b_in = net.inp.weight.tolist(), net.inp.bias.tolist()
    hidden = [sympy.tanh(sum(sympy.Float(w) * p for w, p in zip(row, phi, strict=True)) + sympy.Float(b))
              for row, b in zip(w_in, b_in, strict=True)]
    u = sum(sympy.Float(w) * h for w, h in zip(net.out.weight[0].tolist(), hidden, strict=True))
    u = u + sympy.Float(float(net.out.bias.detach()))
    f = -sympy.diff(u, x, 2) - sympy.diff(u, y, 2) + u
    base = build_problem(write(tmp_path / "pinn.toml", SQUARE_EXACT))
    conds = tuple(dataclasses.replace(c, value=u) for c in base.conditions)
    problem = dataclasses.replace(base, source=f, exact=u, conditions=conds)
    return problem, {k: v.detach() for k, v in net.named_parameters()}, cfg


def test_refinement_with_an_exact_error_problem_reduces_the_error(tmp_path):
    from hyperpino.pinn.fit import GridEvaluator
    from hyperpino.solver import PINNEnsemble

    problem, params, cfg = _pinn_problem(tmp_path)
    ref = exact_reference(problem)
    ev = GridEvaluator(problem, ref.x, ref.y, ref.u, ref.mask, "cpu", torch.float32)

    def evaluate(i, theta, weights):
        return ev(PINNEnsemble.from_theta(theta, weights, problem.map.box, cfg).canonical)

    oracle = RidgeOracle(32, params, cfg, ridge=0.3)
    # The delta mechanics alone (a solved output layer would make the oracle's first answer exact).
    start = generate(oracle, problem, solve_output=False)
    (r,) = refine_many(oracle, [problem], [start], 8, early_stop=False, evaluate=evaluate, solve_output=False)
    errors = [e.rel_l2 for e in r.history]
    losses = [e.loss for e in r.history]
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False))
    assert all(b < a for a, b in zip(errors, errors[1:], strict=False))
    # measured: rel L2 0.20 -> 0.0085 in 8 steps, the physics loss 1400x lower
    assert errors[0] > 1e-1 and errors[-1] < 0.1 * errors[0] and losses[-1] < 1e-2 * losses[0]
