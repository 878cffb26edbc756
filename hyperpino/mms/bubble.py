"""Bubble factors: u* = B·φ with B vanishing on the box, so Dirichlet data there are zero.

A manufactured solution read off a generic u* almost always has nonzero boundary data, so a model
trained on such problems can learn "u ≈ a shrunk copy of the boundary data" and ignore the source
(what the bundled HyPINO model does on −Δu = f, u = 0). With ``u* = B·φ`` and B = 0 on the box the
boundary data vanish there and the source carries the information.

Bubbles (codes as stored in :attr:`hyperpino.mms.recipe.Recipe.bubble`):

- ``0``: none (B = 1);
- ``1``: box, ``B = (1 − x²)(1 − y²)`` — elliptic problems;
- ``2``: x only, ``B = 1 − x²`` — evolution problems (y is time: zero data at x = ±1, the initial
  line keeps B·φ(x, −1)).

The product is applied to jets by Leibniz's rule (:func:`apply`); :func:`weights` gives the same
rule as a matrix, so ``Σ_k w_k D_k(B φ) = Σ_j W_j D_j φ`` with ``W_j = Σ_i A[j, i]·D_i B``, which
is what the spec text (:mod:`hyperpino.mms.to_spec`) is written from.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

NONE, BOX, X_ONLY = 0, 1, 2
NAMES = ("none", "box", "x")

_TEXT = {
    BOX: ("(1 - x**2)*(1 - y**2)", "(-2*x*(1 - y**2))", "(-2*y*(1 - x**2))", "(-2*(1 - y**2))",
          "(-2*(1 - x**2))", "(4*x*y)"),
    X_ONLY: ("(1 - x**2)", "(-2*x)", None, "(-2)", None, None),
}
"""D_i B as text, TERMS order (u, u_x, u_y, u_xx, u_yy, u_xy); ``None`` where it is zero."""


def bubble_jet(code: int, x: Tensor, y: Tensor, order: int = 2) -> Tensor:
    """``(B, B_x, B_y[, B_xx, B_yy, B_xy])`` of bubble ``code`` at points ``x, y (..., N)``:
    ``(..., K, N)`` with K = 3 (``order=1``) or 6."""
    one = x.new_ones(()).expand_as(x)
    zero = x.new_zeros(()).expand_as(x)
    p = 1 - x * x
    if code == BOX:
        q = 1 - y * y
        out = [p * q, -2 * x * q, -2 * y * p, -2 * q, -2 * p, 4 * x * y]
    elif code == X_ONLY:
        out = [p, -2 * x, zero, -2 * one, zero, zero]
    else:
        out = [one, zero, zero, zero, zero, zero]
    return torch.stack(out[: 3 if order == 1 else 6], dim=-2)


def apply(b: Tensor, s: Tensor) -> Tensor:
    """The jet of ``B·φ`` from the jets ``b, s (..., K, N)`` of B and φ (K = 3 or 6), by Leibniz."""
    u = [b[..., 0, :] * s[..., 0, :],
         b[..., 1, :] * s[..., 0, :] + b[..., 0, :] * s[..., 1, :],
         b[..., 2, :] * s[..., 0, :] + b[..., 0, :] * s[..., 2, :]]
    if s.shape[-2] == 6:
        u += [b[..., 3, :] * s[..., 0, :] + 2 * b[..., 1, :] * s[..., 1, :] + b[..., 0, :] * s[..., 3, :],
              b[..., 4, :] * s[..., 0, :] + 2 * b[..., 2, :] * s[..., 2, :] + b[..., 0, :] * s[..., 4, :],
              b[..., 5, :] * s[..., 0, :] + b[..., 1, :] * s[..., 2, :] + b[..., 2, :] * s[..., 1, :]
              + b[..., 0, :] * s[..., 5, :]]
    return torch.stack(u, dim=-2)


def weights(w) -> np.ndarray:
    """``A (6, 6)`` with ``Σ_k w_k D_k(B φ) = Σ_j (Σ_i A[j, i] D_i B) D_j φ`` for constant ``w (6,)``."""
    w0, w1, w2, w3, w4, w5 = (float(v) for v in w)
    a = np.zeros((6, 6))
    a[0] = (w0, w1, w2, w3, w4, w5)
    a[1, 0], a[1, 1], a[1, 2] = w1, 2 * w3, w5
    a[2, 0], a[2, 2], a[2, 1] = w2, 2 * w4, w5
    a[3, 0], a[4, 0], a[5, 0] = w3, w4, w5
    return a


def weight_texts(code: int, w, fmt) -> list[str | None]:
    """``W_j`` as text for j = 0..5 (``None`` where it vanishes); ``fmt`` writes a number."""
    a, texts = weights(w), _TEXT[code]
    out: list[str | None] = []
    for j in range(6):
        parts = [f"{fmt(a[j, i])}*{texts[i]}" for i in range(6) if a[j, i] != 0.0 and texts[i] is not None]
        out.append(" + ".join(parts) if parts else None)
    return out
