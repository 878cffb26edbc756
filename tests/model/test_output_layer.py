"""The least-squares output layer: exact recovery, batching with padded rows, the fallback."""

from __future__ import annotations

import torch

from hyperpino.model.output_layer import Rows, features_theta, solve_output_layer
from hyperpino.model.target import TargetPINN
from hyperpino.pde.residual import operator_residual, robin_residual
from hyperpino.pinn.network import PINNConfig


def _problem(target, theta, n=300, nb=120, seed=0):
    """Rows whose exact solution is the PINN ``theta`` itself (source = L u, g = B u)."""
    g = torch.Generator().manual_seed(seed)
    interior = torch.rand(1, n, 2, generator=g) * 2 - 1
    boundary = torch.rand(1, nb, 2, generator=g) * 2 - 1
    coeffs = torch.tensor([[0.3, 0.5, -0.2, -1.0, -0.7, 0.1]])
    a, b = torch.rand(1, nb, generator=g), torch.rand(1, nb, generator=g)
    direction = torch.nn.functional.normalize(torch.randn(1, nb, 2, generator=g), dim=-1)
    d_in = target.derivatives(theta, interior, order=2)
    d_bd = target.derivatives(theta, boundary, order=1)
    source = operator_residual(d_in, coeffs, 0.0)  # L u − 0
    gval = robin_residual(d_bd, direction, a, b, 0.0)  # a u + b ∂u − 0
    return Rows(interior, coeffs, source, boundary, a, b, gval, direction)


def _theta(target, seed):
    torch.manual_seed(seed)
    return {k: v.detach()[None] for k, v in target.fresh().named_parameters()}


def test_features_theta_outputs_the_hidden_units():
    target = TargetPINN(PINNConfig(width=8, depth=2))
    theta = _theta(target, 0)
    feats = features_theta(theta, 8)
    x = torch.rand(5, 2)
    h = target(feats, x)[..., 0]  # (9, 5): eight hidden units and the constant
    w, b = theta["out.weight"][0, 0], theta["out.bias"][0]
    torch.testing.assert_close(w @ h[:8] + b * h[8], target(theta, x)[0, :, 0], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(h[8], torch.ones(5))


def test_recovers_the_output_layer_of_an_exact_solution():
    target = TargetPINN(PINNConfig(width=8, depth=2))
    exact = _theta(target, 1)
    rows = _problem(target, exact)
    start = dict(exact)
    start["out.weight"] = torch.zeros_like(exact["out.weight"])  # a wrong output layer
    start["out.bias"] = torch.full_like(exact["out.bias"], 3.0)
    scale = torch.tensor([2.0])  # the answer is scale · target: the solve must divide by it
    solved = solve_output_layer(target, start, scale, rows, ridge=1e-12)
    x = torch.rand(50, 2) * 2 - 1
    torch.testing.assert_close(scale * target(solved, x), target(exact, x), rtol=1e-3, atol=1e-4)
    assert all(torch.equal(solved[k], start[k]) for k in start if not k.startswith("out."))


def test_batch_with_padded_boundary_rows_equals_one_by_one():
    target = TargetPINN(PINNConfig(width=8, depth=2))
    thetas = [_theta(target, s) for s in (2, 3)]
    rows = [_problem(target, thetas[0], nb=120, seed=4), _problem(target, thetas[1], nb=77, seed=5)]
    noisy = [{k: v + 0.05 * torch.randn_like(v) for k, v in t.items()} for t in thetas]
    scale = torch.tensor([1.0])
    one = [solve_output_layer(target, t, scale, r) for t, r in zip(noisy, rows, strict=True)]
    both = solve_output_layer(target, {k: torch.cat([t[k] for t in noisy]) for k in noisy[0]},
                              torch.ones(2), Rows.stack(rows))
    for i in range(2):
        for k in ("out.weight", "out.bias"):
            torch.testing.assert_close(both[k][i], one[i][k][0], rtol=1e-4, atol=1e-5)


def test_singular_system_keeps_the_generated_layer():
    target = TargetPINN(PINNConfig(width=8, depth=2))
    theta = _theta(target, 6)
    rows = _problem(target, theta)
    empty = Rows(rows.interior, torch.zeros_like(rows.coeffs), torch.zeros_like(rows.source), rows.boundary,
                 torch.zeros_like(rows.a), torch.zeros_like(rows.b), torch.zeros_like(rows.g), rows.direction)
    out = solve_output_layer(target, theta, torch.ones(1), empty)
    torch.testing.assert_close(out["out.weight"], theta["out.weight"])
    torch.testing.assert_close(out["out.bias"], theta["out.bias"])
