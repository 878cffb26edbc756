"""The "PINN from scratch" baseline: error against wall time, measured against the reference.

Trains a randomly initialised ``ModifiedMLP`` with :func:`hyperpino.pinn.fit.fit_pinn`
within a time budget, stopping early at a target relative L2 error, and writes
``baseline.json`` (config, history, summary) and ``baseline.png`` (error vs time) to ``out_dir``.
This is the yardstick that a hypernetwork's zero-shot answer and fine-tuning are compared with.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import asdict, replace
from pathlib import Path

import torch

from hyperpino.files import write_atomic, write_text_atomic
from hyperpino.pde.frame import balanced
from hyperpino.pde.problem import Problem
from hyperpino.pinn.fit import FitConfig, fit_pinn, scratch_config
from hyperpino.pinn.history import Phase, Step


def _n(v: float | None) -> float:
    return math.nan if v is None else v


def format_row(e: Step) -> str:
    """One line of the error-vs-time table."""
    return (f"{e.time:8.1f} {e.step:7d} {e.phase.value or 'start':>6} {e.loss:10.3e} "
            f"{_n(e.rel_l2):10.3e} {_n(e.mse):10.3e} {_n(e.max_abs):10.3e} {_n(e.smape):8.4f}")


HEADER = (f"{'time[s]':>8} {'step':>7} {'phase':>6} {'loss':>10} {'rel_l2':>10} {'mse':>10} "
          f"{'max_abs':>10} {'smape':>8}")


def run_baseline(problem: Problem, *, budget: float = 600.0, tol: float | None = 1e-2,
                 out_dir: str | Path = "baseline_out", seed: int = 0, device: str = "auto",
                 dtype: str = "float32", threads: int | None = 1, quiet: bool = False,
                 config: FitConfig | None = None, reference=None) -> dict:
    """Train from scratch for ``budget`` seconds (or to ``tol``); returns ``history``, ``summary``,
    ``model`` and ``problem``: the problem in the frame the model trained in (evaluate the model at
    user points ``p`` as ``model(result["problem"].map.to_canonical(p))``).

    ``threads`` sets torch's CPU threads for this process: the small PINN trains fastest on one
    thread, and several threads fight over shared cores.
    """
    from hyperpino.pde.reference import reference_solution

    if threads:
        torch.set_num_threads(int(threads))
    ref = reference if reference is not None else reference_solution(problem)
    cfg = replace(config or scratch_config(float(budget)), time_budget=float(budget), target_error=tol,
                  seed=seed, device=device, dtype=dtype)
    if not quiet:
        print(f"{problem.name}: PINN from scratch vs reference ({ref.method}, h = {ref.h:.3g}, "
              f"{ref.dofs} dofs); budget {budget:g} s, target rel_l2 {tol}")
        print(HEADER)
    show = None if quiet else (lambda e: print(format_row(e), flush=True))
    # a fresh network trains in the frame where the operator is isotropic (hyperpino.pde.frame)
    problem = balanced(problem)
    res = fit_pinn(problem, config=cfg, reference=ref, callback=show)
    kept = res.best or res.history[-1]
    best = min((_n(e.rel_l2) for e in res.history), default=math.inf)
    summary = {"name": problem.name, "stopped": res.stopped.code, "stopped_message": res.stopped.message,
               "train_time": res.train_time, "steps": res.history[-1].step,
               "final": {k: v for k, v in kept.to_json().items()
                         if k in ("loss", "residual", "bc_rms", "rel_l2", "mse", "max_abs", "smape")},
               "best_rel_l2": best, "reference": ref.summary()}
    reached = [e for e in res.history if tol is not None and _n(e.rel_l2) <= tol]
    summary["time_to_tol"] = reached[0].time if reached else None
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    doc = {"config": asdict(cfg), "summary": summary, "history": [e.to_json() for e in res.history]}
    write_text_atomic(out / "baseline.json", json.dumps(doc, indent=1, default=float))
    _plot(res.history, out / "baseline.png", problem.name, tol)
    if not quiet:
        print(f"stopped: {res.stopped.message} after {res.train_time:.1f} s; kept rel_l2 "
              f"{_n(kept.rel_l2):.3e}, best seen {best:.3e}; wrote {out}/baseline.json, "
              f"{out}/baseline.png", file=sys.stdout)
    # the model maps problem.map's canonical points: the frame it trained in
    return {"history": res.history, "summary": summary, "model": res.model, "problem": problem}


def _plot(history: list[Step], path: Path, name: str, tol: float | None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for phase, style in ((Phase.ADAM, "-o"), (Phase.LBFGS, "-s")):
        pts = [(e.time, e.rel_l2) for e in history if e.phase is phase and e.rel_l2 is not None]
        if pts:
            ax.semilogy(*zip(*pts, strict=True), style, ms=3, label=phase.value)
    if tol is not None:
        ax.axhline(tol, color="gray", ls="--", lw=1, label=f"tol {tol:g}")
    ax.set_xlabel("training wall time [s]")
    ax.set_ylabel("relative L2 error vs reference")
    ax.set_title(f"{name}: PINN from scratch")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    try:
        write_atomic(path, lambda tmp: fig.savefig(tmp, dpi=120, format="png"))
    finally:
        plt.close(fig)
