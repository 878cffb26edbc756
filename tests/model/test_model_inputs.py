"""Model inputs of spec problems: normalisation by linearity and the error problem of refinement."""

from __future__ import annotations

import pytest
import sympy
import torch

from hyperpino.errors import OutOfFamilyError
from hyperpino.examples import examples_dir
from hyperpino.model.inputs import CH, DATA_CHANNELS, error_inputs, normalise, problem_inputs
from hyperpino.pde.expr_torch import to_torch
from hyperpino.pde.problem import build_problem
from hyperpino.pde.residual import Derivatives


def exact_derivs(problem):
    """``derivs(points, order)`` of the problem's exact solution in canonical coordinates."""
    u = problem.exact
    syms = {s.name: s for s in u.free_symbols}  # the spec's own symbols (they carry assumptions)
    x, y = (syms.get(c, sympy.Symbol(c)) for c in problem.coords)
    fns = [to_torch(e, problem.coords) for e in
           (u, u.diff(x), u.diff(y), u.diff(x, 2), u.diff(y, 2), u.diff(x, y))]
    sx, sy = problem.map.scale

    def derivs(points, order):
        user = problem.map.to_user(points.double())
        v = [f(user[..., 0], user[..., 1]).expand(user.shape[:-1]) for f in fns]
        grad = torch.stack([v[1] / sx, v[2] / sy], -1)
        hess = torch.stack([torch.stack([v[3] / sx**2, v[5] / (sx * sy)], -1),
                            torch.stack([v[5] / (sx * sy), v[4] / sy**2], -1)], -2)
        return Derivatives(v[0].float(), grad.float(), hess.float() if order == 2 else None)

    return derivs


@pytest.mark.parametrize("name", ["disk_robin.yaml", "wave.toml", "heat_box.json", "helmholtz.toml"])
def test_error_problem_of_the_exact_solution_is_zero(name):
    """Dirichlet, Neumann (initial rate), Robin and source channels, on square and non-square
    boxes: the error problem of the exact solution has no data left."""
    problem = build_problem(examples_dir() / name)
    inputs = problem_inputs(problem, 64)
    err = error_inputs(inputs, exact_derivs(problem))
    data = inputs.images[:, list(DATA_CHANNELS)].abs().amax()
    assert data > 0.1
    for ch in DATA_CHANNELS:
        # Corner pixels' feet are approximate (Domain.nearest_boundary); everything else is exact.
        left = err.images[0, ch].abs().flatten().sort().values
        assert float(left[-5]) < 1e-3 * float(data), (name, ch)
    for ch in ("domain", "dirichlet_mask", "neumann_mask", "robin_mask", "robin_a", "robin_b"):
        assert torch.equal(err.images[:, CH[ch]], inputs.images[:, CH[ch]])


def test_error_problem_is_linear_in_the_approximation():
    problem = build_problem(examples_dir() / "disk_robin.yaml")
    inputs = problem_inputs(problem, 32)
    exact = exact_derivs(problem)

    def half(points, order):
        d = exact(points, order)
        return Derivatives(d.u / 2, d.grad / 2, None if d.hess is None else d.hess / 2)

    err = error_inputs(inputs, half)
    torch.testing.assert_close(err.images[:, list(DATA_CHANNELS)],
                               inputs.images[:, list(DATA_CHANNELS)] / 2, atol=2e-4, rtol=1e-3)


def test_normalise_scales_data_and_operator():
    problem = build_problem(examples_dir() / "helmholtz.toml")
    inputs = problem_inputs(problem, 32)
    images, coeffs, scale = normalise(inputs.images * 1, inputs.coeffs)
    k = inputs.coeffs.abs().amax()
    assert float(coeffs.abs().amax()) == pytest.approx(1.0)
    assert float(images[:, list(DATA_CHANNELS)].abs().amax()) == pytest.approx(1.0)
    torch.testing.assert_close(images[:, CH["source"]] * k * scale, inputs.images[:, CH["source"]])
    # Ten times the data: the same normalised problem, ten times the scale.
    big = inputs.images.clone()
    big[:, list(DATA_CHANNELS)] *= 10
    images2, _, scale2 = normalise(big, inputs.coeffs)
    torch.testing.assert_close(images2, images)
    torch.testing.assert_close(scale2, 10 * scale)


def test_zero_data_keeps_unit_scale():
    problem = build_problem(examples_dir() / "helmholtz.toml")
    inputs = problem_inputs(problem, 16)
    inputs.images[:, list(DATA_CHANNELS)] = 0
    _, _, scale = normalise(inputs.images, inputs.coeffs)
    assert float(scale) == 1.0


def test_variable_coefficients_are_out_of_family(tmp_path):
    spec = tmp_path / "variable.toml"
    spec.write_text('name = "variable"\nbox = [[-1, 1], [-1, 1]]\n[geometry.primitives.sq]\n'
                    'type = "rectangle"\nmin = [-1, -1]\nmax = [1, 1]\n[operator]\n'
                    'coefficients = {uxx = "-(1 + x**2)", uyy = -1}\nsource = 1\n'
                    '[[bcs]]\ntype = "dirichlet"\non = "*"\nvalue = 0\n')
    problem = build_problem(spec)
    assert not problem.operator.is_constant
    with pytest.raises(OutOfFamilyError):
        problem_inputs(problem, 16)
