"""Exact resume: a run killed in the middle of a task and restarted gives bit-identical state and
accuracies to an uninterrupted run, also when only some old tasks are regularised (the stream
choosing them is saved in the checkpoint)."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from hyperpino.continual import streams
from hyperpino.continual.benchmarks import build
from hyperpino.continual.config import ContinualTrainConfig
from hyperpino.continual.methods import build_method
from hyperpino.continual.runner import run
from hyperpino.errors import CheckpointError

CFG = ContinualTrainConfig(steps_per_task=30, batch_size=16, lr=3e-3, schedule="cosine", augment_shift=1)
META = {"m": "hnet", "reg_batch": 1}


class Killed(Exception):
    """Stands in for SIGKILL: raised from inside a training step."""


def _bench():
    return build("split-digits", n_tasks=4)


def _method(bench, name="hnet", **opts):
    torch.manual_seed(0)
    opts = {"beta": 0.05, "reg_batch": 1, **opts}
    return build_method(name, lambda o: nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(),
                                                      nn.Linear(16, o)),
                        bench.n_tasks, bench.classes_per_task, "cl1", emb_dim=8, **opts)


def _kill_during(method, task: int, step: int):
    """Make ``method`` raise :class:`Killed` at ``step`` of ``task``."""
    count = {"n": 0}
    original = method.train_step

    def step_or_die(t, *args):
        if t == task:
            count["n"] += 1
            if count["n"] == step:
                raise Killed
        return original(t, *args)

    method.train_step = step_or_die


@pytest.mark.parametrize("name", ["hnet", "interval"])
def test_killed_and_resumed_run_equals_an_uninterrupted_one(tmp_path, name):
    bench = _bench()
    whole = _method(bench, name)
    full = run(whole, bench, CFG, seed=3, out_dir=tmp_path / "a", meta=META, progress=False)
    broken = _method(bench, name)
    # Killed half-way through task 3: tasks 0-2 are checkpointed, and the regulariser has drawn
    # its random subsets of old tasks during task 2 (1 of 2 each step).
    _kill_during(broken, task=3, step=CFG.steps_per_task // 2)
    with pytest.raises(Killed):
        run(broken, bench, CFG, seed=3, out_dir=tmp_path / "b", meta=META, progress=False)
    assert json.loads((tmp_path / "b" / "state.json").read_text())["tasks_done"] == 3
    resumed = run(_method(bench, name), bench, CFG, seed=3, out_dir=tmp_path / "b", meta=META,
                  progress=False)
    assert resumed["acc"] == full["acc"]
    again = _method(bench, name)
    run(again, bench, CFG, seed=3, out_dir=tmp_path / "b", meta=META, progress=False)  # all done: loads
    for k, v in whole.state_dict().items():
        assert torch.equal(v, again.state_dict()[k]), k
    assert torch.equal(whole.reg_gen.get_state(), again.reg_gen.get_state())


def test_the_regularised_subset_depends_on_the_seed():
    bench = _bench()
    draws = []
    for seed in (0, 1):
        m = _method(bench)
        streams.seed_method(m, seed)
        draws.append(torch.randint(1 << 30, (8,), generator=m.reg_gen))
    assert not torch.equal(draws[0], draws[1])
    assert streams.stream_seed(0, "reg") != streams.stream_seed(1, "reg")


def test_checkpoint_without_stream_states_is_refused(tmp_path):
    from safetensors.torch import load_file, save_file

    bench = build("split-digits", n_tasks=2)
    cfg = ContinualTrainConfig(steps_per_task=2, batch_size=8)
    run(_method(bench), bench, cfg, out_dir=tmp_path, meta=META, progress=False)
    state = {k: v for k, v in load_file(tmp_path / "state.safetensors").items()
             if not k.startswith(streams.PREFIX)}
    save_file(state, tmp_path / "state.safetensors")
    with pytest.raises(CheckpointError, match="random-stream"):
        run(_method(bench), bench, cfg, out_dir=tmp_path, meta=META, progress=False)


def test_a_run_is_reproducible():
    bench = build("split-digits", n_tasks=3)
    cfg = ContinualTrainConfig(steps_per_task=10, batch_size=8)
    a = run(_method(bench), bench, cfg, seed=0, progress=False)["acc"]
    b = run(_method(bench), bench, cfg, seed=0, progress=False)["acc"]
    assert a == b and np.isfinite(np.array(a[0][0], dtype=float))
