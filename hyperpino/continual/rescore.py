"""Evaluate a finished (or partly finished) ``hyperpino continual run`` again from its checkpoints:
each seed's method is rebuilt from the settings its ``state.json`` recorded, its state loaded, and
the seen tasks' test sets scored in another scenario or with another task-inference rule. Training
of task-conditioned methods does not depend on the scenario, so a CL1 run also yields CL2/CL3.

``hyperpino continual evaluate OUT --scenario cl3 [--inference entropy]``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from hyperpino.continual import streams, targets
from hyperpino.continual.benchmarks import build
from hyperpino.continual.data import holdout
from hyperpino.continual.methods import TaskConditioned, build_method
from hyperpino.continual.runner import evaluate
from hyperpino.errors import CheckpointError, HyperpinoError
from hyperpino.files import read_safetensors


def rescore(out: str | Path, scenario: str, inference: str | None = None,
            data_dir: str | None = None) -> dict[str, Any]:
    """``{"seeds": [final average accuracy per seed], "mean", "std"}`` (fractions) of the run in
    ``out`` scored in ``scenario``; ``inference``: ``"ppca"`` or ``"entropy"`` (task-conditioned
    methods; default: the run's own)."""
    out = Path(out)
    seeds = sorted(out.glob("seed*/state.json"), key=lambda p: int(p.parent.name[4:]))
    if not seeds:
        raise HyperpinoError(f"evaluate: {out} holds no seed*/state.json (not a continual run folder)")
    finals = []
    for path in seeds:
        record = json.loads(path.read_text())
        meta, done = record["meta"], int(record["tasks_done"])
        bench = build(meta["benchmark"], n_tasks=meta["tasks"], data_dir=data_dir)
        if meta.get("validation"):
            bench = holdout(bench)
        hidden = tuple(meta["hidden"])

        def make(outputs: int, bench=bench, hidden=hidden, kind=meta["target"]) -> torch.nn.Module:
            if kind == "cnn":
                return targets.small_cnn(bench.input_shape, outputs=outputs)
            return targets.mlp(bench.input_shape, hidden, outputs)

        method = build_method(meta["method"], make, bench.n_tasks, bench.classes_per_task, scenario,
                              input_shape=bench.input_shape, **meta["options"])
        state, _ = read_safetensors(path.parent / "state.safetensors", "continual checkpoint")
        state = {k: v for k, v in state.items() if not k.startswith(streams.PREFIX)}
        try:
            method.load_state_dict(state, strict=True)
        except RuntimeError as err:
            raise CheckpointError(f"{path.parent}/state.safetensors: does not fit its state.json "
                                  f"({str(err).splitlines()[0]})") from None
        if inference is not None:
            if not isinstance(method, TaskConditioned):
                raise HyperpinoError(f"--inference: {meta['method']} has one shared network, no task "
                                     "to infer")
            if inference == "ppca" and method.task_models is None:
                raise HyperpinoError("--inference ppca: this run fitted no task models "
                                     "(it ran with task_inference=entropy)")
            method.inference = inference
        finals.append(float(np.nanmean(evaluate(method, bench, done))))
    return {"seeds": finals, "mean": float(np.mean(finals)), "std": float(np.std(finals))}
