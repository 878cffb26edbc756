"""What :func:`hyperpino.solve` returns: the ensemble, its solution on the grid, and how it got there."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from hyperpino.pde.problem import Problem
from hyperpino.solver.ensemble import PINNEnsemble

SCALARS = ("stage", "step", "members", "time", "phase", "loss", "pde_rms", "bc_rms",
           "rel_l2", "mse", "mae", "max_abs", "smape")
"""History fields that are written as columns (HDF5) and shown in the summary."""


@dataclass
class SolveResult:
    """The outcome of one solve.

    ``ensemble``: the solution as a module on user points ``(N, 2) -> (N, 1)``. On the evaluation
    grid (``spec.evaluation.grid``² points over the box, row 0 at the top): ``x (n,)``, ``y (n,)``,
    ``u (n, n)`` and ``residual (n, n)`` = ``L u − f`` (both NaN outside the domain), ``mask (n, n)``.
    ``boundary``: per ``bcs`` entry, RMS and max of the condition's residual at the end.
    ``history``: one dict per step (``stage`` zero-shot / refine / finetune, ``time`` seconds since
    the start, physics residuals, errors against the reference when there is one).
    ``reference``: a :class:`~hyperpino.pde.reference.ReferenceSolution` or None; ``errors`` the final
    metrics against it (None without one). ``timings`` seconds per stage; ``info`` the model and
    settings; ``stopped`` why refinement and fine-tuning ended.
    """

    problem: Problem
    ensemble: PINNEnsemble
    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    mask: np.ndarray
    residual: np.ndarray
    boundary: dict[str, dict]
    history: list[dict]
    reference: object | None = None
    errors: dict[str, float] | None = None
    timings: dict[str, float] = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    stopped: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.problem.name

    def to_dict(self) -> dict:
        """JSON-able summary (no arrays)."""
        ref = self.reference
        return {
            "name": self.name, "info": self.info, "timings": self.timings, "stopped": self.stopped,
            "members": len(self.ensemble), "errors": _clean(self.errors), "boundary": _clean(self.boundary),
            "reference": None if ref is None else _clean(ref.summary()),
            "residual_rms": _rms(self.residual), "history": _clean(self.history), "files": self.files,
        }

    def summary(self) -> str:
        """A one-screen text report."""
        p, s = self.problem, self.problem.spec
        lines = [p.name + (f" — {s.description}" if s.description else "")]
        info = self.info
        lines.append(f"  model        {info.get('model', '?')} (grid {info.get('grid', '?')}) on "
                     f"{info.get('device', '?')}")
        stages = ["zero-shot"]
        if info.get("refine"):
            n = sum(1 for e in self.history if e["stage"] == "refine")
            stages.append(f"refine {n}/{info['refine']} ({self.stopped.get('refine', '')})")
        if "finetune" in self.stopped:
            stages.append(f"fine-tune ({self.stopped['finetune']})")
        lines.append("  pipeline     " + " → ".join(stages))
        have_ref = any("rel_l2" in e for e in self.history)
        head = f"    {'step':<12}{'members':>8}{'time[s]':>9}{'PDE rms':>11}{'bound. rms':>11}"
        lines.append(head + (f"{'rel L2':>11}{'MSE':>11}" if have_ref else ""))
        for e in _shown(self.history):
            label = e["stage"] if e["stage"] == "zero-shot" else f"{e['stage']} {e['step']}"
            row = (f"    {label:<12}{e.get('members', len(self.ensemble)):>8}{e['time']:>9.2f}"
                   f"{_g(e.get('pde_rms')):>11}{_g(e.get('bc_rms')):>11}")
            if have_ref:
                row += f"{_g(e.get('rel_l2')):>11}{_g(e.get('mse')):>11}"
            lines.append(row)
        for key, b in self.boundary.items():
            lines.append(f"  boundary     {key} {b['type']} on {', '.join(b['pieces'])}: rms {_g(b['rms'])}, "
                         f"max {_g(b['max'])}")
        finite = self.residual[np.isfinite(self.residual)]
        worst = float(np.abs(finite).max()) if finite.size else None
        lines.append(f"  residual     |L u − f| on the grid: rms {_g(_rms(self.residual))}, max {_g(worst)}")
        if self.errors is not None and self.reference is not None:
            ref = self.reference
            how = "exact solution" if ref.method == "exact" else f"{ref.method}, {ref.dofs} dofs"
            e = self.errors
            lines.append(f"  reference    {how}: rel L2 {_g(e['rel_l2'])}, MSE {_g(e['mse'])}, "
                         f"max abs {_g(e['max_abs'])}")
        else:
            lines.append("  reference    none")
        t = self.timings
        lines.append("  time         " + ", ".join(f"{k} {v:.2f} s" for k, v in t.items()))
        for kind, path in self.files.items():
            lines.append(f"  {kind:<12} {path}")
        return "\n".join(lines)


def _shown(history: list[dict]) -> list[dict]:
    """Every zero-shot/refine row, and only the last fine-tuning row (its history is long)."""
    rows = [e for e in history if e["stage"] != "finetune"]
    tuned = [e for e in history if e["stage"] == "finetune"]
    return rows + tuned[-1:]


def _g(v) -> str:
    return "–" if v is None or not isinstance(v, (int, float)) or not math.isfinite(v) else f"{v:.3e}"


def _rms(a: np.ndarray) -> float | None:
    v = a[np.isfinite(a)]
    return float(np.sqrt(np.mean(v ** 2))) if v.size else None


def _clean(x):
    """Nested data -> JSON-able (NaN/inf -> None, numpy scalars -> floats)."""
    if isinstance(x, dict):
        return {str(k): _clean(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_clean(v) for v in x]
    if isinstance(x, (np.floating, np.integer)):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x
