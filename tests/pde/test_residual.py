"""The batched residual engine: vs the per-model autograd loop, vs closed forms, shapes, errors."""

from __future__ import annotations

import pytest
import torch
from torch.func import stack_module_state

from hyperpino.pde import residual as R
from hyperpino.pde.residual import (
    METHODS,
    Derivatives,
    derivatives,
    dirichlet_residual,
    flux_residual,
    loop_derivatives,
    module_point_fn,
    operator_residual,
    relative_boundary_residual,
    relative_residual,
    robin_residual,
)
from hyperpino.pinn.network import ModifiedMLP

F64 = torch.float64
M, N = 3, 50
TOL = {"atol": 1e-10, "rtol": 1e-10}


@pytest.fixture(scope="module")
def nets():
    torch.manual_seed(0)
    params, _ = stack_module_state([ModifiedMLP().double() for _ in range(M)])
    return ModifiedMLP().double(), params


def _points(per_model: bool) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    shape = (M, N, 2) if per_model else (N, 2)
    return torch.rand(shape, generator=g, dtype=F64) * 2 - 1


def _assert_same(a: Derivatives, b: Derivatives) -> None:
    for x, y in ((a.u, b.u), (a.grad, b.grad), (a.hess, b.hess)):
        assert x.shape == y.shape
        torch.testing.assert_close(x, y, **TOL)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("per_model", [False, True], ids=["shared", "per-model"])
def test_matches_loop_reference(nets, method, per_model):
    module, params = nets
    pts = _points(per_model)
    d = derivatives(module_point_fn(module), params, pts, method=method)
    assert d.u.shape == (M, N) and d.grad.shape == (M, N, 2) and d.hess.shape == (M, N, 2, 2)
    _assert_same(d, loop_derivatives(module, params, pts))
    torch.testing.assert_close(d.hess, d.hess.transpose(-1, -2), **TOL)


# u = a·sin(b x)·exp(c y), one (a, b, c) per model
ABC = {"a": torch.tensor([1.0, -2.0, 0.5], dtype=F64), "b": torch.tensor([1.0, 3.0, -2.0], dtype=F64),
       "c": torch.tensor([0.5, -1.0, 2.0], dtype=F64)}


def sine_exp(p, x):
    return p["a"] * torch.sin(p["b"] * x[0]) * torch.exp(p["c"] * x[1])


def closed_form(p, pts):
    a, b, c = (p[k][:, None] for k in "abc")
    x, y = pts[..., 0], pts[..., 1]
    u = a * torch.sin(b * x) * torch.exp(c * y)
    ux = a * b * torch.cos(b * x) * torch.exp(c * y)
    return {"u": u, "ux": ux, "uy": c * u, "uxx": -b**2 * u, "uyy": c**2 * u, "uxy": c * ux}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("per_model", [False, True], ids=["shared", "per-model"])
def test_closed_form(method, per_model):
    pts = _points(per_model)
    d = derivatives(sine_exp, ABC, pts, method=method, chunk_size=16)
    exact = closed_form(ABC, pts)
    for name in ("u", "ux", "uy", "uxx", "uyy", "uxy"):
        torch.testing.assert_close(getattr(d, name), exact[name], **TOL)
    torch.testing.assert_close(d.hess[..., 1, 0], exact["uxy"], **TOL)
    terms = d.terms()
    assert terms.shape == (M, N, 6)
    torch.testing.assert_close(terms[..., 5], exact["uxy"], **TOL)


def test_order_one():
    d = derivatives(sine_exp, ABC, _points(False), order=1)
    assert d.hess is None and d.grad.shape == (M, N, 2)
    torch.testing.assert_close(d.uy, closed_form(ABC, _points(False))["uy"], **TOL)
    with pytest.raises(ValueError, match="order=1"):
        d.terms()


def test_residuals_closed_form():
    pts = _points(False)
    d = derivatives(sine_exp, ABC, pts)
    e = closed_form(ABC, pts)
    stacked = torch.stack([e[k] for k in ("u", "ux", "uy", "uxx", "uyy", "uxy")], -1)
    src = torch.rand(M, N, dtype=F64)
    cases = [torch.tensor([2.0, 1.0, -1.0, 0.5, 3.0, -2.0], dtype=F64),   # (6,)
             torch.rand(M, 6, dtype=F64),                                   # (M, 6)
             torch.rand(M, N, 6, dtype=F64),                                # (M, N, 6)
             torch.rand(1, N, 6, dtype=F64)]                                # (1, N, 6)
    for c in cases:
        c_full = c.expand(M, N, 6) if c.dim() != 2 else c[:, None, :].expand(M, N, 6)
        expected = (stacked * c_full).sum(-1) - src
        torch.testing.assert_close(operator_residual(d, c, src), expected, **TOL)
    # Helmholtz-like: −Δu + k u = f, source a scalar and (N,)
    c = torch.tensor([4.0, 0, 0, -1, -1, 0], dtype=F64)
    torch.testing.assert_close(operator_residual(d, c, 1.5), 4 * e["u"] - e["uxx"] - e["uyy"] - 1.5)
    torch.testing.assert_close(operator_residual(d, c, src[0]),
                               4 * e["u"] - e["uxx"] - e["uyy"] - src[0])

    torch.testing.assert_close(dirichlet_residual(d, 0.25), e["u"] - 0.25)
    normals = torch.nn.functional.normalize(torch.rand(N, 2, dtype=F64), dim=-1)
    per_model = torch.rand(M, N, 2, dtype=F64)
    for direction in (normals, 3 * normals, per_model):
        flux = e["ux"] * direction[..., 0] + e["uy"] * direction[..., 1]
        torch.testing.assert_close(flux_residual(d, direction, src), flux - src, **TOL)
        a, b = torch.rand(M, 1, dtype=F64), torch.rand(N, dtype=F64)
        torch.testing.assert_close(robin_residual(d, direction, a, b, src),
                                   a * e["u"] + b * flux - src, **TOL)
    # u_t initial rate: direction (0, 1)
    up = torch.tensor([0.0, 1.0], dtype=F64).expand(N, 2)
    torch.testing.assert_close(flux_residual(d, up, 0.0), e["uy"], **TOL)


def test_relative_residual_is_a_pointwise_backward_error():
    pts = _points(False)
    d = derivatives(sine_exp, ABC, pts)
    e = closed_form(ABC, pts)
    c = torch.tensor([0.5, 1.0, 0, -1, -1, 0], dtype=F64)
    terms = [0.5 * e["u"], e["ux"], -e["uxx"], -e["uyy"]]
    src = torch.rand(M, N, dtype=F64)
    r = sum(terms) - src
    size = sum(t.abs() for t in terms) + src.abs()
    expected = r.square().mean(-1).sqrt() / size.square().mean(-1).sqrt()
    torch.testing.assert_close(relative_residual(d, c, src), expected, **TOL)
    # scale-free: the same number for 10 u and 10 f; exact solutions give 0, also for f ≡ 0
    ten = Derivatives(10 * d.u, 10 * d.grad, 10 * d.hess)
    torch.testing.assert_close(relative_residual(ten, c, 10 * src), expected, **TOL)
    exact = (0.5 * e["u"] + e["ux"] - e["uxx"] - e["uyy"])
    assert relative_residual(d, c, exact).abs().max() < 1e-12
    laplace_of_affine = Derivatives(pts[:, 0].expand(M, N), torch.zeros(M, N, 2, dtype=F64),
                                    torch.zeros(M, N, 2, 2, dtype=F64))
    laplace = torch.tensor([0, 0, 0, 1.0, 1.0, 0], dtype=F64)
    assert relative_residual(laplace_of_affine, laplace, 0.0).eq(0).all()
    # u_xx = 0 for a u with u_xx != 0 scores 1: there is nothing to cancel against
    assert torch.allclose(relative_residual(d, torch.tensor([0, 0, 0, 1.0, 0, 0], dtype=F64), 0.0),
                          torch.ones(M, dtype=F64))


def test_relative_boundary_residual_is_measured_against_the_solutions_size():
    inner, edge_pts = _points(False), _points(False)[:20]
    d, edge = derivatives(sine_exp, ABC, inner), derivatives(sine_exp, ABC, edge_pts, order=1)
    normals = torch.nn.functional.normalize(torch.rand(20, 2, dtype=F64), dim=-1)
    a, b, g = torch.rand(20, dtype=F64), torch.rand(20, dtype=F64), torch.rand(M, 20, dtype=F64)
    r = robin_residual(edge, normals, a, b, g)
    size_u = d.u.square().mean(-1).sqrt()[:, None]
    size_grad = d.grad.square().sum(-1).mean(-1).sqrt()[:, None]
    size = a * size_u + b * size_grad + g.abs()
    expected = r.square().mean(-1).sqrt() / size.square().mean(-1).sqrt()
    torch.testing.assert_close(relative_boundary_residual(edge, normals, a, b, g, d), expected, **TOL)
    # u = 0 asked where u is not: the miss relative to the solution's RMS, not 1 as pointwise
    zero = relative_boundary_residual(edge, normals, 1.0, 0.0, 0.0, d)
    torch.testing.assert_close(zero, edge.u.square().mean(-1).sqrt() / d.u.square().mean(-1).sqrt(), **TOL)
    held = relative_boundary_residual(edge, normals, 1.0, 0.0, edge.u, d)
    assert held.eq(0).all()


def test_single_model_keeps_axis(nets):
    module, params = nets
    one = {k: v[1:2] for k, v in params.items()}
    pts = _points(False)
    d = derivatives(module_point_fn(module), one, pts)
    assert d.u.shape == (1, N) and d.hess.shape == (1, N, 2, 2)
    assert operator_residual(d, torch.ones(6, dtype=F64), 0.0).shape == (1, N)
    _assert_same(d, loop_derivatives(module, one, pts))


def test_chunking_gives_same_result(nets, monkeypatch):
    module, params = nets
    fn, pts = module_point_fn(module), _points(True)
    whole = derivatives(fn, params, pts, chunk_size=N)
    _assert_same(derivatives(fn, params, pts, chunk_size=7), whole)
    monkeypatch.setattr(R, "CPU_BLOCK", 3 * 8)  # the automatic CPU blocks: 8 points per block
    _assert_same(derivatives(fn, params, pts), whole)


@pytest.mark.parametrize("method", METHODS)
def test_param_gradient_matches_loop(nets, method):
    module, params = nets
    params = {k: v.detach().clone().requires_grad_() for k, v in params.items()}
    pts, coeffs = _points(False), torch.rand(M, 6, dtype=F64)

    def param_grads(d):
        loss = operator_residual(d, coeffs, 1.0).square().mean() + d.u.square().mean()
        return torch.autograd.grad(loss, list(params.values()))

    new = param_grads(derivatives(module_point_fn(module), params, pts, method=method))
    ref = param_grads(loop_derivatives(module, params, pts))
    for a, b in zip(new, ref, strict=True):
        torch.testing.assert_close(a, b, atol=1e-9, rtol=1e-9)


def test_works_under_no_grad(nets):
    module, params = nets
    pts = _points(False)
    with torch.no_grad():
        d = derivatives(module_point_fn(module), params, pts)
    assert not d.hess.requires_grad
    _assert_same(d, loop_derivatives(module, params, pts))


@pytest.mark.parametrize("shape", [(5,), (M + 1, 6), (N, 6), (M, 5), (M, N, 5), (2, N, 6),
                                   (M, N + 1, 6), (1, 1, N, 6), ()])
def test_bad_coefficient_shapes(shape):
    d = derivatives(sine_exp, ABC, _points(False), order=2)
    with pytest.raises(ValueError, match="coeffs"):
        operator_residual(d, torch.ones(shape, dtype=F64), 0.0)


def test_bad_inputs():
    pts = _points(False)
    d = derivatives(sine_exp, ABC, pts)
    with pytest.raises(ValueError, match="source"):
        operator_residual(d, torch.ones(6, dtype=F64), torch.ones(M + 1, N, dtype=F64))
    with pytest.raises(ValueError, match="direction"):
        flux_residual(d, torch.ones(N, 3, dtype=F64), 0.0)
    with pytest.raises(ValueError, match="direction"):
        flux_residual(d, torch.ones(M + 1, N, 2, dtype=F64), 0.0)
    with pytest.raises(ValueError, match="b must broadcast"):
        robin_residual(d, pts, 1.0, torch.ones(N + 1, dtype=F64), 0.0)
    with pytest.raises(ValueError, match="points"):
        derivatives(sine_exp, ABC, torch.rand(M + 1, N, 2, dtype=F64))
    with pytest.raises(ValueError, match="points"):
        derivatives(sine_exp, ABC, torch.rand(N, 3, dtype=F64))
    with pytest.raises(ValueError, match="float32"):
        derivatives(sine_exp, ABC, pts.float())
    with pytest.raises(ValueError, match="one M"):
        derivatives(sine_exp, {**ABC, "c": ABC["c"][:2]}, pts)
    with pytest.raises(ValueError, match="order"):
        derivatives(sine_exp, ABC, pts, order=3)
    with pytest.raises(ValueError, match="method"):
        derivatives(sine_exp, ABC, pts, method="finite-differences")
    with pytest.raises(ValueError, match="chunk_size"):
        derivatives(sine_exp, ABC, pts, chunk_size=0)
