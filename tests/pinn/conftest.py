"""Fixtures of the PINN trainer's tests."""

import pytest
import torch


@pytest.fixture
def one_thread():
    """torch on one thread for the test, restored after it: the small PINN trains fastest on one
    thread, and several fight over the shared test cores."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
