"""Shared fixture of the HyPINO model tests: one small model per module, in eval mode."""

from __future__ import annotations

import pytest
import torch

from hyperpino.model import HyPINO


@pytest.fixture(scope="module")
def small() -> HyPINO:
    torch.manual_seed(0)
    return HyPINO.from_preset("small").eval()
