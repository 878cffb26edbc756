"""``hyperpino bench train``: FLOP counting of a whole training step (its no-grad part included),
the generator-rate path, option errors, and the quick run's one JSON line."""

from __future__ import annotations

import json

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from hyperpino.bench._flops import FlopCount
from hyperpino.bench.train import data_rate, plan, step_flops
from hyperpino.cli import main
from hyperpino.mms.config import MMSConfig
from hyperpino.training.batch import TrainBatch
from hyperpino.training.config import train_config
from hyperpino.training.loop import Trainer

TINY = {"embed_dim": 16, "depths": [1, 1, 1, 1], "num_heads": [1, 2, 2, 4]}
"""A HyPINO small enough for a unit test (the ``small`` preset's grid and target)."""


def _trainer(tmp_path, refine_fraction: float) -> Trainer:
    cfg = train_config({"batch_size": 4, "n_interior": 32, "n_boundary": 32, "validation": [],
                        "refine_fraction": refine_fraction})
    return Trainer(cfg, tmp_path / f"run{refine_fraction}", model_overrides=TINY, device="cpu",
                   progress=False, log=lambda *_: None)


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> TrainBatch:
    t = _trainer(tmp_path_factory.mktemp("data"), 0.0)
    _, batches = data_rate(t.mms_cfg, "cpu", chunk=4, samples=1)
    return batches[0]


def test_step_flops_count_the_no_grad_refinement_forward(tmp_path, batch):
    # torch's FlopCounterMode fails on the refinement share's no-grad forward; FlopCount does not,
    # and the no-grad forward adds FLOPs to the step.
    with_refine = step_flops(_trainer(tmp_path, 0.5), batch)
    without = step_flops(_trainer(tmp_path, 0.0), batch)
    assert without > 0 and with_refine > without


def test_flop_count_matches_torch_where_torch_works(tmp_path, batch):
    counts = []
    for mode in (FlopCount(), FlopCounterMode(display=False)):
        t = _trainer(tmp_path, 0.0)
        with mode:
            loss, _ = t.loss(t.model, batch)
            loss.backward()
        counts.append(mode.total if isinstance(mode, FlopCount) else mode.get_total_flops())
    assert counts[0] == counts[1] > 0


def test_flop_count_of_a_matmul():
    a, b = torch.ones(3, 4, requires_grad=True), torch.ones(4, 5)
    with FlopCount() as c:
        (a @ b).sum().backward()
    assert c.total == 2 * (3 * 4 * 5) * 2  # forward and the gradient of a
    with torch.no_grad(), FlopCount() as c:
        a @ b
    assert c.total == 2 * 3 * 4 * 5


def test_data_rate_device_path_on_cpu():
    rate, batches = data_rate(MMSConfig(grid=16, n_interior=64, n_boundary=64), "cpu", chunk=2, samples=3)
    assert rate > 0 and len(batches) == 1 + 2
    assert all(len(b) == 2 and b.interior.device.type == "cpu" for b in batches)


def test_plan_defaults_and_choices():
    p = plan(True, device="cpu")
    assert (p.device, p.presets, p.batch, p.workers) == ("cpu", ("small",), 8, 1)
    p = plan(False, device="cpu", batch_size="3", workers="0", presets="paper,small,paper")
    assert (p.presets, p.batch, p.workers, p.steps) == (("paper", "small"), 3, 0, 20)


@pytest.mark.parametrize("args", [["--device", "tpu"], ["--batch-size", "0"], ["--batch-size", "8x"],
                                  ["--workers", "-1"], ["--presets", "small,big"], ["--presets", ""]])
def test_bad_options_are_one_line_errors(args, capsys):
    assert main(["bench", "train", "--quick", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1


def test_train_options_are_refused_by_other_benchmarks(capsys):
    assert main(["bench", "mms", "--workers", "2"]) == 2
    assert "--workers" in capsys.readouterr().err


@pytest.mark.skipif(torch.cuda.is_available(), reason="asserts the CPU run's figures")
def test_device_cuda_without_cuda_is_an_error(capsys):
    assert main(["bench", "train", "--device", "cuda"]) == 2
    assert "CUDA is not available" in capsys.readouterr().err


@pytest.mark.slow
def test_quick_train_bench_prints_one_json_line(tmp_path, capsys):
    assert main(["bench", "train", "--quick", "--device", "cpu", "--out", str(tmp_path)]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    (run,) = figures["runs"]
    assert run["preset"] == "small" and run["device"] == "cpu" and run["batch"] == 8
    for key in ("model_samples_per_s", "data_samples_per_s", "end_to_end_samples_per_s",
                "tflops_per_step", "tflops_per_s"):
        assert run[key] > 0, key
    assert "mfu" not in run
