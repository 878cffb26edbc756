"""Training batches from the generator: the delta step's error problems, normalisation, the loss."""

from __future__ import annotations

import pytest
import torch

from hyperpino.mms import MMSConfig, MMSGenerator
from hyperpino.mms.generator import evaluate_recipes
from hyperpino.model import HyPINO
from hyperpino.model.inputs import DATA_CHANNELS
from hyperpino.pde.residual import Derivatives
from hyperpino.training.batch import TrainBatch
from hyperpino.training.loss import LossWeights, hypino_loss


@pytest.fixture(scope="module")
def mms_batch():
    cfg = MMSConfig(grid=32, n_interior=128, n_boundary=128, physics_fraction=0.0)
    return MMSGenerator(cfg, seed=3).generate(range(6))


def template_derivs(batch, scale: float = 1.0):
    """``derivs(points, order)`` of the manufactured solutions themselves, times ``scale``."""
    def derivs(points, order):
        d = evaluate_recipes(batch.recipes, points.double()).float() * scale
        rows = [torch.stack([d[..., 3], d[..., 5]], -1), torch.stack([d[..., 5], d[..., 4]], -1)]
        hess = torch.stack(rows, -2)
        return Derivatives(d[..., 0], d[..., 1:3], hess if order == 2 else None)

    return derivs


def test_error_problem_of_the_exact_solution_is_zero(mms_batch):
    tb = TrainBatch.from_mms(mms_batch)
    err = tb.error_problem(template_derivs(mms_batch))
    size = tb.inputs.images[:, list(DATA_CHANNELS)].abs().amax()
    assert float(err.inputs.images[:, list(DATA_CHANNELS)].abs().amax()) < 1e-3 * float(size)
    for name in ("source", "labels", "g"):
        ref = getattr(tb, name).abs().amax()
        assert float(getattr(err, name).abs().amax()) < 1e-4 * float(ref), name


def test_error_problem_of_a_partial_answer_keeps_the_rest(mms_batch):
    """ū = 0.75 u*: the error problem is the original one scaled by 0.25 (everything is linear)."""
    tb = TrainBatch.from_mms(mms_batch)
    err = tb.error_problem(template_derivs(mms_batch, 0.75))
    for name in ("source", "labels", "g"):
        torch.testing.assert_close(getattr(err, name), 0.25 * getattr(tb, name), atol=1e-3, rtol=1e-3)
    _, _, t1 = tb.normalised()
    _, _, t2 = err.normalised()
    torch.testing.assert_close(t2.source, t1.source, atol=1e-3, rtol=1e-3)


def test_normalised_targets_are_of_unit_size(mms_batch):
    tb = TrainBatch.from_mms(mms_batch)
    images, coeffs, t = tb.normalised()
    assert torch.allclose(coeffs.abs().amax(1), torch.ones(len(tb)))
    assert float(images[:, list(DATA_CHANNELS)].abs().amax()) <= 1.0 + 1e-6
    # Values on the grid are bounded by the boundary/source data only loosely; labels stay O(1-100).
    assert float(t.labels[..., 0].abs().amax()) < 1e3


def test_loss_is_batched_and_reaches_every_parameter(mms_batch):
    torch.manual_seed(0)
    model = HyPINO.from_preset("small", grid=32, embed_dim=8, depths=(1, 1), num_heads=(1, 1), window=4)
    tb = TrainBatch.from_mms(mms_batch)
    images, coeffs, t = tb.normalised()
    loss, parts = hypino_loss(model(images, coeffs), model.target, t, LossWeights())
    assert torch.isfinite(loss) and set(parts) == {"residual", "derivatives", "value", "dirichlet", "neumann",
                                                   "robin"}
    loss.backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing
    # The loss of a batch is the mean of the per-sample losses: the first half alone + second half alone.
    a, b = t.split(3)
    with torch.no_grad():
        theta = model(images, coeffs)
        whole, _ = hypino_loss(theta, model.target, t, LossWeights())
        ta = {k: v[:3] for k, v in theta.items()}
        tb_ = {k: v[3:] for k, v in theta.items()}
        la, _ = hypino_loss(ta, model.target, a, LossWeights())
        lb, _ = hypino_loss(tb_, model.target, b, LossWeights())
    torch.testing.assert_close(whole, (la + lb) / 2, rtol=1e-5, atol=1e-6)


def test_value_and_derivative_terms_are_relative_to_the_labels(mms_batch):
    """Scaling the generated u and the labels together (a 20× smaller solution, as for a
    higher-frequency u* in normalised units) leaves the supervised terms unchanged."""
    from dataclasses import replace

    from hyperpino.training.loss import RMS_FLOOR

    torch.manual_seed(0)
    model = HyPINO.from_preset("small", grid=32, embed_dim=8, depths=(1, 1), num_heads=(1, 1), window=4)
    images, coeffs, t = TrainBatch.from_mms(mms_batch).normalised()
    with torch.no_grad():
        theta = model(images, coeffs)
        _, big = hypino_loss(theta, model.target, t, LossWeights())
        k = 0.05
        assert float(t.labels[..., 0].pow(2).mean(1).sqrt()[t.labelled].amin()) * k > RMS_FLOOR
        small_theta = {n: v * k if n.startswith("out.") else v for n, v in theta.items()}
        _, small = hypino_loss(small_theta, model.target, replace(t, labels=t.labels * k), LossWeights())
    assert float(big["value"]) > 1e-3
    for term in ("value", "derivatives"):
        torch.testing.assert_close(small[term], big[term], rtol=1e-3, atol=1e-7)
