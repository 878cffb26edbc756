"""Adaptation to new environments: fit contexts only, with the model and the gate frozen.

Two methods:

* ``published`` (Nzoyem et al. 2025, the reference's ``meta_test``): every new context starts at
  zero and is fitted by gradient descent; the route is not trained but re-read from the gate at every
  step, so an environment follows its evolving context (and all start on the same expert).
* ``top_k`` (ours): each candidate expert ``j`` starts from the centroid of the training contexts
  routed to ``j``; the ``top_k`` experts with the lowest initial loss on an environment are each
  fitted and the best is kept, together with its context.

Either runs in ``bulk`` (all environments and candidates in one batched solve per step) or
``sequential`` mode (one environment after another, each with its own optimiser), as in the
reference. Adam is elementwise and the bulk loss is a *sum* over environments, so the two modes give
the same contexts up to floating-point rounding; sequential needs less memory, bulk less time. The
naive mixture (softmax gate) has no routes: its contexts are fitted through the dense gate-weighted
field (``top_k`` starts from the mean training context, ``published`` from zero).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from hyperpino.errors import SpecError
from hyperpino.mixer.dataset import Split
from hyperpino.mixer.metrics import mse_per_env, to_tensor
from hyperpino.mixer.mixture import MixER

METHODS = ("top_k", "published")
MODES = ("bulk", "sequential")


@dataclass(frozen=True)
class AdaptConfig:
    """Adaptation settings (see the module docstring); the reference uses Adam-like AdaBelief, lr
    1e-3 and 1500 (ODEBench), 5000 (LV), 1000 (SM) or 500 (GO) steps."""

    steps: int = 300
    lr: float = 1e-2
    top_k: int = 2
    method: str = "top_k"
    mode: str = "bulk"

    def __post_init__(self) -> None:
        if self.steps < 0 or self.top_k < 1:
            raise SpecError("adapt", f"need steps >= 0 and top_k >= 1, got {self.steps}, {self.top_k}")
        if self.method not in METHODS:
            raise SpecError("adapt.method", f"unknown {self.method!r} (known: {', '.join(METHODS)})")
        if self.mode not in MODES:
            raise SpecError("adapt.mode", f"unknown {self.mode!r} (known: {', '.join(MODES)})")


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


def _fit(model: MixER, ctx0: Tensor, routes: Tensor | None, follow_gate: bool, y0: Tensor, ys: Tensor,
         tau: Tensor, span: Tensor, steps: int, lr: float, bar=None) -> Tensor:
    """Adam on contexts ``ctx0 (B, d_ξ)`` against ``ys (B, N, T, d)``; ``routes (B,)`` fixed experts, or
    re-read from the gate each step (``follow_gate``), or None (softmax gate). Returns ``(B, d_ξ)``."""
    ctx = torch.nn.Parameter(ctx0.clone())
    opt = torch.optim.Adam([ctx], lr=lr)
    for _ in range(steps):
        r = model.route(ctx.detach()) if follow_gate else routes
        opt.zero_grad(set_to_none=True)
        loss = mse_per_env(model.simulate(ctx, y0, tau, span, routes=r), ys)
        loss.sum().backward()  # a sum keeps the environments' (and candidates') fits independent
        opt.step()
        if bar is not None:
            bar.update(1)
    return ctx.detach()


def adapt(model: MixER, data: Split, steps: int = 300, lr: float = 1e-2, top_k: int = 2,
          device: str = "cpu", progress: bool = False, method: str = "top_k", mode: str = "bulk") -> Adapted:
    """Fit contexts for ``data``'s environments (model and gate frozen); returns :class:`Adapted`.
    ``method``, ``mode``: see the module docstring and :class:`AdaptConfig`."""
    AdaptConfig(steps=steps, lr=lr, top_k=top_k, method=method, mode=mode)  # validates
    model = model.to(device)
    flags = {p: p.requires_grad for p in model.parameters()}
    model.requires_grad_(False)
    ys = to_tensor(data.X, device)
    y0, tau, span = ys[:, :, 0], to_tensor(data.tau, device), to_tensor(data.span, device)
    e, m = data.n_envs, model.n_experts
    lsq = model.cfg.gate == "lsq"
    follow_gate = lsq and method == "published"
    cand_routes = None
    k = 1
    if method == "published":
        ctx0 = model.contexts.new_zeros(e, model.contexts.shape[1])
    elif not lsq:
        ctx0 = _centroids(model).mean(0, keepdim=True).expand(e, -1)
    else:
        k = min(top_k, m)
        cents = _centroids(model)
        with torch.no_grad():
            pred = model.simulate(cents.repeat_interleave(e, 0), y0.repeat(m, 1, 1), tau, span.repeat(m),
                                  routes=torch.arange(m, device=device).repeat_interleave(e))
            init = mse_per_env(pred, ys.repeat(m, 1, 1, 1)).reshape(m, e).nan_to_num(1e12)
        cand_routes = init.topk(k, dim=0, largest=False).indices.reshape(-1)  # (k·E,), candidate-major
        ctx0 = cents[cand_routes]
    yk, y0k, spank = ys.repeat(k, 1, 1, 1), y0.repeat(k, 1, 1), span.repeat(k)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=steps * (1 if mode == "bulk" else e), desc=f"mixer adapt ({mode})", unit="step")
    if mode == "bulk":
        ctx = _fit(model, ctx0, cand_routes, follow_gate, y0k, yk, tau, spank, steps, lr, bar)
    else:
        ctx = torch.empty_like(ctx0)
        for i in range(e):
            rows = torch.arange(k, device=device) * e + i  # environment i's candidates
            sub = None if cand_routes is None else cand_routes[rows]
            ctx[rows] = _fit(model, ctx0[rows], sub, follow_gate, y0k[rows], yk[rows], tau, spank[rows],
                             steps, lr, bar)
    if bar is not None:
        bar.close()
    with torch.no_grad():
        r = model.route(ctx) if follow_gate else cand_routes
        final = mse_per_env(model.simulate(ctx, y0k, tau, spank, routes=r), yk).reshape(k, e)
        best = final.nan_to_num(1e12).argmin(0)  # (E,)
        idx = best * e + torch.arange(e, device=device)
        contexts = ctx[idx]
        routes = cand_routes[idx] if cand_routes is not None else model.route(contexts)
    for p, flag in flags.items():
        p.requires_grad_(flag)
    return Adapted(contexts, routes, final[best, torch.arange(e, device=device)])


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
