"""Interrupted runs: ``kill -9`` of ``train`` at a random moment loses at most one checkpoint
interval of wall time and the resumed run ends exactly where an uninterrupted one does; Ctrl-C
on ``mms generate --workers 2`` and on ``reference`` ends at once with one line and code 130."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

from hyperpino.training.config import read_train_toml, train_config
from hyperpino.training.loop import Trainer

TOML = """
[train]
batch_size = 2
n_interior = 32
n_boundary = 32
refine_fraction = 0.5
validation = []
heldout = 0
checkpoint_every = 1000  # only the wall-time checkpoints
validate_every = 1000
workers = 0
steps = 8
[model]
grid = 16
embed_dim = 8
depths = [1, 1]
num_heads = [1, 1]
drop_path = 0.2
[mms]
n_holes = [0, 1]
"""
INTERVAL = 0.3


def _trainer(toml: Path, out: Path) -> Trainer:
    tables = read_train_toml(toml)
    cfg = train_config(tables["train"], checkpoint_seconds=INTERVAL)
    return Trainer(cfg, out, model_overrides=tables["model"], mms_overrides=tables["mms"], device="cpu",
                   progress=False, log=lambda *_: None)


def _parse(line: str) -> dict | None:
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


def _losses(out: Path) -> list[float]:
    lines = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    return [e["loss"] for e in lines if "loss" in e]


def test_kill_9_at_a_random_moment_resumes_exactly(tmp_path):
    toml = tmp_path / "tiny.toml"
    toml.write_text(TOML)
    killed = tmp_path / "killed"
    cmd = [sys.executable, "-m", "hyperpino", "train", "--config", str(toml), "--checkpoint-interval",
           f"{INTERVAL}s", "--threads", "1", "--quiet", "--out", str(killed)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    state = killed / "state.safetensors"
    t0 = time.monotonic()
    while not state.exists() and proc.poll() is None and time.monotonic() - t0 < 120:
        time.sleep(0.02)
    delay = random.Random().uniform(0.0, 1.5)
    time.sleep(delay)
    assert proc.poll() is None, f"the run ended before the kill (delay {delay:.2f} s): {proc.stderr.read()}"
    os.kill(proc.pid, signal.SIGKILL)
    kill_at = time.time()
    proc.wait()
    proc.stderr.close()

    # The work lost: the steps logged after the saved state's step. Their span is at most one
    # interval plus the step in flight and a save (machine load changes the steps, not the rule).
    from hyperpino.files import read_safetensors

    _, header = read_safetensors(state, tensors=False)
    saved = json.loads(header["meta"])["step"]
    log = [_parse(x) for x in (killed / "log.jsonl").read_text().splitlines() if '"loss"' in x]
    log = [e for e in log if e]  # the kill may cut the last line short
    times = {e["step"]: e["time"] for e in log}
    steps = [times[s + 1] - times[s] for s in times if s + 1 in times]
    longest = max(steps, default=0.0)
    lost = max(times.values()) - times.get(saved, max(times.values()))
    assert lost <= INTERVAL + 2 * longest + 2.0, (lost, longest, saved, delay, kill_at)

    torch.set_num_threads(1)
    resumed = _trainer(toml, killed)
    resumed.run()
    assert not list(killed.glob(".*.tmp"))
    whole = _trainer(toml, tmp_path / "whole")
    whole.run()
    assert resumed.step == whole.step == 8
    assert _losses(killed) == _losses(tmp_path / "whole")
    a, b = whole.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


def _ctrl_c(cmd: list[str], ready, *, timeout: float = 120) -> tuple[int, str, float]:
    """Start ``cmd`` in its own process group, wait until ``ready()``, send SIGINT to the group (what
    a terminal's Ctrl-C does); returns exit code, stderr and seconds from the signal to the exit."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    # SIGINT back to its default in the child: a test run started in the background (`cmd &`)
    # inherits an ignored SIGINT, and Python then never raises KeyboardInterrupt.
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    t0 = time.monotonic()
    while not ready() and proc.poll() is None and time.monotonic() - t0 < timeout:
        time.sleep(0.02)
    assert proc.poll() is None, f"ended before the signal: {proc.stderr.read()}"
    os.killpg(proc.pid, signal.SIGINT)
    sent = time.monotonic()
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err, time.monotonic() - sent


def test_ctrl_c_on_mms_generate_with_workers_is_one_line(tmp_path):
    out = tmp_path / "d.h5"
    shards = tmp_path / "d.h5.shards"
    cmd = [sys.executable, "-m", "hyperpino", "mms", "generate", "--n", "40", "--grid", "16", "--workers",
           "2", "--shard-size", "2", "--out", str(out), "--quiet"]
    code, err, _ = _ctrl_c(cmd, lambda: bool(list(shards.glob("shard_*.h5"))))
    assert code == 130 and err.strip() == "interrupted", err
    assert not out.exists()


def test_ctrl_c_on_reference_stops_promptly(tmp_path):
    """A fine mesh keeps gmsh and SuperLU busy for a minute; Ctrl-C stops within seconds."""
    from hyperpino.examples import examples_dir

    started = time.monotonic()
    delay = random.Random().uniform(6.0, 12.0)  # imports, then meshing or solving
    cmd = [sys.executable, "-m", "hyperpino", "reference", str(examples_dir() / "poisson_G.toml"), "--h",
           "0.004", "--no-cache", "--out", str(tmp_path / "r.h5"), "--quiet"]
    code, err, seconds = _ctrl_c(cmd, lambda: time.monotonic() - started > delay)
    assert code == 130 and err.strip() == "interrupted", err
    assert seconds < 10.0, f"{seconds:.1f} s to stop after Ctrl-C at {delay:.1f} s (was 15-60 s)"
    assert not (tmp_path / "r.h5").exists()
