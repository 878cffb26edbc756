"""A validated problem: a spec turned into geometry, operator, conditions and expressions.

:func:`build_problem` is where a spec's *meaning* is checked, each failure a
:class:`~hyperpino.errors.SpecError` that names the field: patterns that match no boundary piece,
pieces with no condition or two, conditions an operator's type needs but lacks, geometry outside
the box. Everything stays in the user's coordinates; :class:`~hyperpino.pde.coords.BoxMap` carries
it to the canonical square (see :mod:`hyperpino.pde.collocation`).

Building a problem needs no torch (the geometry and the data checks run in NumPy), so the command
line refuses a bad spec before torch is imported; only an operator with variable coefficients is
classified with torch, after every other check has passed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import sympy

from hyperpino.errors import ExpressionError, SpecError
from hyperpino.pde import geometry as geo
from hyperpino.pde.conditions import (  # noqa: F401  (BOUNDARY_KINDS, Condition, show: re-exported)
    BOUNDARY_KINDS,
    Condition,
    Pieces,
    check_requirements,
    resolve_conditions,
    show,
)
from hyperpino.pde.coords import BoxMap
from hyperpino.pde.expr_numpy import to_numpy
from hyperpino.pde.finite import require_finite, require_nonzero
from hyperpino.pde.geometry._arrays import linspace
from hyperpino.pde.operator import Operator
from hyperpino.pde.spec import Spec
from hyperpino.pde.spec_check import CheckedSpec, check_kind, check_spec
from hyperpino.pde.terms import TERMS


@dataclass(frozen=True, eq=False)
class Problem:
    """A whole validated problem in the user's coordinates."""

    spec: Spec
    domain: geo.Domain
    operator: Operator
    kind: str
    source: sympy.Expr
    conditions: tuple[Condition, ...]
    exact: sympy.Expr | None
    initial_pieces: tuple[str, ...] = ()
    final_pieces: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    frame: tuple[tuple[float, float], tuple[float, float]] | None = None
    """The box mapped onto [-1, 1]² (:attr:`map`); None: the spec's ``box``. ``solve`` poses a problem
    in the frame where its operator is isotropic (:mod:`hyperpino.pde.frame`); data stay in user
    coordinates, and the evaluation grid on the spec's box."""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def coords(self) -> tuple[str, str]:
        return self.spec.coords

    @cached_property
    def box(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The spec's ``box`` as floats: where the user's grid and outputs live, whatever the frame."""
        (x0, x1), (y0, y1) = self.spec.box
        return ((float(x0), float(x1)), (float(y0), float(y1)))

    @cached_property
    def map(self) -> BoxMap:
        return BoxMap(self.frame or self.box)

    def in_frame(self, box) -> Problem:
        """This problem with ``box ((x0, x1), (y0, y1))`` as the frame mapped onto [-1, 1]²."""
        (x0, x1), (y0, y1) = box
        return replace(self, frame=((float(x0), float(x1)), (float(y0), float(y1))))

    @cached_property
    def canonical_domain(self) -> geo.Domain:
        """The domain mapped onto [-1, 1]² (same piece names)."""
        return geo.Domain(self.domain.geometry.transformed(self.map.scale, self.map.shift))

    def conditions_on(self, piece: str) -> list[Condition]:
        return [c for c in self.conditions if piece in c.pieces]


SpecLike = str | Path | Spec | CheckedSpec | Problem
"""Anything that names a problem: a spec file path, a validated :class:`Spec` (or one that passed
:func:`~hyperpino.pde.spec_check.check_spec`) or a built Problem."""


def build_problem(spec: SpecLike) -> Problem:
    """The :class:`Problem` of a spec file path, a :class:`Spec`, or a Problem (returned as is).

    A file is read and validated first (:func:`~hyperpino.pde.spec_io.read_spec`); then the spec's
    meaning is checked. Raises :class:`~hyperpino.errors.SpecError` naming the field.
    """
    if isinstance(spec, Problem):
        return spec
    if isinstance(spec, CheckedSpec):
        return _build(spec.spec, spec)
    if isinstance(spec, (str, Path)):
        from hyperpino.pde.spec_io import read_spec

        spec = read_spec(spec)
    if not isinstance(spec, Spec):
        raise SpecError("", f"expected a spec file path, a Spec or a Problem, got {type(spec).__name__}")
    return _build(spec)


def _build(spec: Spec, checked: CheckedSpec | None = None) -> Problem:
    checked = checked or check_spec(spec)  # everything that needs no geometric analysis, first
    (x0, x1), (y0, y1) = checked.box
    domain = _build_domain(checked)
    _check_inside_box(domain, checked.box)
    operator = checked.operator
    _check_domain_data(checked, domain)  # before a variable operator is classified from its values
    initial, final = (), ()
    if spec.is_evolution:
        initial = _pieces_on_line(domain, y0)
        final = _pieces_on_line(domain, y1)
    pieces = Pieces(domain.geometry.piece_names, domain.active_pieces)
    conditions = resolve_conditions(spec, checked.conditions, pieces, initial, final)
    kind = checked.kind
    # A steady spec's missing conditions do not depend on the operator's type (only the notes do), so
    # they are refused here, before torch; a variable operator's notes follow its classification.
    if kind is not None or not spec.is_evolution:
        notes = check_requirements(spec, kind or "elliptic", pieces, conditions, initial, final)
    _check_condition_data(checked, domain, conditions)
    if kind is None:  # variable coefficients: classified at points of the domain, with torch, last
        kind = _classify(spec, operator, domain)
        notes = check_requirements(spec, kind, pieces, conditions, initial, final)
    if not spec.is_evolution and all(c.kind == "neumann" for c in conditions) and operator.is_constant \
            and operator.vector()[0] == 0:
        notes = (*notes, PURE_NEUMANN)
    return Problem(spec, domain, operator, kind, checked.source, conditions, checked.exact, initial,
                   final, notes)


PURE_NEUMANN = ("only fluxes are given on the boundary and the operator has no u term: u is fixed only up "
                "to a constant, and exists only when the source and the fluxes balance; a Dirichlet or "
                "Robin condition on some piece fixes it (the reference solver refuses this problem)")


def _classify(spec: Spec, operator: Operator, domain: geo.Domain) -> str:
    """The type of an operator with variable coefficients, from its values inside the domain."""
    import torch

    kind = operator.kind(
        domain.sample_interior(256, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    )
    check_kind(spec, operator, kind)
    return kind


_DATA_GRID = 129
"""Points per axis of the box grid where the data are checked (odd: the box's midlines are on it,
so a singularity at the centre of a symmetric box is hit exactly)."""

_DATA_BOUNDARY = 8192
"""About this many points over all pieces of a condition where it is checked: 2^k + 1 per piece
(ends, midpoint and quarters included), between 17 and 257."""


def _check_domain_data(checked: CheckedSpec, domain: geo.Domain) -> None:
    """The operator's coefficients, the source and the exact solution must be finite on the closed
    domain (float64, on a grid over the box)."""
    coords = checked.spec.coords
    (x0, x1), (y0, y1) = checked.box
    gx, gy = linspace(x0, x1, _DATA_GRID), linspace(y0, y1, _DATA_GRID)
    grid = np.stack(np.meshgrid(gx, gy, indexing="ij"), -1).reshape(-1, 2)
    inside = grid[domain.contains(grid)]
    field = "operator.expr" if checked.spec.operator.expr is not None else "operator.coefficients"
    for term, c in zip(TERMS, checked.operator.coefficients, strict=True):
        if c.free_symbols:
            _finite_at(c, inside, f"{field} (the coefficient of {term})", coords)
    _finite_at(checked.source, inside, "operator.source", coords)
    if checked.exact is not None:
        _finite_at(checked.exact, inside, "exact", coords)


def _check_condition_data(checked: CheckedSpec, domain: geo.Domain,
                          conditions: tuple[Condition, ...]) -> None:
    """Each condition's value (and Robin a, b) must be finite on its pieces, b nonzero (float64)."""
    coords = checked.spec.coords
    for cond in conditions:
        per_piece = 2 ** min(8, max(4, int(math.log2(_DATA_BOUNDARY // len(cond.pieces))))) + 1
        pts = domain.boundary_points(cond.pieces, linspace(0.0, 1.0, per_piece))
        where = f"bcs[{cond.index}]"
        _finite_at(cond.value, pts, f"{where}.value", coords)
        if cond.kind == "robin":
            _finite_at(cond.a, pts, f"{where}.a", coords)
            require_nonzero(_finite_at(cond.b, pts, f"{where}.b", coords), pts, f"{where}.b", coords)


def _finite_at(expr: sympy.Expr, pts: np.ndarray, where: str, coords: tuple[str, str]) -> np.ndarray:
    """``expr`` at points ``(n, 2)``, ``(n,)``; a value that is not finite raises at ``where``, and so
    does an expression that cannot be evaluated (a constant part ``zoo`` after substitution)."""
    try:
        fn = to_numpy(expr, coords)
    except ExpressionError as err:
        raise ExpressionError(where, err.message) from None
    values = fn(pts[:, 0], pts[:, 1])
    require_finite(values, pts, where, coords)
    return values


def _build_domain(checked: CheckedSpec) -> geo.Domain:
    classes = {"rectangle": geo.Rectangle, "disk": geo.Disk, "ellipse": geo.Ellipse,
               "polygon": geo.Polygon, "triangle": geo.Triangle}
    prims = {name: classes[p.type](name, *p.args) for name, p in checked.primitives.items()}
    return geo.Domain(geo.parse_csg(checked.csg, prims, where="geometry.csg"), where="geometry")


def _check_inside_box(domain: geo.Domain, box) -> None:
    """The boundary points the domain's analysis found must lie in the box (to 1e-9 of its side)."""
    boxes = domain.piece_bounds.values()
    for axis, (lo, hi) in enumerate(box):
        tol = 1e-9 * (hi - lo)
        found = (min(b[axis][0] for b in boxes), max(b[axis][1] for b in boxes))
        if found[0] < lo - tol or found[1] > hi + tol:
            raise SpecError(
                "geometry",
                f"the domain extends outside the box: {'xy'[axis]} spans "
                f"[{found[0]:.4g}, {found[1]:.4g}], box[{axis}] is [{lo}, {hi}]",
            )


def _pieces_on_line(domain: geo.Domain, level: float) -> tuple[str, ...]:
    """Active pieces lying entirely on the horizontal line y = level (the t0 / t1 edges): all the
    points of the analysis on the piece's boundary part are on it."""
    tol = 1e-9 * max(1.0, abs(level))
    return tuple(piece for piece in domain.active_pieces
                 if all(abs(y - level) <= tol for y in domain.piece_bounds[piece][1]))
