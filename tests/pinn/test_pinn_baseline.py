"""`hyperpino baseline`: a short run prints the table and writes JSON and PNG."""

import json

import pytest
import torch

from hyperpino.durations import parse_duration
from hyperpino.pde.problem import build_problem
from hyperpino.pde.reference import solve_reference
from hyperpino.pinn.baseline import run_baseline
from hyperpino.pinn.fit import FitConfig


def test_short_baseline_writes_json_and_png(tmp_path, capsys):
    before = torch.get_num_threads()
    problem = build_problem("examples/disk_robin.yaml")
    ref = solve_reference(problem, 0.2, n=48)
    cfg = FitConfig(n_interior=128, n_boundary=64, eval_every=20, lbfgs_iters=5)
    try:
        out = run_baseline(problem, budget=3.0, tol=1e-9, out_dir=tmp_path, config=cfg, reference=ref)
    finally:
        torch.set_num_threads(before)
    text = capsys.readouterr().out
    assert "rel_l2" in text and "stopped: time budget spent" in text
    doc = json.loads((tmp_path / "baseline.json").read_text())
    assert doc["summary"]["stopped"] == "time_budget" and len(doc["history"]) == len(out["history"])
    assert doc["summary"]["time_to_tol"] is None
    assert (tmp_path / "baseline.png").stat().st_size > 5_000


@pytest.mark.parametrize("text,seconds", [("600s", 600), ("10m", 600), ("1.5h", 5400), ("42", 42)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds
