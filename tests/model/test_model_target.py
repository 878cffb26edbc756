import pytest
import torch
from hypino_inputs import random_inputs

from hyperpino.errors import HyperpinoError
from hyperpino.model import TargetPINN
from hyperpino.pinn.network import ModifiedMLP


def test_generated_params_drive_the_target_on_points(small):
    images, coeffs = random_inputs(2, small.config.grid)
    x = torch.rand(2, 50, 2) * 2 - 1
    with torch.no_grad():
        theta = small(images, coeffs)
        u = small.target(theta, x)  # one point set per model
        u_shared = small.target(theta, x[0])  # one point set for all
    assert u.shape == (2, 50, 1) and u_shared.shape == (2, 50, 1)
    assert torch.isfinite(u).all()
    torch.testing.assert_close(u_shared[0], u[0])
    # vmap-batched evaluation equals a loop over plain modules
    for i, module in enumerate(small.target.to_modules(theta)):
        assert isinstance(module, ModifiedMLP)
        torch.testing.assert_close(module(x[i]), u[i], atol=1e-6, rtol=1e-5)


def test_target_spec_and_bad_points():
    target = TargetPINN()
    assert target.spec.numel == 5409
    assert "features.freqs" not in target.spec.names
    params = target.spec.extract(target.fresh())  # name -> (1, *shape)
    assert target(params, torch.zeros(5, 2)).shape == (1, 5, 1)
    with pytest.raises(HyperpinoError, match="points"):
        target(params, torch.zeros(2, 5, 3))
