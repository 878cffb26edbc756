"""HyperNetwork: MIP invariance, plain-mode proportionality, shapes, gradients, θ0, config."""

import math

import pytest
import torch
from torch import nn

from hyperpino.errors import SpecError
from hyperpino.hypernet import PRESETS, FunctionalTarget, HyperNetConfig, HyperNetwork, ParamSpec


def target():
    return nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))


def norms(theta):
    """``name -> (M, *shape)`` -> ‖θ_m‖ over all tensors, ``(M,)``."""
    return torch.cat([v.flatten(1) for v in theta.values()], dim=1).norm(dim=1)


SCALES = torch.tensor([1e-3, 1e-2, 0.1, 0.5, 1.0])


@pytest.mark.parametrize("encoding", ["cos_sin", "z_1mz"])
def test_mip_norm_does_not_follow_input_norm(encoding):
    torch.manual_seed(0)
    hnet = HyperNetwork.for_module(target(), cond_dim=3, encoding=encoding)
    gamma = SCALES[:, None] * torch.tensor([[1.0, 0.6, 0.3]])  # ‖γ‖ spans three decades
    n = norms(hnet(gamma))
    assert n.max() / n.min() < 1.1
    if encoding == "cos_sin":
        torch.testing.assert_close(hnet.encode(gamma).norm(dim=1), torch.full((5,), math.sqrt(3)))


@pytest.mark.parametrize("activation", ["relu", "leaky_relu"])
@pytest.mark.parametrize("head_hidden", [(), (8,)])
def test_plain_norm_proportional_to_input_norm(activation, head_hidden):
    torch.manual_seed(0)
    hnet = HyperNetwork.for_module(
        target(), cond_dim=3, config="plain", activation=activation, head_hidden=head_hidden
    )
    gamma = SCALES[:, None] * torch.tensor([[1.0, 0.6, 0.3]])
    theta = hnet(gamma)
    ref = hnet(gamma[-1:])
    for name, value in theta.items():
        torch.testing.assert_close(value, SCALES.view(-1, *[1] * (value.ndim - 1)) * ref[name])
    n = norms(theta)
    torch.testing.assert_close(n / n[-1], SCALES)


@pytest.mark.parametrize("head", ["per_tensor", "chunked", "lstm"])
@pytest.mark.parametrize("mip", [True, False])
@pytest.mark.parametrize("m", [1, 3])
def test_shapes(head, mip, m):
    net = target()
    hnet = HyperNetwork.for_module(net, cond_dim=2, head=head, mip=mip, chunk_size=40,
                                   encoding="cos_sin" if mip else None)
    theta = hnet(torch.rand(m, 2))
    assert list(theta) == [n for n, _ in net.named_parameters()]
    for name, p in net.named_parameters():
        assert theta[name].shape == (m, *p.shape)
    assert FunctionalTarget(net)(theta, torch.randn(5, 2)).shape == (m, 5, 1)


def test_tokens_input():
    hnet = HyperNetwork.for_module(target(), cond_dim=4, config="hypino")
    theta = hnet(torch.randn(2, 6, 4))  # one token per target tensor
    assert theta["4.weight"].shape == (2, 1, 16)
    with pytest.raises(SpecError, match=r"cond: expected shape \(M, T, 4\)"):
        hnet(torch.randn(2, 4))


def test_gradients_reach_theta0_trunk_and_heads_and_frozen_theta0_gets_none():
    net = target()
    f = FunctionalTarget(net)
    hnet = HyperNetwork.for_module(net, cond_dim=1)
    x, gamma = torch.randn(8, 2), torch.rand(4, 1)
    f(hnet(gamma), x).pow(2).mean().backward()
    for name, p in hnet.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    assert any(n.startswith("base.") for n, _ in hnet.named_parameters())

    hnet.zero_grad(set_to_none=True)
    hnet.base.freeze()
    assert hnet.base.frozen
    f(hnet(gamma), x).pow(2).mean().backward()
    for name, p in hnet.named_parameters():
        if name.startswith("base."):
            assert p.grad is None, name
        else:
            assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_theta0_is_a_named_copy_of_the_target():
    net = target()
    hnet = HyperNetwork.for_module(net, cond_dim=1, delta_scale=0.0)
    theta0 = hnet.base.as_dict()
    assert list(theta0) == [n for n, _ in net.named_parameters()]
    assert torch.equal(theta0["2.weight"], net[2].weight)
    # with a zero Δθ at initialisation, every γ gives the target itself
    x = torch.randn(6, 2)
    out = FunctionalTarget(net)(hnet(torch.rand(3, 1)), x)
    torch.testing.assert_close(out, net(x).expand(3, -1, -1))


def test_theta0_from_trained_module_and_reinit():
    net = target()
    hnet = HyperNetwork.for_module(net, cond_dim=1, reinit_base=True)
    assert not torch.equal(hnet.base.as_dict()["0.weight"], net[0].weight)
    hnet.base.load_from(net)
    assert torch.equal(hnet.base.as_dict()["0.weight"], net[0].weight)


def test_to_module_from_generated_weights():
    net = target()
    f = FunctionalTarget(net)
    theta = HyperNetwork.for_module(net, cond_dim=1)(torch.rand(2, 1))
    x = torch.randn(5, 2)
    torch.testing.assert_close(f.to_module(theta, 1)(x), f(theta, x)[1])


def test_subset_of_parameters():
    net = target()
    hnet = HyperNetwork.for_module(net, cond_dim=1, include=["4.*"])
    assert list(hnet(torch.rand(2, 1))) == ["4.weight", "4.bias"]
    f = FunctionalTarget(net, hnet.spec)
    assert f(hnet(torch.rand(2, 1)), torch.randn(3, 2)).shape == (2, 3, 1)


def test_plain_hyperfan_in_gives_fan_in_scaled_weights():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(50, 40), nn.ReLU(), nn.Linear(40, 10))
    hnet = HyperNetwork.for_module(net, cond_dim=64, config="plain", trunk=(256,), head_hidden=())
    theta = hnet(torch.randn(64, 64))  # unit-variance inputs, as hyperfan-in assumes
    for name, want in [("0.weight", 1 / math.sqrt(2 * 50)), ("2.weight", 1 / math.sqrt(2 * 40)),
                       ("0.bias", 1 / math.sqrt(2))]:
        assert abs(theta[name].std().item() / want - 1) < 0.25, name


def test_plain_norm_scales_start_at_one():
    net = nn.Sequential(nn.Linear(3, 8), nn.LayerNorm(8), nn.Linear(8, 1))
    hnet = HyperNetwork.for_module(net, cond_dim=2, config="plain")
    scale = hnet(torch.randn(4, 2))["1.weight"]
    torch.testing.assert_close(scale, torch.ones(4, 8))
    assert hnet.spec["1.weight"].role == "norm"


def test_constructor_from_spec_and_base_rules():
    spec = ParamSpec.from_module(target())
    hnet = HyperNetwork(spec, 2, HyperNetConfig())
    assert hnet.base is not None and hnet(torch.rand(1, 2))["0.weight"].shape == (1, 16, 2)
    with pytest.raises(SpecError, match="base: a residual base"):
        HyperNetwork(spec, 2, HyperNetConfig(mip=False, encoding=None), base=hnet.base)


def test_cond_errors():
    hnet = HyperNetwork.for_module(target(), cond_dim=2)
    with pytest.raises(SpecError, match=r"cond: expected shape \(M, 2\), got \(2,\)"):
        hnet(torch.rand(2))
    with pytest.raises(SpecError, match=r"cond: values must lie in \[0, 1\]"):
        hnet(torch.tensor([[0.5, 2.0]]))


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"head": "mlp"}, "head"),
        ({"encoding": "fourier"}, "encoding"),
        ({"activation": "swish"}, "activation"),
        ({"delta_scale": -1.0}, "delta_scale"),
        ({"trunk": (64, 0)}, "trunk"),
        ({"head": "chunked", "tokens": True}, "tokens"),
        ({"chunk_size": 0}, "chunk_size"),
    ],
)
def test_config_errors_name_the_field(kwargs, field):
    with pytest.raises(SpecError, match=rf"HyperNetConfig\.{field}: "):
        HyperNetConfig(**kwargs)


def test_presets():
    assert set(PRESETS) >= {"mip", "plain", "hnet", "dph", "hypino", "coda"}
    assert HyperNetConfig.preset("hnet", chunk_size=100).chunk_size == 100
    with pytest.raises(SpecError, match="preset: unknown 'nope'"):
        HyperNetConfig.preset("nope")
    coda = HyperNetwork.for_module(target(), cond_dim=3, config="coda")
    assert coda.trunk is None and coda.base is not None
    assert coda(torch.randn(2, 3))["0.weight"].shape == (2, 16, 2)  # contexts ξ need no range
