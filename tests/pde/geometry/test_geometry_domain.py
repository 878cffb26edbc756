"""Domain analysis and sampling: active pieces, lengths, area, normals, uniformity, errors."""

from __future__ import annotations

import math

import pytest
import torch

from hyperpino.errors import GeometryError
from hyperpino.pde.geometry import (
    BoundarySample,
    Disk,
    Domain,
    Ellipse,
    Polygon,
    Rectangle,
    Triangle,
)

F64 = torch.float64
BOX = Rectangle("box", (-1, -1), (1, 1))
CORNER = Rectangle("corner", (0, 0), (1, 1))


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def l_shape() -> Domain:
    return Domain(BOX - CORNER)


@pytest.fixture(scope="module")
def holed() -> Domain:
    return Domain(BOX - Disk("hole", (0.2, -0.1), 0.4))


def test_l_shape_active_pieces_and_lengths(l_shape):
    assert l_shape.active_pieces == ("box.left", "box.right", "box.bottom", "box.top",
                                     "corner.left", "corner.bottom")
    expected = {"box.left": 2, "box.bottom": 2, "box.top": 1, "box.right": 1, "corner.left": 1,
                "corner.bottom": 1}
    assert l_shape.piece_length == pytest.approx(expected, abs=1e-3)
    assert l_shape.area == pytest.approx(3.0, abs=1e-3)
    assert l_shape.geometry.piece_names[4:] == ("corner.left", "corner.right", "corner.bottom",
                                                "corner.top")


def test_l_shape_boundary_samples(l_shape):
    s = l_shape.sample_boundary(3000, generator=_gen(), dtype=F64)
    assert isinstance(s, BoundarySample)
    assert s.points.shape == (3000, 2) and s.normals.shape == (3000, 2) and s.piece.shape == (3000,)
    assert l_shape.geometry.sdf(s.points).abs().max() < 1e-12
    names = l_shape.geometry.piece_names
    used = {names[i] for i in s.piece.unique().tolist()}
    assert used == set(l_shape.active_pieces)
    # The remaining halves: box.top only left of x = 0, box.right only below y = 0.
    top = s.points[s.piece == names.index("box.top")]
    right = s.points[s.piece == names.index("box.right")]
    assert bool((top[:, 0] <= 0).all()) and bool((right[:, 1] <= 0).all())
    # corner.left is walked in the domain's outward direction +x (flipped by the difference).
    cl = s.normals[s.piece == names.index("corner.left")]
    torch.testing.assert_close(cl, torch.tensor([1.0, 0.0], dtype=F64).expand_as(cl))


def test_boundary_samples_uniform_by_length(l_shape):
    n = 6000
    s = l_shape.sample_boundary(n, generator=_gen(1))
    names = l_shape.geometry.piece_names
    total = sum(l_shape.piece_length.values())
    for name, length in l_shape.piece_length.items():
        share = float((s.piece == names.index(name)).double().mean())
        p = length / total
        assert abs(share - p) < 4 * math.sqrt(p * (1 - p) / n), name
    # Within a piece: positions along box.bottom are uniform on [-1, 1] (mean and spread).
    x = s.points[s.piece == names.index("box.bottom"), 0].double()
    assert abs(float(x.mean())) < 4 * math.sqrt(1 / 3 / x.numel())
    assert float(x.var()) == pytest.approx(1 / 3, rel=0.1)


def test_ellipse_boundary_uniform_by_arc_length():
    a, b = 1.0, 0.25
    d = Domain(Ellipse("e", (0.0, 0.0), (a, b), 0.0))
    s = d.sample_boundary(8000, generator=_gen(2), dtype=F64)
    assert d.geometry.sdf(s.points).abs().max() < 1e-10
    t = torch.atan2(s.points[:, 1] / b, s.points[:, 0] / a) % (2 * math.pi)
    edges = torch.linspace(0, 2 * math.pi, 9, dtype=F64)
    fine = torch.linspace(0, 2 * math.pi, 80_001, dtype=F64)
    speed = torch.sqrt((a * torch.sin(fine)) ** 2 + (b * torch.cos(fine)) ** 2)
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (fine >= lo) & (fine < hi)
        p = float(speed[m].sum() / speed.sum())
        share = float(((t >= lo) & (t < hi)).double().mean())
        assert abs(share - p) < 4 * math.sqrt(p * (1 - p) / 8000)
    # Normals are the ellipse's: parallel to (x / a², y / b²).
    g = torch.stack([s.points[:, 0] / a**2, s.points[:, 1] / b**2], -1)
    torch.testing.assert_close(s.normals, g / g.norm(dim=-1, keepdim=True))
    assert d.area == pytest.approx(math.pi * a * b, rel=1e-5)


def test_hole_normals_point_into_the_hole(holed):
    s = holed.sample_boundary(2000, generator=_gen(3), dtype=F64)
    names = holed.geometry.piece_names
    on_hole = s.piece == names.index("hole")
    assert int(on_hole.sum()) > 100
    to_centre = torch.tensor([0.2, -0.1], dtype=F64) - s.points[on_hole]
    cos = (s.normals[on_hole] * to_centre).sum(-1) / to_centre.norm(dim=-1)
    torch.testing.assert_close(cos, torch.ones_like(cos))
    torch.testing.assert_close(s.normals.norm(dim=-1), torch.ones(2000, dtype=F64))
    # Outer normals point away from the origin; stepping along any normal leaves the domain.
    assert bool(((s.points[~on_hole] * s.normals[~on_hole]).sum(-1) > 0).all())
    assert bool((holed.geometry.sdf(s.points + 1e-3 * s.normals) > 0).all())
    assert bool((holed.geometry.sdf(s.points - 1e-3 * s.normals) < 0).all())
    assert holed.area == pytest.approx(4 - math.pi * 0.16, abs=1e-3)


def test_interior_samples_inside_and_uniform(l_shape):
    p = l_shape.sample_interior(6000, generator=_gen(4))
    assert p.shape == (6000, 2) and p.dtype == torch.float32
    assert bool(l_shape.contains(p).all())
    assert bool((l_shape.geometry.sdf(p.double()) < 0).all())
    quadrant = ((p[:, 0] > 0) & (p[:, 1] < 0)).double().mean()
    assert float(quadrant) == pytest.approx(1 / 3, abs=4 * math.sqrt(2 / 9 / 6000))


def test_sampling_is_reproducible_and_selects_pieces(holed):
    a = holed.sample_boundary(50, generator=_gen(5), pieces=["hole"])
    b = holed.sample_boundary(50, generator=_gen(5), pieces=["hole"])
    assert torch.equal(a.points, b.points)
    assert set(a.piece.tolist()) == {holed.geometry.piece_names.index("hole")}
    assert torch.equal(holed.sample_interior(7, generator=_gen(6)),
                       holed.sample_interior(7, generator=_gen(6)))
    assert holed.sample_boundary(0).points.shape == (0, 2)
    with pytest.raises(GeometryError, match="'nope' is not an active boundary piece"):
        holed.sample_boundary(5, pieces=["nope"])


def test_contains_is_closed(l_shape):
    p = torch.tensor([[0.0, 0.5], [-1.0, -1.0], [0.5, 0.0], [0.5, 0.5], [-1.01, 0.0]])
    assert l_shape.contains(p).tolist() == [True, True, True, False, False]
    assert l_shape.contains(p.reshape(5, 1, 2)).shape == (5, 1)


def test_hole_crossing_the_outer_boundary():
    d = Domain(BOX - Disk("bite", (1.0, 0.0), 0.5))
    assert d.active_pieces == ("box.left", "box.right", "box.bottom", "box.top", "bite")
    assert d.piece_length["box.right"] == pytest.approx(1.0, abs=1e-3)
    assert d.piece_length["bite"] == pytest.approx(math.pi * 0.5, rel=1e-3)
    assert d.area == pytest.approx(4 - math.pi * 0.25 / 2, abs=1e-3)
    s = d.sample_boundary(500, pieces=["bite"], generator=_gen(7), dtype=F64)
    assert bool((s.points[:, 0] <= 1.0).all())
    torch.testing.assert_close(s.normals, (torch.tensor([1.0, 0.0], dtype=F64) - s.points) / 0.5)


def test_overlapping_holes():
    r = 0.4
    d = Domain(BOX - Disk("h1", (-0.2, 0.0), r) - Disk("h2", (0.2, 0.0), r))
    lens = 2 * r * r * math.acos(0.4 / (2 * r)) - 0.2 * math.sqrt(4 * r * r - 0.16)
    assert d.area == pytest.approx(4 - (2 * math.pi * r * r - lens), abs=1e-3)
    for h in ("h1", "h2"):
        assert d.piece_length[h] == pytest.approx(r * 4 * math.pi / 3, rel=1e-3)
    s = d.sample_boundary(2000, generator=_gen(8), dtype=F64)
    assert d.geometry.sdf(s.points).abs().max() < 1e-12


def test_coincident_edges_count_once():
    # Union with a shared top line: each stretch of boundary belongs to exactly one piece.
    a, b = Rectangle("a", (0, 0), (1, 1)), Rectangle("b", (0.5, 0), (1.5, 1))
    d = Domain(a | b)
    assert "a.right" not in d.active_pieces and "b.left" not in d.active_pieces
    assert sum(d.piece_length.values()) == pytest.approx(5.0, abs=1e-3)
    assert d.area == pytest.approx(1.5, abs=1e-3)
    # Intersection sharing a slanted edge: the triangle's hypotenuse covers the polygon's edge.
    t = Triangle("t", [(0, 0), (2, 0), (0, 2)])
    p = Polygon("p", [(0, 0), (2, 0), (1, 1), (0, 1)])
    d = Domain(t & p)
    assert sum(d.piece_length.values()) == pytest.approx(4 + math.sqrt(2), abs=1e-3)
    assert d.area == pytest.approx(1.5, abs=1e-3)


def test_hidden_pieces_are_inactive():
    d = Domain(BOX | Disk("inner", (0, 0), 0.5))
    assert d.active_pieces == ("box.left", "box.right", "box.bottom", "box.top")


@pytest.mark.parametrize("geometry, message", [
    (Disk("a", (0, 0), 0.5) & Disk("b", (3, 0), 0.5), "the domain is empty"),
    (Rectangle("a", (0, 0), (1, 1)) - Rectangle("bigger", (-1, -1), (2, 2)),
     "the domain is empty"),
    (Rectangle("a", (0, 0), (1, 1)) & Rectangle("b", (1, 0), (2, 1)), "the domain is empty"),
    (Rectangle("a", (0, 0), (1, 1)) & Rectangle("b", (1 - 1e-8, 0), (2, 1)),
     "the domain is too thin to resolve"),  # a sliver 1e-8 wide is not empty
    (Rectangle("a", (0, 0), (1, 1)) & Rectangle("b", (1 - 1e-6, 0), (2, 1)),
     "the domain is too thin to resolve"),
])
def test_empty_domains_raise(geometry, message):
    with pytest.raises(GeometryError) as info:
        Domain(geometry, where="spec.geometry")
    assert info.value.path == "spec.geometry" and info.value.message.startswith(message)


def test_transformed_commutes_with_sampling(holed):
    scale, shift = (2.0, 0.5), (1.0, -3.0)
    image = Domain(holed.geometry.transformed(scale, shift))
    sc, sh = torch.tensor(scale, dtype=F64), torch.tensor(shift, dtype=F64)
    assert image.geometry.piece_names == holed.geometry.piece_names
    assert image.active_pieces == holed.active_pieces
    assert image.area == pytest.approx(holed.area * scale[0] * scale[1], rel=1e-3)
    assert image.piece_length["box.top"] == pytest.approx(2 * holed.piece_length["box.top"])
    assert image.piece_length["box.left"] == pytest.approx(0.5 * holed.piece_length["box.left"])
    # Sample then map: on the image's boundary, with normals transformed by the inverse scale.
    s = holed.sample_boundary(1000, generator=_gen(9), dtype=F64)
    mapped = s.points * sc + sh
    assert image.geometry.sdf(mapped).abs().max() < 1e-9
    n = s.normals / sc
    n = n / n.norm(dim=-1, keepdim=True)
    _, image_normals, image_piece = image.nearest_boundary(mapped)
    torch.testing.assert_close(image_normals, n)
    assert torch.equal(image_piece, s.piece)
    # Map then sample: the same distribution (interior centroid, hole share of the boundary).
    p0 = holed.sample_interior(20_000, generator=_gen(10), dtype=F64) * sc + sh
    p1 = image.sample_interior(20_000, generator=_gen(11), dtype=F64)
    assert bool(image.contains(p0).all())
    torch.testing.assert_close(p0.mean(0), p1.mean(0), atol=0.03, rtol=0)


def test_nearest_boundary_at_a_convex_corner(l_shape):
    q = torch.tensor([[1.05, 0.05], [0.05, 1.2], [0.5, 0.02], [-0.5, -0.5]], dtype=F64)
    foot, normal, piece = l_shape.nearest_boundary(q)
    expected = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.5, 0.0], [-0.5, -1.0]], dtype=F64)
    torch.testing.assert_close(foot, expected, atol=1e-5, rtol=0)
    names = l_shape.geometry.piece_names
    assert names[int(piece[2])] == "corner.bottom"
    torch.testing.assert_close(normal[2:], torch.tensor([[0.0, 1.0], [0.0, -1.0]], dtype=F64))


def test_domain_rejects_non_geometry():
    with pytest.raises(GeometryError, match="expected a geometry"):
        Domain("box")  # type: ignore[arg-type]


def test_arrays_in_arrays_out_tensors_in_tensors_out(holed):
    """The core is NumPy: arrays give arrays, tensors give tensors with the same values."""
    import numpy as np

    q = torch.rand(200, 2, generator=_gen(12), dtype=F64) * 2.4 - 1.2
    a = q.numpy()
    g = holed.geometry
    for t_out, a_out in [(holed.sdf(q), holed.sdf(a)), (holed.contains(q), holed.contains(a)),
                         *zip(g.sdf_with_piece(q), g.sdf_with_piece(a), strict=True),
                         *zip(holed.nearest_boundary(q), holed.nearest_boundary(a), strict=True)]:
        assert isinstance(t_out, torch.Tensor) and isinstance(a_out, np.ndarray)
        np.testing.assert_array_equal(t_out.numpy(), a_out)
    u = torch.linspace(0, 1, 33, dtype=F64)
    for t_out, a_out in zip(holed.boundary_curve("hole", u), holed.boundary_curve("hole", u.numpy()),
                            strict=True):
        np.testing.assert_array_equal(t_out.numpy(), a_out)
    pts = holed.boundary_points(["box.left", "hole"], u.numpy())
    assert isinstance(pts, np.ndarray)
    np.testing.assert_array_equal(holed.boundary_points(["box.left", "hole"], u).numpy(), pts)
    prim = g.primitives()[1]
    np.testing.assert_array_equal(prim.piece_points(0, u)[0].numpy(), prim.piece_points(0, u.numpy())[0])
    assert prim.piece_points(0, u.float())[0].dtype == torch.float32


def test_piece_bounds_are_the_boundary_extent(l_shape, holed):
    (x0, x1), (y0, y1) = holed.piece_bounds["hole"]
    assert (x0, x1, y0, y1) == pytest.approx((-0.2, 0.6, -0.5, 0.3), abs=1e-3)
    assert l_shape.piece_bounds["corner.bottom"][1] == (0.0, 0.0)
    assert set(l_shape.piece_bounds) == set(l_shape.active_pieces)


def test_analysis_needs_no_torch(tmp_path):
    """Building and querying a domain imports no torch (``hyperpino check`` runs it first)."""
    import subprocess
    import sys

    code = ("import sys; sys.modules['torch'] = None\n"
            "from hyperpino.pde.geometry import Disk, Domain, Ellipse, Polygon, Rectangle\n"
            "g = (Rectangle('b', (-1, -1), (1, 1)) - Disk('h', (0.2, 0), 0.3)"
            " - Ellipse('e', (-.5, .5), (.2, .1), 1.0) | Polygon('p', [(1, -1), (2, 0), (1, 1)]))\n"
            "d = Domain(g)\n"
            "print(d.area, d.geometry.piece_names[int(d.nearest_boundary([[0.0, 0.0]])[2][0])])\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    area, nearest = proc.stdout.split()
    assert float(area) == pytest.approx(5 - 0.11 * math.pi, abs=1e-4) and nearest == "h"
