"""Primitives and CSG: signed distances against closed forms, pieces, orientation, transforms."""

from __future__ import annotations

import math

import pytest
import torch

from hyperpino.errors import GeometryError
from hyperpino.pde.geometry import (
    Difference,
    Disk,
    Ellipse,
    Intersection,
    Polygon,
    Rectangle,
    Triangle,
    Union,
)

F64 = torch.float64


def _points(n: int = 2000, scale: float = 2.0, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 2, generator=g, dtype=F64) - 0.5) * 2 * scale


def _rect_sdf_reference(p: torch.Tensor, lo, hi) -> torch.Tensor:
    """Distance to the rectangle's boundary as the minimum over its four sides, signed."""
    x, y = p[:, 0], p[:, 1]
    (x0, y0), (x1, y1) = lo, hi
    cx, cy = x.clamp(x0, x1), y.clamp(y0, y1)
    outside = torch.hypot(x - cx, y - cy)
    inside = torch.stack([x - x0, x1 - x, y - y0, y1 - y], -1).amin(-1)
    return torch.where(outside > 0, outside, -inside)


def test_rectangle_sdf_matches_closed_form():
    r = Rectangle("r", (-0.5, -0.25), (1.0, 0.75))
    p = _points()
    torch.testing.assert_close(r.sdf(p), _rect_sdf_reference(p, r.min, r.max))
    assert r.sdf(torch.tensor([[0.25, 0.25]], dtype=F64)).item() == pytest.approx(-0.5)
    assert r.sdf(torch.tensor([[2.0, 1.75]], dtype=F64)).item() == pytest.approx(math.sqrt(2))


def test_rectangle_pieces_are_the_nearest_sides():
    r = Rectangle("r", (0, 0), (4, 2))
    p = torch.tensor([[0.1, 1.0], [3.9, 1.0], [2.0, 0.1], [2.0, 1.9], [-1.0, 1.0], [2.0, 5.0]])
    d, piece, orient = r.sdf_with_piece(p)
    assert [r.piece_names[i] for i in piece] == ["r.left", "r.right", "r.bottom", "r.top",
                                                 "r.left", "r.top"]
    assert torch.all(orient == 1)
    assert r.piece_names == ("r.left", "r.right", "r.bottom", "r.top")


def test_disk_sdf_and_shape_broadcast():
    c = Disk("c", (0.3, -0.2), 0.7)
    p = _points().reshape(40, 50, 2)
    d = c.sdf(p)
    assert d.shape == (40, 50)
    torch.testing.assert_close(d, torch.linalg.vector_norm(p - p.new_tensor([0.3, -0.2]), dim=-1)
                               - 0.7)
    assert c.piece_names == ("c",)


def _brute_distance(prim, p: torch.Tensor, m: int = 100_001) -> torch.Tensor:
    """Distance to a fine sampling of every piece (an upper bound, tight to ~1e-10 here)."""
    u = torch.linspace(0, 1, m, dtype=F64)
    pts = torch.cat([prim.piece_points(k, u)[0] for k in range(len(prim.local_pieces))])
    return torch.cat([torch.cdist(c, pts).amin(1) for c in p.split(250)])


def test_ellipse_sdf_sign_exact_and_distance_accurate():
    e = Ellipse("e", (0.1, -0.2), (1.0, 0.3), 0.4)
    p = _points(300, 1.5)
    d = e.sdf(p)
    c, s = math.cos(0.4), math.sin(0.4)
    q = p - p.new_tensor([0.1, -0.2])
    lx, ly = c * q[:, 0] + s * q[:, 1], -s * q[:, 0] + c * q[:, 1]
    implicit = (lx / 1.0) ** 2 + (ly / 0.3) ** 2 - 1
    assert torch.equal(d < 0, implicit < 0)
    torch.testing.assert_close(d.abs(), _brute_distance(e, p), atol=2e-6, rtol=0)
    # Near the boundary the distance is exact: points at offset h along the normal.
    pts, normals = e.piece_points(0, torch.rand(500, dtype=F64))
    for h in (1e-2, -1e-2, 1e-6):
        torch.testing.assert_close(e.sdf(pts + h * normals), torch.full((500,), h, dtype=F64),
                                   atol=1e-12, rtol=0)


def test_ellipse_with_equal_axes_is_a_disk():
    e, c = Ellipse("e", (0.2, 0.1), (0.5, 0.5), 1.3), Disk("c", (0.2, 0.1), 0.5)
    p = _points()
    torch.testing.assert_close(e.sdf(p), c.sdf(p))
    assert e.piece_lengths()[0] == pytest.approx(math.pi, rel=1e-9)


def test_ellipse_perimeter():
    a, b = 1.0, 0.3
    h = ((a - b) / (a + b)) ** 2
    ramanujan = math.pi * (a + b) * (1 + 3 * h / (10 + math.sqrt(4 - 3 * h)))
    assert Ellipse("e", (0, 0), (a, b), 0.7).piece_lengths()[0] == pytest.approx(ramanujan,
                                                                                 rel=1e-6)


@pytest.mark.parametrize("reverse", [False, True])
def test_polygon_square_matches_rectangle_either_orientation(reverse):
    verts = [(-0.5, -0.25), (1.0, -0.25), (1.0, 0.75), (-0.5, 0.75)]
    poly = Polygon("p", verts[::-1] if reverse else verts)
    rect = Rectangle("r", (-0.5, -0.25), (1.0, 0.75))
    p = _points()
    torch.testing.assert_close(poly.sdf(p), rect.sdf(p))
    # Own normals of every edge point away from the centre, whatever the vertex order.
    for k in range(4):
        pts, n = poly.piece_points(k, torch.tensor([0.5], dtype=F64))
        assert float(((pts - pts.new_tensor([0.25, 0.25])) * n).sum()) > 0


def test_concave_polygon_sign_and_distance():
    # An L-shaped hexagon: the notch (0, 1) x (0, 1) is outside.
    poly = Polygon("L", [(-1, -1), (1, -1), (1, 0), (0, 0), (0, 1), (-1, 1)])
    p = torch.tensor([[0.5, 0.5], [-0.5, 0.5], [0.5, -0.5], [0.25, 0.1], [2.0, 0.0]], dtype=F64)
    torch.testing.assert_close(poly.sdf(p), torch.tensor([0.5, -0.5, -0.5, 0.1, 1.0],
                                                         dtype=F64))
    q = _points(600, 1.5)
    brute = _brute_distance(poly, q, 20_001)
    assert bool((poly.sdf(q).abs() <= brute + 1e-12).all())  # exact: never above a sampled bound
    torch.testing.assert_close(poly.sdf(q).abs(), brute, atol=2e-6, rtol=0)
    inside = ((q.abs() < 1).all(-1) & ~((q[:, 0] > 0) & (q[:, 1] > 0)))
    assert torch.equal(poly.sdf(q) < 0, inside)


def test_triangle_pieces_and_sdf():
    t = Triangle("t", [(0, 0), (1, 0), (0, 1)])
    assert t.piece_names == ("t.0", "t.1", "t.2")
    p = torch.tensor([[0.25, 0.25], [0.5, -1.0], [1.0, 1.0]], dtype=F64)
    d, piece, _ = t.sdf_with_piece(p)
    torch.testing.assert_close(d, torch.tensor([-0.25, 1.0, math.sqrt(0.5)], dtype=F64))
    assert piece.tolist() == [0, 0, 1]


def test_csg_signs_pieces_and_orientation():
    box = Rectangle("box", (-1, -1), (1, 1))
    hole = Disk("hole", (0, 0), 0.5)
    other = Disk("other", (1, 0), 0.5)
    p = _points(3000, 1.6)
    inb, inh, ino = box.sdf(p) < 0, hole.sdf(p) < 0, other.sdf(p) < 0
    assert torch.equal((box - hole).sdf(p) < 0, inb & ~inh)
    assert torch.equal((box | other).sdf(p) < 0, inb | ino)
    assert torch.equal((box & other).sdf(p) < 0, inb & ino)
    assert torch.equal((box - hole | other).sdf(p) < 0, (inb & ~inh) | ino)
    g = box - hole
    assert isinstance(g, Difference) and isinstance(box | hole, Union)
    assert isinstance(box & hole, Intersection)
    assert g.piece_names == ("box.left", "box.right", "box.bottom", "box.top", "hole")
    d, piece, orient = g.sdf_with_piece(torch.tensor([[0.55, 0.0], [0.95, 0.0]], dtype=F64))
    assert piece.tolist() == [4, 1] and orient.tolist() == [-1.0, 1.0]
    torch.testing.assert_close(d, torch.tensor([-0.05, -0.05], dtype=F64))


def test_csg_shares_repeated_primitives_and_rejects_name_clashes():
    a, b = Disk("a", (0, 0), 1), Disk("b", (0.5, 0), 1)
    g = (a - b) | (a & b)
    assert g.piece_names == ("a", "b")
    assert (a | Disk("a", (0, 0), 1)).piece_names == ("a",)  # equal primitives are one
    with pytest.raises(GeometryError, match="two different primitives are named 'a'"):
        _ = a | Disk("a", (1, 0), 1)


def test_bbox():
    assert Rectangle("r", (0, 1), (2, 3)).bbox() == ((0, 2), (1, 3))
    assert Disk("d", (1, 1), 0.5).bbox() == ((0.5, 1.5), (0.5, 1.5))
    (x0, x1), (y0, y1) = Ellipse("e", (0, 0), (2, 1), math.pi / 2).bbox()
    assert (x0, x1, y0, y1) == pytest.approx((-1, 1, -2, 2))
    assert Triangle("t", [(0, 0), (3, 1), (1, 2)]).bbox() == ((0, 3), (0, 2))


def test_transformed_primitives():
    scale, shift = (2.0, 0.5), (1.0, -1.0)
    r = Rectangle("r", (-1, -1), (1, 0)).transformed(scale, shift)
    assert isinstance(r, Rectangle) and r.min == (-1.0, -1.5) and r.max == (3.0, -1.0)
    assert isinstance(Disk("d", (0, 0), 1).transformed((3.0, 3.0), shift), Disk)
    e = Disk("d", (1, 1), 0.5).transformed(scale, shift)
    assert isinstance(e, Ellipse) and e.name == "d"
    assert e.center == (3.0, -0.5) and e.semi_axes == (1.0, 0.25) and e.angle == 0.0
    tri = Triangle("t", [(0, 0), (1, 0), (0, 1)]).transformed(scale, shift)
    assert isinstance(tri, Triangle) and tri.vertices == ((1.0, -1.0), (3.0, -1.0), (1.0, -0.5))


@pytest.mark.parametrize("geometry", [
    Ellipse("e", (0.2, -0.1), (0.8, 0.3), 0.6),
    Polygon("p", [(-0.8, -0.6), (0.9, -0.5), (0.2, 0.1), (0.7, 0.8), (-0.6, 0.5)]),
    Rectangle("b", (-1, -1), (1, 1)) - Ellipse("h", (0.3, 0.2), (0.5, 0.2), -0.9),
])
def test_transformed_maps_the_region(geometry):
    """A point is inside the image iff its preimage is inside (away from the boundary)."""
    scale, shift = (2.5, 0.4), (-1.0, 3.0)
    image = geometry.transformed(scale, shift)
    assert image.piece_names == geometry.piece_names
    p = _points(4000, 1.2)
    d = geometry.sdf(p)
    mapped = p * p.new_tensor(scale) + p.new_tensor(shift)
    clear = d.abs() > 1e-3
    assert torch.equal((image.sdf(mapped) < 0)[clear], (d < 0)[clear])
    # Boundary points map onto the image's boundary.
    prim = geometry.primitives()[0]
    pts, _ = prim.piece_points(0, torch.rand(200, dtype=F64))
    on_image = image.primitives()[0].sdf(pts * pts.new_tensor(scale) + pts.new_tensor(shift))
    assert on_image.abs().max() < 1e-9


def test_transformed_rejects_bad_scale():
    with pytest.raises(GeometryError, match="scale"):
        Disk("d", (0, 0), 1).transformed((1.0, -1.0), (0.0, 0.0))
    with pytest.raises(GeometryError):
        Disk("d", (0, 0), 1).transformed((1.0, float("nan")), (0.0, 0.0))


def test_float32_and_dtype_preserved():
    g = Rectangle("b", (-1, -1), (1, 1)) - Polygon("p", [(0, 0), (1, 0), (0, 1)])
    p = _points().float()
    d, piece, orient = g.sdf_with_piece(p)
    assert d.dtype == torch.float32 and orient.dtype == torch.float32
    assert piece.dtype == torch.long
    torch.testing.assert_close(d.double(), g.sdf(p.double()), atol=1e-6, rtol=0)
