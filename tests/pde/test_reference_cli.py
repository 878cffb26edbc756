"""`hyperpino reference`: HDF5 output, cache, every bundled example, bad input."""

from dataclasses import replace
from pathlib import Path

import h5py
import numpy as np
import pytest

from hyperpino.cli import main
from hyperpino.pde.problem import build_problem
from hyperpino.pde.reference import ReferenceSolution, cache_key, reference_solution

EXAMPLES = sorted(p for p in (Path(__file__).parents[2] / "examples").iterdir()
                  if p.suffix in (".toml", ".yaml", ".json"))


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_reference_writes_hdf5(tmp_path, capsys):
    out = tmp_path / "ref.h5"
    assert main(["reference", str(EXAMPLES[0].parent / "poisson_L.toml"), "--h", "0.1",
                 "--out", str(out), "--json"]) == 0
    assert '"method": "fem-p2"' in capsys.readouterr().out.splitlines()[-1]
    with h5py.File(out) as f:
        assert f["u"].shape == (224, 224) and f["mask"].dtype == bool
        assert '"poisson_L"' in f.attrs["spec"] and f.attrs["h"] == 0.1 and f.attrs["dofs"] > 0
    sol = ReferenceSolution.load(out)
    assert sol.mask.mean() == pytest.approx(0.75, abs=1e-3)  # the L-shape, slits excluded
    assert np.isnan(sol.u[~sol.mask]).all() and (sol.u[sol.mask] >= -1e-12).all()
    assert sol.u[0, 0] == pytest.approx(0.0, abs=1e-12)  # row 0 is the top edge (u = 0 there)


def test_cache_hit_and_key():
    problem = build_problem(EXAMPLES[0].parent / "heat.toml")
    a = reference_solution(problem, 0.05)
    b = reference_solution(problem, 0.05)
    assert np.array_equal(a.u, b.u, equal_nan=True) and a.solve_time == b.solve_time
    assert cache_key(problem, 0.05, 224) != cache_key(problem, 0.025, 224)
    # How HyPINO runs ([run]) is not part of the problem: the same reference serves every setting.
    rerun = problem.spec.model_copy(update={"run": problem.spec.run.model_copy(update={"refine": 7})})
    assert cache_key(replace(problem, spec=rerun), 0.05, 224) == cache_key(problem, 0.05, 224)


def test_bad_input_exits_2(tmp_path, capsys):
    assert main(["reference", str(EXAMPLES[0].parent / "heat.toml"), "--h", "0"]) == 2
    assert main(["reference", str(tmp_path / "missing.toml")]) == 2
    assert main(["baseline", str(EXAMPLES[0].parent / "heat.toml"), "--budget", "soon"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("error: ") for line in err)


@pytest.mark.slow
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example(path, tmp_path):
    out = tmp_path / "ref.h5"
    assert main(["reference", str(path), "--out", str(out), "--quiet"]) == 0
    sol = ReferenceSolution.load(out)
    assert np.isfinite(sol.u[sol.mask]).all() and sol.mask.sum() > 1000
