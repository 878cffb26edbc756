"""Cached reference solutions, keyed by the spec's content, h, grid size and solver version.

The solvers are deterministic, so a result can be reused whenever the same problem is asked for
again (the bundled examples are solved once per machine). Files live in
``$XDG_CACHE_HOME/hyperpino/reference`` (default ``~/.cache/hyperpino/reference``); a damaged file
is solved again and replaced.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from hyperpino.errors import HyperpinoError
from hyperpino.pde.problem import Problem
from hyperpino.pde.reference.solution import SOLVER_VERSION, ReferenceSolution
from hyperpino.pde.reference.solve import default_h, solve_reference
from hyperpino.pde.spec_io import spec_digest


def cache_dir() -> Path:
    """Where cached solutions live (not created here)."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "hyperpino" / "reference"


def cache_key(problem: Problem, h: float, n: int) -> str:
    """Hex digest of the spec's canonical JSON without its ``run`` options (they change how HyPINO
    runs, not the solution), ``h``, ``n`` and :data:`SOLVER_VERSION`."""
    text = f"{spec_digest(problem.spec)}|h={float(h)!r}|n={int(n)}|v={SOLVER_VERSION}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def reference_solution(problem: Problem, h: float | None = None, *, cache: bool = True,
                       directory: str | Path | None = None) -> ReferenceSolution:
    """The reference solution of ``problem`` on its evaluation grid, from the cache if present."""
    h = default_h(problem) if h is None else float(h)
    n = problem.spec.evaluation.grid
    path = Path(directory or cache_dir()) / f"{problem.name}-{cache_key(problem, h, n)}.h5"
    if cache and path.exists():
        try:
            return ReferenceSolution.load(path)
        except HyperpinoError:
            pass  # damaged or foreign file: solve again below
    sol = solve_reference(problem, h)
    if cache:
        try:
            sol.save(path)
        except OSError:
            pass  # a read-only cache must not stop a solve
    return sol
