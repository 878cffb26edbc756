"""Gate update pieces against brute force: K-means, assignment, ridge least squares."""

import itertools

import numpy as np
import pytest
import torch

from hyperpino.mixer.gate import assign, fit_gate, kmeans, kmeans_inertia, kmeans_pp, ridge, voronoi_gate


def _brute_kmeans(x: torch.Tensor, k: int) -> float:
    best = float("inf")
    for labels in itertools.product(range(k), repeat=x.shape[0]):
        lab = torch.tensor(labels)
        if len(set(labels)) < k:
            continue
        cents = torch.stack([x[lab == j].mean(0) for j in range(k)])
        best = min(best, float(kmeans_inertia(x, cents, lab)))
    return best


@pytest.mark.parametrize("seed", range(4))
def test_kmeans_reaches_brute_force_optimum_on_separated_blobs(seed):
    g = torch.Generator().manual_seed(seed)
    centres = torch.tensor([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]])
    x = centres.repeat_interleave(3, 0) + 0.3 * torch.randn(9, 2, generator=g)
    c, lab = kmeans(x, 3, generator=g)
    assert float(kmeans_inertia(x, c, lab)) == pytest.approx(_brute_kmeans(x, 3), rel=1e-5)


def test_kmeans_is_a_fixed_point_and_never_leaves_clusters_empty():
    g = torch.Generator().manual_seed(0)
    x = torch.tensor([[0.0, 0.0]] * 4 + [[1.0, 1.0]] * 3 + [[2.0, 0.0]])  # duplicates: D² = 0 often
    for _ in range(20):
        c, lab = kmeans(x, 3, generator=g)
        assert torch.bincount(lab, minlength=3).min() >= 1
        assert torch.equal(torch.cdist(x, c).argmin(1), lab)  # Lloyd's fixed point


def test_kmeans_pp_picks_distinct_points_when_possible():
    g = torch.Generator().manual_seed(1)
    x = torch.tensor([[0.0], [0.0], [1.0], [2.0]])
    c = kmeans_pp(x, 3, g)
    assert len({float(v) for v in c.flatten()}) == 3


@pytest.mark.parametrize("shape", [(3, 3), (2, 4), (4, 4)])
def test_assignment_matches_brute_force(shape):
    rng = np.random.default_rng(sum(shape))
    for _ in range(10):
        cost = torch.tensor(rng.random(shape))
        got = assign(cost)
        assert len(set(got.tolist())) == shape[0]
        best = min(
            sum(float(cost[i, p[i]]) for i in range(shape[0]))
            for p in itertools.permutations(range(shape[1]), shape[0])
        )
        assert float(cost[torch.arange(shape[0]), got].sum()) == pytest.approx(best)


def test_ridge_matches_augmented_lstsq():
    rng = np.random.default_rng(0)
    x, y, lam = rng.normal(size=(12, 3)), rng.normal(size=(12, 4)), 0.5
    xa = np.hstack([x, np.ones((12, 1))])
    aug_x = np.vstack([xa, np.sqrt(lam) * np.eye(4)])
    aug_y = np.vstack([y, np.zeros((4, 4))])
    ref = np.linalg.lstsq(aug_x, aug_y, rcond=None)[0]
    got = ridge(torch.tensor(x), torch.tensor(y), lam)
    np.testing.assert_allclose(got.numpy(), ref, atol=1e-10)


def test_voronoi_gate_routes_to_nearest_centroid():
    g = torch.Generator().manual_seed(2)
    cents, x = torch.randn(3, 2, generator=g), torch.randn(50, 2, generator=g)
    expert_of_cluster = torch.tensor([4, 0, 2])
    w = voronoi_gate(cents, expert_of_cluster, 5)
    logits = torch.cat([x, torch.ones(50, 1)], 1) @ w
    assert torch.equal(logits.argmax(1), expert_of_cluster[torch.cdist(x, cents).argmin(1)])


def test_fit_gate_routes_clusters_to_their_cheapest_experts():
    g = torch.Generator().manual_seed(3)
    ctx = torch.cat([torch.randn(5, 2, generator=g) * 0.1 + 3, torch.randn(5, 2, generator=g) * 0.1 - 3])
    losses = torch.ones(2, 10)
    losses[1, :5] = 0.1  # expert 1 is best on the first blob, expert 0 on the second
    losses[0, 5:] = 0.1
    w, stats = fit_gate(ctx, losses, generator=g)
    routes = (torch.cat([ctx, torch.ones(10, 1)], 1) @ w).argmax(1)
    assert routes.tolist() == [1] * 5 + [0] * 5
    assert stats["clusters"] == 2


def test_kmeans_restarts_keep_the_lowest_inertia():
    x = torch.randn(40, 3, generator=torch.Generator().manual_seed(0))
    first = kmeans(x, 6, generator=torch.Generator().manual_seed(1))  # the restarts' first seeding
    best = kmeans(x, 6, generator=torch.Generator().manual_seed(1), restarts=8)
    assert float(kmeans_inertia(x, *best)) <= float(kmeans_inertia(x, *first)) + 1e-6
    warm = kmeans(x, 6, init=best[0], restarts=8)  # a warm start ignores restarts
    torch.testing.assert_close(warm[0], best[0])
