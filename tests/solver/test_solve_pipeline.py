"""Fine-tuning, the whole ``solve`` pipeline, its files, the CLI, the benchmark and the demo."""

from __future__ import annotations

import json
import math

import h5py
import numpy as np
import pytest
import torch
from solve_cases import PURE_NEUMANN, SQUARE_EXACT, TINY, VARIABLE, write

import hyperpino
from hyperpino.cli import main
from hyperpino.errors import HyperpinoError
from hyperpino.pinn.history import Stage
from hyperpino.solver import finetune_run, load_pinn
from hyperpino.solver.outputs import save_result
from hyperpino.solver.pipeline import UNSOLVED, next_step


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory):
    return write(tmp_path_factory.mktemp("spec") / "square.toml", SQUARE_EXACT)


def test_finetune_lowers_the_loss_and_copies(tiny, spec_path):
    pinn = hyperpino.generate(tiny, spec_path)
    before = [p.clone() for p in pinn.parameters()]
    res = finetune_run(spec_path, pinn, steps=20, eval_every=10)
    assert res.best.loss < res.history[0].loss and res.history[0].step == 0
    assert all(torch.equal(a, b) for a, b in zip(before, pinn.parameters(), strict=True))
    assert len(res.ensemble) == 1 and res.ensemble.box == pinn.box
    refined = hyperpino.refine(tiny, spec_path, pinn, iters=1, early_stop=False)
    tuned64 = hyperpino.finetune(spec_path, refined, steps=4, dtype="float64")
    assert tuned64.weights.dtype == torch.float64 and len(tuned64) == 2
    assert tuned64(torch.zeros(3, 2, dtype=torch.float64)).shape == (3, 1)


def test_solve_returns_everything(tiny, spec_path, tmp_path):
    seen = []
    result = hyperpino.solve(spec_path, model=tiny, refine=2, finetune_steps=10, progress=seen.append)
    n = 32
    assert result.u.shape == result.residual.shape == result.mask.shape == (n, n)
    assert np.isnan(result.u[~result.mask]).all() and np.isfinite(result.u[result.mask]).all()
    stages = [e.stage for e in result.history]
    assert stages[0] is Stage.ZERO_SHOT and stages[-1] is Stage.FINETUNE
    assert all(e.rel_l2 is not None and e.pde_rms >= 0 for e in result.history)
    assert result.errors["rel_l2"] == pytest.approx(result.final.rel_l2, rel=1e-4)
    assert [(b.key, b.kind) for b in result.boundary] == [("bcs[0]", "dirichlet")]
    assert set(result.stopped) == {Stage.REFINE, Stage.FINETUNE}
    assert seen and "zero-shot" in seen[0]
    # the residual map is L u - f of the returned module
    assert abs(np.sqrt(np.nanmean(result.residual ** 2)) - result.to_dict()["residual_rms"]) < 1e-9
    files = save_result(result, tmp_path)
    with h5py.File(files["hdf5"]) as f:
        assert f["u"].shape == (n, n) and "reference/u" in f and "error" in f
        assert list(f["history/stage"].asstr()[()])[0] == "zero-shot"
        assert f["stopped"].attrs["finetune"] == result.stopped[Stage.FINETUNE].code
        assert json.loads(f.attrs["spec"])["name"] == "square_exact"
        assert f["pinn/weights"].shape == (len(result.ensemble),)
    x = torch.rand(20, 2) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(load_pinn(files["pinn"])(x), result.ensemble(x))
    assert "square_exact" in result.summary() and "reference    exact solution" in result.summary()
    json.dumps(result.to_dict())
    # a function, also after `hyperpino.solver.*` submodules were imported
    assert hyperpino.solve is hyperpino.solver.pipeline.solve


def test_solve_with_a_non_default_target_pinn(spec_path):
    """Refinement and its error tracking build members of the model's own PINN size."""
    from hyperpino.model import HyPINO
    from hyperpino.pinn.network import PINNConfig

    torch.manual_seed(0)
    model = HyPINO.from_preset("small", **TINY, pinn=PINNConfig(width=16)).train(False)
    result = hyperpino.solve(spec_path, model=model, refine=1)
    assert result.ensemble.config.width == 16 and result.history[-1].rel_l2 is not None


def test_tol_needs_a_reference(tiny, spec_path):
    with pytest.raises(hyperpino.errors.HyperpinoError, match="reference"):
        hyperpino.solve(spec_path, model=tiny, tol=1e-2, reference=False)


def test_cli_solve_writes_files_and_prints_a_summary(tiny_path, spec_path, tmp_path, capsys):
    out = tmp_path / "out"
    rc = main(["solve", str(spec_path), "--model", str(tiny_path), "--refine", "1", "--finetune", "5",
               "--out", str(out), "--json", "--quiet"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert doc["name"] == "square_exact" and doc["errors"]["rel_l2"] > 0
    assert {p.name for p in out.iterdir()} == {"square_exact.h5", "square_exact.png",
                                               "square_exact_pinn.safetensors"}


def test_cli_solve_without_a_spec_solves_a_bundled_example(tiny_path, tmp_path, capsys):
    rc = main(["solve", "--model", str(tiny_path), "--refine", "0", "--no-reference", "--no-plot",
               "--out", str(tmp_path)])
    assert rc == 0
    assert (tmp_path / "poisson_L.h5").is_file() and "bundled example" in capsys.readouterr().err


@pytest.mark.parametrize("args, message", [
    (["solve", "nope.toml"], "no such file"),
    (["solve", "{spec}", "--model", "{missing}"], "no such checkpoint"),
    (["solve", "{spec}", "--model", "{model}", "--time-budget", "soon"], "--time-budget"),
])
def test_cli_user_errors_exit_2_with_one_line(args, message, tiny_path, spec_path, tmp_path, capsys):
    fill = {"spec": spec_path, "missing": tmp_path / "missing.safetensors", "model": tiny_path,
            "variable": write(tmp_path / "v.toml", VARIABLE)}
    rc = main([a.format(**fill) for a in args] + ["--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert err[-1].startswith("error: ") and message in err[-1]


def test_cli_tolerances_must_be_positive(capsys):
    assert main(["solve", "x.toml", "--finetune", "10", "--tol-residual", "0"]) == 2
    assert "--tol-residual: must be a finite number > 0" in capsys.readouterr().err


def test_demo_writes_hdf5_and_png(tiny, tmp_path):
    from hyperpino.demo import run_demo

    figures = run_demo(tmp_path, quiet=True, model=tiny, refine=1, finetune=20)
    names = {p.name for p in tmp_path.iterdir()}
    assert {"poisson_L.h5", "poisson_L.png", "domain.png", "inputs.png"} <= names
    assert figures["rel_l2"] > 0


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_generate_and_refine_on_cuda_match_cpu(tiny, spec_path):
    import copy

    gpu = copy.deepcopy(tiny).cuda()
    x = torch.rand(50, 2) * 2 - 1
    cpu_pinns = generate_refined(tiny, spec_path)
    gpu_pinns = generate_refined(gpu, spec_path)
    with torch.no_grad():
        torch.testing.assert_close(gpu_pinns(x.cuda()).cpu(), cpu_pinns(x), rtol=1e-3, atol=1e-3)
    result = hyperpino.solve(spec_path, model=gpu, refine=1, finetune_steps=4, device="cuda")
    assert result.ensemble.weights.is_cuda and np.isfinite(result.u[result.mask]).all()


def generate_refined(model, spec):
    return hyperpino.refine(model, spec, hyperpino.generate(model, spec), iters=2, early_stop=False)


def test_what_fine_tuning_has_to_beat_is_weighed_as_its_states_were():
    """The refined ensemble's loss is taken with the boundary weight fine-tuning ended on."""
    from hyperpino.pinn.history import Step
    from hyperpino.solver.answer import history_loss

    rows = [Step(Stage.ZERO_SHOT, 0, 0.0, 0.9 + 10 * 0.3 ** 2, 0.9 ** 0.5, 0.3),
            Step(Stage.REFINE, 1, 1.0, 0.5 + 10 * 0.2 ** 2, 0.5 ** 0.5, 0.2),
            Step(Stage.FINETUNE, 0, 1.0, 0.1, 0.1, 0.1)]
    assert history_loss(rows, 1.0, 10.0) == pytest.approx(rows[1].loss)   # the configured w_bc = 10
    assert history_loss(rows, 1.0, 640.0) == pytest.approx(0.5 + 640 * 0.04)
    assert history_loss(rows[2:], 1.0, 10.0) == float("inf")              # nothing generated to beat


def test_the_summary_says_when_the_answer_does_not_solve_the_problem_yet(tiny, spec_path):
    # the tiny model's zero-shot answer is far from a solution: the note says so and what to run
    result = hyperpino.solve(spec_path, model=tiny, refine=0)
    assert max(result.final.residual, result.final.bc_residual) > UNSOLVED
    (note,) = [n for n in result.notes if "does not solve" in n]
    assert "fine-tune it" in note and "--tol-residual" in note and note in result.summary()
    trained = next_step(0.5, 1e-3, trained=True, refine_no_gain=False)
    assert "train longer" in trained and "larger --time-budget" in trained
    for nan_in in ((float("nan"), 1e-3), (1e-3, float("nan"))):
        assert "does not solve" in next_step(*nan_in, trained=True, refine_no_gain=False)
    # below the threshold: advice only where refinement stopped helping and nothing trained
    assert next_step(0.05, 0.02, trained=True, refine_no_gain=True) is None
    assert "refinement stopped helping" in next_step(0.05, 0.02, trained=False, refine_no_gain=True)
    assert next_step(0.05, 0.02, trained=False, refine_no_gain=False) is None


def test_the_summary_says_why_there_is_no_reference(tiny, tmp_path):
    """A problem the reference solver refuses (pure Neumann: u fixed only up to a constant) is still
    answered, and the summary says why it has no reference instead of a bare "none"."""
    spec = write(tmp_path / "neumann.toml", PURE_NEUMANN)
    seen = []
    result = hyperpino.solve(spec, model=tiny, refine=0, progress=seen.append)
    assert result.errors is None
    (note,) = [n for n in result.notes if n.startswith("no reference solution")]
    assert "pure Neumann" in note and any("pure Neumann" in line for line in seen)
    assert note in result.summary()
    with pytest.raises(HyperpinoError, match="--tol needs a reference solution.*pure Neumann"):
        hyperpino.solve(spec, model=tiny, refine=0, tol=1e-2)


def test_zero_data_is_answered_as_u_equals_zero_not_as_unsolved(tiny, tmp_path):
    """Zero source and boundary data: u = 0 is the solution and relative residuals compare noise, so
    the advice says that rather than "does not solve the problem yet"."""
    spec = write(tmp_path / "zero.toml", PURE_NEUMANN.replace("source = 1", "source = 0")
                 .replace('"neumann"', '"dirichlet"').replace('"pure_neumann"', '"zero"'))
    result = hyperpino.solve(spec, model=tiny, refine=0, reference=False)
    assert [n for n in result.notes if n.startswith("the source and the boundary data are all zero")]
    note = next_step(0.73, 1.4, trained=True, refine_no_gain=False, zero_data=True, u_rms=2.8e-7)
    assert note.startswith("the source and the boundary data are all zero, so u = 0")
    assert "error is its RMS, 2.8e-07" in note
    nan = next_step(math.nan, math.nan, trained=True, refine_no_gain=False, zero_data=True, u_rms=math.nan)
    assert nan.startswith("the answer does not solve")
    assert next_step(0.73, 1.4, trained=True, refine_no_gain=False).startswith("the answer does not solve")
