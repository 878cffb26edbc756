"""The "PINN from scratch" baseline: error against wall time, measured against the reference.

Trains a randomly initialised ``ModifiedMLP`` with :func:`hyperpino.pinn.fit.fit_pinn`
within a time budget, stopping early at a target relative L2 error, and writes
``baseline.json`` (config, history, summary) and ``baseline.png`` (error vs time) to ``out_dir``.
This is the yardstick that a hypernetwork's zero-shot answer and fine-tuning are compared with.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, replace
from pathlib import Path

import torch

from hyperpino.pde.problem import Problem
from hyperpino.pinn.fit import FitConfig, fit_pinn

COLUMNS = ("time", "step", "phase", "loss", "rel_l2", "mse", "max_abs", "smape")


def format_row(entry: dict) -> str:
    """One line of the error-vs-time table."""
    return (f"{entry['time']:8.1f} {entry['step']:7d} {entry['phase']:>6} {entry['loss']:10.3e} "
            f"{entry.get('rel_l2', float('nan')):10.3e} {entry.get('mse', float('nan')):10.3e} "
            f"{entry.get('max_abs', float('nan')):10.3e} {entry.get('smape', float('nan')):8.4f}")


HEADER = (f"{'time[s]':>8} {'step':>7} {'phase':>6} {'loss':>10} {'rel_l2':>10} {'mse':>10} "
          f"{'max_abs':>10} {'smape':>8}")


def run_baseline(problem: Problem, *, budget: float = 600.0, tol: float | None = 1e-2,
                 out_dir: str | Path = "baseline_out", seed: int = 0, device: str = "auto",
                 dtype: str = "float32", threads: int | None = 1, quiet: bool = False,
                 config: FitConfig | None = None, reference=None) -> dict:
    """Train from scratch for ``budget`` seconds (or to ``tol``); returns history and summary.

    ``threads`` sets torch's CPU threads for this process: the small PINN trains fastest on one
    thread, and several threads fight over shared cores.
    """
    from hyperpino.pde.reference import reference_solution

    if threads:
        torch.set_num_threads(int(threads))
    ref = reference if reference is not None else reference_solution(problem)
    cfg = replace(config or FitConfig(), time_budget=float(budget), target_error=tol, seed=seed,
                  device=device, dtype=dtype)
    if not quiet:
        print(f"{problem.name}: PINN from scratch vs reference ({ref.method}, h = {ref.h:.3g}, "
              f"{ref.dofs} dofs); budget {budget:g} s, target rel_l2 {tol}")
        print(HEADER)
    show = None if quiet else (lambda e: print(format_row(e), flush=True))
    res = fit_pinn(problem, config=cfg, reference=ref, callback=show)
    last = res.history[-1] if res.history else {}
    best = min((e.get("rel_l2", float("inf")) for e in res.history), default=float("inf"))
    summary = {"name": problem.name, "stopped": res.stopped, "train_time": res.train_time,
               "steps": last.get("step", 0), "final": {k: last.get(k) for k in COLUMNS[3:]},
               "best_rel_l2": best, "reference": ref.summary()}
    reached = [e for e in res.history if tol is not None and e.get("rel_l2", 1e300) <= tol]
    summary["time_to_tol"] = reached[0]["time"] if reached else None
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    doc = {"config": asdict(cfg), "summary": summary, "history": res.history}
    atomic_write_text(out / "baseline.json", json.dumps(doc, indent=1, default=float))
    _plot(res.history, out / "baseline.png", problem.name, tol)
    if not quiet:
        print(f"stopped: {res.stopped} after {res.train_time:.1f} s; final rel_l2 "
              f"{summary['final']['rel_l2']:.3e}, best {best:.3e}; wrote {out}/baseline.json, "
              f"{out}/baseline.png", file=sys.stdout)
    return {"history": res.history, "summary": summary, "model": res.model}


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed into place (removed on failure)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _plot(history: list[dict], path: Path, name: str, tol: float | None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for phase, style in (("adam", "-o"), ("lbfgs", "-s")):
        pts = [(e["time"], e["rel_l2"]) for e in history if e["phase"] == phase and "rel_l2" in e]
        if pts:
            ax.semilogy(*zip(*pts, strict=True), style, ms=3, label=phase)
    if tol is not None:
        ax.axhline(tol, color="gray", ls="--", lw=1, label=f"tol {tol:g}")
    ax.set_xlabel("training wall time [s]")
    ax.set_ylabel("relative L2 error vs reference")
    ax.set_title(f"{name}: PINN from scratch")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    os.replace(tmp, path)
