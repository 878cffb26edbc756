"""Task inference over all tasks at once (vmap) equals a loop over plain per-task networks."""

import torch

from hyperpino.continual import targets
from hyperpino.continual.inference import entropy, infer_by_entropy, infer_by_interval_entropy
from hyperpino.continual.methods import HNET


def test_vmapped_inference_equals_loop():
    torch.manual_seed(0)
    method = HNET(targets.mlp((1, 5, 5), (16,), 3), 4, 3, "cl3", generator="chunked")
    x = torch.rand(9, 1, 5, 5)
    with torch.no_grad():
        logits = method.logits(x, 4)  # (4, 9, 3) in one vmapped call
        theta = method.weights(torch.arange(4))
        loop = torch.stack([method.f.to_module(theta, index=t)(x) for t in range(4)])
    assert torch.allclose(logits, loop, atol=1e-5)
    assert torch.equal(infer_by_entropy(logits), infer_by_entropy(loop))
    per_sample = torch.tensor(
        [min(range(4), key=lambda t, i=i: float(entropy(loop[t : t + 1, i : i + 1])[0, 0])) for i in range(9)]
    )
    assert torch.equal(infer_by_entropy(logits), per_sample)


def test_entropy_picks_the_confident_task():
    logits = torch.zeros(3, 2, 4)
    logits[1, 0, 2] = 10.0  # sample 0: task 1 is sure
    logits[2, 1, 0] = 10.0  # sample 1: task 2 is sure
    assert infer_by_entropy(logits).tolist() == [1, 2]


def test_interval_entropy_follows_its_formula():
    torch.manual_seed(1)
    lo = torch.randn(3, 5, 4)
    hi = lo + torch.rand(3, 5, 4) + 0.1
    p = torch.softmax(0.5 * (lo + hi), dim=-1)
    score = -(p * p.log() / (hi - lo)).sum(-1)  # HyperInterval's entropy.py
    assert torch.equal(infer_by_interval_entropy(lo, hi), score.argmin(0))
