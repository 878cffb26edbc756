"""MixER layer: vmapped experts equal a loop, routing decides which expert integrates what."""

import pytest
import torch
from torch.func import functional_call

from hyperpino.mixer.integrate import SolverConfig
from hyperpino.mixer.mixture import MixER, MixERConfig


def _model(kind="coda", gate="lsq", m=3, e=5, **kw):
    return MixER(MixERConfig(expert=kind, n_experts=m, gate=gate, width=8, **kw), dim=2, n_envs=e, seed=1)


def _data(e=5, n=3):
    g = torch.Generator().manual_seed(0)
    return torch.randn(e, n, 2, generator=g), torch.linspace(0, 1, 6), torch.linspace(1.0, 2.0, e)


def _expert_module(model, j):
    p = {k: v[j] for k, v in model.expert_params().items()}
    return lambda xi: functional_call(model._template[0], p, (xi,))


@pytest.mark.parametrize("kind", ["coda", "geps", "ncf"])
def test_vmapped_experts_equal_a_loop(kind):
    model = _model(kind)
    ctx, routes = model.contexts.detach(), torch.tensor([2, 0, 1, 2, 0])
    theta = model.theta(ctx, routes)
    dense = model.theta_dense(ctx)
    x = torch.randn(4, 2)
    for e in range(5):
        for j in range(3):
            one = _expert_module(model, j)(ctx[e : e + 1])
            for name, v in one.items():
                torch.testing.assert_close(dense[name][e, j], v[0])
                if j == routes[e]:
                    torch.testing.assert_close(theta[name][e], v[0])
        net = model._template[0].field.to_module({n: v[e : e + 1] for n, v in theta.items()})
        fx = model._field({n: v[e] for n, v in theta.items()}, x)
        torch.testing.assert_close(fx, net(x))


@pytest.mark.parametrize("kind", ["coda", "ncf"])
def test_each_environment_is_integrated_by_its_routed_expert_only(kind):
    model = _model(kind)
    y0, tau, span = _data()
    routes = model.route(model.contexts)
    full = model.simulate(model.contexts, y0, tau, span)
    each = model.simulate_each_expert(model.contexts, y0, tau, span)
    for e in range(5):
        torch.testing.assert_close(full[e], each[routes[e], e], rtol=1e-5, atol=1e-6)
        alone = model.simulate(model.contexts[e : e + 1], y0[e : e + 1], tau, span[e : e + 1])
        torch.testing.assert_close(full[e : e + 1], alone, rtol=1e-5, atol=1e-6)
    full.pow(2).sum().backward()
    unused = sorted(set(range(3)) - set(routes.tolist()))
    for j in unused:
        assert all(float(p.grad[j].abs().max()) == 0 for p in model.experts.values())
    assert model.gate_w.grad is None  # the MixER gate is never trained by gradients


def test_routing_follows_the_gate_argmax():
    model = _model(m=4)
    with torch.no_grad():
        model.gate_w.zero_()
        model.gate_w[0, 3] = 1.0  # logit of expert 3 = ξ_0
        model.contexts[:, 0] = torch.tensor([1.0, -1.0, 2.0, -2.0, 0.5])
    assert model.route(model.contexts).tolist() == [3, 0, 3, 0, 3]


def test_softmax_gate_integrates_the_gate_weighted_sum():
    model = _model(gate="softmax")
    y0, tau, span = _data()
    ctx = model.contexts
    g = torch.softmax(model.logits(ctx), 1)
    theta = model.theta_dense(ctx)
    y = torch.randn(5, 3, 2)
    ref = torch.stack([
        sum(g[e, j] * model._field({n: v[e, j] for n, v in theta.items()}, y[e]) for j in range(3))
        for e in range(5)
    ])
    out = model.simulate(ctx, y0, tau, span)
    assert out.shape == (5, 3, 6, 2)
    # one Euler-size check of the field itself: the rhs used by simulate
    from torch.func import vmap

    dense = vmap(vmap(model._field, in_dims=(0, None)))(theta, y)
    torch.testing.assert_close(torch.einsum("em,emnd->end", g, dense), ref)
    out.sum().backward()
    assert model.gate_w.grad is not None and float(model.gate_w.grad.abs().sum()) > 0


def test_rk4_and_dopri5_agree():
    y0, tau, span = _data()
    a = _model(solver=SolverConfig("rk4", substeps=8))
    b = _model(solver=SolverConfig("dopri5", rtol=1e-7, atol=1e-9))
    with torch.no_grad():
        ya, yb = a.simulate(a.contexts, y0, tau, span), b.simulate(b.contexts, y0, tau, span)
    torch.testing.assert_close(ya, yb, rtol=1e-4, atol=1e-5)


def test_split_context_gives_each_expert_its_own_chunk_plus_shift():
    model = _model(m=3, e=5, ctx_dim=2, split_context=True)
    assert model.contexts.shape == (5, 6) and model.gate_w.shape == (7, 3)
    with torch.no_grad():
        model.ctx_shift.copy_(torch.tensor([0.5, -1.0, 2.0]))
    xi = model.expert_inputs(model.contexts)
    assert xi.shape == (5, 3, 2)
    torch.testing.assert_close(xi[3, 1], model.contexts[3, 2:4] - 1.0)
    y0, tau, span = _data()
    routes = torch.tensor([0, 1, 2, 1, 0])
    model.simulate(model.contexts, y0, tau, span, routes=routes).pow(2).sum().backward()
    grad = model.contexts.grad.reshape(5, 3, 2).abs().sum(-1)
    for e in range(5):  # only the routed expert's chunk of each context is trained
        assert float(grad[e, routes[e]]) > 0
        assert all(float(grad[e, j]) == 0 for j in range(3) if j != routes[e])
    assert model.ctx_shift.grad is not None
