"""The (x, t) march reproduces the heat and wave benchmarks' exact solutions."""

from pathlib import Path

import numpy as np
import pytest
import sympy

from hyperpino.errors import HyperpinoError
from hyperpino.pde.metrics import rel_l2
from hyperpino.pde.problem import build_problem
from hyperpino.pde.reference import solve_reference
from hyperpino.pde.reference.numeric import np_fn
from hyperpino.pde.spec_io import spec_from_mapping

EXAMPLES = Path(__file__).parents[2] / "examples"


def _exact_error(problem, sol) -> float:
    xx, yy = np.meshgrid(sol.x, sol.y)
    exact = np_fn(problem.exact, problem.coords)(xx, yy) * np.ones_like(xx)
    return rel_l2(sol.u, exact, sol.mask)


@pytest.mark.parametrize("name", ["heat.toml", "heat_box.json", "wave.toml"])
def test_benchmark_exact_solution(name):
    problem = build_problem(EXAMPLES / name)
    sol = solve_reference(problem)
    assert sol.mask.all() and sol.method == "cn-p2-richardson"
    assert _exact_error(problem, sol) <= 1e-4


def _rod(bcs, operator, exact, ic):
    data = {"name": "rod", "coords": ["x", "t"], "box": [[0, 1], [0, 1]], "exact": exact,
            "geometry": {"primitives": {"r": {"type": "rectangle", "min": [0, 0], "max": [1, 1]}}},
            "operator": operator, "bcs": [*bcs, *ic]}
    return build_problem(spec_from_mapping(data))


def test_neumann_robin_ends_variable_coefficient_and_source():
    # u = exp(-t) cos(x) + x t ; heat with k(x) = 1 + x/2: u_t - (k u_x)_x = f
    x, t = sympy.symbols("x t")
    u = sympy.exp(-t) * sympy.cos(x) + x * t
    k = 1 + x / 2
    f = u.diff(t) - (k * u.diff(x)).diff(x)
    problem = _rod(
        [{"type": "neumann", "on": "r.left", "value": str(-u.diff(x).subs(x, 0))},
         {"type": "robin", "on": "r.right", "a": 2, "b": 1,
          "value": str((2 * u + u.diff(x)).subs(x, 1))}],
        {"coefficients": {"ut": 1, "uxx": "-(1 + x/2)", "ux": "-0.5"}, "source": str(f)},
        str(u), [{"type": "initial_value", "value": str(u.subs(t, 0))}])
    sol = solve_reference(problem, h=1 / 64)
    assert _exact_error(problem, sol) <= 1e-6


def test_wave_with_damping_and_rate():
    # u = sin(pi x) (cos t + sin t) solves u_tt + 0 ... with source; Dirichlet ends, initial rate
    u = "sin(pi*x)*(cos(t) + sin(t))"
    problem = _rod(
        [{"type": "dirichlet", "on": ["r.left", "r.right"], "value": 0}],
        {"expr": "utt + 0.3*ut - uxx", "source":
         "sin(pi*x)*(-(cos(t) + sin(t)) + 0.3*(cos(t) - sin(t)) + pi**2*(cos(t) + sin(t)))"},
        u, [{"type": "initial_value", "value": "sin(pi*x)"},
            {"type": "initial_rate", "value": "sin(pi*x)"}])
    assert _exact_error(problem, solve_reference(problem)) <= 1e-6


def test_domain_with_hole_is_refused():
    data = {"name": "holey", "coords": ["x", "t"], "box": [[0, 1], [0, 1]],
            "geometry": {"csg": "r - d", "primitives": {
                "r": {"type": "rectangle", "min": [0, 0], "max": [1, 1]},
                "d": {"type": "disk", "center": [0.5, 0.5], "radius": 0.2}}},
            "operator": {"expr": "ut - uxx", "source": 0},
            "bcs": [{"type": "dirichlet", "on": ["r.left", "r.right", "d"], "value": 0},
                    {"type": "initial_value", "value": 0}]}
    with pytest.raises(HyperpinoError, match="not supported by the reference solver"):
        solve_reference(build_problem(spec_from_mapping(data)))
