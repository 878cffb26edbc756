"""Errors per environment and routing statistics.

``rel_mse`` follows the MixER reference's ODEBench metric (Nzoyem et al. 2025):
``mean_{traj, t} ‖ŷ − y‖² / ‖max(|y|, 1e-6)‖²``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def mse_per_env(pred: Tensor, true: Tensor) -> Tensor:
    """``(E, N, T, d)`` twice -> ``(E,)`` mean squared error."""
    return (pred - true).pow(2).mean(dim=(1, 2, 3))


def rel_mse_per_env(pred: Tensor, true: Tensor) -> Tensor:
    """``(E, N, T, d)`` twice -> ``(E,)`` relative squared error, averaged over trajectories and times."""
    num = (pred - true).pow(2).sum(-1)
    den = true.abs().clamp_min(1e-6).pow(2).sum(-1)
    return (num / den).mean(dim=(1, 2))


def routing_matrix(routes: np.ndarray, n_experts: int) -> np.ndarray:
    """One-hot ``(E, M)`` of each environment's expert (the heatmap's rows)."""
    out = np.zeros((len(routes), n_experts))
    out[np.arange(len(routes)), routes] = 1.0
    return out


def purity(routes: np.ndarray, family: np.ndarray) -> float:
    """Routing purity: the fraction of environments whose expert's majority family is their own
    (1: no expert mixes families). Environments of unknown family (−1) are ignored."""
    keep = family >= 0
    routes, family = routes[keep], family[keep]
    if routes.size == 0:
        return float("nan")
    total = 0
    for r in np.unique(routes):
        total += np.bincount(family[routes == r]).max()
    return total / routes.size


def summary(values: list[float] | np.ndarray) -> dict[str, float]:
    """``{"mean", "std"}`` of a list of numbers (over seeds or environments)."""
    arr = np.asarray(values, dtype=np.float64)
    return {"mean": float(arr.mean()), "std": float(arr.std())}


def to_tensor(x: np.ndarray, device: str | torch.device, dtype=torch.float32) -> Tensor:
    return torch.as_tensor(np.asarray(x), dtype=dtype, device=device)
