"""Error metrics on the masked evaluation grid: one definition used everywhere in hyperpino.

With ``û`` the prediction, ``u`` the reference and the sums over the ``n`` grid points inside the
domain (``mask``; points outside never count, unlike HyPINO's ``evaluate.py``, which averages over
all pixels of a masked image):

* relative L2 (L2RE, as PINNacle reports it; Hao et al. 2024, "PINNacle", NeurIPS D&B):
  ``‖û − u‖₂ / ‖u‖₂``;
* MSE: ``Σ (û − u)² / n``;  MAE: ``Σ |û − u| / n``;  max-abs: ``max |û − u|``;
* SMAPE (the HyPINO evaluation's symmetric percentage error, as a fraction in [0, 2]):
  ``Σ 2|û − u| / (|û| + |u|) / n``, a point with ``û = u = 0`` contributing 0.
"""

from __future__ import annotations

import numpy as np

METRICS = ("rel_l2", "mse", "mae", "max_abs", "smape")


def _masked(pred, ref, mask) -> tuple[np.ndarray, np.ndarray]:
    pred, ref = np.asarray(pred, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    if pred.shape != ref.shape:
        raise ValueError(f"metrics: prediction {pred.shape} and reference {ref.shape} differ in shape")
    if mask is None:
        mask = np.isfinite(ref)
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != ref.shape:
        raise ValueError(f"metrics: mask {mask.shape} does not match the grid {ref.shape}")
    if not mask.any():
        raise ValueError("metrics: the mask selects no points")
    return pred[mask], ref[mask]


def rel_l2(pred, ref, mask=None) -> float:
    """``‖û − u‖₂ / ‖u‖₂`` over the mask (inf when u vanishes there but û does not)."""
    p, r = _masked(pred, ref, mask)
    num, den = np.linalg.norm(p - r), np.linalg.norm(r)
    return float(num / den) if den > 0 else (0.0 if num == 0 else float("inf"))


def mse(pred, ref, mask=None) -> float:
    """Mean squared error over the mask."""
    p, r = _masked(pred, ref, mask)
    return float(np.mean((p - r) ** 2))


def mae(pred, ref, mask=None) -> float:
    """Mean absolute error over the mask."""
    p, r = _masked(pred, ref, mask)
    return float(np.mean(np.abs(p - r)))


def max_abs(pred, ref, mask=None) -> float:
    """Largest absolute error over the mask."""
    p, r = _masked(pred, ref, mask)
    return float(np.max(np.abs(p - r)))


def smape(pred, ref, mask=None) -> float:
    """Mean of ``2|û − u| / (|û| + |u|)`` over the mask (0 where both vanish)."""
    p, r = _masked(pred, ref, mask)
    den = np.abs(p) + np.abs(r)
    ratio = np.divide(2 * np.abs(p - r), den, out=np.zeros_like(den), where=den > 0)
    return float(np.mean(ratio))


def all_metrics(pred, ref, mask=None) -> dict[str, float]:
    """Every metric of :data:`METRICS`, by name."""
    fns = {"rel_l2": rel_l2, "mse": mse, "mae": mae, "max_abs": max_abs, "smape": smape}
    return {name: fns[name](pred, ref, mask) for name in METRICS}
