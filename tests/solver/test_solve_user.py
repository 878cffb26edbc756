"""Solving as a user would: stopping rules on what the PINN knows, progress through every phase,
Ctrl-C, a path for every valid spec, one pass through the pipeline, typed history."""

from __future__ import annotations

import cProfile
import json
import pstats
import time

import h5py
import numpy as np
import pytest
import torch
from solve_cases import SQUARE_EXACT, VARIABLE, write

import hyperpino
from hyperpino.cli import main
from hyperpino.pde.problem import build_problem
from hyperpino.pde.spec import RunSpec
from hyperpino.pinn import fit as fit_module
from hyperpino.pinn.fit import FitConfig, fit_pinn
from hyperpino.pinn.history import Phase, Stage, Step, StopReason
from hyperpino.pinn.scale import output_scale
from hyperpino.solver.options import SolveOptions
from hyperpino.solver.refinement import diagnose


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory):
    return write(tmp_path_factory.mktemp("spec") / "square.toml", SQUARE_EXACT)


def test_stop_reasons_carry_their_message_and_code():
    for reason in StopReason:
        assert reason.message and str(reason) == reason.message
        assert StopReason.from_code(reason.code) is reason
    assert StopReason.TOL_RESIDUAL.tolerance and not StopReason.TIME_BUDGET.tolerance
    row = Step(Stage.FINETUNE, 3, 1.5, float("nan"), 0.1, 0.2, 0.05, phase=Phase.LBFGS)
    doc = row.to_json()
    assert doc["stage"] == "finetune" and doc["phase"] == "lbfgs" and doc["loss"] is None
    assert row.errors is None and row.label == "finetune 3"
    json.dumps(doc)


def test_options_override_the_run_table_in_one_place():
    run = RunSpec(refine=5, finetune_steps=7, seed=3, dtype="float64")
    opts = SolveOptions.resolve(run, refine=None, finetune_steps=2, tol_residual=1e-3)
    got = (opts.refine, opts.finetune_steps, opts.seed, opts.dtype, opts.tol_residual)
    assert got == (5, 2, 3, "float64", 1e-3)
    assert opts.trains and opts.budget(scratch=False) == (2, None)
    assert SolveOptions(tol_residual=1e-3).budget(scratch=False)[1] > 0  # a tolerance always ends
    assert not SolveOptions().trains and SolveOptions().budget(scratch=True)[1] > 0
    with pytest.raises(hyperpino.errors.HyperpinoError, match="tol-residual"):
        SolveOptions(tol_residual=0)


def test_tol_residual_stops_and_reports_what_the_engine_measures(tiny, spec_path):
    # a loose tolerance the tiny model's fine-tuning reaches quickly; the rule, not the budget, stops
    result = hyperpino.solve(spec_path, model=tiny, refine=0, finetune_steps=400, tol_residual=0.5)
    assert result.stopped[Stage.FINETUNE] is StopReason.TOL_RESIDUAL
    tuned = [e for e in result.history if e.stage is Stage.FINETUNE]
    assert max(tuned[-1].residual, tuned[-1].bc_residual) <= 0.5 and tuned[-1].step < 400
    assert max(tuned[-2].residual, tuned[-2].bc_residual) > 0.5  # it stopped at the first row that held
    # the residuals the run reports are the ones the residual engine measures on the returned PINN
    engine = diagnose(result.problem, result.ensemble, seed=0)
    for key in ("residual", "bc_residual"):
        assert getattr(result.final, key) == pytest.approx(engine[key], rel=1e-6)
        assert getattr(tuned[-1], key) == pytest.approx(engine[key], rel=1e-3)
    assert "PDE and boundary residuals reached --tol-residual" in result.summary()


def test_tol_boundary_and_both(tiny, spec_path):
    result = hyperpino.solve(spec_path, model=tiny, refine=0, finetune_steps=300, tol_boundary=0.5,
                             reference=False)
    assert result.stopped[Stage.FINETUNE] is StopReason.TOL_BOUNDARY
    assert result.final.bc_rms <= 0.5
    both = hyperpino.solve(spec_path, model=tiny, refine=0, finetune_steps=300, tol_boundary=0.5,
                           tol_residual=0.5, reference=False)
    assert both.stopped[Stage.FINETUNE] is StopReason.TOL_RESIDUALS
    assert both.final.bc_rms <= 0.5 and max(both.final.residual, both.final.bc_residual) <= 0.5


def _slow_losses(monkeypatch, delay: float):
    real = fit_module.losses

    def slow(model, col, *unit):
        time.sleep(delay)
        return real(model, col, *unit)

    monkeypatch.setattr(fit_module, "losses", slow)


def test_no_phase_is_silent_longer_than_progress_every(monkeypatch, spec_path):
    """A fake slow loss: L-BFGS steps of 20 evaluations take ~1 s each, evaluations every 4 steps;
    progress lines still come at least every ``progress_every`` (0.3 s here, 5 s by default)."""
    _slow_losses(monkeypatch, 0.05)
    stamps: list[tuple[float, str]] = []
    cfg = FitConfig(adam_steps=12, lbfgs_steps=4, lbfgs_iters=20, eval_every=200, n_interior=64,
                    n_boundary=32, n_check_interior=64, n_check_boundary=32, progress_every=0.3)
    start = time.perf_counter()
    fit_pinn(build_problem(spec_path), config=cfg, progress=lambda s: stamps.append((time.perf_counter(), s)))
    end = time.perf_counter()
    times = [start] + [t for t, _ in stamps] + [end]
    gaps = np.diff(times)
    assert gaps.max() < 0.3 + 0.05 * 3 + 0.2, (gaps.max(), [s for _, s in stamps])
    assert any("L-BFGS" in s and "loss evaluations" in s for _, s in stamps)
    assert any("Adam step" in s for _, s in stamps)
    assert FitConfig().progress_every <= 5.0  # the default leaves room under 10 s for a slow evaluation


def _interrupt_lbfgs(monkeypatch, after: int = 3):
    real = torch.optim.LBFGS.step
    calls = [0]

    def step(self, closure):
        calls[0] += 1
        if calls[0] > after:
            closure()
            raise KeyboardInterrupt
        return real(self, closure)

    monkeypatch.setattr(torch.optim.LBFGS, "step", step)


def test_ctrl_c_during_lbfgs_returns_a_measured_state(monkeypatch, spec_path):
    _interrupt_lbfgs(monkeypatch)
    problem = build_problem(spec_path)
    cfg = FitConfig(adam_steps=20, lbfgs_steps=50, lbfgs_iters=5, eval_every=50, n_interior=128,
                    n_boundary=64)
    res = fit_pinn(problem, config=cfg)
    assert res.stopped is StopReason.INTERRUPTED
    with torch.no_grad():
        lp, lb = fit_module.losses(res.model, fit_module.check_set(problem, 0, torch.float32))
    # the weights returned are a measured state (the one Ctrl-C landed in is measured too): the
    # lowest-loss one or the last, as hyperpino.pinn.keep rules
    assert float(lp + cfg.w_bc * lb) == pytest.approx(res.best.loss, rel=1e-5)
    assert res.best is res.history[-1] or res.best.loss == min(e.loss for e in res.history)
    assert res.best.loss <= res.history[0].loss


def test_ctrl_c_between_measurements_measures_what_trained_since(monkeypatch, spec_path):
    """Ctrl-C 30 Adam steps after the last measurement (eval_every 50): those steps are measured and
    ranked, not thrown away for the state measured before them."""
    real, calls = torch.optim.Adam.step, [0]

    def step(self, closure=None):
        out = real(self, closure)
        calls[0] += 1
        if calls[0] == 30:
            raise KeyboardInterrupt
        return out

    monkeypatch.setattr(torch.optim.Adam, "step", step)
    cfg = FitConfig(adam_steps=100, lbfgs_steps=0, eval_every=50, n_interior=128, n_boundary=64, lr=3e-3)
    res = fit_pinn(build_problem(spec_path), config=cfg)
    assert res.stopped is StopReason.INTERRUPTED
    assert [(e.step, e.phase) for e in res.history] == [(0, Phase.NONE), (30, Phase.ADAM)]
    assert res.history[1].loss < res.history[0].loss and res.best is res.history[1]
    assert res.w_bc == cfg.w_bc  # measured only: the boundary weight does not move after Ctrl-C


def test_ctrl_c_before_any_step_adds_no_row(monkeypatch, spec_path):
    """Nothing moved since the start's measurement: Ctrl-C adds no second measurement of it."""
    def interrupt(self, closure=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(fit_module, "losses", lambda *a, **k: interrupt(None))
    cfg = FitConfig(adam_steps=10, lbfgs_steps=0, eval_every=5, n_interior=64, n_boundary=32)
    res = fit_pinn(build_problem(spec_path), config=cfg)
    assert res.stopped is StopReason.INTERRUPTED and [e.step for e in res.history] == [0]


def test_cli_ctrl_c_during_lbfgs_writes_the_result_and_exits_130(monkeypatch, tiny_path, spec_path, tmp_path,
                                                                 capsys):
    _interrupt_lbfgs(monkeypatch)
    out = tmp_path / "out"
    rc = main(["solve", str(spec_path), "--model", str(tiny_path), "--refine", "0", "--finetune", "40",
               "--out", str(out), "--no-plot", "--quiet"])
    assert rc == 130
    with h5py.File(out / "square_exact.h5") as f:
        assert f["stopped"].attrs["finetune"] == "interrupted"
        assert np.isfinite(f["u"][()][f["mask"][()]]).all()
    assert "interrupted" in capsys.readouterr().err


def test_fine_tuning_never_ends_worse_than_its_start(tiny, spec_path):
    """An absurd learning rate wrecks the weights; the kept state is the start (step 0)."""
    problem = build_problem(spec_path)
    start = hyperpino.generate(tiny, problem, solve_output=False)
    from hyperpino.solver.finetune import finetune_run
    from hyperpino.solver.problems import reference_for

    res = finetune_run(problem, start, steps=30, lr=10.0, lr_final=10.0, warmup=0, eval_every=5,
                       reference=reference_for(problem))
    assert res.best.loss <= res.history[0].loss
    assert res.best.rel_l2 <= res.history[0].rel_l2 * (1 + 1e-6) or res.best.loss < res.history[0].loss
    if res.best is res.history[0]:
        x = torch.rand(16, 2) * 2 - 1
        with torch.no_grad():
            torch.testing.assert_close(res.ensemble(x), start(x))


def test_variable_coefficients_solve_from_scratch_with_files(tiny_path, tmp_path, capsys):
    spec = write(tmp_path / "variable.toml", VARIABLE)
    out = tmp_path / "out"
    rc = main(["solve", str(spec), "--model", str(tiny_path), "--finetune", "30", "--out", str(out),
               "--json"])
    assert rc == 0
    captured = capsys.readouterr()
    assert sum("outside HyPINO's family" in line for line in captured.err.splitlines()) == 1
    doc = json.loads(captured.out.strip().splitlines()[-1])
    assert doc["info"]["route"] == "scratch" and doc["stopped"]["scratch"]["code"] == "step_budget"
    assert doc["errors"]["rel_l2"] > 0  # against the FEM reference
    assert {p.name for p in out.iterdir()} == {"variable.h5", "variable.png", "variable_pinn.safetensors"}


def test_from_scratch_in_family_uses_the_same_trainer(tiny, spec_path):
    result = hyperpino.solve(spec_path, model=tiny, from_scratch=True, finetune_steps=20, dtype="float64")
    assert result.info["route"] == "scratch" and set(result.stopped) == {Stage.SCRATCH}
    assert all(e.stage is Stage.SCRATCH for e in result.history)
    assert result.ensemble.weights.dtype == torch.float64
    assert "load model" not in result.timings and "refine" not in result.timings
    # the fresh member answers in units of the solution's estimated size (hyperpino.pinn.scale)
    size = output_scale(build_problem(spec_path))
    assert size != 1.0 and result.ensemble.weights.tolist() == pytest.approx([size])


def test_one_pass_parse_check_rasterise_once(tiny, spec_path):
    profile = cProfile.Profile()
    profile.enable()
    hyperpino.solve(spec_path, model=tiny, refine=2, finetune_steps=4)
    profile.disable()
    calls = {}
    for (file, _, fn), row in pstats.Stats(profile).stats.items():
        if "hyperpino" in file:
            key = f"{file.rsplit('hyperpino/', 1)[-1]}:{fn}"
            calls[key] = calls.get(key, 0) + row[1]  # primitive calls
    # parse, build (build_problem of a Problem returns it as is), family check, rasterise; the model
    # runs once for generation (raw and least-squares output layers from one pass) and once per step
    for key in ("pde/spec_io.py:read_spec", "pde/problem.py:_build", "solver/problems.py:check_in_family",
                "model/inputs.py:problem_inputs"):
        assert calls.get(key) == 1, (key, calls.get(key))
    assert calls["solver/generation.py:predict"] == 3


def test_timings_name_only_the_phases_that_ran(tiny, spec_path):
    result = hyperpino.solve(spec_path, model=tiny, refine=0, reference=False)
    assert set(result.timings) == {"load model", "generate", "evaluate", "solve"}
