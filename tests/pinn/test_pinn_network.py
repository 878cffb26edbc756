"""The HyPINO target PINN: size, parameter names, shapes, Fourier features, initialisation."""

from __future__ import annotations

import math

import pytest
import torch

from hyperpino.pinn.network import FourierFeatures, ModifiedMLP, PINNConfig

NAMES = {f"{layer}.{kind}" for layer in ("gate_u", "gate_v", "inp", "hidden.0", "hidden.1",
                                         "hidden.2", "out") for kind in ("weight", "bias")}


def test_default_size_and_names():
    net = ModifiedMLP()
    assert sum(p.numel() for p in net.parameters()) == 5409
    assert {name for name, _ in net.named_parameters()} == NAMES
    assert [name for name, _ in net.named_buffers()] == ["features.freqs"]
    assert PINNConfig().feature_dim == 22


def test_other_config_size():
    cfg = PINNConfig(width=8, depth=1, n_freqs=2)
    feat = 2 * (1 + 2 * 2)
    expected = 3 * (feat * 8 + 8) + (8 * 8 + 8) + (8 + 1)
    assert sum(p.numel() for p in ModifiedMLP(cfg).parameters()) == expected


@pytest.mark.parametrize("shape", [(5, 2), (3, 4, 2), (2,)])
def test_forward_shapes(shape):
    assert ModifiedMLP()(torch.rand(shape)).shape == (*shape[:-1], 1)


def test_fourier_features_values():
    ff = FourierFeatures(n_freqs=5, freq_base=0.1)
    assert not list(ff.parameters())
    assert torch.allclose(ff.freqs, torch.tensor([0.1, 0.2, 0.4, 0.8, 1.6]))
    x = torch.tensor([[0.3, -0.7]], dtype=torch.float64)
    phi = ff(x)
    assert phi.shape == (1, 22) and phi.dtype == torch.float64
    assert torch.equal(phi[0, :2], x[0])
    # sin block: coordinate-major, then frequency; cos block likewise
    assert phi[0, 2 + 3].item() == pytest.approx(math.sin(2 * math.pi * 0.8 * 0.3))
    assert phi[0, 2 + 5 + 1].item() == pytest.approx(math.sin(2 * math.pi * 0.2 * -0.7))
    assert phi[0, 12 + 9].item() == pytest.approx(math.cos(2 * math.pi * 1.6 * -0.7))


def test_modified_mlp_matches_formula():
    torch.manual_seed(0)
    net = ModifiedMLP().double()
    for p in net.parameters():  # nonzero biases, so the formula check covers them
        torch.nn.init.normal_(p, std=0.3)
    x = torch.rand(7, 2, dtype=torch.float64)
    phi = net.features(x)
    u, v = torch.tanh(net.gate_u(phi)), torch.tanh(net.gate_v(phi))
    h = torch.tanh(net.inp(phi))
    for layer in net.hidden:
        h = torch.tanh(layer(u * h + v * (1 - h)))
    assert torch.allclose(net(x), net.out(h), atol=1e-12)


def test_glorot_init():
    torch.manual_seed(0)
    net = ModifiedMLP()
    for name, p in net.named_parameters():
        if name.endswith("bias"):
            assert torch.count_nonzero(p) == 0
        else:
            fan_out, fan_in = p.shape
            assert p.abs().max() <= math.sqrt(6 / (fan_in + fan_out))


def test_bad_config_and_input():
    with pytest.raises(ValueError, match="width"):
        PINNConfig(width=0)
    with pytest.raises(ValueError, match="freq_base"):
        PINNConfig(freq_base=0.0)
    with pytest.raises(ValueError, match="expected points"):
        ModifiedMLP()(torch.rand(4, 3))
