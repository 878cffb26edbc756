"""Adaptation to new environments: fit contexts only (model and gate frozen), try the top-k experts.

The MixER reference (Nzoyem et al. 2025) starts every new context at zero, so every new environment
starts on the same expert and then follows the gate. Here each candidate expert ``j`` starts from
the centroid of the training contexts routed to ``j``; the ``top_k`` experts with the lowest initial
loss on an environment are each fitted (all candidates of all environments in one batched solve; Adam
is elementwise, so a joint fit equals separate ones) and the best is kept, together with its
context. The naive mixture (softmax gate) has no routes to try: its contexts are fitted through the
dense gate-weighted field, starting from the mean training context.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from hyperpino.errors import SpecError
from hyperpino.mixer.dataset import Split
from hyperpino.mixer.metrics import mse_per_env, to_tensor
from hyperpino.mixer.mixture import MixER


@dataclass
class Adapted:
    """Fitted contexts ``(E', d_ξ)``, chosen experts ``(E',)`` and final adaptation MSE ``(E',)``."""

    contexts: Tensor
    routes: Tensor
    loss: Tensor


def _centroids(model: MixER) -> Tensor:
    """``(M, d_ξ)``: mean training context per expert (the overall mean for unused experts)."""
    ctx = model.contexts.detach()
    routes = model.route(ctx)
    onehot = torch.nn.functional.one_hot(routes, model.n_experts).to(ctx)
    counts = onehot.sum(0)[:, None]
    mean = ctx.mean(0, keepdim=True)
    return torch.where(counts > 0, onehot.T @ ctx / counts.clamp_min(1), mean)


def adapt(model: MixER, data: Split, steps: int = 300, lr: float = 1e-2, top_k: int = 2,
          device: str = "cpu", progress: bool = False) -> Adapted:
    """Fit contexts for ``data``'s environments; returns :class:`Adapted`."""
    if steps < 0 or top_k < 1:
        raise SpecError("adapt", f"need steps >= 0 and top_k >= 1, got {steps}, {top_k}")
    model = model.to(device).requires_grad_(False)
    ys = to_tensor(data.X, device)
    y0, tau, span = ys[:, :, 0], to_tensor(data.tau, device), to_tensor(data.span, device)
    e, m = data.n_envs, model.n_experts
    cents = _centroids(model)
    if model.cfg.gate == "softmax":
        cand_routes = None
        ctx0 = cents.mean(0, keepdim=True).expand(e, -1)
        k = 1
    else:
        k = min(top_k, m)
        with torch.no_grad():
            pred = model.simulate(cents.repeat_interleave(e, 0), y0.repeat(m, 1, 1), tau, span.repeat(m),
                                  routes=torch.arange(m, device=device).repeat_interleave(e))
            init = mse_per_env(pred, ys.repeat(m, 1, 1, 1)).reshape(m, e).nan_to_num(1e12)
        cand = init.topk(k, dim=0, largest=False).indices  # (k, E)
        cand_routes = cand.reshape(-1)
        ctx0 = cents[cand_routes]
    ctx = torch.nn.Parameter(ctx0.clone())
    opt = torch.optim.Adam([ctx], lr=lr)
    yk, y0k, spank = ys.repeat(k, 1, 1, 1), y0.repeat(k, 1, 1), span.repeat(k)
    it = range(steps)
    if progress:
        from tqdm import tqdm

        it = tqdm(it, desc="mixer adapt", unit="step")
    for _ in it:
        opt.zero_grad(set_to_none=True)
        loss = mse_per_env(model.simulate(ctx, y0k, tau, spank, routes=cand_routes), yk)
        loss.sum().backward()  # a sum keeps the candidates' fits independent
        opt.step()
    with torch.no_grad():
        final = mse_per_env(model.simulate(ctx, y0k, tau, spank, routes=cand_routes), yk).reshape(k, e)
        best = final.nan_to_num(1e12).argmin(0)  # (E,)
        idx = best * e + torch.arange(e, device=device)
        contexts = ctx.detach()[idx]
        routes = cand_routes[idx] if cand_routes is not None else model.route(contexts)
    model.requires_grad_(True)
    return Adapted(contexts, routes, final[best, torch.arange(e)])


@torch.no_grad()
def predict(model: MixER, data: Split, contexts: Tensor, routes: Tensor | None = None,
            device: str = "cpu") -> Tensor:
    """Trajectories ``(E, N, T, d)`` from ``data``'s initial conditions with the given contexts.
    ``routes``: forced experts (adapted environments); ``None`` follows the gate."""
    model = model.to(device)
    ys = to_tensor(data.X, device)
    if model.cfg.gate == "softmax":
        routes = None
    return model.simulate(contexts.to(device), ys[:, :, 0], to_tensor(data.tau, device),
                          to_tensor(data.span, device), routes=routes)
