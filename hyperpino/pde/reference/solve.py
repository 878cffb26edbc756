"""One entry point for any valid problem: pick the solver, sample the evaluation grid.

``(x, y)`` problems go to the steady P2 solver (:mod:`.fem`), ``(x, t)`` problems to the
Crank–Nicolson march (:mod:`.timestep`). Either way the result is a :class:`ReferenceSolution`
on ``spec.evaluation.grid`` points over the box, NaN outside the domain.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from hyperpino.errors import HyperpinoError
from hyperpino.pde import geometry as geo
from hyperpino.pde.problem import Problem
from hyperpino.pde.reference.fem import solve_steady
from hyperpino.pde.reference.probe import probe
from hyperpino.pde.reference.solution import ReferenceSolution
from hyperpino.pde.reference.timestep import DEFAULT_CELLS, rectangle_of, solve_evolution
from hyperpino.pde.spec_io import spec_json

CELLS_PER_SQRT_AREA = 64
"""Default steady mesh size: ``h = sqrt(area) / 64`` (about 8,000 triangles, 16,000 P2 dofs)."""


OUTSIDE_TOL = 1e-3
"""Grid points further outside the mesh than this (reference units, ~ distance / h) are masked."""


def default_h(problem: Problem) -> float:
    """Mesh size used when none is given."""
    if problem.spec.is_evolution:
        (x0, x1), _ = rectangle_of(problem)
        return (x1 - x0) / DEFAULT_CELLS
    return math.sqrt(problem.domain.area) / CELLS_PER_SQRT_AREA


def solve_reference(problem: Problem, h: float | None = None, *, n: int | None = None,
                    steps: int | None = None) -> ReferenceSolution:
    """Solve ``problem`` with mesh size ``h`` and sample it on an ``n × n`` grid (default: spec's)."""
    n = problem.spec.evaluation.grid if n is None else int(n)
    h = default_h(problem) if h is None else float(h)
    if not (h > 0 and math.isfinite(h)):
        raise HyperpinoError(f"reference solver: h must be a positive number, got {h}")
    box = problem.box
    grid = geo.grid_points(n, box, dtype=torch.float64)  # (n, n, 2), row 0 at the top
    mask = problem.domain.contains(grid).numpy()
    x, y = grid[0, :, 0].numpy(), grid[:, 0, 1].numpy()
    u = np.full((n, n), np.nan)
    if problem.spec.is_evolution:
        sol = solve_evolution(problem, x, y, h=h, steps=steps)
        cols = np.searchsorted(x, sol.x)
        rows = np.array([int(np.argmin(np.abs(y - t))) for t in sol.t], dtype=np.int64)
        u[np.ix_(rows, cols)] = sol.u
        u[~mask] = np.nan
        mask &= np.isfinite(u)
        return ReferenceSolution(problem.name, u, mask, x, y, "cn-p2-richardson", sol.h, sol.dt,
                                 sol.dofs, sol.nodes, sol.elements, sol.solve_time,
                                 spec_json(problem.spec))
    sol = solve_steady(problem, h)
    pts = grid.numpy()[mask].T  # (2, n_inside)
    values, outside = probe(sol.basis, sol.u, pts)
    u[mask] = values
    # The SDF also counts slits of zero width (the edge y = 1, x > 0 of "box - corner") as inside;
    # only points on the mesh (up to round-off beyond curved edges) belong to the domain's closure.
    keep = outside <= OUTSIDE_TOL
    inside = np.flatnonzero(mask.ravel())
    mask.ravel()[inside[~keep]] = False
    u[~mask] = np.nan
    return ReferenceSolution(problem.name, u, mask, x, y, "fem-p2", sol.h, float("nan"), sol.dofs,
                             sol.nodes, sol.elements, sol.solve_time, spec_json(problem.spec))
