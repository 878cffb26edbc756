import pytest
import torch

from hyperpino.mms import MMSConfig, MMSGenerator


@pytest.fixture(scope="session")
def batch64():
    """A small float64 batch of every kind, labelled and physics-only."""
    cfg = MMSConfig(grid=32, n_interior=128, n_boundary=128, physics_fraction=0.25)
    return MMSGenerator(cfg, seed=11, dtype=torch.float64).generate(range(28))
