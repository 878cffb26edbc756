"""Validation measures the zero-shot answer users get: the same frame as `generate` / `solve`."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from hyperpino.examples import examples_dir
from hyperpino.model import HyPINO
from hyperpino.pde.metrics import rel_l2
from hyperpino.pde.problem import build_problem
from hyperpino.solver import generate
from hyperpino.training.validation import REFERENCES, Validator, _shipped


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return HyPINO.from_preset("small", embed_dim=8, depths=(1, 1), num_heads=(1, 1), grid=32).train(False)


def test_wave_is_validated_in_the_frame_solve_gives_the_model(tiny):
    # u_tt = 4 u_xx on [0, 1]²: `solve` poses it in [-0.5, 1.5] x [0, 1] (hyperpino.pde.frame)
    from hyperpino.pde.spec_io import spec_digest

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        problem = build_problem(examples_dir() / "wave.toml")
        pts, ref = _shipped("wave", spec_digest(problem.spec), REFERENCES)
        got = Validator(("wave",), tiny.config.grid)(tiny)["wave"]
        ens = generate(tiny, problem)
        assert ens.box == ((-0.5, 1.5), (0.0, 1.0))
        with torch.no_grad():
            u = ens(problem.map.to_user(torch.from_numpy(pts).double()).float())[:, 0]
    finally:
        torch.set_num_threads(before)
    assert got == pytest.approx(float(rel_l2(u.double().numpy(), ref)), rel=1e-4)
    assert np.isfinite(got)
