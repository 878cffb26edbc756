"""Reference solvers: the classical answer a neural solution is measured against.

Steady ``(x, y)`` problems: isoparametric P2 finite elements (scikit-fem) on gmsh meshes of the CSG
domain. ``(x, t)`` problems: P2 in x, Crank–Nicolson in t with Richardson extrapolation. Results
on the evaluation grid, HDF5 files and a content-keyed cache. See ``docs/reference.md``.
"""

from hyperpino.pde.reference.cache import cache_dir, cache_key, reference_solution
from hyperpino.pde.reference.fem import FemSolution, solve_steady
from hyperpino.pde.reference.solution import SOLVER_VERSION, ReferenceSolution
from hyperpino.pde.reference.solve import default_h, solve_reference
from hyperpino.pde.reference.timestep import MarchSolution, solve_evolution

__all__ = [
    "SOLVER_VERSION",
    "FemSolution",
    "MarchSolution",
    "ReferenceSolution",
    "cache_dir",
    "cache_key",
    "default_h",
    "reference_solution",
    "solve_evolution",
    "solve_reference",
    "solve_steady",
]
