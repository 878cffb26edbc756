"""The frame a PINN from scratch trains in: isotropic principal part, the box inside, data kept."""

from __future__ import annotations

import math

import pytest
import torch

from hyperpino.pde.collocation import sample_problem
from hyperpino.pde.frame import (
    MODEL_STRETCH,
    balanced,
    balanced_frame,
    covers,
    imbalance,
    principal_sizes,
    region,
)
from hyperpino.pde.problem import build_problem
from hyperpino.pde.spec import Spec


def _problem(box, expr="-uxx - uyy", source="1", coords=None, extra=None):
    (x0, x1), (y0, y1) = box
    doc = {"name": "p", "box": [list(box[0]), list(box[1])],
           "geometry": {"primitives": {"r": {"type": "rectangle", "min": [x0, y0], "max": [x1, y1]}}},
           "operator": {"expr": expr, "source": source},
           "bcs": [{"type": "dirichlet", "on": "r.*", "value": "0"}]}
    if coords:
        doc["coords"] = coords
    doc.update(extra or {})
    return build_problem(Spec.model_validate(doc))


def _flat(box):
    return [v for side in box for v in side]


def _canonical_principal(problem):
    sx, sy = problem.map.scale
    cxx, cyy = principal_sizes(problem)
    return cxx * sx * sx, cyy * sy * sy


def test_laplacian_on_a_channel_gets_a_square_around_the_box():
    p = _problem(((0, 10), (0, 1)))
    assert _flat(balanced_frame(p)) == pytest.approx([0.0, 10.0, -4.5, 5.5])
    q = balanced(p)
    assert _flat(q.map.box) == pytest.approx([0.0, 10.0, -4.5, 5.5])
    assert q.spec is p.spec and q.domain is p.domain  # only the frame moved
    a, b = _canonical_principal(q)
    assert a == pytest.approx(b)
    a, b = _canonical_principal(p)
    assert b / a == pytest.approx(100.0) == imbalance(p)  # what the user's box map made of −Δu
    assert imbalance(q.in_frame(q.spec.box)) == imbalance(p)  # of the user's box, whatever the frame


def test_anisotropic_operator_on_a_square_stretches_the_other_way():
    p = _problem(((0, 1), (0, 1)), expr="-0.01*uxx - uyy")
    (x0, x1), (y0, y1) = frame = balanced_frame(p)
    assert (x0, x1) == pytest.approx((0.0, 1.0)) and (y1 - y0) == pytest.approx(10.0)
    assert (y0 + y1) / 2 == pytest.approx(0.5) and covers(frame, p.spec.box)
    a, b = _canonical_principal(balanced(p))
    assert a == pytest.approx(b)


def test_balanced_or_unbalanceable_problems_keep_the_box():
    square = _problem(((-1, 1), (-1, 1)), expr="-2*uxx - 2*uyy + u")
    assert balanced_frame(square) == ((-1.0, 1.0), (-1.0, 1.0)) and imbalance(square) == 1.0
    no_yy = _problem(((0, 4), (0, 1)), expr="-uxx + uy")
    assert balanced_frame(no_yy) == ((0.0, 4.0), (0.0, 1.0)) and imbalance(no_yy) == 1.0
    heat = build_problem(Spec.model_validate({
        "name": "heat", "coords": ["x", "t"], "box": [[0, 8], [0, 1]],
        "geometry": {"primitives": {"r": {"type": "rectangle", "min": [0, 0], "max": [8, 1]}}},
        "operator": {"expr": "ut - uxx", "source": "0"},
        "bcs": [{"type": "dirichlet", "on": ["r.left", "r.right"], "value": "0"},
                {"type": "initial_value", "on": "r.bottom", "value": "sin(pi*x/8)"}]}))
    assert balanced_frame(heat) == ((0.0, 8.0), (0.0, 1.0))  # no u_tt: time and space share no unit
    assert imbalance(heat) == 1.0


def test_the_wave_speed_is_the_unit_of_a_wave_problem():
    from hyperpino.examples import examples_dir

    wave = build_problem(examples_dir() / "wave.toml")  # u_tt = 4 u_xx on [0, 1]²
    assert imbalance(wave) == pytest.approx(4.0)
    assert _flat(balanced_frame(wave)) == pytest.approx([-0.5, 1.5, 0.0, 1.0])
    q = balanced(wave)
    a, b = _canonical_principal(q)
    assert a == pytest.approx(b)
    # the initial edge is still the box's t = 0 edge, whatever the frame
    assert q.initial_pieces == wave.initial_pieces == ("box.bottom",)


def test_variable_coefficients_are_balanced_on_their_mean_size():
    p = _problem(((0, 1), (0, 4)), expr="-(1 + x)*uxx - (1 + x)*uyy")
    cxx, cyy = principal_sizes(p)
    assert cxx == pytest.approx(cyy) and 1.2 < cxx < 1.8  # the mean of 1 + x over the domain
    assert _flat(balanced_frame(p)) == pytest.approx([-1.5, 2.5, 0.0, 4.0])


def test_the_physics_is_the_same_in_every_frame():
    """Collocation rows in another frame describe the same equation: a function's residual at the
    same user points is the same (chain rule on the coefficients, scaled normals)."""
    p = _problem(((0, 6), (0, 1)), expr="-uxx - uyy + 0.5*ux")
    q = balanced(p)

    def residual(problem):
        gen = torch.Generator().manual_seed(3)
        col = sample_problem(problem, 64, 32, generator=gen, dtype=torch.float64)
        user = problem.map.to_user(col.interior)
        x, y = user[:, 0], user[:, 1]
        sx, sy = (1 / s for s in problem.map.scale)  # dx/dX
        # u = sin(x) cos(2y): derivatives in canonical coordinates by the chain rule
        sin, cos = torch.sin(x), torch.cos(x)
        s2, c2 = torch.sin(2 * y), torch.cos(2 * y)
        terms = torch.stack([sin * c2, sx * cos * c2, -2 * sy * sin * s2, -sx * sx * sin * c2,
                             -4 * sy * sy * sin * c2, -2 * sx * sy * cos * s2], -1)
        return user, (col.coeffs * terms).sum(-1)

    (up, rp), (uq, rq) = residual(p), residual(q)
    def lu(u):  # −Δu + 0.5 u_x of sin(x) cos(2y)
        return (5 * torch.sin(u[:, 0]) + 0.5 * torch.cos(u[:, 0])) * torch.cos(2 * u[:, 1])

    torch.testing.assert_close(rp, lu(up))
    torch.testing.assert_close(rq, lu(uq))
    assert bool((q.map.to_canonical(uq)[:, 1].abs() <= 1 / 6 + 1e-12).all())  # a band of the frame


def test_covers():
    box = ((0.0, 10.0), (0.0, 1.0))
    assert covers(((0.0, 10.0), (-4.5, 5.5)), box) and covers(box, box)
    assert not covers(((0.0, 9.0), (-4.5, 5.5)), box)
    assert not covers(((0.0, 10.0), (0.2, 5.5)), box)
    assert math.isclose(balanced_frame(_problem(((0, 10), (0, 1))))[1][1], 5.5)


def test_check_says_the_frame_of_an_elongated_box():
    from hyperpino.pde.check import summary

    text = summary(_problem(((0, 10), (0, 1))))
    assert "frame        [0, 10] × [-4.5, 5.5] for the PINN: isotropic there (the box map: 100:1)" in text
    assert "frame" not in summary(_problem(((0, 2), (0, 2))))
    thin = summary(_problem(((0, 1), (0, 1)), expr="-0.0001*uxx - uyy"))
    assert "frame        [0, 1] × [-49.5, 50.5] for the PINN" in thin
    assert "[0, 1] × [-4.5, 5.5] for the model (its raster widens the box at most 10×)" in thin


def test_the_models_frame_widens_the_box_at_most_model_stretch():
    # −1e-4 u_xx − u_yy: the full balance widens the box 100× (a PINN from scratch takes it); the
    # model's raster would hold no row of the domain there, so its frame stops at MODEL_STRETCH
    p = _problem(((0, 1), (0, 1)), expr="-0.0001*uxx - uyy")
    assert _flat(balanced_frame(p)) == pytest.approx([0.0, 1.0, -49.5, 50.5])
    assert _flat(balanced_frame(p, MODEL_STRETCH)) == pytest.approx([0.0, 1.0, -4.5, 5.5])
    strip = _problem(((0, 4), (0, 1)))
    assert balanced_frame(strip, MODEL_STRETCH) == balanced_frame(strip)  # 4× needs no cap


def test_the_frame_keeps_the_box_inside_exactly():
    gen = torch.Generator().manual_seed(1)
    for _ in range(50):
        x0, y0, w, h, cx, cy = (float(v) for v in torch.rand(6, generator=gen, dtype=torch.float64))
        box = ((x0 * 7 - 4, x0 * 7 - 4 + 0.1 + 9 * w), (y0 * 5, y0 * 5 + 0.1 + 20 * h))
        p = _problem(box, expr=f"-{0.1 + 10 * cx}*uxx - {0.1 + 10 * cy}*uyy")
        (f0, f1), (g0, g1) = balanced_frame(p)
        (b0, b1), (d0, d1) = p.spec.box
        assert f0 <= b0 and b1 <= f1 and g0 <= d0 and d1 <= g1  # no tolerance


def test_a_frame_given_by_the_user_is_kept():
    p = _problem(((0, 10), (0, 1)))
    mine = p.in_frame(((0, 10), (-1, 2)))
    assert balanced(mine) is mine and balanced(mine, MODEL_STRETCH) is mine


def test_a_loose_box_is_tightened_to_the_domain():
    doc = {"name": "loose", "box": [[-3, 3], [-2, 4]],
           "geometry": {"primitives": {"d": {"type": "disk", "center": [0.5, 1], "radius": 1}}},
           "operator": {"expr": "-uxx - uyy", "source": "1"},
           "bcs": [{"type": "dirichlet", "on": "d", "value": "0"}]}
    p = build_problem(Spec.model_validate(doc))
    assert region(p) == ((-0.5, 1.5), (0.0, 2.0)) == balanced_frame(p)
    assert imbalance(p) == 1.0  # the box map itself is isotropic; only the extent changes
    assert covers(balanced_frame(p), region(p)) and not covers(balanced_frame(p), p.spec.box)
    from hyperpino.pde.check import summary

    assert "frame        [-0.5, 1.5] × [0, 2] for the PINN: the domain's extent" in summary(p)


def test_boundary_rows_on_a_curved_boundary_are_the_same_in_every_frame():
    """A Robin condition on an ellipse-like piece (a disk under an anisotropic operator's frame):
    ``a u + b d·∇_X U`` at the rows of any frame is the user's ``a u + b ∂u/∂n``."""
    doc = {"name": "disk", "box": [[-1, 1], [-1, 1]],
           "geometry": {"primitives": {"d": {"type": "disk", "center": [0, 0], "radius": 1}}},
           "operator": {"expr": "-0.05*uxx - uyy", "source": "1"},
           "bcs": [{"type": "robin", "on": "d", "a": "2", "b": "1", "value": "x"}]}
    p = build_problem(Spec.model_validate(doc))
    q = balanced(p)
    assert q.map.box != p.map.box  # the frame is wider in x

    def rows(problem):
        gen = torch.Generator().manual_seed(5)
        col = sample_problem(problem, 16, 64, generator=gen, dtype=torch.float64)
        user = problem.map.to_user(col.boundary)
        x, y = user[:, 0], user[:, 1]
        grad_user = torch.stack([torch.cos(x) * torch.cos(2 * y), -2 * torch.sin(x) * torch.sin(2 * y)], -1)
        grad_canon = grad_user / col.boundary.new_tensor(problem.map.scale)  # ∂U/∂X = (dx/dX) ∂u/∂x
        u = torch.sin(x) * torch.cos(2 * y)
        flux = (user / user.norm(dim=-1, keepdim=True) * grad_user).sum(-1)  # ∂u/∂n on the unit circle
        lhs = col.a * u + col.b * (col.direction * grad_canon).sum(-1)
        return lhs, 2 * u + flux

    for problem in (p, q):
        got, want = rows(problem)
        torch.testing.assert_close(got, want)
