"""Choosing the torch device from a ``--device`` option."""

from __future__ import annotations

import torch

from hyperpino.errors import HyperpinoError


def pick_device(name: str) -> torch.device:
    """``"auto"`` → CUDA when available, else CPU; ``"cuda"`` without CUDA is a user error."""
    if name == "cuda" and not torch.cuda.is_available():
        raise HyperpinoError("--device cuda: CUDA is not available")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)
