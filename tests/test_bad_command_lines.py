"""A corpus of bad command lines: each exits with code 2 and one line on stderr naming the option
or file and what is wrong, with no traceback, before any long computation."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import hyperpino
from hyperpino.cli import main
from hyperpino.examples import examples_dir

EX = examples_dir()
SPEC = str(EX / "poisson_C.toml")
BUNDLED = str(Path(hyperpino.__file__).parent / "model" / "weights" / "hypino-small.safetensors")

# (argv with {tmp} for a private folder, a piece of the expected message)
CASES: list[tuple[str, str]] = [
    # the command itself
    ("", "required: COMMAND"),
    ("nope", "invalid choice: 'nope'"),
    ("solve --no-such-option", "unrecognized arguments: --no-such-option"),
    # solve
    (f"solve {SPEC} --refine -1", "argument --refine: must be >= 0, got -1"),
    (f"solve {SPEC} --refine three", "argument --refine: expected a whole number"),
    (f"solve {SPEC} --finetune -5", "argument --finetune: must be >= 0"),
    (f"solve {SPEC} --finetune 1.5", "argument --finetune: expected a whole number"),
    (f"solve {SPEC} --threads -1", "argument --threads: must be >= 0"),
    (f"solve {SPEC} --tol-residual 0", "argument --tol-residual: must be a finite number > 0"),
    (f"solve {SPEC} --tol=-1e-3", "argument --tol: must be a finite number > 0"),
    (f"solve {SPEC} --tol nan", "argument --tol: must be a finite number > 0"),
    (f"solve {SPEC} --tol-boundary inf", "argument --tol-boundary: must be a finite number > 0"),
    (f"solve {SPEC} --time-budget soon", "--time-budget: expected a duration"),
    (f"solve {SPEC} --time-budget=-5s", "--time-budget: expected a positive duration"),
    (f"solve {SPEC} --time-budget 0", "--time-budget: expected a positive duration"),
    (f"solve {SPEC} --device tpu", "argument --device: invalid choice: 'tpu'"),
    (f"solve {SPEC} --dtype float16", "argument --dtype: invalid choice: 'float16'"),
    ("solve {tmp}/missing.toml", "missing.toml"),
    ("solve {tmp}", "{tmp}"),
    (f"solve {SPEC} --model {{tmp}}/none.safetensors --no-reference", "none.safetensors: no such"),
    (f"solve {SPEC} --model {{tmp}}/none.safetensors", "none.safetensors: no such"),  # before the FEM solve
    # reference
    (f"reference {SPEC} --h 0", "argument --h: must be a finite number > 0, got 0"),
    (f"reference {SPEC} --h -0.1", "argument --h: must be a finite number > 0"),
    (f"reference {SPEC} --h inf", "argument --h: must be a finite number > 0"),
    (f"reference {SPEC} --h fine", "argument --h: expected a number"),
    ("reference {tmp}/missing.toml", "missing.toml"),
    # train
    ("train --steps 0 --out {tmp}/r", "argument --steps: must be >= 1, got 0"),
    ("train --steps -3 --out {tmp}/r", "argument --steps: must be >= 1"),
    ("train --batch-size 0 --out {tmp}/r", "argument --batch-size: must be >= 1"),
    ("train --accumulate 0 --out {tmp}/r", "argument --accumulate: must be >= 1"),
    ("train --lr -1 --out {tmp}/r", "argument --lr: must be a finite number > 0"),
    ("train --lr nan --out {tmp}/r", "argument --lr: must be a finite number > 0"),
    ("train --workers -1 --out {tmp}/r", "argument --workers: must be >= 0"),
    ("train --threads -2 --out {tmp}/r", "argument --threads: must be >= 0"),
    ("train --seed -1 --out {tmp}/r", "argument --seed: must be in [0, 4294967295]"),
    ("train --max-steps -1 --out {tmp}/r", "argument --max-steps: must be >= 0"),
    ("train --time-budget 0s --out {tmp}/r", "--time-budget: expected a positive duration"),
    ("train --config {tmp}/missing.toml --out {tmp}/r", "missing.toml: no such file"),
    ("train --preset huge --out {tmp}/r", "huge"),
    ("train --init {tmp}/none.safetensors --out {tmp}/r", "none.safetensors: no such checkpoint"),
    ("train --data {tmp}/none.h5 --workers 0 --out {tmp}/r", "none.h5"),
    ("pack-model {tmp}/none.safetensors {tmp}/out.safetensors", "none.safetensors: no such"),
    # mms
    ("mms generate --n 0 --out {tmp}/d.h5", "argument --n: must be >= 1"),
    ("mms generate --n -4 --out {tmp}/d.h5", "argument --n: must be >= 1"),
    ("mms generate --n 4 --workers 0 --out {tmp}/d.h5", "argument --workers: must be >= 1"),
    ("mms generate --n 4 --shard-size 0 --out {tmp}/d.h5", "argument --shard-size: must be >= 1"),
    ("mms generate --n 4 --seed -1 --out {tmp}/d.h5", "argument --seed: must be in"),
    ("mms generate --n 4 --config {tmp}/missing.toml --out {tmp}/d.h5", "missing.toml"),
    ("mms sample --index -1 --out {tmp}/s.toml", "argument --index: must be >= 0"),
    ("mms stats --n 0", "argument --n: must be >= 1"),
    ("mms stats --grid 0", "argument --grid: must be >= 1"),
    ("mms stats {tmp}/missing.toml --no-benchmarks", "missing.toml"),
    # outputs where nothing can be written (a file in the way)
    (f"reference {SPEC} --h 0.3 --out {SPEC}/r.h5", "poisson_C.toml/r.h5: cannot write here"),
    (f"mms sample --out {SPEC}/s.toml", "poisson_C.toml/s.toml: cannot write here"),
    (f"mms generate --n 2 --grid 16 --out {SPEC}/d.h5 --quiet", "poisson_C.toml/d.h5: cannot write here"),
    (f"reference {SPEC} --out {{tmp}}", "--out {tmp}: is a folder, not a file name"),
    (f"check {SPEC} --plot {SPEC}/d.png", "--plot " + SPEC + "/d.png: cannot write here"),
    (f"bench pinn --quick --out {SPEC}", "--out " + SPEC + ": exists and is not a folder"),
    (f"mixer data --suite lv --out {SPEC}/m.h5", "--out " + SPEC + "/m.h5: cannot write here"),
    (f"continual run --out {SPEC} --quiet", "--out " + SPEC + ": exists and is not a folder"),
    (f"train --steps 1 --out {SPEC}", "--out " + SPEC + ": exists and is not a folder"),
    (f"pack-model {BUNDLED} {SPEC}/p.safetensors", "poisson_C.toml/p.safetensors: cannot write here"),
    (f"solve {SPEC} --refine 0 --finetune 0 --no-reference --no-plot --quiet --out {SPEC}", "poisson_C.toml"),
    # refused before the work, not after it: a 2-minute fine-tuning and a 10-minute baseline
    (f"solve {SPEC} --time-budget 2m --quiet --out {SPEC}", "--out " + SPEC + ": exists and is not a folder"),
    (f"baseline {SPEC} --out {SPEC}", "--out " + SPEC + ": exists and is not a folder"),
    (f"demo --out {SPEC}", "--out " + SPEC + ": exists and is not a folder"),
    # baseline, demo, bench, mixer, continual
    (f"baseline {SPEC} --tol 0", "argument --tol: must be a finite number > 0"),
    (f"baseline {SPEC} --threads -1", "argument --threads: must be >= 0"),
    (f"baseline {SPEC} --budget never", "expected a duration"),
    ("demo --finetune -1", "argument --finetune: must be >= 0"),
    ("bench nope", "unknown benchmark 'nope'"),
    ("mixer data --suite lv --n-t 1 --out {tmp}/m.h5", "argument --n-t: must be >= 2"),
    ("mixer data --suite lv --horizon 0 --out {tmp}/m.h5", "argument --horizon: must be a finite number > 0"),
    ("mixer eval --ckpt {tmp} --data {tmp}/none.h5 --out {tmp}/e", "none.h5"),
    ("mixer train --config {tmp}/none.toml --out {tmp}/o", "none.toml"),
    ("continual run --method nope --benchmark split-digits --quiet", "nope"),
    ("continual run --seeds 0", "argument --seeds: must be >= 1"),
    ("continual run --lr 0", "argument --lr: must be a finite number > 0"),
]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.mark.parametrize("line,expected", CASES, ids=[c[0].replace(str(EX) + "/", "")[:60] for c in CASES])
def test_bad_command_line(line, expected, tmp_path, capsys):
    argv = line.format(tmp=tmp_path).split()
    t0 = time.perf_counter()
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    seconds = time.perf_counter() - t0
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.count("\n") == 0 and "Traceback" not in err, err
    assert expected.format(tmp=tmp_path) in err, err
    assert seconds < 30, f"took {seconds:.1f} s to refuse"


def test_zero_means_none_where_documented(tmp_path, capsys):
    """``--refine 0 --finetune 0`` is the zero-shot answer alone, not an error."""
    code = main(["solve", SPEC, "--refine", "0", "--finetune", "0", "--threads", "0", "--no-reference",
                 "--no-plot", "--quiet", "--out", str(tmp_path)])
    assert code == 0, capsys.readouterr().err


def test_refine_many_refuses_negative_steps_as_a_project_error():
    from hyperpino.errors import HyperpinoError
    from hyperpino.solver.refinement import refine_many

    with pytest.raises(HyperpinoError, match="refine: the number of refinement steps must be >= 0"):
        refine_many(None, [], [], -1)


def test_a_non_finite_solution_is_an_error_not_a_file(tmp_path, capsys, monkeypatch):
    """Whatever makes the answer non-finite (weights, inputs, training), solve refuses to write it."""
    from hyperpino.solver import pipeline

    real = pipeline.grid_solution

    def poisoned(problem, ens, n=None):
        x, y, mask, u, res = real(problem, ens, n)
        u[mask.nonzero()[0][0], mask.nonzero()[1][0]] = float("nan")
        return x, y, mask, u, res

    monkeypatch.setattr(pipeline, "grid_solution", poisoned)
    code = main(["solve", SPEC, "--refine", "0", "--finetune", "0", "--no-reference", "--no-plot", "--quiet",
                 "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0, err
    assert "the solution is not finite at 1 of" in err and "hypino-small.safetensors" in err, err
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").iterdir())
