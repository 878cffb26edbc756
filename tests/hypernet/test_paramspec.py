"""ParamSpec: derivation from modules, flatten/unflatten, and validation messages."""

import pytest
import torch
from torch import nn

from hyperpino.errors import SpecError
from hyperpino.hypernet import ParamSpec


def mlp():
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2))


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.LayerNorm(64), nn.Linear(64, 3)
    )


def test_entries_roles_and_fans():
    spec = ParamSpec.from_module(cnn())
    got = {e.name: (e.shape, e.fan_in, e.fan_out, e.role) for e in spec}
    assert got == {
        "0.weight": ((4, 1, 3, 3), 9, 36, "weight"),
        "0.bias": ((4,), 9, 4, "bias"),
        "1.weight": ((4,), 1, 4, "norm"),
        "1.bias": ((4,), 1, 4, "bias"),
        "4.weight": ((64,), 1, 64, "norm"),
        "4.bias": ((64,), 1, 64, "bias"),
        "5.weight": ((3, 64), 64, 3, "weight"),
        "5.bias": ((3,), 64, 3, "bias"),
    }
    assert spec.numel == sum(p.numel() for p in cnn().parameters())
    assert spec.names[0] == "0.weight" and len(spec) == 8


def test_group_norm_and_lstm_bias_fan_in():
    spec = ParamSpec.from_module(nn.GroupNorm(2, 4))
    assert spec["weight"].role == "norm"
    lstm = ParamSpec.from_module(nn.LSTM(3, 5))
    assert lstm["bias_ih_l0"].role == "bias" and lstm["bias_ih_l0"].fan_in == 3
    assert lstm["bias_hh_l0"].fan_in == 5


def test_selection_by_glob_and_predicate():
    net = cnn()
    assert ParamSpec.from_module(net, include=["5.*"]).names == ("5.weight", "5.bias")
    assert ParamSpec.from_module(net, include=["5.*", "0.*"], exclude=["*.bias"]).names == (
        "0.weight",
        "5.weight",
    )
    only_matrices = ParamSpec.from_module(net, predicate=lambda n, p: p.ndim >= 2)
    assert only_matrices.names == ("0.weight", "5.weight")


def test_selection_errors_name_the_pattern():
    with pytest.raises(SpecError, match=r"include\[1\]: pattern 'head\*' matches no parameter"):
        ParamSpec.from_module(mlp(), include=["0.*", "head*"])
    with pytest.raises(SpecError, match="leaves no parameter"):
        ParamSpec.from_module(mlp(), predicate=lambda n, p: False)


@pytest.mark.parametrize("m", [1, 4])
def test_flatten_unflatten_round_trip(m):
    spec = ParamSpec.from_module(cnn())
    params = {e.name: torch.randn(m, *e.shape) for e in spec}
    flat = spec.flatten(params)
    assert flat.shape == (m, spec.numel)
    back = spec.unflatten(flat)
    assert list(back) == list(spec.names)
    for name in spec.names:
        assert back[name].shape == (m, *spec[name].shape)
        assert torch.equal(back[name], params[name])
    assert torch.equal(spec.flatten(back), flat)


def test_extract_keeps_model_axis():
    net = mlp()
    got = ParamSpec.from_module(net).extract(net)
    assert got["0.weight"].shape == (1, 8, 3)
    assert torch.equal(got["2.bias"][0], net[2].bias)


def good(m=2):
    spec = ParamSpec.from_module(mlp())
    return spec, {e.name: torch.zeros(m, *e.shape) for e in spec}


def test_check_missing_key():
    spec, params = good()
    del params["2.weight"]
    with pytest.raises(SpecError, match=r"params\['2.weight'\]: missing"):
        spec.check(params)


def test_check_unexpected_key():
    spec, params = good()
    params["3.weight"] = torch.zeros(2, 1)
    with pytest.raises(SpecError, match=r"params\['3.weight'\]: unexpected key"):
        spec.check(params)


def test_check_wrong_shape():
    spec, params = good()
    params["0.weight"] = torch.zeros(2, 8, 4)
    with pytest.raises(SpecError, match=r"params\['0.weight'\]: expected shape \(M, 8, 3\), got \(2, 8, 4\)"):
        spec.check(params)


def test_check_missing_model_axis():
    spec, params = good()
    params["0.bias"] = torch.zeros(8)
    with pytest.raises(SpecError, match=r"params\['0.bias'\]: shape \(8,\) has no leading model axis"):
        spec.check(params)


def test_check_inconsistent_model_axis():
    spec, params = good()
    params["2.bias"] = torch.zeros(3, 2)
    with pytest.raises(SpecError, match=r"params\['2.bias'\]: model axis M = 3 differs from M = 2"):
        spec.check(params)


def test_unflatten_wrong_width():
    spec, _ = good()
    with pytest.raises(SpecError, match=rf"flat: expected shape \(M, {spec.numel}\)"):
        spec.unflatten(torch.zeros(2, spec.numel + 1))
    with pytest.raises(SpecError, match="flat"):
        spec.unflatten(torch.zeros(spec.numel))
