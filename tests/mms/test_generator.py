import math

import torch

from hyperpino.mms import KINDS, MMSConfig, MMSGenerator, draw_recipe, template
from hyperpino.mms.batch_geometry import HoleBatch, nearest
from hyperpino.mms.generator import evaluate_recipes
from hyperpino.model.channels import CHANNELS
from hyperpino.pde.collocation import exact_residuals
from hyperpino.pde.operator import classify
from hyperpino.pde.problem import build_problem


def test_every_kind_present_and_classified(batch64):
    kinds = {KINDS[int(k)] for k in batch64.kind}
    assert kinds == set(KINDS)
    for r in batch64.recipes:
        assert classify(float(r.coeffs[3]), float(r.coeffs[5]), float(r.coeffs[4])) == r.kind


def test_source_is_operator_of_solution_by_finite_differences(batch64):
    h = 1e-4
    for i in range(len(batch64)):
        s = batch64[i]
        if not bool(s.labelled):
            continue
        p = s.interior[:8][None]
        u = lambda q, r=s.recipe: evaluate_recipes([r], q)[..., 0]  # noqa: E731
        ex, ey = torch.tensor([h, 0.0], dtype=p.dtype), torch.tensor([0.0, h], dtype=p.dtype)
        ux = (u(p + ex) - u(p - ex)) / (2 * h)
        uy = (u(p + ey) - u(p - ey)) / (2 * h)
        uxx = (u(p + ex) - 2 * u(p) + u(p - ex)) / h**2
        uyy = (u(p + ey) - 2 * u(p) + u(p - ey)) / h**2
        uxy = (u(p + ex + ey) - u(p + ex - ey) - u(p - ex + ey) + u(p - ex - ey)) / (4 * h * h)
        fd = torch.stack([u(p), ux, uy, uxx, uyy, uxy], -1)[0]
        f = (fd * s.coeffs).sum(-1)
        scale = 1 + s.labels[:8].abs().amax()
        assert torch.allclose(fd, s.labels[:8], atol=1e-3 * scale), s.recipe.kind
        assert torch.allclose(f, s.source[:8], atol=2e-3 * scale * s.coeffs.abs().sum())


def test_boundary_rows_match_solution_and_normals_point_out(batch64):
    for i in range(len(batch64)):
        s = batch64[i]
        if not bool(s.labelled):
            continue
        d = evaluate_recipes([s.recipe], s.boundary[None])[0]
        res = s.a * d[:, 0] + s.b * (d[:, 1:3] * s.normal).sum(-1) - s.g
        assert res.abs().max() < 1e-9
        holes = HoleBatch.from_lists([s.recipe.holes], dtype=torch.float64)
        outside = nearest(holes, (s.boundary + 1e-3 * s.normal)[None]).sdf
        inside = nearest(holes, (s.boundary - 1e-3 * s.normal)[None]).sdf
        # All but points within 1e-3 of a corner, where the inward step can leave the domain.
        assert float((outside > 0).double().mean()) > 0.98 and float((inside < 0).double().mean()) > 0.98
        assert torch.allclose(s.normal.norm(dim=-1), torch.ones(()).double())


def test_images_layout(batch64):
    s = batch64[0]
    assert s.images.shape == (len(CHANNELS), 32, 32)
    dom = s.images[CHANNELS.index("domain")]
    assert set(dom.unique().tolist()) <= {0.0, 1.0}
    masks = [CHANNELS.index(c) for c in ("dirichlet_mask", "neumann_mask", "robin_mask")]
    assert float(batch64.images[:, masks].sum()) > 0


def test_specs_build_and_exact_residuals_tiny(batch64):
    for i in range(0, len(batch64), 2):
        s = batch64[i]
        problem = build_problem(s.to_spec())
        assert problem.kind == s.recipe.kind
        res = exact_residuals(problem, n=64)
        assert (not s.recipe.labelled) or max(res.values()) < 1e-8, res


def test_type_mix_matches_config():
    cfg = MMSConfig(kind_weights={"elliptic": 0.7, "parabolic": 0.1, "hyperbolic": 0.1, "first-order": 0.1})
    kinds = [draw_recipe(cfg, 5, i, 0).kind for i in range(400)]
    frac = kinds.count("elliptic") / len(kinds)
    assert abs(frac - 0.7) < 4 * math.sqrt(0.7 * 0.3 / 400)


def test_determinism_for_a_seed():
    cfg = MMSConfig(grid=16, n_interior=64, n_boundary=64)
    a = MMSGenerator(cfg, seed=3).generate([5, 6, 7])
    b = MMSGenerator(cfg, seed=3).generate([7, 6, 5])
    c = MMSGenerator(cfg, seed=4).generate([5])
    assert torch.equal(a.images[0], b.images[2]) and torch.equal(a.interior[2], b.interior[0])
    assert not torch.equal(a.interior[0], c.interior[0])


def test_template_derivatives_match_sympy():
    s = ("term", ("mul", ("atom", "sin"), ("comp", "tanh", ("atom", "gauss"))))
    t = template(s)
    vals = torch.tensor([[0.7, 1.1, -0.4, 0.3, 1.5, 0.2, -0.9, 0.8, 0.1]], dtype=torch.float64)
    x, y = torch.tensor([[0.3, -0.2]]).double(), torch.tensor([[0.1, 0.6]]).double()
    got = t.evaluate(x, y, vals)[0]
    from hyperpino.mms.templates import X, Y

    subs = dict(zip(t.params, vals[0].tolist(), strict=True))
    for k, d in enumerate(t.derivatives):
        for j in range(2):
            want = float(d.subs(subs).subs({X: float(x[0, j]), Y: float(y[0, j])}))
            assert abs(float(got[j, k]) - want) < 1e-10
