"""The bundled model reads the source: −Δu = f on the square with u = 0 (issue: HyPINO that solves
zero-shot). u(0, 0) = 0.29469 f (series solution); the zero-shot answer must have the right sign,
lie within a factor 2 of it, and double when f doubles."""

from __future__ import annotations

import pytest
import torch

from hyperpino.model.hypino import HyPINO
from hyperpino.solver.generation import generate

CENTRE = 0.2946854  # u(0, 0) of −Δu = 1 on [-1, 1]², u = 0 on the boundary

SPEC = """name = "source{f}"
box = [[-1, 1], [-1, 1]]
[geometry]
csg = "box"
[geometry.primitives.box]
type = "rectangle"
min = [-1, -1]
max = [1, 1]
[operator]
expr = "-uxx - uyy"
source = {f}
[[bcs]]
type = "dirichlet"
on = "box.*"
value = 0
"""


@pytest.fixture(scope="module")
def centre_values(tmp_path_factory):
    model = HyPINO.pretrained()
    paths = []
    for f in (1, 2, 5):
        path = tmp_path_factory.mktemp("src") / f"f{f}.toml"
        path.write_text(SPEC.format(f=f))
        paths.append(str(path))
    pinns = generate(model, paths)
    with torch.no_grad():
        return {f: float(p(torch.zeros(1, 2))) for f, p in zip((1, 2, 5), pinns, strict=True)}


@pytest.mark.parametrize("f", [1, 5])
def test_centre_value_within_a_factor_two(centre_values, f):
    u, exact = centre_values[f], CENTRE * f
    assert u > 0, f"f = {f}: u(0, 0) = {u} has the wrong sign"
    assert exact / 2 <= u <= 2 * exact, f"f = {f}: u(0, 0) = {u}, exact {exact}"


def test_doubling_the_source_doubles_the_answer(centre_values):
    assert centre_values[2] / centre_values[1] == pytest.approx(2.0, rel=0.05)
