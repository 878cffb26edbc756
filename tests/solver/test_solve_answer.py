"""Which ensemble a solve answers with (hyperpino.solver.answer), and fine-tuning's guard in a solve."""

from __future__ import annotations

import h5py
import pytest
import torch
from solve_cases import SQUARE_EXACT, write

import hyperpino
from hyperpino.cli import main
from hyperpino.examples import examples_dir
from hyperpino.pde.problem import build_problem
from hyperpino.pinn import fit as fit_module
from hyperpino.pinn.estimate import error_estimate
from hyperpino.pinn.history import Stage, Step, StopReason
from hyperpino.pinn.network import ModifiedMLP, PINNConfig
from hyperpino.solver import answer as answer_module
from hyperpino.solver.answer import pick_answer
from hyperpino.solver.ensemble import CanonicalEnsemble, PINNEnsemble
from hyperpino.solver.finetune import Finetuned


@pytest.mark.parametrize("steps", [20, 50])
def test_fine_tuning_from_the_model_ends_no_worse_than_its_start(steps):
    # poisson_C (Laplace around four holes): the model's answer is poor, and the first L-BFGS steps
    # lower the physics loss while the error rises. Before the estimate, 20 steps answered with the
    # zero-shot ensemble (rel. L2 0.581, the lower physics loss) and 50 steps with the trained state
    # (0.600), both above fine-tuning's start (0.561).
    result = hyperpino.solve(examples_dir() / "poisson_C.toml", refine=0, finetune_steps=steps)
    start = next(e for e in result.history if e.stage is Stage.FINETUNE)
    assert result.errors["rel_l2"] <= start.rel_l2 * (1 + 1e-4)
    assert any("estimated error" in n for n in result.notes)
    # the summary's final row names the state answered, not the last one measured
    if any("returned its start" in n for n in result.notes):
        assert (result.final.stage, result.final.step) == (Stage.FINETUNE, 0)
    if any("kept that" in n for n in result.notes):
        assert result.final.stage is Stage.ZERO_SHOT
    assert result.final.rel_l2 == pytest.approx(result.errors["rel_l2"])


def _ensemble(seed: int, weight: float) -> PINNEnsemble:
    torch.manual_seed(seed)
    return PINNEnsemble(CanonicalEnsemble([ModifiedMLP(PINNConfig())], [weight]), ((-1.0, 1.0), (-1.0, 1.0)))


def _tuned(ens: PINNEnsemble, stopped=StopReason.TIME_BUDGET) -> Finetuned:
    row = Step(Stage.FINETUNE, 10, 1.0, 1e-6, 1e-3, 1e-4)  # a physics loss far below the zero-shot's
    return Finetuned(ens, [row], stopped, 1.0, row)


def test_the_answer_is_the_one_with_the_smaller_estimated_error(tmp_path, monkeypatch):
    problem = build_problem(write(tmp_path / "sq.toml", SQUARE_EXACT))
    zero = Step(Stage.ZERO_SHOT, 0, 0.0, 10.0, 3.0, 0.1)
    good, bad = _ensemble(0, 0.0), _ensemble(1, 5.0)  # u = 0, and a random network 5x its size
    est_good, est_bad = (error_estimate(problem, e.canonical).error for e in (good, bad))
    assert est_good < est_bad
    # fine-tuning's lower physics loss does not decide: the estimate does
    ens, notes = pick_answer(problem, good, _tuned(bad), [zero])
    assert ens is good and "larger estimated error than the zero-shot ensemble's" in notes[0]
    ens, notes = pick_answer(problem, bad, _tuned(good), [zero])
    assert ens is good and notes == []
    # a met tolerance is the user's criterion
    ens, _ = pick_answer(problem, good, _tuned(bad, StopReason.TOL_RESIDUAL), [zero])
    assert ens is bad
    # without estimates (an error too wiggly for the basis) the physics loss decides
    monkeypatch.setattr(answer_module, "error_estimate", lambda *a, **k: None)
    ens, notes = pick_answer(problem, good, _tuned(bad), [zero])  # fine-tuning's loss is far lower
    assert ens is bad and notes == []
    tiny_loss = Step(Stage.ZERO_SHOT, 0, 0.0, 1e-9, 1e-6, 1e-6)
    ens, notes = pick_answer(problem, bad, _tuned(good), [tiny_loss])
    assert ens is bad and "did not lower the physics loss" in notes[0]


@pytest.mark.parametrize("where", [fit_module, answer_module])
def test_ctrl_c_during_the_estimate_writes_the_answer_and_exits_130(where, monkeypatch, tiny_path, tmp_path,
                                                                   capsys):
    """The estimates run after training (a second or so): Ctrl-C there is still Ctrl-C, not lost."""
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(where, "error_estimate", interrupt)
    out = tmp_path / "out"
    rc = main(["solve", str(write(tmp_path / "sq.toml", SQUARE_EXACT)), "--model", str(tiny_path),
               "--refine", "0", "--finetune", "40", "--out", str(out), "--no-plot", "--quiet"])
    assert rc == 130
    with h5py.File(out / "square_exact.h5") as f:
        assert f["stopped"].attrs["finetune"] == "interrupted"
    assert "interrupted" in capsys.readouterr().err
