"""Generative task inference (per-task PPCA): the fit, the density against a dense reference,
inference, its place in CL3 evaluation and in checkpoints."""

import math

import pytest
import torch
from torch import nn

from hyperpino.continual.benchmarks import build
from hyperpino.continual.config import ContinualTrainConfig
from hyperpino.continual.methods import build_method
from hyperpino.continual.runner import evaluate, run
from hyperpino.continual.task_inference import PPCATaskInference
from hyperpino.errors import HyperpinoError


def test_log_likelihood_equals_the_dense_gaussian():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(300, 6, generator=gen) @ torch.randn(6, 6, generator=gen) + 2.0
    model = PPCATaskInference(n_tasks=2, input_dim=6, rank=2)
    model.fit(0, x)
    model.fit(1, 3 * x[:150])
    probe = torch.randn(7, 6, generator=gen)
    got = model.log_likelihood(probe, 2)
    for t in range(2):
        w, mu, s2 = model.factors[t].double(), model.mean[t].double(), model.noise[t].double()
        dense = torch.distributions.MultivariateNormal(mu, w @ w.T + s2 * torch.eye(6, dtype=torch.float64))
        assert torch.allclose(got[t], dense.log_prob(probe.double()), atol=1e-6)


def test_fit_recovers_a_low_rank_gaussian():
    gen = torch.Generator().manual_seed(1)
    basis = torch.linalg.qr(torch.randn(10, 2, generator=gen))[0] * torch.tensor([3.0, 2.0])
    x = torch.randn(20000, 2, generator=gen) @ basis.T + 0.1 * torch.randn(20000, 10, generator=gen)
    model = PPCATaskInference(1, 10, rank=2)
    model.fit(0, x)
    cov = model.factors[0] @ model.factors[0].T + model.noise[0] * torch.eye(10)
    assert torch.allclose(cov, basis @ basis.T + 0.01 * torch.eye(10), atol=0.15)
    assert math.isclose(float(model.noise[0]), 0.01, rel_tol=0.1)


def test_inference_picks_the_task_the_sample_came_from():
    gen = torch.Generator().manual_seed(2)
    centres = [torch.full((5,), float(c)) for c in (-3, 0, 3)]
    model = PPCATaskInference(3, 5, rank=1)
    for t, c in enumerate(centres):
        model.fit(t, c + torch.randn(200, 5, generator=gen))
    probe = torch.cat([c + torch.randn(50, 5, generator=gen) for c in centres])
    truth = torch.arange(3).repeat_interleave(50)
    assert (model.infer(probe, 3) == truth).float().mean() > 0.97
    assert (model.infer(probe, 2) <= 1).all()  # only seen tasks are candidates


def test_bad_rank_is_refused():
    with pytest.raises(HyperpinoError, match="rank"):
        PPCATaskInference(2, 4, rank=4)


def test_cl3_uses_the_task_models_and_they_survive_a_checkpoint(tmp_path):
    bench = build("split-digits", n_tasks=3)
    cfg = ContinualTrainConfig(steps_per_task=40, batch_size=32, lr=3e-3)

    def make():
        torch.manual_seed(0)
        return build_method("hnet", lambda o: nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(),
                                                            nn.Linear(32, o)),
                            3, 2, "cl3", input_shape=bench.input_shape, task_inference="ppca", emb_dim=8)

    method = make()
    run(method, bench, cfg, out_dir=tmp_path, meta={}, progress=False)
    ppca = evaluate(method, bench, 3).mean()
    method.inference = "entropy"
    entropy = evaluate(method, bench, 3).mean()
    assert ppca > 0.8 and ppca > entropy  # 8×8 digits: the generative models know the tasks
    again = make()
    run(again, bench, cfg, out_dir=tmp_path, meta={}, progress=False)  # loads the checkpoint
    assert torch.equal(again.task_models.factors, method.task_models.factors)


def test_shared_networks_have_no_task_to_infer():
    with pytest.raises(HyperpinoError, match="shared network"):
        build_method("ewc", lambda o: nn.Linear(4, o), 2, 2, "cl3", input_shape=(4,), task_inference="ppca")
    with pytest.raises(HyperpinoError, match="input_shape"):
        build_method("hnet", lambda o: nn.Linear(4, o), 2, 2, "cl3", task_inference="ppca")
