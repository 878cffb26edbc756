"""Interval bound propagation: sampled embeddings in a box give weights and outputs inside the bounds."""

import pytest
import torch

from hyperpino.continual import targets
from hyperpino.continual.interval import hypernet_box, target_box
from hyperpino.continual.methods import HyperInterval
from hyperpino.errors import HyperpinoError


@pytest.mark.parametrize("generator,mip", [("hnet", False), ("chunked", False), ("hnet", True)])
def test_bounds_contain_sampled_outputs(generator, mip):
    torch.manual_seed(0)
    net = targets.mlp((1, 4, 4), (12, 8), 3)
    method = HyperInterval(net, 2, 3, generator=generator, emb_dim=5, eps=2.0, nested=False, mip=mip)
    lo, hi = method.box(torch.tensor([0, 1]))
    x = torch.rand(7, 1, 4, 4)
    with torch.no_grad():
        wm, wr = hypernet_box(method.hnet, lo, hi)
        zm, zr = target_box(method.f.template, wm, wr, x)
        for _ in range(50):
            e = lo + (hi - lo) * torch.rand_like(lo)
            theta = method.hnet(method._cond(e))
            for n in theta:
                assert ((theta[n] - wm[n]).abs() <= wr[n] + 1e-5).all(), n
            z = method.f(theta, x)  # (2, 7, 3)
            assert ((z - zm).abs() <= zr + 1e-4).all()


def test_point_box_is_exact():
    torch.manual_seed(0)
    method = HyperInterval(targets.mlp((6,), (8,), 2), 1, 2, emb_dim=4, nested=False)
    e = torch.randn(1, 4)
    with torch.no_grad():
        wm, wr = hypernet_box(method.hnet, e, e)
        theta = method.hnet(e)
    for n in theta:
        assert torch.allclose(wm[n], theta[n], atol=1e-6) and float(wr[n].abs().max()) < 1e-6


def test_cnn_target_is_refused():
    with pytest.raises(HyperpinoError, match="interval"):
        HyperInterval(targets.small_cnn((1, 8, 8), outputs=2), 2, 2)


def test_evaluated_weights_are_the_regularised_middle():
    # the regulariser pins the IBP middle of each box; the task must be evaluated with exactly it
    torch.manual_seed(0)
    method = HyperInterval(targets.mlp((6,), (8,), 2), 2, 2, emb_dim=4, eps=3.0)
    method.end_task(0, torch.randn(2, 6), torch.zeros(2, dtype=torch.long))
    with torch.no_grad():
        evaluated = method.hnet.spec.flatten(method.weights(torch.tensor([0])))
        centre = method.hnet.spec.flatten(method.hnet(method.embeddings[0][None]))
    assert torch.allclose(evaluated, method.targets[1, :1], atol=1e-6)
    assert not torch.allclose(evaluated, centre, atol=1e-3)  # a wide box: not the centre's weights
    assert float(method.regulariser(1).detach()) < 1e-10

