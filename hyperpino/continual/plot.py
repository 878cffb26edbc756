"""The accuracy-matrix heatmap (task × after-task) of a continual-learning run."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def heatmap(acc: np.ndarray, path: Path, title: str) -> None:
    """Write ``acc (T, T)`` (NaN above the diagonal's future) as a PNG with the values printed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = acc.shape[0]
    fig, ax = plt.subplots(figsize=(1.0 + 0.55 * t, 0.8 + 0.5 * t))
    im = ax.imshow(100 * acc, vmin=0, vmax=100, cmap="viridis")
    for i in range(t):
        for j in range(t):
            if not np.isnan(acc[i, j]):
                ax.text(j, i, f"{100 * acc[i, j]:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if acc[i, j] < 0.6 else "black")
    ax.set_xlabel("after training task")
    ax.set_ylabel("evaluated task")
    ax.set_xticks(range(t), [str(i + 1) for i in range(t)])
    ax.set_yticks(range(t), [str(i + 1) for i in range(t)])
    ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=ax, label="accuracy (%)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
