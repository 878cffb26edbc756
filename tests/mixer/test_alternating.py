"""Training, gate-update bookkeeping, checkpoint resume and adaptation on a tiny problem."""

import numpy as np
import pytest
import torch

from hyperpino.mixer.adaptation import adapt, predict
from hyperpino.mixer.alternating import MixerTrainConfig, Trainer, build_model, load_trained
from hyperpino.mixer.mixture import MixERConfig
from hyperpino.mixer.suites import SuiteConfig, generate


@pytest.fixture(scope="module")
def data():
    cfg = SuiteConfig(envs_per_family=2, adapt_envs_per_family=1, n_train=2, n_test=2, n_adapt_test=2, n_t=6,
                      horizon=0.3, families=("ode24_harmonic", "ode32_double_well"))
    return generate(cfg)


def _cfg(**kw):
    base = dict(outer_steps=4, ctx_steps=2, model_steps=2, gate_every=3, checkpoint_every=2, lr_model=3e-3)
    return MixerTrainConfig(**(base | kw))


def test_training_lowers_the_loss_and_runs_gate_updates(data):
    model = build_model(MixERConfig(n_experts=2, width=8), data["train"])
    t = Trainer(model, data["train"], _cfg(outer_steps=6))
    hist = t.run(progress=False)
    assert hist[-1]["loss"] < hist[0]["loss"]
    assert t.gate_updates == 8  # inner steps 0, 3, ..., 21
    assert 0 < t.gate_seconds < t.train_seconds


def test_resume_continues_exactly(data, tmp_path):
    tr = data["train"]
    full = build_model(MixERConfig(n_experts=2, width=8), tr)
    Trainer(full, tr, _cfg()).run(progress=False)
    part = build_model(MixERConfig(n_experts=2, width=8), tr)
    Trainer(part, tr, _cfg(), ckpt_dir=tmp_path).run(progress=False, until=2)  # "interrupted"
    resumed = build_model(MixERConfig(n_experts=2, width=8), tr)
    t = Trainer(resumed, tr, _cfg(), ckpt_dir=tmp_path)
    t.run(progress=False)
    assert t.step == 4 and len(t.history) == 4
    for k, v in full.state_dict().items():
        torch.testing.assert_close(resumed.state_dict()[k], v, rtol=1e-5, atol=1e-6)
    loaded, state = load_trained(tmp_path)
    torch.testing.assert_close(loaded.contexts, resumed.contexts)
    assert state["step"] == 4


def test_resume_refuses_another_model(data, tmp_path):
    from hyperpino.errors import SpecError

    tr = data["train"]
    Trainer(build_model(MixERConfig(n_experts=2, width=8), tr), tr, _cfg(outer_steps=2),
            ckpt_dir=tmp_path).run(progress=False)
    other = build_model(MixERConfig(n_experts=3, width=8), tr)
    with pytest.raises(SpecError, match="different model"):
        Trainer(other, tr, _cfg(), ckpt_dir=tmp_path).run(progress=False)


@pytest.mark.parametrize("gate", ["lsq", "softmax"])
def test_adaptation_fits_contexts_only_and_keeps_the_best_candidate(data, gate):
    tr = data["train"]
    model = build_model(MixERConfig(n_experts=3, width=8, gate=gate), tr)
    Trainer(model, tr, _cfg(outer_steps=2)).run(progress=False)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    a0 = adapt(model, data["adapt"], steps=0, top_k=3)
    a = adapt(model, data["adapt"], steps=15, top_k=3)
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, before[k])
    assert a.contexts.shape == (data["adapt"].n_envs, 4)
    assert np.all(a.loss.numpy() <= a0.loss.numpy() + 1e-6)
    pred = predict(model, data["adapt_test"], a.contexts, a.routes)
    assert pred.shape == data["adapt_test"].X.shape


def test_warmup_shares_one_expert_then_clones_it(data):
    tr = data["train"]
    cfg = MixERConfig(n_experts=3, width=8, ctx_init_std=0.0, split_context=True, ctx_dim=2)
    model = build_model(cfg, tr)
    seen = []
    t = Trainer(model, tr, _cfg(outer_steps=4, warmup=0.5), on_gate=seen.append)
    t.run(progress=False, until=2)
    assert t.gate_updates == 0 and not t.cloned  # warm-up: no gate update, one expert
    for p in model.experts.values():
        assert not torch.equal(p[0], p[1])
    t._gate()
    assert t.cloned and t.gate_updates == 1
    for p in model.experts.values():
        torch.testing.assert_close(p[1], p[0])
    torch.testing.assert_close(model.contexts[:, 2:4], model.contexts[:, :2])
    assert {"routes", "losses", "cluster_sizes", "margins"} <= set(seen[0])
    assert seen[0]["losses"].shape == (3, tr.n_envs)
