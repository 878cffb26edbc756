"""``hyperpino bench mms``: generator rates, the CPU-worker rate, and the GPU path."""

from __future__ import annotations

import json

import pytest

from hyperpino.bench.mms import worker_rate
from hyperpino.cli import main


def test_worker_rate_counts_all_workers():
    # Two spawned single-threaded workers at a tiny grid: a positive, finite rate.
    rate = worker_rate(16, workers=2, batch=4)
    assert 0 < rate < 1e6


@pytest.mark.gpu
def test_quick_mms_bench_on_cuda(tmp_path, capsys):
    assert main(["bench", "mms", "--quick", "--device", "cuda", "--out", str(tmp_path)]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert figures["device"] == "cuda"
    assert figures["samples_per_s_224_gpu"] > 0 and figures["samples_per_s_224_cpu_workers"] > 0
    assert figures["gpu_vs_cpu_workers_224"] > 0
