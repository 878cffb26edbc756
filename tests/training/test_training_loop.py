"""Training runs at tiny size: exact resume, settings checks, NaN stop, the CLI and torchrun/DDP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from train_cases import TINY, tiny_trainer

from hyperpino.cli import main
from hyperpino.errors import CheckpointError, SpecError
from hyperpino.model import HyPINO
from hyperpino.training.config import train_config
from hyperpino.training.loop import Trainer, TrainingDiverged


def _trainer(tmp_path: Path, out: str, **overrides) -> Trainer:
    return tiny_trainer(tmp_path, out, **overrides)


def _losses(out: Path) -> list[float]:
    lines = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    return [e["loss"] for e in lines if "loss" in e]


def test_resume_continues_exactly(tmp_path):
    torch.set_num_threads(1)
    whole = _trainer(tmp_path, "whole")
    whole.run()
    first = _trainer(tmp_path, "parts")
    first.run(max_steps=2)
    assert first.step == 2
    with open(tmp_path / "parts" / "log.jsonl", "a") as f:
        f.write('{"step": 3, "lo')  # a kill in the middle of writing a log line
    second = _trainer(tmp_path, "parts")  # a new process would do exactly this
    second.run()
    assert second.step == 4
    assert _losses(tmp_path / "parts") == _losses(tmp_path / "whole")
    a = whole.model.state_dict()
    b = second.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    # The stored models load strictly, with provenance.
    loaded = HyPINO.load(tmp_path / "parts" / "last.safetensors").state_dict()
    assert all(torch.equal(loaded[k], b[k]) for k in b)


def test_resume_with_other_settings_is_refused(tmp_path):
    _trainer(tmp_path, "run").run(max_steps=2)
    with pytest.raises(CheckpointError, match="lr"):
        _trainer(tmp_path, "run", lr=1e-2).run()


def test_nan_stops_with_the_last_good_state(tmp_path):
    t = _trainer(tmp_path, "nan", lr=1e30, grad_clip=1e30)
    with pytest.raises(TrainingDiverged, match="last good state"):
        t.run()
    assert (tmp_path / "nan" / "state.safetensors").exists() or t.last_saved is None


def test_config_errors_are_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("[train]\nbatch_sise = 3\n")
    assert main(["train", "--config", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "batch_sise" in err and "unknown key" in err
    with pytest.raises(SpecError):
        train_config({"steps": 0})


def test_schedule_warms_up_then_decays():
    cfg = train_config({"steps": 100, "warmup": 0.1, "lr": 1.0, "min_lr_ratio": 0.01})
    lrs = [cfg.lr_at(s) for s in range(100)]
    assert lrs[0] == pytest.approx(0.01) and max(lrs) == pytest.approx(1.0)
    assert lrs.index(max(lrs)) == 10 and lrs[-1] < 0.02
    assert all(b <= a + 1e-12 for a, b in zip(lrs[10:], lrs[11:], strict=False))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_torchrun_two_processes(tmp_path):
    """DDP over 2 CPU processes (gloo), each with its own data; rank 0 writes the state."""
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(TINY)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
           "--master_port", str(_free_port()),
           "-m", "hyperpino", "train", "--config", str(cfg), "--steps", "2", "--out", str(tmp_path / "ddp"),
           "--quiet", "--threads", "1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    state = json.loads(proc.stdout.strip().splitlines()[-1])
    assert state["step"] == 2
    assert len(_losses(tmp_path / "ddp")) == 2
    model = HyPINO.load(tmp_path / "ddp" / "last.safetensors")
    from hyperpino.model.checkpoint import read_metadata

    assert read_metadata(tmp_path / "ddp" / "last.safetensors")["provenance"]["processes"] == 2
    assert model.config.grid == 32
