"""FunctionalTarget: vmap over models equals a Python loop of functional_call; to_module; point_fn."""

import copy

import pytest
import torch
from torch import nn
from torch.func import functional_call, jacrev, vmap

from hyperpino.errors import SpecError
from hyperpino.hypernet import FunctionalTarget, ParamSpec


def mlp():
    return nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 1))


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(3 * 4 * 4, 2)
    ).eval()


def random_params(spec, m):
    return {e.name: torch.randn(m, *e.shape) * 0.5 for e in spec}


def loop(module, params, x, x_per_model=False, buffers=None):
    """The reference: one functional_call per model."""
    m = next(iter(params.values())).shape[0]
    outs = []
    for i in range(m):
        p = {n: v[i] for n, v in params.items()}
        b = {n: (v[i] if v.ndim > module.get_buffer(n).ndim else v) for n, v in (buffers or {}).items()}
        outs.append(functional_call(module, (p, b), (x[i] if x_per_model else x,)))
    return torch.stack(outs)


@pytest.mark.parametrize("m", [1, 5])
@pytest.mark.parametrize("x_per_model", [False, True])
def test_mlp_vmap_equals_loop(m, x_per_model):
    net = mlp()
    f = FunctionalTarget(net)
    params = random_params(f.spec, m)
    x = torch.randn(m, 7, 2) if x_per_model else torch.randn(7, 2)
    out = f(params, x, x_per_model=x_per_model)
    assert out.shape == (m, 7, 1)
    torch.testing.assert_close(out, loop(net, params, x, x_per_model))


def test_cnn_with_batchnorm_buffers():
    net = cnn()
    with torch.no_grad():
        net[1].running_mean.uniform_(-0.5, 0.5)
        net[1].running_var.uniform_(0.5, 2.0)
    f = FunctionalTarget(net)
    params = random_params(f.spec, 3)
    x = torch.randn(4, 1, 6, 6)
    torch.testing.assert_close(f(params, x), loop(net, params, x))
    # per-model statistics (a model axis) and shared ones (none), given explicitly
    stats = {"1.running_mean": torch.randn(3, 3), "1.running_var": torch.rand(3, 3) + 0.5}
    torch.testing.assert_close(f(params, x, stats), loop(net, params, x, buffers=stats))
    shared = {"1.running_mean": torch.randn(3)}
    torch.testing.assert_close(f(params, x, shared), loop(net, params, x, buffers=shared))
    assert not torch.allclose(f(params, x, stats), f(params, x))


def test_partial_spec_keeps_other_params_real_and_trainable():
    net = cnn()
    spec = ParamSpec.from_module(net, include=["4.*"])
    f = FunctionalTarget(net, spec)
    assert {n for n, _ in f.named_parameters()} == {
        "template.0.weight", "template.0.bias", "template.1.weight", "template.1.bias"
    }
    params = random_params(spec, 2)
    x = torch.randn(5, 1, 6, 6)
    torch.testing.assert_close(f(params, x), loop(net, params, x))
    f(params, x).sum().backward()
    assert f.template[0].weight.grad is not None and f.template[0].weight.grad.abs().sum() > 0


def test_generated_params_are_meta_placeholders():
    f = FunctionalTarget(mlp())
    assert f.template[0].weight.device.type == "meta"
    assert list(f.parameters()) == [] and list(f.state_dict()) == []


def test_to_module_gives_same_outputs():
    net = cnn()
    f = FunctionalTarget(net)
    params = random_params(f.spec, 3)
    x = torch.randn(4, 1, 6, 6)
    plain = f.to_module(params, index=2)
    assert isinstance(plain, nn.Sequential)
    assert all(p.device.type == "cpu" for p in plain.parameters())
    torch.testing.assert_close(plain(x), f(params, x)[2])
    with pytest.raises(SpecError, match="index: 3 out of range"):
        f.to_module(params, index=3)


def test_point_fn_with_jacrev():
    net = mlp()
    f = FunctionalTarget(net)
    params = random_params(f.spec, 2)
    x = torch.randn(6, 2)
    u = f.point_fn()
    grads = vmap(vmap(jacrev(u, argnums=1), in_dims=(None, 0)), in_dims=(0, None))(params, x)
    assert grads.shape == (2, 6, 1, 2)
    for i in range(2):
        xi = x.clone().requires_grad_()
        out = functional_call(net, {n: v[i] for n, v in params.items()}, (xi,))
        (ref,) = torch.autograd.grad(out.sum(), xi)
        torch.testing.assert_close(grads[i, :, 0], ref)


def test_tied_weights_all_aliases_generated():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(3, 3, bias=False)
            self.b = nn.Linear(3, 3, bias=False)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    net = Tied()
    f = FunctionalTarget(net)
    assert f.spec.names == ("a.weight",)
    w = torch.randn(2, 3, 3)
    x = torch.randn(4, 3)
    torch.testing.assert_close(f({"a.weight": w}, x), x @ w.transpose(1, 2) @ w.transpose(1, 2))
    tied = f.to_module({"a.weight": w}, 1)
    assert tied.a.weight is tied.b.weight


def test_gradients_reach_generated_params():
    f = FunctionalTarget(mlp())
    params = {n: v.requires_grad_() for n, v in random_params(f.spec, 3).items()}
    f(params, torch.randn(5, 2)).pow(2).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in params.values())


def test_errors():
    net = cnn()
    f = FunctionalTarget(net)
    params = random_params(f.spec, 2)
    x = torch.randn(4, 1, 6, 6)
    with pytest.raises(SpecError, match=r"buffers\['1.running_mean'\]: expected shape \(3,\) or \(M=2"):
        f(params, x, {"1.running_mean": torch.zeros(5)})
    with pytest.raises(SpecError, match=r"buffers\['nope'\]: no such buffer"):
        f(params, x, {"nope": torch.zeros(3)})
    with pytest.raises(SpecError, match=r"x: x_per_model: expected shape \(M=2"):
        f(params, x, x_per_model=True)
    del params["4.bias"]
    with pytest.raises(SpecError, match=r"params\['4.bias'\]: missing"):
        f(params, x)
    other = copy.deepcopy(net)
    other[4] = nn.Linear(48, 5)
    with pytest.raises(SpecError, match=r"module\['4.weight'\]"):
        FunctionalTarget(other, ParamSpec.from_module(net))


def test_train_mode_batchnorm_updates_per_model_statistics_in_place():
    net = nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3)).train()
    f = FunctionalTarget(net)
    params = random_params(f.spec, 2)
    stats = {"1.running_mean": torch.zeros(2, 3), "1.running_var": torch.ones(2, 3)}
    x = torch.randn(4, 1, 5, 5)
    out = f(params, x, stats)
    for i in range(2):  # batch statistics per model, running statistics moved per model
        ref = copy.deepcopy(net)
        ref[0].weight.data, ref[0].bias.data = params["0.weight"][i], params["0.bias"][i]
        ref[1].weight.data, ref[1].bias.data = params["1.weight"][i], params["1.bias"][i]
        torch.testing.assert_close(out[i], ref(x))
        torch.testing.assert_close(stats["1.running_mean"][i], ref[1].running_mean)
