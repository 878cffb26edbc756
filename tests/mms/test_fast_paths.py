"""The batched fast paths against simple references: jets vs per-sample sympy, the windowed grid
distance vs the exact one, and batch-composition independence of the generator."""

import numpy as np
import pytest
import sympy
import torch

from hyperpino.mms import MMSConfig, MMSGenerator, draw_recipe, template
from hyperpino.mms.batch_geometry import HoleBatch, box_sdf, nearest
from hyperpino.mms.grid_sdf import grid_sdf
from hyperpino.mms.jets import compile_terms, jets
from hyperpino.mms.templates import X, Y
from hyperpino.pde.geometry import grid_points


def _sympy_jets(terms, pts):
    """(M, 6) of one sample's Σ terms at pts (M, 2), from each template's sympy derivatives."""
    out = np.zeros((pts.shape[0], 6))
    for structure, params in terms:
        t = template(structure)
        subs = dict(zip(t.params, [float(v) for v in params], strict=True))
        for k, d in enumerate(t.derivatives):
            f = sympy.lambdify((X, Y), d.subs(subs), "numpy")
            out[:, k] += np.broadcast_to(f(pts[:, 0], pts[:, 1]), out[:, k].shape)
    return out


def test_jets_match_sympy_for_deep_terms():
    cfg = MMSConfig(max_depth=3, fit_spec=False)
    terms = [draw_recipe(cfg, 21, i, 0).terms for i in range(6)]
    pts = torch.rand(6, 37, 2, dtype=torch.float64) * 2 - 1
    got = jets(compile_terms(terms), pts[..., 0], pts[..., 1]).transpose(1, 2)
    for b in range(6):
        want = torch.as_tensor(_sympy_jets(terms[b], pts[b].numpy()))
        assert torch.allclose(got[b], want, rtol=1e-9, atol=1e-9 * (1 + want.abs().max()))


def test_jets_modes_agree():
    cfg = MMSConfig()
    recipes = [draw_recipe(cfg, 5, i, 0) for i in range(9)]
    prog = compile_terms([r.terms for r in recipes])
    pts = torch.rand(1, 200, 2, dtype=torch.float64) * 2 - 1
    full = jets(prog, pts[..., 0].expand(9, -1), pts[..., 1].expand(9, -1))
    first = jets(prog, pts[..., 0].expand(9, -1), pts[..., 1].expand(9, -1), order=1)
    coeffs = torch.as_tensor(np.stack([r.coeffs for r in recipes]))
    both = jets(prog, pts[..., 0], pts[..., 1], operator=coeffs, chunk=64)  # shared points, small chunks
    assert torch.allclose(first, full[:, :3], atol=1e-12)
    assert torch.allclose(both[:, 0], full[:, 0], atol=1e-12)
    assert torch.allclose(both[:, 1], (full * coeffs[:, :, None]).sum(1), atol=1e-9)


def test_windowed_grid_distance_is_exact_where_read():
    cfg = MMSConfig()
    holes = [draw_recipe(cfg, 8, i, 0).holes for i in range(40)]
    holes = [h for h in holes if h][:12]
    hb = HoleBatch.from_lists(holes, dtype=torch.float64)
    g = 48
    grid = grid_points(g, dtype=torch.float64).reshape(-1, 2)
    reach = 0.1
    fast = grid_sdf(hb, grid, g, box_sdf(grid)[0], reach)
    exact = nearest(hb, grid.expand(len(holes), -1, -1)).sdf
    read = exact >= -reach
    assert torch.allclose(fast[read], exact[read], atol=1e-12)
    assert bool((fast[~read] < -reach + 1e-12).all())


def test_samples_do_not_depend_on_the_rest_of_the_batch():
    cfg = MMSConfig(grid=24, n_interior=96, n_boundary=64)
    alone = MMSGenerator(cfg, seed=9).generate([3])
    crowd = MMSGenerator(cfg, seed=9).generate(range(12))
    for f in ("images", "interior", "labels", "boundary", "g", "normal"):
        assert torch.equal(getattr(alone, f)[0], getattr(crowd, f)[3]), f


def test_generate_without_indices_is_a_clear_error():
    from hyperpino.errors import HyperpinoError

    with pytest.raises(HyperpinoError, match="no sample indices"):
        MMSGenerator(seed=0).generate([])
