"""Rasterising: pixel layout, domain mask, boundary band, feet and normals."""

from __future__ import annotations

import math

import pytest
import torch

from hyperpino.pde.geometry import Disk, Domain, Raster, Rectangle, grid_points, rasterize

F64 = torch.float64


def test_grid_points_layout():
    g = grid_points(5, ((0.0, 4.0), (-1.0, 1.0)))
    assert g.shape == (5, 5, 2) and g.dtype == torch.float32
    assert g[0, 0].tolist() == [0.0, 1.0]        # row 0 is the top, column 0 is x0
    assert g[0, -1].tolist() == [4.0, 1.0]
    assert g[-1, 0].tolist() == [0.0, -1.0]
    assert g[2, 3].tolist() == [3.0, 0.0]
    assert grid_points(3, dtype=F64).dtype == F64


@pytest.fixture(scope="module")
def disk_raster() -> tuple[Raster, int, float]:
    n, r = 128, 0.6
    return rasterize(Domain(Disk("d", (0.1, -0.1), r)), n), n, r


def test_disk_mask_area(disk_raster):
    raster, n, r = disk_raster
    assert raster.domain.shape == (n, n) and raster.domain.dtype == torch.bool
    pixel = (2 / (n - 1)) ** 2
    assert float(raster.domain.sum()) * pixel == pytest.approx(math.pi * r * r, rel=0.02)
    grid = grid_points(n, dtype=F64)
    inside = (grid - grid.new_tensor([0.1, -0.1])).norm(dim=-1) <= r
    assert torch.equal(raster.domain, inside)


def test_disk_band_feet_and_normals(disk_raster):
    raster, n, r = disk_raster
    grid = grid_points(n, dtype=F64)
    centre = torch.tensor([0.1, -0.1], dtype=F64)
    dist = ((grid - centre).norm(dim=-1) - r).abs()
    h = 2 / (n - 1)
    band = raster.piece >= 0
    assert torch.equal(band, dist <= 1.5 * h)
    assert set(raster.piece[band].tolist()) == {0}
    foot, normal = raster.foot[band].double(), raster.normal[band].double()
    assert ((foot - centre).norm(dim=-1) - r).abs().max() < 1e-5
    torch.testing.assert_close(normal, (foot - centre) / r, atol=1e-6, rtol=0)
    # The foot is the nearest boundary point: on the ray from the centre through the pixel.
    ray = (grid[band] - centre) / (grid[band] - centre).norm(dim=-1, keepdim=True)
    torch.testing.assert_close(normal, ray, atol=1e-6, rtol=0)
    # Off the band: foot is the pixel centre, normal zero.
    assert torch.equal(raster.foot[~band], grid[~band].float())
    assert bool((raster.normal[~band] == 0).all())


def test_l_shape_raster_pieces_and_corner_feet():
    box, corner = Rectangle("box", (-1, -1), (1, 1)), Rectangle("corner", (0, 0), (1, 1))
    domain = Domain(box - corner)
    n = 65  # pixel centres on x, y = k/32
    raster = rasterize(domain, n, box=((-1.2, 1.2), (-1.2, 1.2)), band_px=2.0)
    names = domain.geometry.piece_names
    active = {names.index(p) for p in domain.active_pieces}
    assert set(raster.piece[raster.piece >= 0].tolist()) <= active
    grid = grid_points(n, ((-1.2, 1.2), (-1.2, 1.2)), dtype=F64)

    def at(x, y):
        """Row and column of the pixel whose centre is nearest (x, y)."""
        k = int((grid - grid.new_tensor([x, y])).norm(dim=-1).argmin())
        return k // n, k % n

    i, j = at(0.49, -0.03)                           # 1 px below the notch's floor
    assert grid[i, j].tolist() == pytest.approx([0.4875, -0.0375])
    assert names[int(raster.piece[i, j])] == "corner.bottom"
    torch.testing.assert_close(raster.normal[i, j], torch.tensor([0.0, 1.0]))
    torch.testing.assert_close(raster.foot[i, j], torch.tensor([0.4875, 0.0]))
    i, j = at(1.01, 0.04)                            # outside, diagonally off the corner (1, 0)
    assert grid[i, j].tolist() == pytest.approx([1.0125, 0.0375])
    assert int(raster.piece[i, j]) >= 0
    torch.testing.assert_close(raster.foot[i, j], torch.tensor([1.0, 0.0]), atol=1e-5, rtol=0)
    band = raster.piece >= 0
    assert domain.geometry.sdf(raster.foot[band].double()).abs().max() < 1e-5
    torch.testing.assert_close(raster.normal[band].norm(dim=-1), torch.ones(int(band.sum())))


def test_rasterize_rejects_bad_arguments():
    domain = Domain(Disk("d", (0, 0), 0.5))
    with pytest.raises(ValueError):
        rasterize(domain, 1)
    with pytest.raises(ValueError):
        rasterize(domain, 16, band_px=-1.0)
    with pytest.raises(ValueError):
        rasterize(domain, 16, box=((1.0, -1.0), (-1.0, 1.0)))
