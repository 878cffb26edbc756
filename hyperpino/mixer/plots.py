"""Figures: the routing heatmap (environments × experts) and predicted vs true trajectories."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def routing_heatmap(gates: np.ndarray, family: np.ndarray, families: list[str], path: str | Path,
                    title: str = "routing") -> None:
    """``gates (E, M)``: gate values (or one-hot routes) per environment; rows sorted by family."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = np.argsort(family, kind="stable")
    fig, ax = plt.subplots(figsize=(1.2 + 0.35 * gates.shape[1], 1.5 + 0.12 * gates.shape[0]))
    ax.imshow(gates[order], aspect="auto", cmap="viridis", interpolation="nearest")
    ax.set_xlabel("expert")
    ax.set_ylabel("environment (sorted by family)")
    ticks = [int(np.flatnonzero(family[order] == f)[0]) for f in np.unique(family)]
    ax.set_yticks(ticks)
    ax.set_yticklabels([families[f] if 0 <= f < len(families) else str(f) for f in np.unique(family)],
                       fontsize=6)
    ax.set_title(title, fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def trajectories(t: np.ndarray, true: np.ndarray, pred: np.ndarray, labels: list[str], path: str | Path,
                 max_envs: int = 6) -> None:
    """``t (E, T)``, ``true``/``pred (E, N, T, d)``: the first trajectory of up to ``max_envs`` envs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = min(max_envs, true.shape[0])
    fig, axes = plt.subplots(1, n, figsize=(2.6 * n, 2.4), squeeze=False)
    for i, ax in enumerate(axes[0]):
        for k in range(true.shape[-1]):
            ax.plot(t[i], true[i, 0, :, k], "k-", lw=1)
            ax.plot(t[i], pred[i, 0, :, k], "--", lw=1)
        ax.set_title(labels[i], fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def gate_diagnostics(stats: dict, family: np.ndarray, families: list[str], path: str | Path) -> None:
    """One gate update: routing against the true families (expert × family counts), the expert ×
    environment loss matrix (log10, environments sorted by family), cluster sizes and gate margins."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    routes = np.asarray(stats["routes"])
    losses = np.asarray(stats["losses"])
    m = losses.shape[0]
    order = np.argsort(family, kind="stable")
    nf = int(family.max()) + 1
    counts = np.zeros((nf, m))
    np.add.at(counts, (family, routes), 1)
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.2))
    axes[0].imshow(counts, aspect="auto", cmap="viridis", interpolation="nearest")
    axes[0].set(xlabel="expert", ylabel="family", title="routing (environments)")
    axes[0].set_yticks(range(nf))
    axes[0].set_yticklabels([families[f] if f < len(families) else str(f) for f in range(nf)], fontsize=5)
    axes[1].imshow(np.log10(losses[:, order] + 1e-12).T, aspect="auto", cmap="magma", interpolation="nearest")
    axes[1].set(xlabel="expert", ylabel="environment (by family)", title="log10 loss matrix")
    axes[2].bar(range(len(stats["cluster_sizes"])), np.asarray(stats["cluster_sizes"]))
    axes[2].set(xlabel="cluster", ylabel="environments", title="cluster sizes")
    axes[3].bar(range(len(order)), np.asarray(stats["margins"])[order])
    axes[3].set(xlabel="environment (by family)", ylabel="top1 - top2 gate", title="gate margins")
    fig.suptitle(f"gate update {stats['update']} (outer step {stats['step']}, switched {stats['switched']})",
                 fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
