"""Random inputs shaped like a rasterised problem, for the HyPINO model tests.

(A uniquely named module rather than ``conftest``: test folders have no ``__init__.py``, so a
``from conftest import ...`` could pick up another folder's conftest.)
"""

from __future__ import annotations

import torch


def random_inputs(batch: int, grid: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Images ``(B, 10, G, G)`` shaped like a rasterised problem (0/1 masks, values, a source
    spanning magnitudes) and coefficients ``(B, 6)`` in [-2, 2]."""
    g = torch.Generator().manual_seed(seed)
    images = torch.randn(batch, 10, grid, grid, generator=g)
    for ch in (0, 1, 3, 5):  # domain, dirichlet/neumann/robin masks
        images[:, ch] = (images[:, ch] > 0).float()
    images[:, 9] *= 100.0
    coeffs = 4 * torch.rand(batch, 6, generator=g) - 2
    return images, coeffs
