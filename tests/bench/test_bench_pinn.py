"""``hyperpino bench pinn``: the project's side of the comparison, scored as DeepXDE's is; the whole
benchmark (it installs DeepXDE with pip) only in the slow set."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hyperpino.bench import BENCHMARKS
from hyperpino.bench.pinn import table, worker
from hyperpino.cli import main
from hyperpino.examples import examples_dir
from hyperpino.pde.problem import build_problem
from hyperpino.solver.problems import reference_for


def test_our_worker_trains_for_its_budget_and_scores_on_the_reference_grid(tmp_path):
    problem = build_problem(examples_dir() / "helmholtz.toml")
    ref = reference_for(problem)
    ref_file = tmp_path / "ref.npz"
    np.savez(ref_file, x=ref.x, y=ref.y, u=ref.u, mask=ref.mask)
    out = tmp_path / "ours.json"
    worker("hyperpino", "helmholtz", 1.0, str(ref_file), str(out))
    doc = json.loads(out.read_text())
    assert doc["rel_l2"] > 0 and doc["wall_s"] >= 1.0 and {"mse", "max_abs"} <= set(doc)


def test_table_and_registration():
    assert "pinn" in BENCHMARKS
    row = {"problem": "poisson_L", "budget_s": 30.0, "hyperpino": {"rel_l2": 0.02},
           "deepxde": {"rel_l2": 0.07}, "ratio": 3.5}
    assert "| poisson_L | 30 s | 2.00e-02 | 7.00e-02 | 3.50 |" in table([row])


@pytest.mark.slow
def test_quick_bench_against_deepxde(tmp_path, capsys):
    assert main(["bench", "pinn", "--quick", "--out", str(tmp_path)]) == 0
    doc = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {r["problem"] for r in doc["rows"]} == {"poisson_L", "helmholtz"}
    assert all(r["deepxde"]["rel_l2"] > 0 and r["hyperpino"]["rel_l2"] > 0 for r in doc["rows"])
