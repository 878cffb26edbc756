"""Named presets (``paper``: the published configuration; ``small``: the CPU benchmark), the ODEBench-10A/B
data variants, preset merging in run configs, and the ``val`` split."""

import pytest

from hyperpino.errors import SpecError
from hyperpino.mixer.config import parse
from hyperpino.mixer.presets import odebench_variant, preset, with_experts
from hyperpino.mixer.suites import SuiteConfig, generate


def test_paper_preset_is_the_published_configuration():
    ode = preset("paper", "odebench10")
    m, t = ode.model, ode.train
    assert (m.expert, m.n_experts, m.ctx_dim, m.width, m.depth) == ("geps", 10, 4, 64, 3)
    assert m.split_context and m.same_init and m.ctx_init_std == 0.0 and m.context_size == 40
    assert (t.outer_steps, t.ctx_steps, t.model_steps, t.gate_every) == (1500, 12, 12, 1)
    assert (t.prox_ctx, t.prox_model, t.self_reweight) == (10.0, 10.0, False)
    assert ode.suite.envs_per_family == 5 and ode.adapt.method == "published" and ode.adapt.steps == 1500
    lv = preset("paper", "lv")
    assert (lv.model.n_experts, lv.model.ctx_dim, lv.model.width, lv.model.depth) == (3, 2, 256, 4)
    assert (lv.train.outer_steps, lv.train.gate_every, lv.train.self_reweight, lv.train.ctx_l1) == (
        5000, 5, True, 1e-3)
    assert lv.adapt.steps == 5000


def test_small_preset_and_model_variants():
    p = preset("small", "odebench10")
    assert p.suite.envs_per_family == 2 and p.train.outer_steps == 40 and p.suite.n_val > 0
    q = with_experts(p, 3, "softmax")
    assert (q.model.n_experts, q.model.gate, q.model.width) == (3, "softmax", p.model.width)
    with pytest.raises(SpecError, match="preset"):
        preset("huge", "lv")
    with pytest.raises(SpecError, match="preset"):
        preset("paper", "selkov")


def test_odebench_variants_10a_10b():
    a, b = odebench_variant("10A"), odebench_variant("10B")
    assert (a.envs_per_family, b.envs_per_family) == (5, 16)
    assert a.n_train == b.n_train == 4 and a.n_test == 32
    ds = generate(odebench_variant("10A", n_train=1, n_test=1, n_val=1, n_adapt_test=1, n_t=4, horizon=0.1,
                                   families=("ode24_harmonic", "ode25_damped_harmonic")))
    assert ds["train"].n_envs == 10 and ds["adapt"].n_envs == 2 and ds["val"].n_envs == 10
    with pytest.raises(SpecError, match="variant"):
        odebench_variant("10C")


def test_val_split_is_new_initial_conditions_of_the_training_environments():
    cfg = SuiteConfig(suite="lv", n_train=1, n_test=1, n_val=1, n_adapt_test=1, n_t=4, horizon=0.2)
    ds = generate(cfg)
    assert (ds["val"].env_id == ds["train"].env_id).all()
    assert (ds["val"].X[:, 0, 0] != ds["train"].X[:, 0, 0]).any()
    assert (ds["val"].X[:, 0, 0] != ds["test"].X[:, 0, 0]).any()
    assert "val" not in generate(SuiteConfig(suite="lv", n_t=4, horizon=0.2, n_test=1, n_adapt_test=1)).splits


def test_config_keys_override_the_preset():
    cfg = parse({"preset": "paper", "model": {"solver": {"rtol": 1e-4}}, "train": {"outer_steps": 3},
                 "adapt": {"mode": "sequential"}}, suite="odebench10")
    assert cfg.train.outer_steps == 3 and cfg.train.gate_every == 1
    assert cfg.model.solver.method == "dopri5" and cfg.model.solver.rtol == 1e-4
    assert cfg.model.expert == "geps" and cfg.adapt.mode == "sequential" and cfg.adapt.method == "published"
    with pytest.raises(SpecError, match="preset"):
        parse({"preset": "paper"}, suite="user")
    with pytest.raises(SpecError, match="train.outer_step"):
        parse({"preset": "small", "train": {"outer_step": 3}}, suite="lv")


@pytest.mark.parametrize("suite", ["odebench10", "lv"])
def test_paper_preset_runs_end_to_end_when_shrunk(suite):
    import dataclasses

    from hyperpino.mixer.alternating import Trainer, build_model
    from hyperpino.mixer.evaluation import evaluate

    p = preset("paper", suite)
    few = {"envs_per_family": 1, "families": ("ode24_harmonic", "ode39_glycolytic_2d")}
    data = dataclasses.replace(p.suite, n_train=1, n_test=1, n_val=1, n_adapt_test=1, n_t=5, horizon=0.2,
                               **(few if suite == "odebench10" else {}))
    ds = generate(data)
    model = build_model(dataclasses.replace(p.model, width=8), ds["train"])
    t = Trainer(model, ds["train"], dataclasses.replace(p.train, outer_steps=1, ctx_steps=1, model_steps=2))
    t.run(progress=False)
    assert t.gate_updates == (3 if suite == "odebench10" else 1)  # every inner step vs every 5th
    ev = evaluate(model, ds, adapt_steps=2, adapt_lr=p.adapt.lr, adapt_method=p.adapt.method)
    assert ev["val"]["mean_mse"] > 0 and len(ev["adapt_routes"]) == ds["adapt"].n_envs
