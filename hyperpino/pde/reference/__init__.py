"""Reference solvers: the classical answer a neural solution is measured against.

Steady ``(x, y)`` problems: isoparametric P2 finite elements (scikit-fem) on gmsh meshes of the CSG
domain. ``(x, t)`` problems: P2 in x, Crank–Nicolson in t with Richardson extrapolation. Results
on the evaluation grid, HDF5 files and a content-keyed cache. See ``docs/reference.md``.

Names are imported on first use (PEP 562): reading a stored :class:`ReferenceSolution` or an exact
solution does not load scikit-fem and gmsh.
"""

from hyperpino._lazy import lazy_exports

_EXPORTS = {
    "SOLVER_VERSION": ("solution", "SOLVER_VERSION"),
    "ReferenceSolution": ("solution", "ReferenceSolution"),
    "FemSolution": ("fem", "FemSolution"),
    "solve_steady": ("fem", "solve_steady"),
    "MarchSolution": ("timestep", "MarchSolution"),
    "solve_evolution": ("timestep", "solve_evolution"),
    "cache_dir": ("cache", "cache_dir"),
    "cache_key": ("cache", "cache_key"),
    "reference_solution": ("cache", "reference_solution"),
    "default_h": ("solve", "default_h"),
    "solve_reference": ("solve", "solve_reference"),
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, globals(), _EXPORTS)
