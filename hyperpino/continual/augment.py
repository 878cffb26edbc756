"""Training-time augmentation: random translations of the underlying image.

A Permuted-MNIST task is the digit under a fixed pixel permutation, so a translation must act on
the digit *before* the permutation (translating the permuted image would not be a digit
transformation at all): the pixels are un-permuted, shifted and permuted again. Shifts are
circular (``roll``): the outer rows of an MNIST digit are background, so wrapping moves background
only, and no fill value has to be assumed (inputs may be standardised). Random shifts of a few
pixels are the classical MNIST augmentation (Simard, Steinkraus & Platt 2003); HyperMask used
augmentation on Split-MNIST (Książek & Spurek 2023).
"""

from __future__ import annotations

import torch
from torch import Tensor


def random_shift(x: Tensor, max_shift: int, generator: torch.Generator | None = None,
                 perm: Tensor | None = None) -> Tensor:
    """``x (N, C, H, W)`` -> the same shape, each image rolled by its own ``(dy, dx)`` drawn
    uniformly from ``{−k..k}²`` (``k = max_shift``). ``perm (H·W,)``: the pixel permutation that
    ``x`` is under (the shift is applied to the un-permuted image). Other input shapes (feature
    vectors) and ``max_shift = 0`` return ``x`` unchanged."""
    if max_shift <= 0 or x.ndim != 4:
        return x
    n, _, h, w = x.shape
    if perm is not None:
        x = x.flatten(-2)[..., torch.argsort(perm)].reshape(x.shape)
    dy = torch.randint(-max_shift, max_shift + 1, (n, 1, 1), generator=generator)
    dx = torch.randint(-max_shift, max_shift + 1, (n, 1, 1), generator=generator)
    rows = (torch.arange(h)[None, :, None] - dy) % h  # (N, H, 1): source row of each output row
    cols = (torch.arange(w)[None, None, :] - dx) % w  # (N, 1, W)
    flat = (rows * w + cols).reshape(n, 1, h * w).expand(n, x.shape[1], h * w)
    x = x.flatten(-2).gather(-1, flat).reshape(x.shape)
    if perm is not None:
        x = x.flatten(-2)[..., perm].reshape(x.shape)
    return x
