"""Every bundled example builds, checks, plots, and fits its own exact solution."""

from pathlib import Path

import pytest

from hyperpino.cli import main
from hyperpino.pde.check import summary
from hyperpino.pde.collocation import exact_residuals
from hyperpino.pde.problem import build_problem

EXAMPLES = sorted(
    p
    for p in (Path(__file__).parents[2] / "examples").iterdir()
    if p.suffix in (".toml", ".yaml", ".yml", ".json")
)
BENCHMARKS = {"heat", "helmholtz", "helmholtz_G", "poisson_C", "poisson_G", "poisson_L", "wave"}


def test_all_benchmarks_present():
    assert BENCHMARKS <= {p.stem for p in EXAMPLES}
    assert {".toml", ".yaml", ".json"} <= {p.suffix for p in EXAMPLES}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_check_with_plot(path, tmp_path, capsys):
    png = tmp_path / "out.png"
    assert main(["check", str(path), "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "operator" in out and "domain" in out
    assert png.stat().st_size > 10_000


@pytest.mark.parametrize(
    "path", [p for p in EXAMPLES if "exact" in p.read_text()], ids=lambda p: p.name
)
def test_exact_solutions_fit_their_specs(path):
    res = exact_residuals(build_problem(path))
    assert res and max(res.values()) < 1e-8, res


def test_l_shape_summary():
    problem = build_problem(next(p for p in EXAMPLES if p.stem == "poisson_L"))
    assert problem.kind == "elliptic"
    assert set(problem.domain.active_pieces) == {
        "box.left",
        "box.bottom",
        "box.top",
        "box.right",
        "corner.left",
        "corner.bottom",
    }
    text = summary(problem)
    assert "corner.left" in text and "corner.top" not in text


def test_evolution_edges():
    wave = build_problem(next(p for p in EXAMPLES if p.stem == "wave"))
    assert wave.kind == "hyperbolic"
    assert wave.initial_pieces == ("box.bottom",) and wave.final_pieces == ("box.top",)
    heat = build_problem(next(p for p in EXAMPLES if p.stem == "heat_box"))
    assert heat.kind == "parabolic" and heat.initial_pieces == ("rod.bottom",)
