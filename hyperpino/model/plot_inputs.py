"""A picture of a problem as a model sees it: the rasterised input channels on [-1, 1]²."""

from __future__ import annotations

from pathlib import Path

from torch import Tensor

from hyperpino.model.channels import CHANNELS


def plot_inputs(images: Tensor, path: str | Path, *, title: str = "") -> None:
    """Draw ``images (len(CHANNELS), n, n)`` from :func:`rasterize_problem`, one panel each.

    Panels whose channel is empty (e.g. Robin on a Dirichlet problem) are drawn blank so the
    layout is the same for every problem.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 5, figsize=(16, 6.8), constrained_layout=True)
    for ax, name, img in zip(axes.flat, CHANNELS, images, strict=False):
        data = img.detach().cpu().numpy()
        lim = float(abs(data).max()) or 1.0
        cmap, vmin = (
            ("gray_r", 0.0) if name.endswith("mask") or name == "domain" else ("RdBu_r", -lim)
        )
        im = ax.imshow(
            data, extent=(-1, 1, -1, 1), cmap=cmap, vmin=vmin, vmax=lim, interpolation="nearest"
        )
        ax.set_title(name.replace("_", " "), fontsize=10)
        ax.set_xticks([-1, 0, 1])
        ax.set_yticks([-1, 0, 1])
        fig.colorbar(im, ax=ax, shrink=0.8)
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=110)
    plt.close(fig)
