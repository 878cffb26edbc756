"""Bubble solutions u* = B·φ: zero box data, exact jets, sources and spec text; the frequency mix."""

import math

import numpy as np
import pytest
import sympy
import torch

from hyperpino.mms import MMSConfig, MMSGenerator, draw_recipe, template
from hyperpino.mms.bubble import BOX, X_ONLY, apply, bubble_jet, weights
from hyperpino.mms.generator import evaluate_recipes
from hyperpino.mms.grammar import draw_params
from hyperpino.mms.templates import X, Y
from hyperpino.pde.collocation import exact_residuals
from hyperpino.pde.problem import build_problem

ALL = {"elliptic": 1.0, "parabolic": 1.0, "hyperbolic": 1.0, "first-order": 1.0}


@pytest.fixture(scope="module")
def bubbles():
    """Every labelled sample a bubble, all condition kinds on bubble problems, all types."""
    cfg = MMSConfig(grid=32, n_interior=96, n_boundary=128, bubble_fraction=1.0, kind_weights=ALL,
                    bubble_bc_weights={"dirichlet": 1.0, "neumann": 1.0, "robin": 1.0})
    return MMSGenerator(cfg, seed=5, dtype=torch.float64).generate(range(24))


def _sympy_u(recipe):
    bub = {BOX: (1 - X**2) * (1 - Y**2), X_ONLY: 1 - X**2}[recipe.bubble]
    return bub * sum(template(s).concrete(v) for s, v in recipe.terms)


def _sympy_jet(expr, pts):
    ex, ey = expr.diff(X), expr.diff(Y)
    out = []
    for d in (expr, ex, ey, ex.diff(X), ey.diff(Y), ex.diff(Y)):
        f = sympy.lambdify((X, Y), d, "numpy")
        out.append(np.broadcast_to(f(pts[:, 0], pts[:, 1]), pts[:, 0].shape))
    return np.stack(out, -1)


def test_mix_of_bubbles_and_phi_kinds(bubbles):
    assert all(r.bubble == (BOX if r.kind == "elliptic" else X_ONLY) for r in bubbles.recipes)
    assert {r.phi for r in bubbles.recipes} == {"grammar", "constant", "smooth"}
    cfg = MMSConfig()
    rs = [draw_recipe(cfg, 2, i, 0) for i in range(400)]
    share = sum(r.bubble > 0 for r in rs) / len(rs)
    assert abs(share - cfg.bubble_fraction) < 4 * math.sqrt(0.3 * 0.7 / 400)
    # A redraw (attempt) keeps the sample's bubble and φ kind, so the accepted mix is the drawn one.
    assert all((draw_recipe(cfg, 2, i, 3).bubble, draw_recipe(cfg, 2, i, 3).phi) == (r.bubble, r.phi)
               for i, r in enumerate(rs[:50]))


def test_dirichlet_data_vanish_on_the_box(bubbles):
    seen = 0
    for i in range(len(bubbles)):
        s = bubbles[i]
        on = s.boundary[:, 0].abs() > 1 - 1e-9  # x = ±1: zero for both bubbles
        if s.recipe.bubble == BOX:
            on |= s.boundary[:, 1].abs() > 1 - 1e-9
        rows = on & (s.code == 0)
        seen += int(rows.sum())
        u = evaluate_recipes([s.recipe], s.boundary[None])[0, :, 0]
        assert float(s.g[rows].abs().sum()) < 1e-12 and float(u[on].abs().sum()) < 1e-12
    assert seen > 100


def test_bubble_jets_match_sympy(bubbles):
    pts = torch.rand(1, 29, 2, dtype=torch.float64) * 2 - 1
    for r in bubbles.recipes[:12]:
        got = evaluate_recipes([r], pts)[0].numpy()
        want = _sympy_jet(_sympy_u(r), pts[0].numpy())
        assert np.allclose(got, want, rtol=1e-9, atol=1e-9 * (1 + np.abs(want).max())), r.phi


def test_product_rule_against_finite_differences():
    x, y = torch.rand(2, 1, 50, dtype=torch.float64) * 2 - 1
    phi = lambda x, y: torch.sin(2 * x - y) * torch.exp(x * y)  # noqa: E731
    for code in (BOX, X_ONLY):
        def u(x, y, code=code):
            return bubble_jet(code, x, y)[:, 0] * phi(x, y)
        h = 1e-4
        fd = torch.stack([
            u(x, y), (u(x + h, y) - u(x - h, y)) / (2 * h), (u(x, y + h) - u(x, y - h)) / (2 * h),
            (u(x + h, y) - 2 * u(x, y) + u(x - h, y)) / h**2,
            (u(x, y + h) - 2 * u(x, y) + u(x, y - h)) / h**2,
            (u(x + h, y + h) - u(x + h, y - h) - u(x - h, y + h) + u(x - h, y - h)) / (4 * h * h)], 1)
        p = torch.stack([phi(x, y), *_grads(phi, x, y)], 1)
        got = apply(bubble_jet(code, x, y), p)
        assert torch.allclose(got, fd, atol=1e-5)


def _grads(f, x, y):
    """φ_x, φ_y, φ_xx, φ_yy, φ_xy by autograd."""
    x, y = x.clone().requires_grad_(), y.clone().requires_grad_()
    v = f(x, y)
    gx, gy = torch.autograd.grad(v.sum(), (x, y), create_graph=True)
    gxx, gxy = torch.autograd.grad(gx.sum(), (x, y), retain_graph=True)
    gyy = torch.autograd.grad(gy.sum(), y)[0]
    return [t.detach() for t in (gx, gy, gxx, gyy, gxy)]


def test_source_is_operator_of_bubble_solution(bubbles):
    for i in range(len(bubbles)):
        s = bubbles[i]
        r = s.recipe
        want = _sympy_jet(_sympy_u(r), s.interior[:16].numpy()) @ r.coeffs
        scale = 1 + np.abs(want).max()
        assert np.allclose(s.source[:16].numpy(), want, atol=1e-9 * scale), (r.kind, r.phi)
        if r.phi == "constant" and r.bubble == BOX:  # L(c·B): a polynomial of degree 4 at most
            c = float(r.terms[0][1][0])
            p = s.interior[:16].numpy()
            bj = bubble_jet(BOX, torch.as_tensor(p[:, 0]), torch.as_tensor(p[:, 1])).numpy()
            assert np.allclose(c * (r.coeffs @ bj), s.source[:16].numpy(), atol=1e-12 * scale)


def test_weights_matrix_is_leibniz():
    w = np.array([0.3, -1.2, 0.7, 2.0, -0.5, 0.9])
    x, y = torch.rand(2, 1, 20, dtype=torch.float64) * 2 - 1
    b, s = bubble_jet(BOX, x, y), torch.randn(1, 6, 20, dtype=torch.float64)
    lhs = (torch.as_tensor(w)[None, :, None] * apply(b, s)).sum(1)
    a = torch.as_tensor(weights(w))
    rhs = ((a @ b[0]) * s[0]).sum(0)
    assert torch.allclose(lhs[0], rhs, atol=1e-12)


def test_bubble_specs_round_trip(bubbles):
    kinds = set()
    for i in range(len(bubbles)):
        s = bubbles[i]
        problem = build_problem(s.to_spec())
        res = exact_residuals(problem, n=48)
        assert max(res.values()) < 1e-8, (s.recipe.kind, s.recipe.phi, res)
        kinds |= {c.kind for c in problem.conditions}
    assert {"dirichlet", "neumann", "robin"} <= kinds


def test_mixed_batches_do_not_change_a_sample():
    cfg = MMSConfig(grid=24, n_interior=96, n_boundary=64)
    crowd = MMSGenerator(cfg, seed=9).generate(range(16))
    with_b = [i for i, r in enumerate(crowd.recipes) if r.bubble][:2]
    without = [i for i, r in enumerate(crowd.recipes) if not r.bubble][:2]
    assert with_b and without
    for i in with_b + without:
        alone = MMSGenerator(cfg, seed=9).generate([i])
        for f in ("images", "labels", "g", "source"):
            assert torch.equal(getattr(alone, f)[0], getattr(crowd, f)[i]), (i, f)


def test_frequencies_reach_five_pi_with_more_slow_atoms():
    cfg = MMSConfig()
    rng = np.random.default_rng(0)
    s = ("term", ("atom", "sin"))
    draw = lambda: draw_params(rng, s, cfg.frequency, cfg.amplitude, 6, cfg.frequency_log_share)  # noqa: E731
    om = np.array([np.hypot(*draw()[1:3]) for _ in range(4000)])
    assert om.max() > 0.97 * 5 * math.pi and om.max() <= 5 * math.pi + 1e-6
    old = np.array([np.hypot(*draw_params(rng, s, (0.5, 2.5 * math.pi), cfg.amplitude, 6)[1:3])
                    for _ in range(4000)])
    assert (om < 2).mean() > (old < 2).mean() + 0.02  # more slow atoms than the old uniform law
    assert (om > 12).mean() > 0.1


def test_accepted_problems_reach_the_fast_tail():
    cfg = MMSConfig(grid=16, n_interior=64, n_boundary=64)
    gen = MMSGenerator(cfg, seed=3)
    b = gen.generate(range(200))
    om = [np.hypot(p[1], p[2]) for r in b.recipes for st, p in r.terms
          if st[1][0] == "atom" and not st[1][1].startswith("poly")]
    assert max(om) > 4.5 * math.pi
    assert gen.stats["accepted"] / gen.stats["attempts"] > 0.8
