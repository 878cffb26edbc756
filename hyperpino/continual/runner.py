"""The experiment loop: learn the tasks in order, evaluate all seen tasks after each, save state.

After task ``j`` the method's state and the states of all random streams
(:mod:`hyperpino.continual.streams`) go to ``out_dir/state.safetensors`` and the accuracy matrix
so far to ``out_dir/state.json`` (both through :func:`hyperpino.files.write_atomic`, so an
interrupted run never leaves a torn checkpoint); a rerun with the same settings resumes after the
last finished task. Each task's training stream is seeded from ``(seed, task)`` and the method's
own generators (which old tasks are regularised) are restored from the checkpoint, so a resumed
run continues exactly as an uninterrupted one would.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save_file
from tqdm import tqdm

from hyperpino.continual import streams
from hyperpino.continual.augment import random_shift
from hyperpino.continual.config import ContinualTrainConfig
from hyperpino.continual.data import Benchmark
from hyperpino.continual.methods.base import Method
from hyperpino.continual.metrics import summary
from hyperpino.errors import CheckpointError
from hyperpino.files import read_safetensors, write_atomic, write_text_atomic


def _batches(bench: Benchmark, t: int, replay_all: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    seen = range(t + 1) if replay_all else (t,)
    x = torch.cat([bench.tasks[i].x_train for i in seen])
    y = torch.cat([bench.tasks[i].y_train for i in seen])
    tasks = torch.cat([torch.full((len(bench.tasks[i].y_train),), i) for i in seen])
    return x, y, tasks


def _augment(bench: Benchmark, x: torch.Tensor, tasks: torch.Tensor, shift: int,
             gen: torch.Generator) -> torch.Tensor:
    """Random shifts, each sample under its own task's permutation (joint batches mix tasks)."""
    if shift == 0:
        return x
    out = x.clone()
    for i in tasks.unique().tolist():
        sel = tasks == i
        out[sel] = random_shift(x[sel], shift, gen, bench.tasks[i].perm)
    return out


def fit_task(method: Method, bench: Benchmark, t: int, cfg: ContinualTrainConfig, seed: int,
             progress: bool) -> float:
    """Train ``method`` on task ``t``; returns the mean loss of the last 10% of steps."""
    torch.manual_seed(streams.task_seed(seed, t))
    gen = torch.Generator().manual_seed(streams.task_seed(seed, t))
    x, y, tasks = _batches(bench, t, method.replay_all)
    method.train()
    method.begin_task(t)
    params = method.trainable(t)
    # The fused kernel: a hypernetwork has millions of parameters and the per-tensor Adam update
    # took over a third of a CPU step.
    opt = torch.optim.Adam(params, lr=cfg.lr, fused=all(p.device.type in ("cpu", "cuda") for p in params))
    losses = []
    bar = tqdm(range(cfg.steps_per_task), desc=f"task {t + 1}/{bench.n_tasks}", leave=False,
               disable=not progress, file=sys.stderr)
    for step in bar:
        method.set_progress(t, step / cfg.steps_per_task)
        for group in opt.param_groups:
            group["lr"] = cfg.lr_at(step)
        idx = torch.randint(len(y), (cfg.batch_size,), generator=gen)
        xb = _augment(bench, x[idx], tasks[idx], cfg.augment_shift, gen)
        losses.append(method.train_step(t, xb, y[idx], tasks[idx], opt))
        if step % 50 == 0:
            bar.set_postfix(loss=f"{losses[-1]:.3f}")
    method.train(False)
    method.end_task(t, x[tasks == t], y[tasks == t])
    tail = losses[-max(1, len(losses) // 10):]
    return float(np.mean(tail))


@torch.no_grad()
def evaluate(method: Method, bench: Benchmark, n_seen: int, chunk: int = 2048) -> np.ndarray:
    """Test accuracy on every task, ``(T,)``, NaN for tasks not seen yet; all seen tasks'
    test sets are scored together (one vmapped call per chunk of samples)."""
    method.train(False)
    x = torch.cat([bench.tasks[i].x_test for i in range(n_seen)])
    y = torch.cat([bench.tasks[i].y_test for i in range(n_seen)])
    tasks = torch.cat([torch.full((len(bench.tasks[i].y_test),), i) for i in range(n_seen)])
    pred = torch.cat([method.predict(x[i : i + chunk], tasks[i : i + chunk], n_seen)
                      for i in range(0, len(y), chunk)])
    correct = (pred == method.truth(y, tasks)).float()
    acc = np.full(bench.n_tasks, np.nan)
    for i in range(n_seen):
        acc[i] = float(correct[tasks == i].mean())
    return acc


def run(
    method: Method,
    bench: Benchmark,
    cfg: ContinualTrainConfig,
    *,
    seed: int = 0,
    out_dir: Path | None = None,
    meta: dict[str, Any] | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Learn all tasks; returns ``{"acc": R (T×T list, NaN as None), summary metrics...}``.

    ``out_dir``: where state is saved after each task and resumed from; ``meta``: the settings
    that must match for a resume (method, benchmark, scenario, ...)."""
    meta = {**(meta or {}), "seed": seed, "train": asdict(cfg)}
    acc = np.full((bench.n_tasks, bench.n_tasks), np.nan)
    done = 0
    if out_dir is not None and (out_dir / "state.json").is_file():
        done = _resume(method, out_dir, meta, acc)
    else:
        streams.seed_method(method, seed)
    for t in range(done, bench.n_tasks):
        fit_task(method, bench, t, cfg, seed, progress)
        acc[:, t] = evaluate(method, bench, t + 1, cfg.eval_chunk)
        if out_dir is not None:
            _save(method, out_dir, {"meta": meta, "tasks_done": t + 1, "acc": _nan_to_none(acc)})
    return {"acc": _nan_to_none(acc), **summary(acc)}


def _save(method: Method, out_dir: Path, record: dict[str, Any]) -> None:
    """The method's state and every random stream's state, then the record that points to them
    (each file written atomically; the JSON last, so it never names a state not yet written)."""
    tensors = {k: v.detach().clone().contiguous() for k, v in method.state_dict().items()}
    tensors.update(streams.capture(method))
    write_atomic(out_dir / "state.safetensors", lambda p: save_file(tensors, str(p)))
    write_text_atomic(out_dir / "state.json", json.dumps(record, indent=1))


def _resume(method: Method, out_dir: Path, meta: dict[str, Any], acc: np.ndarray) -> int:
    """Load a checkpoint into ``method`` (state and random streams) and ``acc``; returns the number
    of finished tasks."""
    saved = json.loads((out_dir / "state.json").read_text())
    if saved.get("meta") != json.loads(json.dumps(meta)):
        raise CheckpointError(f"{out_dir}/state.json: was written by a run with other settings "
                              f"({saved.get('meta')}); use another --out or delete it")
    where = out_dir / "state.safetensors"
    state, _ = read_safetensors(where, "continual checkpoint")
    rng = {k: state.pop(k) for k in list(state) if k.startswith(streams.PREFIX)}
    own = method.state_dict()
    bad = sorted(set(own) ^ set(state)) or [k for k in own if own[k].shape != state[k].shape]
    if bad:
        raise CheckpointError(f"{where}: keys/shapes do not fit (first: {bad[0]})")
    method.load_state_dict(state, strict=True)
    streams.restore(method, rng, str(where))
    done = int(saved["tasks_done"])
    acc[:, :done] = np.array(saved["acc"], dtype=float)[:, :done]
    return done


def _nan_to_none(a: np.ndarray) -> list[list[float | None]]:
    # Full precision (JSON keeps a double exactly): a resumed run must summarise to the same numbers.
    return [[None if np.isnan(v) else float(v) for v in row] for row in a]
