"""plot_domain writes a PNG picture of a domain."""

from __future__ import annotations

from hyperpino.pde.geometry import Disk, Domain, Rectangle, plot_domain


def test_plot_domain_writes_png(tmp_path):
    box, corner = Rectangle("box", (-1, -1), (1, 1)), Rectangle("corner", (0, 0), (1, 1))
    domain = Domain(box - corner - Disk("hole", (-0.4, -0.4), 0.3))
    path = tmp_path / "domain.png"
    plot_domain(domain, path, title="L minus a disk", n_normals=60)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    plot_domain(domain, str(tmp_path / "plain.png"), n_normals=0)
    assert (tmp_path / "plain.png").stat().st_size > 0
