import pytest
import torch
from hypino_inputs import random_inputs

from hyperpino.errors import HyperpinoError
from hyperpino.model import HyPINO


def test_small_forward_backward_shapes_and_gradients():
    torch.manual_seed(0)
    model = HyPINO.from_preset("small")
    # FiLM starts at exactly zero, which blocks the gradient to the coefficient embedding until
    # the first update; nudge it as one optimiser step would.
    with torch.no_grad():
        for film in model.encoder.films:
            film.proj.weight.normal_(std=1e-3)
    images, coeffs = random_inputs(2, model.config.grid)
    theta = model(images, coeffs)
    assert list(theta) == list(model.spec.names)
    for e in model.spec:
        assert theta[e.name].shape == (2, *e.shape), e.name
    u = model.target(theta, torch.rand(2, 16, 2) * 2 - 1)
    u.square().mean().backward()
    unused = [n for n, p in model.named_parameters() if p.grad is None]
    assert not unused  # every parameter is used by forward (DDP without find_unused_parameters)
    groups = {
        "stem": model.encoder.stem,
        "swin": model.encoder.stages,
        "condition": model.encoder.condition,
        "film": model.encoder.films,
        "pools": model.decoder.pools,
        "heads": model.decoder.hypernet.head,
        "theta0": model.base,
    }
    for name, module in groups.items():
        grads = [p.grad for p in module.parameters() if p.requires_grad]
        assert grads and all(g is not None for g in grads), name
        assert sum(float(g.abs().sum()) for g in grads) > 0, name


def test_paper_forward_batch_one_on_cpu():
    torch.manual_seed(0)
    model = HyPINO.from_preset("paper").eval()
    images, coeffs = random_inputs(1, 224)
    with torch.no_grad():
        theta = model(images, coeffs)
    for e in model.spec:
        assert theta[e.name].shape == (1, *e.shape)
        assert torch.isfinite(theta[e.name]).all()


def test_generated_pinn_is_theta0_plus_small_delta_at_init(small):
    images, coeffs = random_inputs(3, small.config.grid, seed=1)
    with torch.no_grad():
        theta, delta, theta0 = small(images, coeffs), small.delta(images, coeffs), small.base()
    for name in small.spec.names:
        torch.testing.assert_close(theta[name], theta0[name] + delta[name])
        rms_delta = delta[name].norm() / 3**0.5  # per generated PINN
        if name == "out.weight":  # θ0's output layer starts at zero (HyPINOConfig.zero_output)
            assert float(theta0[name].detach().abs().max()) == 0.0 and rms_delta < 0.1, name
        elif name.endswith("weight"):  # measured ≈ 0.02 of |θ0| for both presets
            assert rms_delta < 0.1 * theta0[name].norm(), name
        else:  # biases start at zero in θ0; measured |Δb| ≈ 0.02 … 0.17
            assert rms_delta < 0.5, name
    # θ0 starts as the freshly initialised target: Glorot weights, zero biases
    assert all(float(theta0[n].detach().abs().max()) == 0.0 for n in small.spec.names if n.endswith("bias"))


def test_outputs_depend_on_the_problem(small):
    images, coeffs = random_inputs(2, small.config.grid, seed=2)
    with torch.no_grad():
        theta = small(images, coeffs)
    assert not torch.allclose(theta["hidden.0.weight"][0], theta["hidden.0.weight"][1])


@pytest.mark.parametrize(
    "images_shape, coeffs_shape, word",
    [
        ((2, 10, 32, 32), (2, 6), "grid 64"),  # wrong grid
        ((2, 9, 64, 64), (2, 6), "images"),  # missing channel
        ((10, 64, 64), (1, 6), "images"),  # no batch axis
        ((2, 10, 64, 64), (2, 5), "coeffs"),  # the reference's 5 coefficients
        ((2, 10, 64, 64), (3, 6), "batch size"),
    ],
)
def test_bad_input_shapes_raise_hyperpino_error(small, images_shape, coeffs_shape, word):
    with pytest.raises(HyperpinoError, match=word) as err:
        small(torch.zeros(images_shape), torch.zeros(coeffs_shape))
    assert "\n" not in str(err.value)


def test_non_finite_input_is_rejected(small):
    images, coeffs = random_inputs(1, small.config.grid)
    images[0, 9, 0, 0] = float("nan")
    with pytest.raises(HyperpinoError, match="images: expected finite"):
        small(images, coeffs)
