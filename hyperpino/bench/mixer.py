"""``hyperpino bench mixer``: MixER (M = 1, 3, 10) vs the naive softmax mixture on ODEBench-10 and
Lotka–Volterra (Nzoyem et al. 2025, arXiv 2502.05335), over 3 seeds, all at one step budget.

``--presets small`` (default) is sized for a busy 2-core CPU (one thread): small CoDA experts (width
32, depth 3), short trajectories (half of each family's horizon, 10 points), few environments
(ODEBench: 2 per family; LV: the 3 × 3 grid), 2 training trajectories per environment, 40 × (5 + 5)
optimiser steps. These are not the paper's sizes; the output says so. ``--presets paper`` runs the
published configuration (:mod:`hyperpino.mixer.presets`; hours to days on a CPU). ``--only
odebench10`` or ``--only lv`` runs one suite. Reported per model: final training loss, validation,
in-domain and adaptation-test MSE / relative MSE (each seed's mean over environments, then mean ±
std over seeds), training wall time, the gate update's share of it, and routing purity w.r.t. the
family.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
import torch

from hyperpino.errors import SpecError
from hyperpino.mixer.alternating import Trainer, build_model
from hyperpino.mixer.evaluation import evaluate
from hyperpino.mixer.metrics import routing_matrix, summary
from hyperpino.mixer.plots import routing_heatmap
from hyperpino.mixer.presets import PRESETS, preset, with_experts
from hyperpino.mixer.suites import generate

OPTIONS = ("presets", "only")
SUITES = ("odebench10", "lv")
MODELS = {  # name -> (n_experts, gate)
    "mixer_m1": (1, "lsq"),
    "mixer_m3": (3, "lsq"),
    "mixer_m10": (10, "lsq"),
    "naive_m3": (3, "softmax"),
}


def run(quick: bool, out_dir: Path, presets: str = "small", only: str | None = None) -> dict:
    torch.set_num_threads(1)
    if presets not in PRESETS:
        raise SpecError("--presets", f"one of {', '.join(PRESETS)} for the mixer bench, got {presets!r}")
    suites = SUITES if only is None else tuple(only.split(","))
    for s in suites:
        if s not in SUITES:
            raise SpecError("--only", f"unknown suite {s!r} (known: {', '.join(SUITES)})")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    seeds = [0] if quick else [0, 1, 2]
    models = {k: v for k, v in MODELS.items() if not quick or k != "mixer_m10"}
    result: dict = {"bench": "mixer", "quick": quick, "preset": presets, "seeds": seeds}
    start = time.perf_counter()
    for suite in suites:
        p = preset(presets, suite)
        if quick:
            p = dataclasses.replace(
                p, suite=dataclasses.replace(p.suite, envs_per_family=1),
                train=dataclasses.replace(p.train, outer_steps=4),
                adapt=dataclasses.replace(p.adapt, steps=30))
        result[f"{suite}_sizes"] = {
            "suite": dataclasses.asdict(p.suite), "model": p.model.to_dict(),
            "train": dataclasses.asdict(p.train), "adapt": dataclasses.asdict(p.adapt)}
        ds = generate(p.suite)
        per_model: dict = {}
        for name, (m, gate) in models.items():
            runs = []
            for seed in seeds:
                q = with_experts(p, m, gate)
                model = build_model(q.model, ds["train"], seed=seed)
                trainer = Trainer(model, ds["train"], dataclasses.replace(q.train, seed=seed))
                trainer.run(progress=False)
                a = q.adapt
                ev = evaluate(model, ds, adapt_steps=a.steps, adapt_lr=a.lr, top_k=a.top_k,
                              adapt_method=a.method, adapt_mode=a.mode)
                runs.append({
                    "train_loss": trainer.history[-1]["loss"],
                    "val_rel": ev["val"]["mean_rel_mse"] if "val" in ev else float("nan"),
                    "test_mse": ev["test"]["mean_mse"], "test_rel": ev["test"]["mean_rel_mse"],
                    "adapt_mse": ev["adapt_test"]["mean_mse"], "adapt_rel": ev["adapt_test"]["mean_rel_mse"],
                    "train_s": trainer.train_seconds,
                    "gate_share": trainer.gate_seconds / trainer.train_seconds,
                    "purity": ev["purity"],
                })
                if seed == seeds[0]:
                    routing_heatmap(routing_matrix(np.array(ev["routes"]), m), ds["train"].family,
                                    ds.families, out_dir / f"{suite}_{name}_routing.png", f"{suite} {name}")
                r = runs[-1]
                print(f"[mixer bench] {suite} {name} seed {seed}: train loss {r['train_loss']:.3e} "
                      f"test rel {r['test_rel']:.3e} adapt rel {r['adapt_rel']:.3e} {r['train_s']:.1f}s "
                      f"(gate {100 * r['gate_share']:.1f}%) purity {r['purity']:.2f}", file=sys.stderr)
            per_model[name] = {k: summary([r[k] for r in runs]) for k in runs[0]}
        result[suite] = per_model
        result[f"{suite}_envs"] = {"train": ds["train"].n_envs, "adapt": ds["adapt"].n_envs,
                                   "families": len(ds.families)}
    result["wall_s"] = time.perf_counter() - start
    return result


_COLUMNS = ("train_loss", "val_rel", "test_mse", "test_rel", "adapt_mse", "adapt_rel")


def table(result: dict) -> str:
    """A Markdown table of a result dict (for docs/mixer.md and the README)."""
    rows = ["| suite | model | final train loss | val rel. MSE | in-domain MSE | in-domain rel. MSE "
            "| adaptation MSE | adaptation rel. MSE | train s | gate share | purity |", "|" + "---|" * 11]
    for suite in SUITES:
        got = result.get(suite, {})
        for name in [n for n in MODELS if n in got]:  # the JSON line's keys come back sorted
            r = got[name]
            cells = [f"{r[k]['mean']:.3g} ± {r[k]['std']:.2g}" for k in _COLUMNS]
            share = f"{100 * r['gate_share']['mean']:.1f} %" if name.startswith("mixer") else "–"
            rows.append(f"| {suite} | {name} | {' | '.join(cells)} | {r['train_s']['mean']:.1f} | {share} | "
                        f"{r['purity']['mean']:.2f} |")
    return "\n".join(rows)
