"""The PINN trainer: learns a simple problem, stops on its criteria, fine-tunes given weights."""

import numpy as np
import pytest
import torch

from hyperpino.errors import HyperpinoError
from hyperpino.pde.problem import build_problem
from hyperpino.pde.reference import solve_reference
from hyperpino.pinn.fit import FitConfig, fit_pinn, pde_terms
from hyperpino.pinn.history import Phase, Stage, StopReason
from hyperpino.pinn.network import ModifiedMLP, PINNConfig

EXAMPLE = "examples/disk_robin.yaml"


@pytest.fixture(scope="module")
def problem_and_ref():
    problem = build_problem(EXAMPLE)
    return problem, solve_reference(problem, 0.2, n=48)


pytestmark = pytest.mark.usefixtures("one_thread")


def test_pde_terms_match_closed_form():
    class Quad(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.ones((), dtype=torch.float64))

        def forward(self, x):  # u = x² y + 3 x y
            return self.scale * (x[..., :1] ** 2 * x[..., 1:] + 3 * x[..., :1] * x[..., 1:])

    p = torch.tensor([[0.5, -0.25], [-1.0, 2.0]], dtype=torch.float64)
    x, y = p[:, 0], p[:, 1]
    want = torch.stack([x**2 * y + 3 * x * y, 2 * x * y + 3 * y, x**2 + 3 * x, 2 * y,
                        torch.zeros_like(x), 2 * x + 3], -1)
    torch.testing.assert_close(pde_terms(Quad(), p), want)


def test_training_reduces_error_and_logs(problem_and_ref):
    problem, ref = problem_and_ref
    cfg = FitConfig(adam_steps=100, lbfgs_steps=4, lbfgs_iters=10, eval_every=50, n_interior=128,
                      n_boundary=64, resample_every=50, dtype="float64")
    seen = []
    res = fit_pinn(problem, config=cfg, reference=ref, callback=seen.append)
    assert res.stopped is StopReason.STEP_BUDGET and seen == res.history
    errs = [e.rel_l2 for e in res.history]
    assert errs[-1] < 0.7 * errs[0]
    phases = [e.phase for e in res.history]
    assert phases[:3] == [Phase.NONE, Phase.ADAM, Phase.ADAM] and phases[-1] is Phase.LBFGS
    assert {e.stage for e in res.history} == {Stage.SCRATCH} and res.history[0].step == 0
    times = [e.time for e in res.history]
    assert times == sorted(times) and None not in (res.history[0].mse, res.history[0].smape)


def test_target_error_stops_fine_tuning_from_given_weights(problem_and_ref):
    problem, ref = problem_and_ref
    cfg = FitConfig(adam_steps=100, lbfgs_steps=0, eval_every=20, n_interior=128, n_boundary=64)
    first = fit_pinn(problem, config=cfg, reference=ref)
    reached = first.best.rel_l2
    model = ModifiedMLP(PINNConfig())
    model.load_state_dict(first.model.state_dict())
    again = fit_pinn(problem, model, FitConfig(adam_steps=100, lbfgs_steps=0, eval_every=1,
                       n_interior=128, n_boundary=64, target_error=reached * 1.5), reference=ref)
    # the start is measured first (step 0): it already meets the target, so nothing is trained
    assert again.stopped is StopReason.TOL_REFERENCE and [e.step for e in again.history] == [0]
    assert again.model is model and again.history[0].stage is Stage.FINETUNE


def test_time_budget_and_bad_config(problem_and_ref):
    problem, _ = problem_and_ref
    res = fit_pinn(problem, config=FitConfig(adam_steps=10_000, lbfgs_steps=0, time_budget=1.0,
                                                 adam_fraction=1.0, n_interior=64, n_boundary=32))
    assert res.stopped is StopReason.TIME_BUDGET and res.train_time < 5 and np.isfinite(res.history[-1].loss)
    with pytest.raises(HyperpinoError, match="dtype"):
        FitConfig(dtype="float16")


def test_lbfgs_resampling_draws_fresh_points(problem_and_ref, monkeypatch):
    import hyperpino.pinn.fit as fit

    problem, _ = problem_and_ref
    drawn = []
    real = fit.sample_problem

    def counting(*args, **kwargs):
        col = real(*args, **kwargs)
        drawn.append(col.interior)
        return col

    monkeypatch.setattr(fit, "sample_problem", counting)
    base = dict(adam_steps=0, lbfgs_steps=6, lbfgs_iters=20, eval_every=50, n_interior=64, n_boundary=32,
                lbfgs_restart_on_stall=False, balance=False,  # a moved weight also draws fresh points
                adaptive=False)  # uniform points come from fit.sample_problem, which this counts
    fit_pinn(problem, config=FitConfig(**base))
    once = len(drawn)
    drawn.clear()
    res = fit_pinn(problem, config=FitConfig(**base, lbfgs_resample_every=2))
    assert len(drawn) == once + 2  # steps 3 and 5 start on fresh points
    assert not torch.equal(drawn[-1], drawn[-2])
    assert res.history[-1].step == 6 and all(np.isfinite(e.loss) for e in res.history)
    # a step that stops after <= 2 loss evaluations has converged on its points: the next gets new ones
    drawn.clear()
    fit_pinn(problem, config=FitConfig(**{**base, "lbfgs_iters": 1, "lbfgs_restart_on_stall": True}))
    assert len(drawn) == once + 5
