"""A picture of a domain: the region, each active boundary piece in its own colour, outward normals.

Uses matplotlib's object API with the Agg canvas (no pyplot, no global backend switch), imported
only when a plot is drawn.
"""

from __future__ import annotations

from pathlib import Path

import torch

from hyperpino.pde.geometry.domain import Domain
from hyperpino.pde.geometry.raster import grid_points

_FILL = "#dbe8f4"
_CURVE_POINTS = 1500
"""Points per piece for drawing; inactive stretches become gaps."""


def plot_domain(domain: Domain, path: str | Path, *, title: str | None = None,
                n_normals: int = 120) -> None:
    """Write a PNG of ``domain`` to ``path`` in the geometry's own coordinates.

    The region is filled light; each active piece is drawn in its own colour and named in the
    legend; about ``n_normals`` boundary points, evenly spaced by length, carry outward normals.
    """
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure

    (x0, x1), (y0, y1) = domain.bounds
    pad = 0.08 * max(x1 - x0, y1 - y0)
    box = ((x0 - pad, x1 + pad), (y0 - pad, y1 + pad))
    fig = Figure(figsize=(7.5, 6.0))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    mask = domain.contains(grid_points(400, box, dtype=torch.float64))
    ax.imshow(mask.numpy(), extent=(box[0][0], box[0][1], box[1][0], box[1][1]), origin="upper",
              cmap=ListedColormap(["white", _FILL]), interpolation="nearest", zorder=0)

    active = domain.active_pieces
    palette = colormaps["tab10" if len(active) <= 10 else "tab20"]
    total = sum(domain.piece_length.values())
    arrow = 0.05 * max(x1 - x0, y1 - y0)
    u = torch.linspace(0.0, 1.0, _CURVE_POINTS, dtype=torch.float64)
    for i, name in enumerate(active):
        colour = palette(i % palette.N)
        pts, normals, on = domain.boundary_curve(name, u)
        line = torch.where(on[:, None], pts, torch.nan)
        ax.plot(line[:, 0].numpy(), line[:, 1].numpy(), color=colour, lw=2.2, label=name, zorder=2)
        # Arrows evenly spaced by length over the piece's active part (its grid points are).
        k = round(n_normals * domain.piece_length[name] / total)
        idx = torch.nonzero(on).flatten()
        if k > 0 and idx.numel():
            pick = idx[((torch.arange(k) + 0.5) * idx.numel() / k).long()]
            ax.quiver(pts[pick, 0].numpy(), pts[pick, 1].numpy(), normals[pick, 0].numpy(),
                      normals[pick, 1].numpy(), color=colour, angles="xy", scale_units="xy",
                      scale=1.0 / arrow, width=0.004, zorder=3)

    ax.set_xlim(*box[0])
    ax.set_ylim(*box[1])
    ax.set_aspect("equal")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize="small",
              ncol=1 if len(active) <= 16 else 2, title="boundary pieces", frameon=False)
    ax.set_title(title if title is not None else f"area {domain.area:.4g}")
    fig.savefig(Path(path), dpi=120, bbox_inches="tight")
