"""Evaluation of a trained model: in-domain test (trained contexts) and adaptation test (fitted
contexts), per-environment MSE and relative MSE, routing and its purity (Nzoyem et al. 2025)."""

from __future__ import annotations

import numpy as np

from hyperpino.mixer.adaptation import Adapted, adapt, predict
from hyperpino.mixer.dataset import Dataset
from hyperpino.mixer.metrics import mse_per_env, purity, rel_mse_per_env, to_tensor
from hyperpino.mixer.mixture import MixER


def evaluate(model: MixER, ds: Dataset, adapted: Adapted | None = None, adapt_steps: int = 200,
             adapt_lr: float = 1e-2, top_k: int = 2, device: str = "cpu", progress: bool = False,
             keep_predictions: bool = False, adapt_method: str = "top_k", adapt_mode: str = "bulk") -> dict:
    """Metrics JSON: ``{split: {"mse": [per env], "rel_mse": [...], "mean_mse", "mean_rel_mse"}}`` for
    ``val``, ``test`` and ``adapt_test`` (those ``ds`` has), plus ``routes`` and ``purity`` of the
    training environments. Adapts first (:func:`~hyperpino.mixer.adaptation.adapt` with
    ``adapt_method``, ``adapt_mode``) when ``ds`` has an ``adapt`` split and ``adapted`` is not given."""
    out: dict = {}
    ctx = model.contexts.detach()
    routes = model.route(ctx).cpu().numpy()
    out["routes"] = routes.tolist()
    out["purity"] = purity(routes, ds["train"].family)
    preds = {}
    for split in ("val", "test"):  # new initial conditions of the training environments
        if split in ds.splits:
            preds[split] = predict(model, ds[split], ctx, device=device)
    if "adapt" in ds.splits and "adapt_test" in ds.splits:
        if adapted is None:
            adapted = adapt(model, ds["adapt"], steps=adapt_steps, lr=adapt_lr, top_k=top_k, device=device,
                            progress=progress, method=adapt_method, mode=adapt_mode)
        preds["adapt_test"] = predict(model, ds["adapt_test"], adapted.contexts, adapted.routes, device)
        out["adapt_routes"] = adapted.routes.cpu().tolist()
        out["adapt_purity"] = purity(adapted.routes.cpu().numpy(), ds["adapt"].family)
    for split, pred in preds.items():
        true = to_tensor(ds[split].X, device)
        mse = mse_per_env(pred, true).cpu().numpy()
        rel = rel_mse_per_env(pred, true).cpu().numpy()
        out[split] = {
            "env_id": ds[split].env_id.tolist(),
            "mse": mse.tolist(),
            "rel_mse": rel.tolist(),
            "mean_mse": float(np.mean(mse)),
            "mean_rel_mse": float(np.mean(rel)),
        }
        if keep_predictions and split != "val":
            out[split]["_pred"] = pred.cpu().numpy()
    return out
