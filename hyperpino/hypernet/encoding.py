"""MIP input encodings: map γ ∈ [0, 1]^D to a vector whose norm does not depend on γ.

Ortiz, Guttag & Dalca 2023, "Magnitude Invariant Parametrizations Improve Hypernetwork Learning"
(arXiv 2304.07645). A fully connected hypernetwork with a positively homogeneous activation (ReLU,
LeakyReLU) and zero biases satisfies ``h(cγ) = c·h(γ)``, so the generated weights scale with ‖γ‖
and vanish as γ -> 0. Encoding each γ_i as a pair on a constant-norm set removes that coupling
without losing information:

* ``encode_cos_sin``: ``γ -> (cos(πγ/2), sin(πγ/2))``, each pair of unit L2 norm, ‖E(γ)‖₂ = √D;
* ``encode_z_1mz``:   ``γ -> (γ, 1 − γ)``, each pair of unit L1 norm, ‖E(γ)‖₁ = D.

Both map ``(..., D) -> (..., 2D)``: the D first components, then the D second ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import torch
from torch import Tensor

from hyperpino.errors import SpecError

EncodingName = Literal["cos_sin", "z_1mz"]

RANGE_TOL = 1e-6
"""How far outside [0, 1] a value may lie (rounding) before it is rejected."""


def encode_cos_sin(gamma: Tensor, *, check: bool = True) -> Tensor:
    """``(..., D) -> (..., 2D)``: ``(cos(πγ/2), sin(πγ/2))``; constant L2 norm √D on [0, 1]^D."""
    if check:
        check_unit_range(gamma, "gamma (encode_cos_sin)")
    angle = 0.5 * math.pi * gamma
    return torch.cat([torch.cos(angle), torch.sin(angle)], dim=-1)


def encode_z_1mz(gamma: Tensor, *, check: bool = True) -> Tensor:
    """``(..., D) -> (..., 2D)``: ``(γ, 1 − γ)``; constant L1 norm D on [0, 1]^D."""
    if check:
        check_unit_range(gamma, "gamma (encode_z_1mz)")
    return torch.cat([gamma, 1.0 - gamma], dim=-1)


ENCODINGS: dict[str, Callable[..., Tensor]] = {"cos_sin": encode_cos_sin, "z_1mz": encode_z_1mz}

SECOND_MOMENT: dict[str | None, float] = {"cos_sin": 0.5, "z_1mz": 1.0 / 3.0, None: 1.0}
"""Mean square of one encoded component, used by the hyperfan-in initialisation: 1/2 for the
cos/sin pairs (exact for any γ), 1/3 for (γ, 1 − γ) with γ uniform, 1 for unencoded inputs assumed
of unit variance (learned embeddings initialised N(0, 1))."""


def encoded_dim(encoding: EncodingName | None, dim: int) -> int:
    """Width of the encoded conditioning vector: ``2·dim`` for the MIP encodings, else ``dim``."""
    return dim if encoding is None else 2 * dim


def check_unit_range(gamma: Tensor, where: str = "gamma") -> None:
    """Raise :class:`~hyperpino.errors.SpecError` unless every entry of ``gamma`` is finite and in
    ``[0, 1]`` (within :data:`RANGE_TOL`). Needs concrete values: not for use inside ``vmap``."""
    if not torch.is_floating_point(gamma):
        raise SpecError(where, f"expected a floating-point tensor, got {gamma.dtype}")
    bad = ~torch.isfinite(gamma) | (gamma < -RANGE_TOL) | (gamma > 1.0 + RANGE_TOL)
    if bool(bad.any()):
        index = tuple(int(i) for i in bad.nonzero()[0])
        raise SpecError(
            where,
            f"values must lie in [0, 1] (MIP encodings are defined there; rescale γ first); "
            f"got {float(gamma[index]):.6g} at index {index}, range "
            f"[{float(gamma.min()):.6g}, {float(gamma.max()):.6g}]",
        )
