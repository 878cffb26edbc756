"""Adaptation to unseen environments (contexts only, model and gate frozen): the published method
(contexts from zero, routes follow the gate) and ours (top-k experts), in bulk and sequential mode."""

import pytest
import torch

from hyperpino.errors import SpecError
from hyperpino.mixer.adaptation import AdaptConfig, adapt
from hyperpino.mixer.alternating import MixerTrainConfig, Trainer, build_model
from hyperpino.mixer.mixture import MixERConfig
from hyperpino.mixer.suites import SuiteConfig, generate


@pytest.fixture(scope="module")
def data():
    cfg = SuiteConfig(envs_per_family=2, adapt_envs_per_family=2, n_train=2, n_test=1, n_adapt=2,
                      n_adapt_test=1, n_t=6, horizon=0.3, families=("ode24_harmonic", "ode32_double_well"))
    return generate(cfg)


def _trained(data, gate="lsq", split=False):
    cfg = MixERConfig(n_experts=3, width=8, ctx_dim=2, gate=gate, split_context=split)
    model = build_model(cfg, data["train"], seed=1)
    train = MixerTrainConfig(outer_steps=2, ctx_steps=2, model_steps=2, gate_every=2)
    Trainer(model, data["train"], train).run(progress=False)
    return model


@pytest.mark.parametrize("method", ["top_k", "published"])
@pytest.mark.parametrize("gate", ["lsq", "softmax"])
def test_sequential_equals_bulk(data, method, gate):
    model = _trained(data, gate)
    bulk = adapt(model, data["adapt"], steps=6, lr=3e-2, top_k=2, method=method, mode="bulk")
    seq = adapt(model, data["adapt"], steps=6, lr=3e-2, top_k=2, method=method, mode="sequential")
    torch.testing.assert_close(seq.contexts, bulk.contexts, rtol=1e-4, atol=1e-5)
    assert torch.equal(seq.routes, bulk.routes)
    torch.testing.assert_close(seq.loss, bulk.loss, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("split", [False, True])
def test_published_starts_at_zero_follows_the_gate_and_freezes_the_model(data, split):
    model = _trained(data, split=split)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    flags = {n: p.requires_grad for n, p in model.named_parameters()}
    a0 = adapt(model, data["adapt"], steps=0, method="published")
    assert torch.count_nonzero(a0.contexts) == 0
    assert torch.equal(a0.routes, model.route(a0.contexts))  # every new environment on the same expert
    assert a0.routes.unique().numel() == 1
    a = adapt(model, data["adapt"], steps=20, lr=3e-2, method="published")
    assert torch.equal(a.routes, model.route(a.contexts))  # the route is the gate's, not a free choice
    assert torch.isfinite(a.loss).all()  # (no descent guarantee: a route may jump to a worse expert)
    for k, v in model.state_dict().items():  # model, contexts of training environments and gate frozen
        torch.testing.assert_close(v, before[k])
    assert flags == {n: p.requires_grad for n, p in model.named_parameters()}


def test_bad_settings_name_the_field():
    with pytest.raises(SpecError, match="adapt.method"):
        AdaptConfig(method="greedy")
    with pytest.raises(SpecError, match="adapt.mode"):
        AdaptConfig(mode="parallel")
