"""The MixER gate update: K-means on contexts, cluster-to-expert assignment, least-squares gate.

Nzoyem et al. 2025 (arXiv 2502.05335) replace gradient descent on the gate by, every N steps:

1. the loss of every expert on every environment, ``L (M, E)`` (one batched solve, no gradient);
2. K-means with K = min(M, E) on the contexts ``Ξ (E, d_ξ)``: k-means++ seeding (Arthur &
   Vassilvitskii 2007) on the first update, warm-started from the previous centroids afterwards
   (as the reference does; re-seeding every update relabels the clusters and reshuffles the
   routing each time), and empty clusters re-seeded with the point farthest from its centroid (the
   reference instead skips the whole update when a cluster is empty or K-means has not converged);
3. the expert-by-cluster cost ``C (K, M)``, the mean loss of each expert over a cluster, and the
   optimal assignment of clusters to distinct experts (Hungarian, ``linear_sum_assignment``; the
   reference assigns greedily in cluster order), with hysteresis: a cluster keeps its expert unless
   another is clearly better;
4. ridge least squares ``W = argmin ‖[Ξ 1] W − Y‖² + λ‖W‖²`` with ``Y`` the one-hot assigned expert.
   If the ridge gate does not reproduce the assignment on every environment, the exact
   nearest-centroid gate ``W = [2μ; −‖μ‖²]`` (logits ``−‖ξ − μ_k‖² + ‖ξ‖²``) is used instead.

Everything runs in torch on the training device; only the K × M cost matrix visits the host.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torch import Tensor


def kmeans_pp(x: Tensor, k: int, generator: torch.Generator | None = None) -> Tensor:
    """k-means++ seeding: ``x (E, d)`` -> ``k`` initial centroids ``(k, d)`` (rows of ``x``)."""
    e = x.shape[0]
    first = torch.randint(e, (1,), generator=generator, device="cpu").item()
    centres = [x[first]]
    d2 = (x - x[first]).pow(2).sum(1)
    for _ in range(1, k):
        total = d2.sum()
        probs = d2 / total if total > 0 else torch.full_like(d2, 1.0 / e)
        nxt = torch.multinomial(probs.cpu(), 1, generator=generator).item()
        centres.append(x[nxt])
        d2 = torch.minimum(d2, (x - x[nxt]).pow(2).sum(1))
    return torch.stack(centres)


def kmeans(
    x: Tensor, k: int, iters: int = 50, generator: torch.Generator | None = None,
    init: Tensor | None = None, restarts: int = 1,
) -> tuple[Tensor, Tensor]:
    """Lloyd's algorithm from k-means++ (or from ``init (k, d)``, a warm start): ``x (E, d)`` ->
    centroids ``(k, d)``, labels ``(E,)``.

    An empty cluster takes the point farthest from its current centroid, so every cluster is used
    whenever ``E >= k``. Stops when the labels no longer change. ``restarts``: without ``init``, the
    lowest-inertia result of that many k-means++ seedings."""
    if not 1 <= k <= x.shape[0]:
        raise ValueError(f"kmeans: need 1 <= k <= E, got k = {k}, E = {x.shape[0]}")
    if init is None and restarts > 1:
        runs = [kmeans(x, k, iters, generator) for _ in range(restarts)]
        return min(runs, key=lambda r: float(kmeans_inertia(x, *r)))
    centres = kmeans_pp(x, k, generator) if init is None else init.to(x)
    labels = torch.full((x.shape[0],), -1, dtype=torch.long, device=x.device)
    for _ in range(iters):
        dist = torch.cdist(x, centres)
        new = dist.argmin(1)
        counts = torch.bincount(new, minlength=k)
        for j in torch.nonzero(counts == 0).flatten().tolist():
            far = dist.gather(1, new[:, None]).squeeze(1)
            far[counts[new] <= 1] = -1.0  # never take the last member of another cluster
            i = int(far.argmax())
            counts[new[i]] -= 1
            new[i] = j
            counts[j] = 1
        onehot = torch.nn.functional.one_hot(new, k).to(x.dtype)
        centres = (onehot.T @ x) / onehot.sum(0)[:, None]
        if torch.equal(new, labels):
            break
        labels = new
    return centres, labels


def kmeans_inertia(x: Tensor, centres: Tensor, labels: Tensor) -> Tensor:
    """Sum of squared distances of points to their centroids."""
    return (x - centres[labels]).pow(2).sum()


def assign(cost: Tensor) -> Tensor:
    """Optimal assignment of K clusters to distinct experts: ``cost (K, M)``, K <= M -> ``(K,)``."""
    rows, cols = linear_sum_assignment(cost.detach().cpu().double().numpy())
    out = np.empty(cost.shape[0], dtype=np.int64)
    out[rows] = cols
    return torch.as_tensor(out, device=cost.device)


def ridge(x: Tensor, y: Tensor, lam: float = 1e-3) -> Tensor:
    """``argmin_W ‖[x 1] W − y‖² + λ‖W‖²``: ``x (E, d)``, ``y (E, M)`` -> ``W (d + 1, M)``."""
    xa = torch.cat([x, x.new_ones(x.shape[0], 1)], dim=1)
    gram = xa.T @ xa + lam * torch.eye(xa.shape[1], dtype=x.dtype, device=x.device)
    return torch.linalg.solve(gram, xa.T @ y)


def voronoi_gate(centres: Tensor, expert_of_cluster: Tensor, n_experts: int) -> Tensor:
    """Exact nearest-centroid gate ``(d + 1, M)``; experts without a cluster get logit −∞ (−1e9)."""
    d = centres.shape[1]
    w = torch.zeros(d + 1, n_experts, dtype=centres.dtype, device=centres.device)
    w[d] = -1e9
    w[:d, expert_of_cluster] = 2 * centres.T
    w[d, expert_of_cluster] = -centres.pow(2).sum(1)
    return w


def fit_gate(
    ctx: Tensor, losses: Tensor, lam: float = 1e-3, generator: torch.Generator | None = None,
    centres: Tensor | None = None, previous: Tensor | None = None, stay: float = 0.0, restarts: int = 1,
) -> tuple[Tensor, dict]:
    """Steps 2–4 on ``ctx (E, d_ξ)`` and the loss matrix ``losses (M, E)``: ``W (d_ξ + 1, M)``, stats.

    ``centres (K, d_ξ)``: warm start of K-means (the previous update's centroids), ``previous (K,)``
    the experts those clusters had; a cluster keeps its expert unless another one is better by more
    than the fraction ``stay`` of its cost (hysteresis: ties, e.g. identical experts, never swap).
    ``restarts``: k-means++ seedings of a cold start (see :func:`kmeans`)."""
    m, e = losses.shape
    k = min(m, e)
    centres, labels = kmeans(ctx, k, generator=generator, init=centres, restarts=restarts)
    onehot = torch.nn.functional.one_hot(labels, k).to(losses.dtype)  # (E, K)
    cost = (onehot.T @ losses.T) / onehot.sum(0)[:, None]  # (K, M): mean loss of expert on cluster
    if previous is not None and stay > 0:
        cost = cost.clone()
        rows = torch.arange(k, device=cost.device)
        cost[rows, previous] = cost[rows, previous] * (1 - stay)
    expert_of_cluster = assign(cost)
    target = expert_of_cluster[labels]
    w = ridge(ctx, torch.nn.functional.one_hot(target, m).to(ctx.dtype), lam)
    ok = bool(torch.equal((torch.cat([ctx, ctx.new_ones(e, 1)], 1) @ w).argmax(1), target))
    if not ok:
        w = voronoi_gate(centres, expert_of_cluster, m)
    return w, {"ridge_exact": ok, "clusters": k, "labels": labels, "expert_of_cluster": expert_of_cluster,
               "cluster_sizes": torch.bincount(labels, minlength=k), "centres": centres}


@torch.no_grad()
def gate_update(model, ctx: Tensor, y0: Tensor, ys: Tensor, tau: Tensor, span: Tensor,
                lam: float = 1e-3, generator: torch.Generator | None = None, centres: Tensor | None = None,
                previous: Tensor | None = None, stay: float = 0.0, restarts: int = 1) -> dict:
    """The full update on ``model`` (a :class:`~hyperpino.mixer.mixture.MixER` with ``gate="lsq"``):
    ``y0 (E, N, d)``, targets ``ys (E, N, T, d)``; ``centres``, ``previous``, ``stay``, ``restarts``: see
    :func:`fit_gate`. Overwrites ``model.gate_w``; returns stats."""
    start = time.perf_counter()
    ctx = ctx.detach()
    pred = model.simulate_each_expert(ctx, y0, tau, span)  # (M, E, N, T, d)
    losses = (pred - ys[None]).pow(2).mean(dim=(2, 3, 4))
    losses = torch.nan_to_num(losses, nan=1e12, posinf=1e12)
    before = model.route(ctx)
    w, stats = fit_gate(ctx, losses, lam, generator, centres, previous, stay, restarts)
    model.gate_w.copy_(w.to(model.gate_w))
    routes = model.route(ctx)
    stats["switched"] = int((routes != before).sum())
    stats["routes"] = routes
    stats["losses"] = losses
    stats["margins"] = margins(model.logits(ctx))
    stats["seconds"] = time.perf_counter() - start
    return stats


def margins(logits: Tensor) -> Tensor:
    """Gate margin per environment, ``(E, M) -> (E,)``: top-1 minus top-2 softmax value (1 with one
    expert). Small margins mean the routing of that environment is fragile."""
    if logits.shape[1] == 1:
        return logits.new_ones(logits.shape[0])
    top = torch.softmax(logits, dim=1).topk(2, dim=1).values
    return top[:, 0] - top[:, 1]
