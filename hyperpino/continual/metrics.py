"""Continual-learning metrics from an accuracy matrix (Lopez-Paz & Ranzato 2017; Chaudhry et al. 2018).

``R[i, j]``: test accuracy on task ``i`` after training task ``j`` (task × after-task), NaN for
``i > j`` (a task not learnt yet).
"""

from __future__ import annotations

import numpy as np


def final_average(acc: np.ndarray) -> float:
    """Mean accuracy over all tasks after the last one, ``mean_i R[i, T−1]``."""
    return float(np.mean(acc[:, -1]))


def backward_transfer(acc: np.ndarray) -> float:
    """``mean_{i<T−1} R[i, T−1] − R[i, i]``: negative when learning later tasks hurt earlier ones."""
    t = acc.shape[0]
    if t < 2:
        return 0.0
    return float(np.mean([acc[i, -1] - acc[i, i] for i in range(t - 1)]))


def forgetting(acc: np.ndarray) -> float:
    """``mean_{i<T−1} max_{i<=j<T−1} R[i, j] − R[i, T−1]`` (Chaudhry et al. 2018), >= 0 mostly."""
    t = acc.shape[0]
    if t < 2:
        return 0.0
    return float(np.mean([np.max(acc[i, i:-1]) - acc[i, -1] for i in range(t - 1)]))


def summary(acc: np.ndarray) -> dict[str, float]:
    return {"final_average": final_average(acc), "backward_transfer": backward_transfer(acc),
            "forgetting": forgetting(acc)}
