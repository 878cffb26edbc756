"""The solution module: ensemble sums, derivatives in both coordinate systems, export and reload."""

from __future__ import annotations

import pytest
import torch

import hyperpino
from hyperpino.errors import CheckpointError
from hyperpino.examples import examples_dir
from hyperpino.pde.problem import build_problem
from hyperpino.solver import PINNEnsemble, load_pinn, save_pinn
from hyperpino.solver.export import read_pinn_metadata


@pytest.fixture(scope="module")
def ensemble(tiny) -> PINNEnsemble:
    problem = build_problem(examples_dir() / "advection_diffusion.toml")  # box [0, 4] x [0, 1]
    return hyperpino.refine(tiny, problem, hyperpino.generate(tiny, problem), iters=2, early_stop=False)


def test_ensemble_is_the_weighted_sum_of_its_members(ensemble):
    assert len(ensemble) == 3
    x = torch.rand(30, 2) * torch.tensor([4.0, 1.0])
    X = ensemble.map.to_canonical(x)
    with torch.no_grad():
        parts = [w * m(X) for w, m in zip(ensemble.weights, ensemble.canonical.members, strict=True)]
        torch.testing.assert_close(ensemble(x), sum(parts))


def test_derivatives_follow_the_chain_rule(ensemble):
    x = (torch.rand(16, 2) * torch.tensor([4.0, 1.0])).double()
    theta, weights = ensemble.theta()
    ens = PINNEnsemble.from_theta({k: v.double() for k, v in theta.items()}, weights.double(), ensemble.box,
                                   ensemble.config)
    d = ens.derivatives(x, order=2, canonical=False)
    xg = x.clone().requires_grad_()
    u = ens(xg)[:, 0]
    (g,) = torch.autograd.grad(u.sum(), xg, create_graph=True)
    hess = torch.stack([torch.autograd.grad(g[:, i].sum(), xg, retain_graph=True)[0] for i in range(2)], 1)
    torch.testing.assert_close(d.u[0], u.detach())
    torch.testing.assert_close(d.grad[0], g.detach())
    torch.testing.assert_close(d.hess[0], hess.detach())


def test_export_and_reload_give_identical_outputs(ensemble, tmp_path):
    path = save_pinn(ensemble, tmp_path / "pinn.safetensors", name="advection_diffusion")
    meta = read_pinn_metadata(path)
    # the frame the PINN works in: a square around the 4 x 1 box (hyperpino.pde.frame)
    assert meta["members"] == 3 and meta["box"] == ((0.0, 4.0), (-1.5, 2.5))
    loaded = load_pinn(path)
    assert type(loaded) is PINNEnsemble and len(loaded) == 3
    x = torch.rand(100, 2) * torch.tensor([4.0, 1.0])
    with torch.no_grad():
        assert torch.equal(loaded(x), ensemble(x))


def test_reload_refuses_foreign_or_damaged_files(ensemble, tiny_path, tmp_path):
    with pytest.raises(CheckpointError, match="not a saved PINN ensemble"):
        load_pinn(tiny_path)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not safetensors")
    with pytest.raises(CheckpointError, match="bad.safetensors"):
        load_pinn(bad)
    # a file whose tensors do not fit its metadata
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    good = save_pinn(ensemble, tmp_path / "good.safetensors")
    with safe_open(str(good), framework="pt") as f:
        meta = f.metadata()
    tensors = load_file(str(good))
    tensors.pop("out.bias")
    save_file(tensors, str(tmp_path / "cut.safetensors"), metadata=meta)
    with pytest.raises(CheckpointError, match="missing keys: out.bias"):
        load_pinn(tmp_path / "cut.safetensors")
