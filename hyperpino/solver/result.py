"""What :func:`hyperpino.solve` returns: the ensemble, its solution on the grid, and how it got there.

Plain typed data: writing it is :func:`hyperpino.solver.outputs.save_result`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from hyperpino.pde.problem import Problem
from hyperpino.pinn.history import Stage, Step, StopReason
from hyperpino.solver.ensemble import PINNEnsemble

if TYPE_CHECKING:
    from hyperpino.pde.reference.solution import ReferenceSolution


@dataclass(frozen=True)
class BoundaryResidual:
    """The residual of one ``bcs`` entry (``key`` = ``bcs[i]``) at the end: RMS and max."""

    key: str
    kind: str
    pieces: tuple[str, ...]
    rms: float
    max: float


@dataclass
class SolveResult:
    """The outcome of one solve.

    ``ensemble``: the solution as a module on user points ``(N, 2) -> (N, 1)``. On the evaluation
    grid (``spec.evaluation.grid``² points over the box, row 0 at the top): ``x (n,)``, ``y (n,)``,
    ``u (n, n)`` and ``residual (n, n)`` = ``L u − f`` (both NaN outside the domain), ``mask (n, n)``.
    ``boundary``: per ``bcs`` entry, the condition's residual at the end. ``history``: one
    :class:`Step` per measurement (zero-shot, refinement, fine-tuning or training from scratch; ``time``
    seconds since the solve started). ``final``: the answer's own measurement on the check points
    (what the stopping rules compare). ``reference``: the reference solution or None; ``errors`` the
    final metrics against it. ``timings``: seconds of each phase that ran (``total`` is the process's
    wall time when the CLI adds it). ``stopped``: why each phase ended. ``notes``: what the user
    should know (a route taken, a result kept, what to try next).
    """

    problem: Problem
    ensemble: PINNEnsemble
    x: np.ndarray
    y: np.ndarray
    u: np.ndarray
    mask: np.ndarray
    residual: np.ndarray
    boundary: list[BoundaryResidual]
    history: list[Step]
    final: Step
    reference: ReferenceSolution | None = None
    errors: dict[str, float] | None = None
    timings: dict[str, float] = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    stopped: dict[Stage, StopReason] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.problem.name

    @property
    def interrupted(self) -> bool:
        return StopReason.INTERRUPTED in self.stopped.values()

    def to_dict(self) -> dict:
        """JSON-able summary (no arrays)."""
        ref = self.reference
        return {
            "name": self.name, "info": self.info, "timings": self.timings,
            "stopped": {stage.value: {"code": r.code, "message": r.message}
                        for stage, r in self.stopped.items()},
            "members": len(self.ensemble), "errors": _clean(self.errors), "final": self.final.to_json(),
            "boundary": {b.key: _clean({"type": b.kind, "pieces": list(b.pieces), "rms": b.rms,
                                        "max": b.max}) for b in self.boundary},
            "reference": None if ref is None else _clean(ref.summary()), "notes": self.notes,
            "residual_rms": _rms(self.residual), "history": [e.to_json() for e in self.history],
            "files": self.files,
        }

    def summary(self) -> str:
        """A one-screen text report."""
        p, s = self.problem, self.problem.spec
        lines = [p.name + (f" — {s.description}" if s.description else "")]
        info = self.info
        if info.get("route") == "scratch":
            lines.append(f"  route        PINN trained from scratch on {info.get('device', '?')} "
                         f"({info.get('dtype')})")
        else:
            lines.append(f"  model        {info.get('model', '?')} (grid {info.get('grid', '?')}) on "
                         f"{info.get('device', '?')}")
        stages = [] if info.get("route") == "scratch" else ["zero-shot"]
        n_refine = sum(1 for e in self.history if e.stage is Stage.REFINE)
        for stage, reason in self.stopped.items():
            count = f" {n_refine}/{info['options']['refine']}" if stage is Stage.REFINE else ""
            stages.append(f"{stage.value}{count} ({reason.message})")
        lines.append("  pipeline     " + " → ".join(stages))
        have_ref = any(e.rel_l2 is not None for e in self.history)
        head = (f"    {'step':<14}{'members':>8}{'time[s]':>9}{'PDE res.':>11}{'bound. res.':>12}"
                f"{'bound. rms':>11}")
        lines.append(head + (f"{'rel L2':>11}{'MSE':>11}" if have_ref else ""))
        for e in _shown(self.history):
            row = (f"    {e.label:<14}{e.members:>8}{e.time:>9.2f}{_g(e.residual):>11}{_g(e.bc_residual):>12}"
                   f"{_g(e.bc_rms):>11}")
            if have_ref:
                row += f"{_g(e.rel_l2):>11}{_g(e.mse):>11}"
            lines.append(row)
        f = self.final
        lines.append(f"  answer       relative residuals: PDE {_g(f.residual)} (RMS(Lu − f) / RMS(|f| + "
                     f"Σ|terms|)), boundary {_g(f.bc_residual)}; rms: PDE {_g(f.pde_rms)}, boundary "
                     f"{_g(f.bc_rms)}")
        for b in self.boundary:
            lines.append(f"  boundary     {b.key} {b.kind} on {', '.join(b.pieces)}: rms {_g(b.rms)}, "
                         f"max {_g(b.max)}")
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
        lines.append("  time         " + ", ".join(f"{k} {v:.2f} s" for k, v in self.timings.items()))
        for note in self.notes:
            lines.append(f"  note         {note}")
        for kind, path in self.files.items():
            lines.append(f"  {kind:<12} {path}")
        return "\n".join(lines)


def _shown(history: list[Step]) -> list[Step]:
    """Every zero-shot/refine row, and the first and last rows of training (its history is long)."""
    rows = [e for e in history if e.stage in (Stage.ZERO_SHOT, Stage.REFINE)]
    tuned = [e for e in history if e.stage not in (Stage.ZERO_SHOT, Stage.REFINE)]
    return rows + tuned[:1] + tuned[-1:] if len(tuned) > 1 else rows + tuned


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
