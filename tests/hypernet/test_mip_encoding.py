"""MIP input encodings: constant norm, shapes, range validation."""

import math

import pytest
import torch

from hyperpino.errors import SpecError
from hyperpino.hypernet import encode_cos_sin, encode_z_1mz, encoded_dim


def test_cos_sin_constant_l2_norm():
    gamma = torch.rand(50, 3)
    gamma[0] = 0.0
    gamma[1] = 1.0
    enc = encode_cos_sin(gamma)
    assert enc.shape == (50, 6)
    torch.testing.assert_close(enc.norm(dim=-1), torch.full((50,), math.sqrt(3)))
    torch.testing.assert_close(enc[0], torch.tensor([1.0, 1, 1, 0, 0, 0]))


def test_z_1mz_constant_l1_norm():
    gamma = torch.rand(20, 2)
    enc = encode_z_1mz(gamma)
    assert enc.shape == (20, 4)
    torch.testing.assert_close(enc.abs().sum(-1), torch.full((20,), 2.0))
    torch.testing.assert_close(enc[:, :2], gamma)


def test_encoded_dim():
    assert encoded_dim("cos_sin", 3) == 6 and encoded_dim(None, 3) == 3


@pytest.mark.parametrize("encode", [encode_cos_sin, encode_z_1mz])
@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), float("inf")])
def test_rejects_out_of_range(encode, bad):
    gamma = torch.full((4, 2), 0.5)
    gamma[2, 1] = bad
    with pytest.raises(SpecError, match=r"values must lie in \[0, 1\].*at index \(2, 1\)"):
        encode(gamma)


@pytest.mark.parametrize("encode", [encode_cos_sin, encode_z_1mz])
def test_tolerates_rounding(encode):
    encode(torch.tensor([[-1e-7], [1.0 + 1e-7]]))


def test_rejects_integer_input():
    with pytest.raises(SpecError, match="floating-point"):
        encode_cos_sin(torch.tensor([[0, 1]]))
