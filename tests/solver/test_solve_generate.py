"""Zero-shot generation: API forms, batching, the box map, out-of-family problems, checkpoints."""

from __future__ import annotations

import pytest
import torch
from solve_cases import SQUARE_EXACT, VARIABLE, write

import hyperpino
from hyperpino.errors import CheckpointError, OutOfFamilyError
from hyperpino.examples import examples_dir
from hyperpino.model import HyPINO
from hyperpino.model.inputs import problem_inputs
from hyperpino.pde.frame import balanced
from hyperpino.pde.problem import build_problem
from hyperpino.solver import PINNEnsemble, generate


def test_generate_is_the_model_prediction_in_user_coordinates(tiny):
    problem = build_problem(examples_dir() / "advection_diffusion.toml")  # box [0, 4] x [0, 1]
    pinn = hyperpino.generate(tiny, problem, solve_output=False)
    # the model sees the problem, and the PINN computes, in the balanced frame (hyperpino.pde.frame)
    problem = balanced(problem)
    assert pinn.box == problem.map.box == ((0.0, 4.0), (-1.5, 2.5))
    assert isinstance(pinn, PINNEnsemble) and isinstance(pinn, torch.nn.Module) and len(pinn) == 1
    x = torch.rand(50, 2) * torch.tensor([4.0, 1.0])
    with torch.no_grad():
        theta, scale = tiny.predict(problem_inputs(problem, tiny.config.grid))
        expected = scale[0] * tiny.target(theta, problem.map.to_canonical(x))[0]
        got = pinn(x)
    assert got.shape == (50, 1)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def test_spec_forms_agree(tiny, tmp_path):
    path = write(tmp_path / "s.toml", SQUARE_EXACT)
    spec = hyperpino.read_spec(path)
    x = torch.rand(20, 2) * 2 - 1
    outs = [hyperpino.generate(tiny, s)(x) for s in (path, str(path), spec, build_problem(path))]
    for out in outs[1:]:
        torch.testing.assert_close(out, outs[0])


def test_batched_generation_equals_one_by_one(tiny):
    names = ["poisson_L.toml", "heat.toml", "advection_diffusion.toml", "disk_robin.yaml"]
    problems = [build_problem(examples_dir() / n) for n in names]
    batched = generate(tiny, problems)
    assert isinstance(batched, list) and len(batched) == len(problems)
    for problem, pinn in zip(problems, batched, strict=True):
        one = hyperpino.generate(tiny, problem)
        lo, hi = torch.tensor(problem.map.box).T
        x = lo + (hi - lo) * torch.rand(40, 2)
        with torch.no_grad():
            torch.testing.assert_close(pinn(x), one(x), rtol=1e-4, atol=1e-5)
    assert generate(tiny, []) == []
    chunked = generate(tiny, problems, batch_size=3)  # chunks of the batch agree too
    x = torch.rand(10, 2) * 0.1
    with torch.no_grad():
        for a, b in zip(chunked, batched, strict=True):
            torch.testing.assert_close(a(x), b(x), rtol=1e-4, atol=1e-5)


def test_box_map_matches_the_canonical_problem(tiny, tmp_path):
    """[0, 3] x [1, 2] with a rectangular hole, Dirichlet and Neumann data, vs the same problem
    written on [-1, 1]² with chain-rule coefficients (s = (2/3, 2)) and mapped data. (The hole's
    corners are placed so that no pixel is equidistant from two edges: there the nearest boundary
    piece is a tie that rounding decides.)"""
    user = write(tmp_path / "user.toml", """
name = "user"
box = [[0, 3], [1, 2]]
[geometry]
csg = "box - hole"
[geometry.primitives.box]
type = "rectangle"
min = [0, 1]
max = [3, 2]
[geometry.primitives.hole]
type = "rectangle"
min = [1.2, 1.3]
max = [1.8, 1.65]
[operator]
expr = "-uxx - uyy + 0.5*ux"
source = "x * y"
[[bcs]]
type = "dirichlet"
on = ["box.left", "box.top", "box.bottom", "hole.*"]
value = "x + y"
[[bcs]]
type = "neumann"
on = "box.right"
value = "y"
""")
    # x = 1.5 (X + 1), y = (Y + 1)/2 + 1; u_x = (2/3) u_X, u_y = 2 u_Y; ∂u/∂n on x = 3 is (2/3) u_X
    canon = write(tmp_path / "canon.toml", """
name = "canon"
box = [[-1, 1], [-1, 1]]
[geometry]
csg = "box - hole"
[geometry.primitives.box]
type = "rectangle"
min = [-1, -1]
max = [1, 1]
[geometry.primitives.hole]
type = "rectangle"
min = [-0.2, -0.4]
max = [0.2, 0.3]
[operator]
expr = "-(4/9)*uxx - 4*uyy + (1/3)*ux"
source = "1.5*(x + 1) * ((y + 1)/2 + 1)"
[[bcs]]
type = "dirichlet"
on = ["box.left", "box.top", "box.bottom", "hole.*"]
value = "1.5*(x + 1) + (y + 1)/2 + 1"
[[bcs]]
type = "neumann"
on = "box.right"
value = "1.5*((y + 1)/2 + 1)"
""")
    pu, pc = build_problem(user), build_problem(canon)
    iu, ic = problem_inputs(pu, tiny.config.grid), problem_inputs(pc, tiny.config.grid)
    torch.testing.assert_close(iu.coeffs, ic.coeffs)
    torch.testing.assert_close(iu.images, ic.images, rtol=1e-5, atol=1e-5)
    # The model itself: the least-squares rows of solve_output are weighed in user units, which
    # differ between the two forms of the problem.
    gu = hyperpino.generate(tiny, pu, solve_output=False)
    gc = hyperpino.generate(tiny, pc, solve_output=False)
    x = torch.rand(64, 2) * torch.tensor([3.0, 1.0]) + torch.tensor([0.0, 1.0])
    with torch.no_grad():
        torch.testing.assert_close(gu(x), gc(pu.map.to_canonical(x)), rtol=1e-4, atol=1e-4)
        # one refinement step, forced (early stopping off), sees the same error problem too
        ru = hyperpino.refine(tiny, pu, gu, iters=1, early_stop=False, solve_output=False)
        rc = hyperpino.refine(tiny, pc, gc, iters=1, early_stop=False, solve_output=False)
        torch.testing.assert_close(ru(x), rc(pu.map.to_canonical(x)), rtol=1e-3, atol=1e-3)


def test_variable_coefficients_are_out_of_family(tiny, tmp_path):
    path = write(tmp_path / "v.toml", VARIABLE)
    with pytest.raises(OutOfFamilyError, match="constant-coefficient"):
        hyperpino.generate(tiny, path)
    lines = []
    result = hyperpino.solve(path, model=tiny, finetune_steps=5, reference=False, progress=lines.append)
    assert result.info["route"] == "scratch"  # solve answers it with a PINN from scratch, and says so
    assert sum("outside HyPINO's family" in line for line in lines) == 1


def test_pretrained_loads_a_checkpoint_and_names_a_missing_one(tiny, tiny_path, tmp_path):
    model = HyPINO.pretrained(tiny_path)
    assert not model.training
    for (k, a), b in zip(tiny.state_dict().items(), model.state_dict().values(), strict=True):
        assert torch.equal(a, b), k
    missing = tmp_path / "nope.safetensors"
    with pytest.raises(CheckpointError, match="nope.safetensors"):
        HyPINO.pretrained(missing)


def test_bundled_checkpoint_is_shipped_small_and_documented():
    """The pretrained model ships in the package: fp16, under 25 MB, with its training provenance."""
    from safetensors import safe_open

    from hyperpino.model import read_metadata
    from hyperpino.model.hypino import BUNDLED

    assert BUNDLED.is_file() and BUNDLED.stat().st_size <= 25 * 2**20
    with safe_open(str(BUNDLED), framework="pt") as f:
        assert {f.get_slice(k).get_dtype() for k in f.keys()} == {"F16"}
    prov = read_metadata(BUNDLED)["provenance"]
    assert prov["steps"] > 0 and prov["samples"] > 0 and prov["wall_time_s"] > 0 and prov["hardware"]
    model = HyPINO.pretrained()
    assert isinstance(model, HyPINO) and not model.training
    assert (BUNDLED.parent.parent / "MODEL_CARD.md").is_file()


def test_solved_output_layer_keeps_the_hidden_layers_and_lowers_the_physics_loss(tiny):
    from hyperpino.solver.refinement import ResidualProbe

    problem = build_problem(examples_dir() / "poisson_L.toml")
    raw, solved = hyperpino.generate(tiny, problem, solve_output=False), hyperpino.generate(tiny, problem)
    (t_raw, _), (t_sol, _) = raw.theta(), solved.theta()
    assert all(torch.equal(t_raw[k], t_sol[k]) for k in t_raw if not k.startswith("out."))
    losses = []
    for ens in (raw, solved):
        probe = ResidualProbe(problem, None, tiny.target, n_interior=512, n_boundary=256, seed=7)
        theta, weights = ens.theta()
        probe.add(theta, weights)
        losses.append(probe.residuals()["loss"])
    assert losses[1] < losses[0]  # fresh points: the solve generalises beyond its own rows
