"""What :func:`hyperpino.pde.problem.build_problem` notes about a spec it accepts."""

from __future__ import annotations

import pytest

from hyperpino.pde.problem import PURE_NEUMANN, build_problem

SQUARE = """
name = "square"
box = [[-1, 1], [-1, 1]]
[geometry.primitives.box]
type = "rectangle"
min = [-1, -1]
max = [1, 1]
[operator]
expr = "{expr}"
source = 1
[[bcs]]
type = "neumann"
on = ["box.left", "box.right", "box.bottom"]
value = 0
[[bcs]]
type = "{top}"
on = "box.top"
value = 0
"""


@pytest.mark.parametrize("expr,top,noted", [
    ("-uxx - uyy", "neumann", True),         # fluxes only, no u term: u up to a constant
    ("-uxx - uyy", "dirichlet", False),      # one Dirichlet piece fixes it
    ("-uxx - uyy + u", "neumann", False),    # the u term fixes it
])
def test_pure_neumann_is_noted(tmp_path, expr, top, noted):
    path = tmp_path / "s.toml"
    path.write_text(SQUARE.format(expr=expr, top=top))
    assert (PURE_NEUMANN in build_problem(path).notes) is noted
