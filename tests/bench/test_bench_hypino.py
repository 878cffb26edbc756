"""``hyperpino bench hypino``: the HyPINO benchmark table through the one ``bench`` command."""

from __future__ import annotations

import json

import pytest
import torch

from hyperpino.cli import main
from hyperpino.model.hypino import HyPINO

TINY = {"embed_dim": 8, "depths": (1, 1), "num_heads": (1, 1), "grid": 32, "coef_embed": 16,
        "stats_embed": 8, "head_hidden_max": 64}  # random weights: the table's plumbing, not its numbers


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("model") / "tiny.safetensors"
    HyPINO.from_preset("small", **TINY).save(path)
    return path


def test_quick_on_one_problem(tiny_path, tmp_path, capsys):
    threads = torch.get_num_threads()
    try:
        rc = main(["bench", "hypino", "--quick", "--only", "helmholtz", "--budget", "0.5",
                   "--model", str(tiny_path), "--out", str(tmp_path)])
    finally:
        torch.set_num_threads(threads)
    assert rc == 0
    out = capsys.readouterr()
    doc = json.loads(out.out.strip().splitlines()[-1])
    (row,) = doc["rows"]
    assert row["name"] == "helmholtz" and row["reference"] == "exact"
    assert {"zero_shot", "k1", "k3", "finetuned", "scratch"} <= set(row) and "k10" not in row
    assert row["scratch"]["time"] >= 0.5
    assert "| helmholtz |" in out.err  # the table for people, on stderr
    md = (tmp_path / "benchmark.md").read_text()
    assert "| helmholtz |" in md and "--quick" in md


@pytest.mark.parametrize("args, message", [
    (["--only", "nonexistent"], "--only: unknown example"),
    (["--budget", "-1"], "--budget must be at least"),
    (["--threads", "two"], "--threads must be a number"),
    (["--device", "tpu"], "--device must be auto, cpu or cuda"),
    (["--model", "missing.safetensors"], "--model: no such file"),
    (["--presets", "small"], "--presets is not an option"),
])
def test_bad_options_are_one_line(args, message, tiny_path, tmp_path, capsys):
    extra = [] if "--model" in args else ["--model", str(tiny_path)]
    rc = main(["bench", "hypino", "--quick", *args, *extra, "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and err[-1].startswith("error: ") and message in err[-1]
