"""Which problems the model takes, and what the solve pipeline measures a solution against.

:func:`reference_for` gives the yardstick on the spec's evaluation grid: the spec's exact solution
when it has one (no discretisation error at all), otherwise the cached FEM reference.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from hyperpino.errors import HyperpinoError, OutOfFamilyError
from hyperpino.pde.finite import require_finite
from hyperpino.pde.problem import Problem


def check_in_family(problem: Problem) -> None:
    """Raise :class:`OutOfFamilyError` for problems HyPINO cannot take (variable coefficients).

    HyPINO reads the operator as one constant coefficient vector (Bischof et al. 2025, HyPINO,
    arXiv 2509.05117, §2 of the brief), so a coefficient depending on the coordinates has no input.
    """
    if not problem.operator.is_constant:
        raise OutOfFamilyError(
            f"{problem.name}: the operator's coefficients depend on the coordinates; HyPINO takes "
            "constant-coefficient operators only (`hyperpino solve` trains a PINN from scratch for it)")


def evaluation_grid(problem: Problem, n: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``x (n,)``, ``y (n,)`` (descending: row 0 is the top edge) and ``mask (n, n)`` of the
    evaluation grid over the box (``spec.evaluation.grid`` points per axis by default)."""
    from hyperpino.pde import geometry as geo

    n = problem.spec.evaluation.grid if n is None else int(n)
    grid = geo.grid_points(n, problem.box, dtype=torch.float64)
    mask = problem.domain.contains(grid).numpy().astype(bool)
    return grid[0, :, 0].numpy(), grid[:, 0, 1].numpy(), mask


def exact_reference(problem: Problem):
    """The spec's exact solution on its evaluation grid as a
    :class:`~hyperpino.pde.reference.ReferenceSolution` (``method = "exact"``)."""
    from hyperpino.pde.expr_torch import to_torch
    from hyperpino.pde.reference.solution import ReferenceSolution
    from hyperpino.pde.spec_io import spec_json

    if problem.exact is None:
        raise HyperpinoError(f"{problem.name}: the spec has no exact solution")
    t0 = time.perf_counter()
    x, y, mask = evaluation_grid(problem)
    xx, yy = np.meshgrid(x, y)
    fn = to_torch(problem.exact, problem.coords)
    u = fn(torch.from_numpy(xx), torch.from_numpy(yy)).expand(xx.shape).double().numpy().copy()
    u[~mask] = np.nan
    pts = np.stack([xx[mask], yy[mask]], -1)
    require_finite(u[mask], pts, "exact", problem.coords)
    nan = float("nan")
    return ReferenceSolution(problem.name, u, mask, x, y, "exact", nan, nan, 0, 0, 0,
                             time.perf_counter() - t0, spec_json(problem.spec))


def reference_for(problem: Problem):
    """The reference of ``problem``: exact if the spec has one, else the cached FEM solution
    (:func:`hyperpino.pde.reference.reference_solution`). None when no solver supports it."""
    return try_reference(problem)[0]


def try_reference(problem: Problem):
    """``(reference, None)``, or ``(None, why)`` when the reference solver refuses the problem: an
    (x, t) problem on a non-rectangular domain, or one whose discrete problem is singular (pure
    Neumann data without a u term), which the user should hear about."""
    if problem.exact is not None:
        return exact_reference(problem), None
    from hyperpino.pde.reference import reference_solution

    try:
        return reference_solution(problem), None
    except HyperpinoError as err:
        return None, str(err)
