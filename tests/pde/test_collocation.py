"""Problems as tensors: every boundary row satisfied by the exact solution, images in place."""

import textwrap

import pytest
import torch
from torch.func import grad, vmap

from hyperpino.model.channels import CHANNELS, rasterize_problem
from hyperpino.pde.collocation import sample_problem
from hyperpino.pde.expr_torch import to_torch
from hyperpino.pde.problem import build_problem

ANISO = textwrap.dedent("""
    name = "aniso"
    box = [[0, 4], [0, 1]]
    exact = "sin(x)*y**2 + x*y"
    [geometry]
    csg = "box - hole"
    [geometry.primitives.box]
    type = "rectangle"
    min = [0, 0]
    max = [4, 1]
    [geometry.primitives.hole]
    type = "ellipse"
    center = [2, 0.5]
    semi_axes = [0.6, 0.2]
    angle = 0.5
    [operator]
    expr = "-uxx - uyy + ux"
    source = "sin(x)*y**2 - 2*sin(x) + cos(x)*y**2 + y"
    [[bcs]]
    type = "dirichlet"
    on = ["box.left", "box.bottom"]
    value = "sin(x)*y**2 + x*y"
    [[bcs]]
    type = "neumann"
    on = ["hole", "box.right"]
    value = 0
    [[bcs]]
    type = "robin"
    on = "box.top"
    a = 2
    b = 3
    value = "2*(sin(x) + x) + 3*(2*sin(x) + x)"
""")


def test_anisotropic_neumann_rows_are_exact(tmp_path):
    """Neumann on a tilted ellipse in a 4 x 1 box: d·∇_X U must equal the user-frame ∂u/∂n."""
    spec = tmp_path / "aniso.toml"
    spec.write_text(ANISO)
    problem = build_problem(spec)
    col = sample_problem(
        problem, 256, 1024, generator=torch.Generator().manual_seed(0), dtype=torch.float64
    )
    m = problem.map
    u_user = to_torch(problem.exact, problem.coords)

    def big_u(q):
        p = m.to_user(q)
        return u_user(p[0], p[1])

    u = vmap(big_u)(col.boundary)
    g = vmap(grad(big_u))(col.boundary)
    lhs = col.a * u + col.b * (g * col.direction).sum(-1)
    # Dirichlet and Robin rows carry exact data and must vanish; the Neumann rows (value 0 in the
    # spec) must equal the exact normal derivative in the user's frame.
    neu = col.condition == 1
    assert torch.allclose(lhs[~neu] - col.g[~neu], torch.zeros(1, dtype=torch.float64), atol=1e-9)
    user_pts = m.to_user(col.boundary[neu])
    n_user = torch.nn.functional.normalize(
        col.normal[neu] * torch.tensor(m.scale, dtype=torch.float64), dim=-1
    )
    assert torch.allclose(col.direction[neu], n_user * torch.tensor(m.scale, dtype=torch.float64))
    gu = torch.stack(
        [
            to_torch(problem.exact.diff(s), problem.coords)(user_pts[:, 0], user_pts[:, 1])
            for s in sorted(problem.exact.free_symbols, key=str)
        ],
        -1,
    )
    assert torch.allclose(lhs[neu], (gu * n_user).sum(-1), atol=1e-9)


def test_interior_coefficients_and_source(tmp_path):
    spec = tmp_path / "aniso.toml"
    spec.write_text(ANISO)
    problem = build_problem(spec)
    col = sample_problem(
        problem, 64, 64, generator=torch.Generator().manual_seed(1), dtype=torch.float64
    )
    sx, sy = problem.map.scale
    assert torch.allclose(
        col.coeffs[0], torch.tensor([0, sx, 0, -sx * sx, -sy * sy, 0], dtype=torch.float64)
    )
    assert col.interior.abs().max() <= 1 and col.source.shape == (64,)


@pytest.mark.parametrize("name", ["poisson_L", "wave", "disk_robin", "advection_diffusion"])
def test_images(name):
    from pathlib import Path

    path = next((Path(__file__).parents[2] / "examples").glob(f"{name}.*"))
    img = rasterize_problem(build_problem(path), 64, band_px=1.5)
    assert img.shape == (len(CHANNELS), 64, 64)
    ch = dict(zip(CHANNELS, img, strict=False))
    assert 0.2 < ch["domain"].mean() <= 1
    boundary = ch["dirichlet_mask"] + ch["neumann_mask"] + ch["robin_mask"]
    assert boundary.sum() > 64  # bands drawn
    assert torch.all(ch["dirichlet_value"][ch["dirichlet_mask"] == 0] == 0)
    if name == "wave":  # initial rate lands in the Neumann channel on the bottom rows only
        rows = ch["neumann_mask"].nonzero()[:, 0]
        assert rows.min() >= 60
    if name == "disk_robin":
        assert ch["robin_mask"].sum() > 0 and torch.allclose(
            ch["robin_a"][ch["robin_mask"] > 0], torch.tensor(2.0)
        )
    if name == "poisson_L":
        assert (
            ch["source"][ch["domain"] > 0].eq(1).all()
            and ch["source"][ch["domain"] == 0].eq(0).all()
        )
