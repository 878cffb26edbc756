"""No command writes a NaN solution with exit 0 (issue #14): a solution that is not finite on the
domain is an error naming its cause, and nothing is written."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from hyperpino.cli import main
from hyperpino.errors import HyperpinoError
from hyperpino.examples import examples_dir
from hyperpino.pde.problem import build_problem
from hyperpino.pinn.network import ModifiedMLP, PINNConfig
from hyperpino.solver import pipeline
from hyperpino.solver.ensemble import CanonicalEnsemble, PINNEnsemble


def _ensemble(problem) -> PINNEnsemble:
    torch.manual_seed(0)
    return PINNEnsemble(CanonicalEnsemble([ModifiedMLP(PINNConfig())], [1.0]), problem.map.box)


def test_non_finite_parameters_are_named():
    problem = build_problem(examples_dir() / "poisson_L.toml")
    ens = _ensemble(problem)
    name, param = next(iter(ens.canonical.members[0].named_parameters()))
    with torch.no_grad():
        param.view(-1)[0] = math.nan
    x, y, mask, u, _ = pipeline.grid_solution(problem, ens, 32)
    with pytest.raises(HyperpinoError) as info:
        pipeline.require_finite_solution(problem, ens, x, y, mask, u, "refinement")
    msg = str(info.value)
    assert "first at (x, y) = (" in msg and name in msg and "after refinement" in msg


def test_finite_solution_passes():
    problem = build_problem(examples_dir() / "poisson_L.toml")
    ens = _ensemble(problem)
    x, y, mask, u, _ = pipeline.grid_solution(problem, ens, 32)
    assert np.isfinite(u[mask]).all()
    pipeline.require_finite_solution(problem, ens, x, y, mask, u, "refinement")


def test_solve_refuses_to_write_a_nan_solution(monkeypatch, tmp_path, capsys, tiny_path):
    """The whole command: the PINN's values are NaN (as from broken weights): exit 2, one line, no file."""
    real = pipeline._values
    monkeypatch.setattr(pipeline, "_values", lambda ens, pts: real(ens, pts) * math.nan)
    out = tmp_path / "out"
    rc = main(["solve", str(examples_dir() / "poisson_L.toml"), "--model", str(tiny_path), "--refine", "0",
               "--no-reference", "--no-plot", "--quiet", "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "the solution is not finite" in err[0], err
    assert "zero-shot" in err[0] and not (out / "poisson_L.h5").exists()
