"""``hyperpino bench frame``: one solve per route and frame, the table, the options; the quick
benchmark (about a minute) in the slow set."""

from __future__ import annotations

import json

import pytest

from hyperpino.bench import BENCHMARKS
from hyperpino.bench.frame import problems, run_one, table
from hyperpino.cli import main
from hyperpino.solver.problems import reference_for


def test_one_solve_per_frame_records_the_frame_it_used():
    problem = problems(["strip"])["strip"]
    ref = reference_for(problem)
    box = run_one(problem, "scratch", "box", 0.5, reference=ref)
    balanced = run_one(problem, "scratch", "balanced", 0.5, reference=ref)
    assert box["frame"] == [[0.0, 4.0], [0.0, 1.0]] and balanced["frame"] == [[0.0, 4.0], [-1.5, 2.5]]
    assert box["rel_l2"] > 0 and balanced["rel_l2"] > 0 and "zero_shot" not in box
    with pytest.raises(ValueError, match="frame"):
        run_one(problem, "scratch", "square", 0.5, reference=ref)


def test_table_and_registration():
    assert "frame" in BENCHMARKS
    row = {"problem": "channel", "imbalance": 100.0, "route": "model", "budget_s": 30.0,
           "box": {"rel_l2": 0.5, "zero_shot": 1.0}, "balanced": {"rel_l2": 2.5e-5, "zero_shot": 0.31},
           "ratio": 2e4}
    line = "| channel (100) | model | 30 s | 1.00e+00 → 3.10e-01 | 5.00e-01 | 2.50e-05 | 2e+04 |"
    assert line in table([row])


@pytest.mark.parametrize("args, message", [(["--only", "nope"], "unknown problem(s) nope"),
                                           (["--budget", "0"], "positive number"),
                                           (["--budget", "x"], "expected seconds")])
def test_bad_options_are_refused_in_one_line(args, message, tmp_path, capsys):
    assert main(["bench", "frame", "--out", str(tmp_path / "b"), *args]) == 2
    assert message in capsys.readouterr().err and not (tmp_path / "b").exists()


@pytest.mark.slow
def test_quick_bench(tmp_path, capsys):
    assert main(["bench", "frame", "--quick", "--out", str(tmp_path)]) == 0
    doc = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {(r["problem"], r["route"]) for r in doc["rows"]} == {
        (p, r) for p in ("channel", "strip") for r in ("scratch", "model")}
    assert (tmp_path / "frame.json").is_file()
