"""``hyperpino bench mixer``: MixER (M = 1, 3, 10) vs the naive softmax mixture on ODEBench-10 and
Lotka–Volterra (Nzoyem et al. 2025, arXiv 2502.05335), over 3 seeds.

Sized for a busy 2-core CPU (one thread): small CoDA experts (width 32, depth 3), short trajectories
(half of each family's horizon, 10 points), few environments (ODEBench: 2 per family; LV: the 3 × 3
grid), 2 training trajectories per environment and 1 per adaptation environment, and a few hundred
optimiser steps. These are not the paper's sizes; the output says so. Reported per model: in-domain
and adaptation-test MSE / relative MSE (each seed's mean over environments, then mean ± std over
seeds), training wall time, the gate update's share of it, and routing purity w.r.t. the family.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
import torch

from hyperpino.mixer.alternating import MixerTrainConfig, Trainer, build_model
from hyperpino.mixer.evaluation import evaluate
from hyperpino.mixer.metrics import routing_matrix, summary
from hyperpino.mixer.mixture import MixERConfig
from hyperpino.mixer.plots import routing_heatmap
from hyperpino.mixer.suites import SuiteConfig, generate

MODELS = {  # name -> (n_experts, gate)
    "mixer_m1": (1, "lsq"),
    "mixer_m3": (3, "lsq"),
    "mixer_m10": (10, "lsq"),
    "naive_m3": (3, "softmax"),
}


def _suite(name: str, quick: bool) -> SuiteConfig:
    common = dict(n_train=2, n_test=4, n_adapt=1, n_adapt_test=4, n_t=10, horizon=0.5, seed=0)
    if name == "odebench10":
        return SuiteConfig(suite="odebench10", envs_per_family=1 if quick else 2, adapt_envs_per_family=1,
                           **common)
    return SuiteConfig(suite="lv", **(common | {"horizon": 1.0}))


def run(quick: bool, out_dir: Path) -> dict:
    torch.set_num_threads(1)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    seeds = [0] if quick else [0, 1, 2]
    models = {k: v for k, v in MODELS.items() if not quick or k != "mixer_m10"}
    train_cfg = MixerTrainConfig(outer_steps=4 if quick else 40, ctx_steps=5, model_steps=5, lr_model=3e-3,
                            lr_ctx=1e-2, gate_every=12, gate_trajs=1, checkpoint_every=1000,
                                 warmup=0.5)
    adapt_steps = 30 if quick else 100
    result: dict = {
        "bench": "mixer",
        "quick": quick,
        "sizes": "small: CoDA experts width 32 depth 3, ctx_dim 4, half-horizon 10-point trajectories, "
                 "ODEBench 2 envs/family (quick 1), LV 3x3 grid, 2 train trajectories/env, "
                 f"{train_cfg.outer_steps}x(5+5) steps, adaptation {adapt_steps} steps, top-2 experts; "
                 "NOT the paper's sizes",
        "seeds": seeds,
    }
    start = time.perf_counter()
    for suite in ("odebench10", "lv"):
        ds = generate(_suite(suite, quick))
        per_model: dict = {}
        for name, (m, gate) in models.items():
            runs = []
            for seed in seeds:
                cfg = MixERConfig(expert="coda", n_experts=m, gate=gate, width=32, depth=3, ctx_dim=4,
                                  ctx_init_std=0.0)
                model = build_model(cfg, ds["train"], seed=seed)
                trainer = Trainer(model, ds["train"], dataclasses.replace(train_cfg, seed=seed))
                trainer.run(progress=False)
                ev = evaluate(model, ds, adapt_steps=adapt_steps, top_k=2)
                runs.append({
                    "test_mse": ev["test"]["mean_mse"], "test_rel": ev["test"]["mean_rel_mse"],
                    "adapt_mse": ev["adapt_test"]["mean_mse"], "adapt_rel": ev["adapt_test"]["mean_rel_mse"],
                    "train_s": trainer.train_seconds,
                    "gate_share": trainer.gate_seconds / trainer.train_seconds,
                    "purity": ev["purity"], "final_train_loss": trainer.history[-1]["loss"],
                })
                if seed == seeds[0]:
                    routing_heatmap(routing_matrix(np.array(ev["routes"]), m), ds["train"].family,
                                    ds.families, out_dir / f"{suite}_{name}_routing.png", f"{suite} {name}")
                print(f"[mixer bench] {suite} {name} seed {seed}: test {runs[-1]['test_mse']:.3e} "
                      f"adapt {runs[-1]['adapt_mse']:.3e} {runs[-1]['train_s']:.1f}s "
                      f"(gate {100 * runs[-1]['gate_share']:.1f}%) purity {runs[-1]['purity']:.2f}",
                      file=sys.stderr)
            per_model[name] = {k: summary([r[k] for r in runs]) for k in runs[0]}
        result[suite] = per_model
        result[f"{suite}_envs"] = {"train": ds["train"].n_envs, "adapt": ds["adapt"].n_envs,
                                   "families": len(ds.families)}
    result["wall_s"] = time.perf_counter() - start
    return result


def table(result: dict) -> str:
    """A Markdown table of a result dict (for docs/mixer.md)."""
    rows = ["| suite | model | in-domain MSE | in-domain rel. MSE | adaptation MSE | adaptation rel. MSE "
            "| train s | gate share | purity |", "|" + "---|" * 9]
    for suite in ("odebench10", "lv"):
        for name, r in result.get(suite, {}).items():
            cells = [f"{r[k]['mean']:.2e} ± {r[k]['std']:.1e}" for k in ("test_mse", "test_rel", "adapt_mse",
                                                                          "adapt_rel")]
            rows.append(f"| {suite} | {name} | {' | '.join(cells)} | {r['train_s']['mean']:.1f} | "
                        f"{100 * r['gate_share']['mean']:.1f}% | {r['purity']['mean']:.2f} |")
    return "\n".join(rows)
