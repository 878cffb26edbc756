"""``hyperpino bench frame``: the balanced frame against the box's own, on boxes unbalanced for their
operator.

Each problem is solved twice per route, the same way except for the frame (:mod:`hyperpino.pde.frame`):
once with the spec's box mapped onto [-1, 1]² axis by axis (``problem.in_frame(box)``, what
hyperpino did before 2026-12-07), once in the frame ``solve`` picks. Routes: a PINN from scratch
(``solve --from-scratch --time-budget T``) and the bundled model, zero-shot then fine-tuned
(``solve --refine 0 --time-budget T``). One thread, one run at a time; the relative L2 error against
the exact solution or the FEM reference, and the ratio box / balanced (above 1: the frame helps).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import torch

from hyperpino.files import write_text_atomic

EXAMPLES = ("channel", "advection_diffusion", "wave")
"""Bundled examples with boxes unbalanced for their operator (imbalance 100, 16 and 4)."""

_RECT = {"s": {"type": "rectangle", "min": [0, 0], "max": [4, 1]}}
INLINE = {
    "strip": {
        "name": "strip", "box": [[0, 4], [0, 1]], "exact": "sin(pi*x/2)*sin(2*pi*y)",
        "geometry": {"primitives": _RECT},
        "operator": {"expr": "-uxx - uyy", "source": "(pi**2/4 + 4*pi**2)*sin(pi*x/2)*sin(2*pi*y)"},
        "bcs": [{"type": "dirichlet", "on": "s.*", "value": "0"}]},
    "anisotropic": {
        "name": "anisotropic", "box": [[0, 1], [0, 1]], "exact": "sin(3*pi*x)*sin(pi*y)",
        "geometry": {"primitives": {"s": {"type": "rectangle", "min": [0, 0], "max": [1, 1]}}},
        "operator": {"expr": "-0.01*uxx - uyy", "source": "(0.09*pi**2 + pi**2)*sin(3*pi*x)*sin(pi*y)"},
        "bcs": [{"type": "dirichlet", "on": "s.*", "value": "0"}]},
}
"""Two more: −Δu = f on a 4 × 1 strip (u varies across the short side; imbalance 16) and
−0.01 u_xx − u_yy = f on the unit square (imbalance 100); Dirichlet u = 0, f from the exact u."""

BUDGET, QUICK_BUDGET = 30.0, 5.0
QUICK = ("channel", "strip")


def problems(names):
    """``name -> Problem`` of the benchmark's problems (bundled examples and the inline specs)."""
    from hyperpino.examples import examples_dir
    from hyperpino.pde.problem import build_problem
    from hyperpino.pde.spec import Spec

    return {n: build_problem(Spec.model_validate(INLINE[n]) if n in INLINE else examples_dir() / f"{n}.toml")
            for n in names}


def run_one(problem, route: str, frame: str, budget: float, *, reference, model=None) -> dict:
    """One solve: ``route`` "scratch" or "model", ``frame`` "box" or "balanced"; rel. L2 figures."""
    from hyperpino.solver.pipeline import solve

    if frame == "box":
        problem = problem.in_frame(problem.spec.box)
    elif frame != "balanced":
        raise ValueError(f"frame: 'box' or 'balanced', got {frame!r}")
    scratch = route == "scratch"
    result = solve(problem, model=None if scratch else model, reference=reference, refine=0,
                   time_budget=budget, from_scratch=scratch, seed=0)
    row = {"rel_l2": result.errors["rel_l2"], "frame": [list(side) for side in result.ensemble.box]}
    if not scratch:
        row["zero_shot"] = result.history[0].rel_l2
    return row


OPTIONS = ("only", "budget")


def run(quick: bool, out_dir: Path, *, only: str | None = None, budget: str | None = None) -> dict:
    """Every problem, route and frame in turn; writes ``frame.json``. Options (command-line strings):
    ``--only a,b`` (problem names), ``--budget SECONDS`` per solve."""
    from hyperpino.errors import HyperpinoError
    from hyperpino.model.hypino import BUNDLED, HyPINO
    from hyperpino.pde.frame import imbalance
    from hyperpino.solver.problems import reference_for

    known = (*EXAMPLES, *INLINE)
    names = [n.strip() for n in only.split(",") if n.strip()] if only else list(QUICK if quick else known)
    if unknown := [n for n in names if n not in known]:
        raise HyperpinoError(f"bench frame: --only: unknown problem(s) {', '.join(unknown)} "
                             f"(known: {', '.join(known)})")
    try:
        budget = float(budget) if budget is not None else QUICK_BUDGET if quick else BUDGET
    except ValueError:
        raise HyperpinoError(f"bench frame: --budget: expected seconds, got {budget!r}") from None
    if not 0 < budget < float("inf"):
        raise HyperpinoError(f"bench frame: --budget: must be a positive number of seconds, got {budget:g}")
    torch.set_num_threads(1)
    model = HyPINO.pretrained(BUNDLED)
    rows = []
    for name, problem in problems(names).items():
        ref = reference_for(problem)
        for route in ("scratch", "model"):
            got = {}
            for frame in ("box", "balanced"):
                print(f"bench frame: {name}, {route}, {frame} frame, {budget:g} s ...", file=sys.stderr,
                      flush=True)
                got[frame] = run_one(problem, route, frame, budget, reference=ref, model=model)
            box, bal = got["box"]["rel_l2"], got["balanced"]["rel_l2"]
            ratio = box / bal if bal > 0 else None
            rows.append({"problem": name, "imbalance": imbalance(problem), "route": route, "budget_s": budget,
                         "box": got["box"], "balanced": got["balanced"], "ratio": ratio})
            print(f"  rel L2 box {got['box']['rel_l2']:.3e}, balanced {got['balanced']['rel_l2']:.3e}",
                  file=sys.stderr, flush=True)
    result = {"benchmark": "frame", "quick": quick, "threads": 1, "rows": rows, "table": table(rows)}
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out_dir / "frame.json", json.dumps(result, indent=1))
    print(result["table"], file=sys.stderr)
    return result


def table(rows: list[dict]) -> str:
    """Markdown: rel. L2 in the box's frame and in the balanced one, per problem and route."""
    lines = ["| problem (imbalance) | route | time | zero-shot: box → balanced | box frame | balanced "
             "| ratio |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        zs = (f"{r['box']['zero_shot']:.2e} → {r['balanced']['zero_shot']:.2e}"
              if "zero_shot" in r["box"] else "—")
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:.3g}"
        lines.append(f"| {r['problem']} ({r['imbalance']:.3g}) | {r['route']} | {r['budget_s']:g} s | {zs} | "
                     f"{r['box']['rel_l2']:.2e} | {r['balanced']['rel_l2']:.2e} | {ratio} |")
    return "\n".join(lines)
