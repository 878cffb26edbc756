"""A PINN from scratch trains in the frame where the operator is isotropic (hyperpino.pde.frame):
an elongated box is learned, the user's grid and data stay, the saved PINN fine-tunes again."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from solve_cases import CHANNEL, write

import hyperpino
from hyperpino.errors import HyperpinoError
from hyperpino.pde.frame import imbalance
from hyperpino.solver import finetune_run, load_pinn, save_pinn
from hyperpino.solver.ensemble import PINNEnsemble
from hyperpino.solver.pipeline import next_step


@pytest.fixture(scope="module")
def channel(tmp_path_factory):
    return write(tmp_path_factory.mktemp("spec") / "channel.toml", CHANNEL)


@pytest.fixture(scope="module")
def solved(channel):
    lines = []
    return hyperpino.solve(channel, from_scratch=True, finetune_steps=40, progress=lines.append), lines


def test_a_channel_is_learned_from_scratch(solved):
    # with the box mapped axis by axis onto [-1, 1]² (−0.04 u_XX − 4 u_YY = 1), 40 steps left
    # rel. L2 1.00 (60 s of training too); in the balanced frame 1.8e-2
    result, lines = solved
    assert result.errors["rel_l2"] < 0.1
    assert result.ensemble.box == ((0.0, 10.0), (-4.5, 5.5))
    assert sum("frame [0, 10] × [-4.5, 5.5]" in line for line in lines) == 1


def test_the_users_grid_and_box_stay(solved):
    result, _ = solved
    assert [[float(v) for v in side] for side in result.problem.spec.box] == [[0, 10], [0, 1]]
    assert (result.x.min(), result.x.max(), result.y.min(), result.y.max()) == (0.0, 10.0, 0.0, 1.0)
    assert result.mask.all() and np.isfinite(result.u).all()
    # the answer at user points is the PINN's, whichever frame it computes in
    pts = torch.tensor([[5.0, 0.5], [2.0, 0.1]], dtype=result.ensemble.weights.dtype)
    with torch.no_grad():
        u = result.ensemble(pts)[:, 0]
    torch.testing.assert_close(u, torch.tensor([12.5, 8.0], dtype=u.dtype), rtol=0.1, atol=0.0)


def test_a_saved_scratch_pinn_fine_tunes_in_its_own_frame(solved, channel, tmp_path):
    result, _ = solved
    save_pinn(result.ensemble, tmp_path / "p.safetensors")
    loaded = load_pinn(tmp_path / "p.safetensors")
    assert loaded.box == result.ensemble.box
    tuned = finetune_run(channel, loaded, steps=6, reference=result.reference)
    assert tuned.ensemble.box == loaded.box
    # the trainer's problem took the PINN's frame: its start is the solve's answer, measured again
    assert tuned.history[0].rel_l2 == pytest.approx(result.errors["rel_l2"], rel=1e-4)
    assert tuned.best.rel_l2 < 0.1


def test_a_frame_that_leaves_part_of_the_box_out_is_refused(solved, channel):
    result, _ = solved
    theta, weights = result.ensemble.theta()
    short = PINNEnsemble.from_theta(theta, weights, ((0.0, 9.0), (-4.5, 5.5)), result.ensemble.config)
    with pytest.raises(HyperpinoError, match="does not cover"):
        finetune_run(channel, short, steps=2)


def test_the_models_route_on_an_elongated_box_points_to_from_scratch(tiny, channel):
    result = hyperpino.solve(channel, model=tiny, refine=0, finetune_steps=2)
    assert result.info["route"] == "hypino" and result.ensemble.box == ((0.0, 10.0), (0.0, 1.0))
    (note,) = [n for n in result.notes if "does not solve" in n]
    assert "elongated" in note and "--from-scratch" in note
    assert imbalance(result.problem) == pytest.approx(100.0)
    assert "elongated" not in next_step(0.5, 1e-3, trained=True, refine_no_gain=False)
    assert next_step(0.05, 0.02, trained=True, refine_no_gain=False, elongated=True) is None  # solved
