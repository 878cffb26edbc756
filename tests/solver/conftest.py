"""Shared fixtures of the solve-pipeline tests: a tiny HyPINO (random weights) and spec files."""

from __future__ import annotations

import pytest
import torch
from solve_cases import TINY

from hyperpino.model import HyPINO


@pytest.fixture(autouse=True, scope="package")
def _one_thread():
    # The CPU is shared with other jobs, and small tensors run fastest on one thread anyway;
    # oversubscribed threads made one refinement 50× slower. Package scope: set before any
    # module-scoped fixture builds models.
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(scope="session")
def tiny() -> HyPINO:
    torch.manual_seed(0)
    return HyPINO.from_preset("small", **TINY).train(False)


@pytest.fixture(scope="session")
def tiny_path(tiny, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "tiny.safetensors"
    tiny.save(path)
    return path
