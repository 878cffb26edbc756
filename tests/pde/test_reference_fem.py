"""The steady P2 solver against manufactured solutions: convergence order, all condition kinds."""

import numpy as np
import pytest
import sympy
from skfem import Functional, asm

from hyperpino.errors import HyperpinoError
from hyperpino.pde.expr import symbol
from hyperpino.pde.problem import build_problem
from hyperpino.pde.reference.fem import solve_steady
from hyperpino.pde.reference.numeric import np_fn
from hyperpino.pde.reference.probe import probe
from hyperpino.pde.spec_io import spec_from_mapping

X, Y = symbol("x"), symbol("y")
U = sympy.sin(1.3 * X + 0.4) * sympy.cos(0.9 * Y) + X * Y**2 / 3


def _normal_derivative(u, n):
    return u.diff(X) * n[0] + u.diff(Y) * n[1]


def _holes_problem(coefficients, u=U):
    """[-1,1]² minus a disk (Robin), a triangle (Dirichlet) and a rotated ellipse (Neumann); the
    box has Dirichlet left/bottom, Neumann right, Robin top."""
    disk_c, r = (0.4, 0.35), 0.25
    ell_c, ell_ab, ell_angle = (-0.45, 0.45), (0.3, 0.2), 0.6
    n_disk = (-(X - disk_c[0]) / r, -(Y - disk_c[1]) / r)  # outward from the domain: into the hole
    # ellipse: outward normal of the domain ∝ -∇q for q = (x'/a)² + (y'/b)², x' rotated
    c, s = np.cos(ell_angle), np.sin(ell_angle)
    xr, yr = c * (X - ell_c[0]) + s * (Y - ell_c[1]), -s * (X - ell_c[0]) + c * (Y - ell_c[1])
    q = (xr / ell_ab[0]) ** 2 + (yr / ell_ab[1]) ** 2
    grad = (q.diff(X), q.diff(Y))
    norm = sympy.sqrt(grad[0] ** 2 + grad[1] ** 2)
    n_ell = (-grad[0] / norm, -grad[1] / norm)
    ops = dict(coefficients)
    from hyperpino.pde.operator import parse_operator

    op = parse_operator(None, ops, ("x", "y"), {})
    data = {
        "name": "mms_holes",
        "box": [[-1, 1], [-1, 1]],
        "exact": str(u),
        "geometry": {
            "csg": "box - disk - tri - ell",
            "primitives": {
                "box": {"type": "rectangle", "min": [-1, -1], "max": [1, 1]},
                "disk": {"type": "disk", "center": list(disk_c), "radius": r},
                "tri": {"type": "triangle", "vertices": [[0.1, -0.7], [0.6, -0.6], [0.3, -0.2]]},
                "ell": {"type": "ellipse", "center": list(ell_c), "semi_axes": list(ell_ab),
                        "angle": ell_angle},
            },
        },
        "operator": {"coefficients": {k: str(v) for k, v in ops.items()},
                     "source": str(op.apply(u))},
        "bcs": [
            {"type": "dirichlet", "on": ["box.left", "box.bottom", "tri.*"], "value": str(u)},
            {"type": "neumann", "on": "box.right", "value": str(u.diff(X))},
            {"type": "robin", "on": "box.top", "a": "1 + x**2", "b": 2,
             "value": str((1 + X**2) * u + 2 * u.diff(Y))},
            {"type": "robin", "on": "disk", "a": 1.5, "b": 1,
             "value": str(1.5 * u + _normal_derivative(u, n_disk))},
            {"type": "neumann", "on": "ell", "value": str(_normal_derivative(u, n_ell))},
        ],
    }
    return build_problem(spec_from_mapping(data))


def l2_error(sol, exact) -> float:
    """``‖u_h − u‖_L2`` by quadrature on the (curved) mesh."""
    f = np_fn(exact, ("x", "y"))

    @Functional
    def err2(w):
        return (w.uh - f(*w.x)) ** 2

    return float(np.sqrt(asm(err2, sol.basis, uh=sol.basis.interpolate(sol.u))))


VARIABLE = {"uxx": "-(1 + x**2/4)", "uyy": "-(1 + y**2/5)", "uxy": "0.3*x*y", "ux": "0.5",
            "uy": "-0.4*x", "u": "1 + 0.2*y"}


def test_convergence_order_mixed_conditions_variable_coefficients():
    problem = _holes_problem(VARIABLE)
    hs = (0.2, 0.1, 0.05)
    errs = [l2_error(solve_steady(problem, h), problem.exact) for h in hs]
    orders = [np.log2(errs[i] / errs[i + 1]) for i in range(len(errs) - 1)]
    assert errs[-1] < 2e-5, errs
    assert min(orders) > 2.5, (errs, orders)


def test_anisotropic_neumann_uses_the_normal_derivative():
    # a constant u_xy term makes the conormal derivative differ from ∂u/∂n on every edge
    problem = _holes_problem({"uxx": "-1", "uyy": "-2", "uxy": "0.8", "u": "0.5"})
    assert l2_error(solve_steady(problem, 0.1), problem.exact) < 5e-5


def test_probe_matches_exact_inside_and_on_curved_edges():
    problem = _holes_problem(VARIABLE)
    sol = solve_steady(problem, 0.1)
    import torch

    pts = problem.domain.sample_boundary(400, generator=torch.Generator().manual_seed(0),
                                         dtype=torch.float64).points.numpy().T
    exact = np_fn(problem.exact, ("x", "y"))(*pts)
    assert np.abs(probe(sol.basis, sol.u, pts)[0] - exact).max() < 5e-4


def test_pure_neumann_is_reported_singular():
    data = {
        "name": "pure_neumann", "box": [[-1, 1], [-1, 1]],
        "geometry": {"primitives": {"d": {"type": "disk", "center": [0, 0], "radius": 1}}},
        "operator": {"expr": "-uxx - uyy", "source": 0},
        "bcs": [{"type": "neumann", "on": "d", "value": 0}],
    }
    with pytest.raises(HyperpinoError, match="singular"):
        solve_steady(build_problem(spec_from_mapping(data)), 0.3)
