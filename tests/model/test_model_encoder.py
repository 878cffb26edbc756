import torch
from hypino_inputs import random_inputs

from hyperpino.model import FiLM
from hyperpino.model.fourier import FourierChannels, signed_log1p


def test_encoder_returns_multiscale_channels_last_features(small):
    images, coeffs = random_inputs(2, small.config.grid)
    with torch.no_grad():
        feats = small.encoder(images, coeffs)
    c = small.config
    assert [tuple(f.shape) for f in feats] == [
        (2, r, r, d) for r, d in zip(c.stage_resolutions, c.stage_dims, strict=True)
    ]
    assert all(torch.isfinite(f).all() for f in feats)


def test_film_is_identity_at_init_and_uses_one_plus_gamma():
    film = FiLM(5, 3)
    x, cond = torch.randn(2, 4, 4, 3), torch.randn(2, 5)
    assert torch.equal(film(x, cond), x)
    with torch.no_grad():
        film.proj.bias.copy_(torch.tensor([0.5, 0.0, 0.0, 1.0, 0.0, 0.0]))  # γ = (0.5, 0, 0), β = (1, 0, 0)
    y = film(x, cond)
    torch.testing.assert_close(y[..., 0], 1.5 * x[..., 0] + 1.0)
    torch.testing.assert_close(y[..., 1:], x[..., 1:])


def test_fourier_channels_layout():
    f = FourierChannels(2, 0.5)
    x = torch.randn(3, 2, 4, 4)
    y = f(x)
    assert y.shape == (3, 2 * 5, 4, 4)
    torch.testing.assert_close(y[:, :2], x)
    # sin block: channel-major, then frequency (0.5, 1.0)
    torch.testing.assert_close(y[:, 3], torch.sin(2 * torch.pi * 1.0 * x[:, 0]))
    assert FourierChannels(2, identity=False)(torch.randn(3, 4)).shape == (3, 16)


def test_signed_log1p_is_odd_and_compresses():
    x = torch.tensor([-1e4, -1.0, 0.0, 1.0, 1e4])
    y = signed_log1p(x)
    torch.testing.assert_close(y, -y.flip(0))
    assert y.abs().max() < 10


def test_statistics_do_not_carry_gradients(small):
    images, coeffs = random_inputs(1, small.config.grid)
    images.requires_grad_(True)
    small.encoder.condition(images, coeffs).sum().backward()
    assert images.grad is None or torch.count_nonzero(images.grad) == 0
