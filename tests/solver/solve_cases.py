"""Spec texts and a writer shared by the solve-pipeline tests (a plain module: importing from
``conftest`` by name breaks when another test folder's conftest was imported first)."""

from __future__ import annotations

TINY = {"embed_dim": 8, "depths": (1, 1), "num_heads": (1, 1), "grid": 32, "coef_embed": 16,
        "stats_embed": 8, "head_hidden_max": 64}
"""Architecture overrides of the tiny HyPINO the solve tests use (random weights)."""

def write(path, text: str):
    path.write_text(text)
    return path


SQUARE_EXACT = """
name = "square_exact"
box = [[-1, 1], [-1, 1]]
exact = "sin(x) * cos(y) + 0.5 * x"
[geometry.primitives.box]
type = "rectangle"
min = [-1, -1]
max = [1, 1]
[operator]
expr = "-uxx - uyy + u"
source = "3 * sin(x) * cos(y) + 0.5 * x"
[[bcs]]
type = "dirichlet"
on = "box.*"
value = "sin(x) * cos(y) + 0.5 * x"
[evaluation]
grid = 32
"""

VARIABLE = """
name = "variable"
box = [[-1, 1], [-1, 1]]
[geometry.primitives.box]
type = "rectangle"
min = [-1, -1]
max = [1, 1]
[operator]
source = 1
[operator.coefficients]
uxx = "-(1 + x**2)"
uyy = -1
[[bcs]]
type = "dirichlet"
on = "box.*"
value = 0
"""

PURE_NEUMANN = """
name = "pure_neumann"
box = [[-1, 1], [-1, 1]]
[geometry.primitives.box]
type = "rectangle"
min = [-1, -1]
max = [1, 1]
[operator]
expr = "-uxx - uyy"
source = 1
[[bcs]]
type = "neumann"
on = "box.*"
value = 0
[evaluation]
grid = 32
"""
"""No solution at all (the flux data do not balance the source) and none unique: the FEM refuses it."""

