"""``hyperpino bench residual --quick`` runs and reports its figures as one JSON line."""

from __future__ import annotations

import json

import pytest

from hyperpino.bench._timing import interleaved, median_ms, paired_ratio
from hyperpino.cli import main


def test_quick_residual_bench(tmp_path, capsys):
    assert main(["bench", "residual", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    figures = json.loads(out[-1])
    assert figures["benchmark"] == "residual" and figures["quick"] is True
    assert figures["params_per_model"] == 5409
    for key in ("speedup_forward", "speedup_forward_backward"):
        assert figures[key] > 0 and figures["small_n"][key] > 0
    assert set(figures["forward_ms"]) == {"loop", "rev-rev", "fwd-rev"}
    diff = figures["max_abs_diff"]
    assert diff["terms"] <= 1e-5 * max(1.0, diff["terms_scale"])
    assert diff["param_grad"] <= 1e-5 * max(1.0, diff["param_grad_scale"])
    assert json.loads((tmp_path / "residual.json").read_text()) == figures


def test_timing_helpers():
    calls = []
    times = interleaved({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")},
                        repeats=2, warmup=1)
    assert calls == ["a", "b"] * 3 and all(len(t) == 2 for t in times.values())
    assert paired_ratio([2.0, 4.0, 6.0], [1.0, 1.0, 3.0]) == 2.0
    assert median_ms([0.001, 0.003, 0.002]) == pytest.approx(2.0)


@pytest.mark.parametrize("bench", ["residual", "mms", "train", "hypino"])
def test_device_option_is_checked(bench, tmp_path, capsys):
    import torch

    for bad, says in ((["--device", "tpu"], "--device must be auto, cpu or cuda, got 'tpu'"),
                      (["--device", "cuda"], "--device cuda: CUDA is not available")):
        if bad[1] == "cuda" and torch.cuda.is_available():
            continue
        assert main(["bench", bench, "--quick", *bad, "--out", str(tmp_path)]) == 2
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert err == f"error: bench {bench}: {says}"


def test_peak_memory_is_none_on_cpu():
    from hyperpino.bench._timing import peak_memory_mib

    assert peak_memory_mib("cpu", lambda: None) is None


@pytest.mark.gpu
def test_quick_residual_bench_on_cuda(tmp_path, capsys):
    assert main(["bench", "residual", "--quick", "--device", "cuda", "--out", str(tmp_path)]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["device"] == "cuda" and figures["wide"]["speedup_forward"] > 0
    assert all(v > 0 for v in figures["peak_memory_mib"].values())
    diff = figures["max_abs_diff"]
    assert diff["terms"] <= 1e-4 * max(1.0, diff["terms_scale"])
