"""A spec shared by the trainer tests (a plain module, as tests/solver/solve_cases.py)."""

SQUARE = """
name = "sq"
box = [[0, 1], [0, 1]]
exact = "{k}*sin(pi*x)*sin(pi*y)/(2*pi**2)"
[geometry.primitives.s]
type = "rectangle"
min = [0, 0]
max = [1, 1]
[operator]
expr = "-uxx - uyy"
source = "{k}*sin(pi*x)*sin(pi*y)"
[[bcs]]
type = "dirichlet"
on = "s.*"
value = "{g}"
"""
"""Poisson on the unit square with source ``k sin πx sin πy`` and boundary value ``g`` (fill both with
``str.format``); the ``exact`` it states, ``k sin πx sin πy / (2π²)``, holds for ``g = 0``."""
