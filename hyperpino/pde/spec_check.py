"""The meaning of a spec, as far as it can be checked without the geometry's analysis.

``hyperpino check``, ``solve``, ``reference`` and ``baseline`` run :func:`check_spec` and then
:func:`~hyperpino.pde.problem.build_problem` before they import torch (whose import alone takes
about 2 s), so a bad spec fails in well under 2 s from a fresh process. This module checks the
parameters, the box, every expression, the operator and (for constant coefficients) its type, each
primitive's numbers and size, the CSG expression, and the boundary conditions' patterns against
the geometry's piece names. What needs the geometry's analysis — which pieces lie on the boundary,
whether the domain fits the box, a variable operator's type, the data's values on the domain — is
checked by :func:`~hyperpino.pde.problem.build_problem`, which starts from this module's result.
"""

from __future__ import annotations

import ast
import fnmatch
import math
from dataclasses import dataclass
from typing import Any

import sympy

from hyperpino.errors import GeometryError, SpecError
from hyperpino.pde.conditions import (
    INITIAL_KINDS,
    ConditionData,
    Pieces,
    check_requirements,
    resolve_conditions,
)
from hyperpino.pde.expr import MAX_MAGNITUDE, RESERVED, parse_expression, symbol
from hyperpino.pde.geometry import _checks
from hyperpino.pde.geometry.csg_syntax import csg_tree
from hyperpino.pde.operator import Operator, classify, derivative_names, parse_operator
from hyperpino.pde.spec import Spec
from hyperpino.pde.terms import TERMS

MAX_COORD = 1e12
"""Largest magnitude of a box bound or a primitive's coordinate (rescale larger problems)."""

MIN_SIDE = 1e-9
"""Shortest side of the box."""

MIN_REL_SIDE = 1e-6
"""Shortest side of the box relative to its largest bound's magnitude: float64 coordinates far
from the origin cannot resolve a box much narrower than that (1e16 + 2 is not 1e16 + 2.5)."""

MIN_FEATURE = 1e-5
"""Thinnest primitive (rectangle side, disk diameter, ellipse minor axis, polygon thickness
``2·area/perimeter``) relative to the size of the whole geometry. The geometry's analysis steps
``1e-6 × size`` across the boundary, so a thinner shape has no boundary it can find."""



@dataclass(frozen=True)
class PrimitiveDef:
    """One primitive's checked numbers: ``args`` are its constructor's arguments after the name."""

    name: str
    type: str
    args: tuple
    pieces: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class CheckedSpec:
    """A spec whose torch-free checks passed, with what they parsed.

    ``primitives`` are those the CSG expression uses, in the order of their first appearance;
    ``piece_names`` their candidate boundary pieces in that order; ``kind`` the operator's type, or
    None for variable coefficients (classified on the domain).
    """

    spec: Spec
    params: dict[str, float]
    box: tuple[tuple[float, float], tuple[float, float]]
    primitives: dict[str, PrimitiveDef]
    csg: str
    csg_names: tuple[str, ...]
    operator: Operator
    kind: str | None
    source: sympy.Expr
    exact: sympy.Expr | None
    conditions: tuple[ConditionData, ...]

    @property
    def piece_names(self) -> tuple[str, ...]:
        return tuple(p for name in self.csg_names for p in self.primitives[name].pieces)


def check_spec(spec: Spec) -> CheckedSpec:
    """Check everything in ``spec`` that needs no geometric analysis (and no torch).

    Raises :class:`~hyperpino.errors.SpecError` naming the field.
    """
    coords = spec.coords
    params = _parameters(spec)
    box = _box(spec)
    scope = [*coords, *params]
    subs = {symbol(k): v for k, v in params.items()}

    def expr(value: object, where: str) -> sympy.Expr:
        return parse_expression(value, scope, where=where).subs(subs)

    prims = _primitives(spec, params)
    csg, names = _csg(spec, prims)
    _check_sizes(prims, names, box)
    operator = parse_operator(spec.operator.expr, spec.operator.coefficients, coords, params)
    kind = None
    if operator.is_constant:
        c = dict(zip(TERMS, operator.coefficients, strict=True))
        kind = classify(float(c["uxx"]), float(c["uxy"]), float(c["uyy"]))
        check_kind(spec, operator, kind)
    source = expr(spec.operator.source, "operator.source")
    exact = None if spec.exact is None else expr(spec.exact, "exact")
    pieces = tuple(p for name in names for p in prims[name].pieces)
    conditions = tuple(_condition(spec, i, expr, pieces) for i in range(len(spec.bcs)))
    if len(names) == 1 and not spec.is_evolution and _whole_boundary(prims[names[0]]):
        # A lone primitive's pieces all lie on the boundary: which piece has no condition, or two,
        # is known without the geometric analysis.
        every = Pieces(pieces, pieces)
        check_requirements(spec, kind or "elliptic", every, resolve_conditions(spec, conditions, every))
    used = {name: prims[name] for name in names}
    return CheckedSpec(spec, params, box, used, csg, names, operator, kind, source, exact, conditions)


def check_kind(spec: Spec, operator: Operator, kind: str) -> None:
    """The operator's type against the coordinates: (x, t) problems evolve in t."""
    if not spec.is_evolution:
        return
    t = spec.coords[1]
    c = dict(zip(("u", "ux", "ut", "uxx", "utt", "uxt"), operator.coefficients, strict=True))
    if kind == "elliptic":
        raise SpecError(
            "operator", f"elliptic in (x, {t}): a boundary-value problem needs coords = ['x', 'y']"
        )
    if kind == "parabolic" and (c["utt"] != 0 or c["uxt"] != 0 or c["ut"] == 0):
        raise SpecError(
            "operator", f"parabolic in {t} needs a u_{t} term and no u_{t}{t} or u_x{t} term"
        )
    if kind == "hyperbolic" and c["utt"] == 0:
        raise SpecError(
            "operator",
            f"hyperbolic in {t} needs a u_{t}{t} term "
            f"(the initial edge {t} = {t}0 is characteristic otherwise)",
        )
    if kind == "first-order" and c["ut"] == 0:
        raise SpecError("operator", f"a first-order evolution problem needs a u_{t} term")
    if kind != "hyperbolic" and any(bc.type == "initial_rate" for bc in spec.bcs):
        raise SpecError("bcs", f"a {kind} problem takes initial_value only, not initial_rate")


def _finite(value: Any, where: str, limit: float) -> float:
    """``value`` as a float of magnitude at most ``limit`` (a huge int does not overflow here)."""
    try:
        out = float(value)
    except OverflowError:
        raise SpecError(where, f"number out of range (limit {limit:g})") from None
    if not math.isfinite(out):
        raise SpecError(where, f"must be a finite number, got {out}")
    if abs(out) > limit:
        raise SpecError(where, f"number {out:g} out of range (limit {limit:g})")
    return out


def _parameters(spec: Spec) -> dict[str, float]:
    clash = set(spec.coords) | RESERVED | set(derivative_names(spec.coords))
    params = {}
    for name, value in spec.parameters.items():
        if name in clash:
            raise SpecError(f"parameters.{name}", "clashes with a coordinate, function or term name")
        params[name] = _finite(value, f"parameters.{name}", MAX_MAGNITUDE)
    return params


def _box(spec: Spec) -> tuple[tuple[float, float], tuple[float, float]]:
    out = []
    for i, (lo, hi) in enumerate(spec.box):
        try:
            a, b = float(lo), float(hi)
        except OverflowError:
            raise SpecError(f"box[{i}]", f"bounds beyond ±{MAX_COORD:g} (rescale the problem)") from None
        if not (math.isfinite(a) and math.isfinite(b)) or a >= b:
            raise SpecError(f"box[{i}]", f"needs finite bounds with lower < upper, got [{lo}, {hi}]")
        if max(abs(a), abs(b)) > MAX_COORD:
            raise SpecError(f"box[{i}]", f"bounds beyond ±{MAX_COORD:g} (rescale the problem), "
                            f"got [{a!r}, {b!r}]")
        side, far = b - a, max(abs(a), abs(b))
        if side < MIN_SIDE or side < MIN_REL_SIDE * far:
            raise SpecError(f"box[{i}]", f"[{a!r}, {b!r}] is too narrow to resolve: its side {side:.3g} "
                            f"must be at least {MIN_SIDE:g} and {MIN_REL_SIDE:g} of its largest "
                            "|bound| (shift or rescale the coordinates)")
        out.append((a, b))
    return out[0], out[1]


def _primitives(spec: Spec, params: dict[str, float]) -> dict[str, PrimitiveDef]:
    subs = {symbol(k): v for k, v in params.items()}

    def num(value: object, where: str) -> float:
        e = parse_expression(value, list(params), where=where).subs(subs)
        if e.free_symbols or not e.is_real:
            raise SpecError(where, "must be a constant")
        return _finite(e, where, MAX_COORD)

    out = {}
    for name, p in spec.geometry.primitives.items():
        w = f"geometry.primitives.{name}"
        pair = lambda v, f, w=w: (num(v[0], f"{w}.{f}[0]"), num(v[1], f"{w}.{f}[1]"))  # noqa: E731
        if p.type == "rectangle":
            args: tuple = _checks.rectangle(w, pair(p.min, "min"), pair(p.max, "max"))
            pieces = tuple(f"{name}.{s}" for s in _checks.RECTANGLE_SIDES)
        elif p.type == "disk":
            args = _checks.disk(w, pair(p.center, "center"), num(p.radius, f"{w}.radius"))
            pieces = (name,)
        elif p.type == "ellipse":
            args = _checks.ellipse(w, pair(p.center, "center"), pair(p.semi_axes, "semi_axes"),
                                   num(p.angle, f"{w}.angle"))
            pieces = (name,)
        else:
            verts = [pair(v, f"vertices[{i}]") for i, v in enumerate(p.vertices)]
            args = (_checks.polygon(f"{w}.vertices", verts, triangle=p.type == "triangle"),)
            pieces = tuple(f"{name}.{i}" for i in range(len(verts)))
        out[name] = PrimitiveDef(name, p.type, args, pieces)
    return out


def _csg(spec: Spec, prims: dict[str, PrimitiveDef]) -> tuple[str, tuple[str, ...]]:
    """The CSG text and the primitives it uses, in order of first appearance."""
    csg = spec.geometry.csg
    if csg is None:
        if len(prims) > 1:
            raise SpecError("geometry.csg", "required when there is more than one primitive")
        csg = next(iter(prims))
    tree = csg_tree(csg, prims, where="geometry.csg")
    names = [n.id for n in _leaves(tree)]
    return csg, tuple(dict.fromkeys(names))


def _leaves(node: ast.expr) -> list[ast.Name]:
    """The names of a checked CSG tree from left to right (the tree is at most 128 operators deep)."""
    if isinstance(node, ast.BinOp):
        return _leaves(node.left) + _leaves(node.right)
    assert isinstance(node, ast.Name)
    return [node]


def _bbox(p: PrimitiveDef) -> tuple[float, float, float, float]:
    if p.type == "rectangle":
        (x0, y0), (x1, y1) = p.args
        return x0, x1, y0, y1
    if p.type == "disk":
        (cx, cy), r = p.args
        return cx - r, cx + r, cy - r, cy + r
    if p.type == "ellipse":
        (cx, cy), (a, b), _ = p.args
        r = max(a, b)
        return cx - r, cx + r, cy - r, cy + r
    xs, ys = zip(*p.args[0], strict=True)
    return min(xs), max(xs), min(ys), max(ys)


def _thickness(p: PrimitiveDef) -> tuple[float, str]:
    """The primitive's thinnest width and the field that sets it."""
    w = f"geometry.primitives.{p.name}"
    if p.type == "rectangle":
        (x0, y0), (x1, y1) = p.args
        return min(x1 - x0, y1 - y0), w
    if p.type == "disk":
        return 2 * p.args[1], f"{w}.radius"
    if p.type == "ellipse":
        return 2 * min(p.args[1]), f"{w}.semi_axes"
    v = p.args[0]
    area = 0.5 * abs(sum(a[0] * b[1] - a[1] * b[0] for a, b in zip(v, v[1:] + v[:1], strict=True)))
    perimeter = sum(math.dist(a, b) for a, b in zip(v, v[1:] + v[:1], strict=True))
    return 2 * area / perimeter, w


def _check_sizes(prims: dict[str, PrimitiveDef], names: tuple[str, ...], box) -> None:
    """Every primitive of the CSG must be thick enough to resolve, relative to the larger of the
    geometry and the box (the solution lives on the box: a speck in it is no domain)."""
    boxes = [_bbox(prims[n]) for n in names]
    size = max(max(b[1] for b in boxes) - min(b[0] for b in boxes),
               max(b[3] for b in boxes) - min(b[2] for b in boxes),
               box[0][1] - box[0][0], box[1][1] - box[1][0])
    for name in names:
        width, where = _thickness(prims[name])
        if not width >= MIN_FEATURE * size:
            raise GeometryError(where, f"too thin to resolve: {width:.3g} across, below {MIN_FEATURE:g} "
                                f"of the size of the box and geometry ({size:.3g})")


def _whole_boundary(p: PrimitiveDef) -> bool:
    """Whether the geometric analysis surely finds every piece of ``p`` alone on the boundary: yes,
    but for a polygon edge so short (below 1e-3 of the polygon) that the analysis may miss it."""
    if p.type not in ("polygon", "triangle"):
        return True
    v = p.args[0]
    x0, x1, y0, y1 = _bbox(p)
    shortest = min(math.dist(a, b) for a, b in zip(v, v[1:] + v[:1], strict=True))
    return shortest >= 1e-3 * max(x1 - x0, y1 - y0)


def _condition(spec: Spec, i: int, expr, pieces: tuple[str, ...]) -> ConditionData:
    bc, where = spec.bcs[i], f"bcs[{i}]"
    if bc.type in INITIAL_KINDS and not spec.is_evolution:
        raise SpecError(f"{where}.type", f"{bc.type} needs coords = ['x', 't']")
    for j, pattern in enumerate(bc.on or ()):
        if not any(fnmatch.fnmatchcase(p, pattern) for p in pieces):
            raise SpecError(f"{where}.on[{j}]",
                            f"no boundary piece matches {pattern!r} (pieces: {', '.join(pieces)})")
    a = b = None
    if bc.type == "robin":
        a, b = expr(bc.a, f"{where}.a"), expr(bc.b, f"{where}.b")
        if b == 0:
            raise SpecError(f"{where}.b", "must not be 0 (a condition on u alone is dirichlet)")
    return ConditionData(i, expr(bc.value, f"{where}.value"), a, b)
