"""Boundary conditions resolved to boundary pieces, and the conditions a problem's type needs.

Works on piece *names* only (no torch): :func:`~hyperpino.pde.problem.build_problem` passes the
pieces its geometric analysis found on the boundary, and :func:`~hyperpino.pde.spec_check.check_spec`
the pieces of a lone primitive (all of which are on the boundary) before torch is imported.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass

import sympy

from hyperpino.errors import SpecError
from hyperpino.pde.spec import Spec

BOUNDARY_KINDS = ("dirichlet", "neumann", "robin")
INITIAL_KINDS = ("initial_value", "initial_rate")


@dataclass(frozen=True)
class ConditionData:
    """The expressions of ``bcs[index]`` (sympy, parameters substituted)."""

    index: int
    value: sympy.Expr
    a: sympy.Expr | None = None
    b: sympy.Expr | None = None


@dataclass(frozen=True)
class Pieces:
    """A geometry's candidate boundary pieces in order, and those that are on its boundary."""

    names: tuple[str, ...]
    active: tuple[str, ...]


@dataclass(frozen=True)
class Condition:
    """One entry of ``bcs`` resolved to the active pieces it covers (sympy, user coordinates)."""

    kind: str
    index: int
    pieces: tuple[str, ...]
    value: sympy.Expr
    a: sympy.Expr | None = None
    b: sympy.Expr | None = None

    def describe(self, coords: tuple[str, str]) -> str:
        x, t = coords
        value = show(self.value)
        if self.kind == "dirichlet":
            return f"u = {value}"
        if self.kind == "neumann":
            return f"∂u/∂n = {value}"
        if self.kind == "robin":
            a, b = (show(c) if c.is_Atom else f"({show(c)})" for c in (self.a, self.b))
            a, b = ("" if c == "1" else f"{c}·" for c in (a, b))
            return f"{a}u + {b}∂u/∂n = {value}"
        if self.kind == "initial_value":
            return f"u({x}, {t}0) = {value}"
        return f"u_{t}({x}, {t}0) = {value}"


def show(expr: sympy.Expr) -> str:
    """Short text for an expression: floats without trailing digits (0.2, not 0.200000000000000)."""
    return sympy.sstr(expr, full_prec=False)


def match_pieces(patterns: list[str], pieces: Pieces, where: str) -> tuple[str, ...]:
    """Active pieces matched by glob ``patterns``, in the geometry's order; each pattern must hit one."""
    active = set(pieces.active)
    hit: set[str] = set()
    for j, pattern in enumerate(patterns):
        names = [n for n in pieces.names if fnmatch.fnmatchcase(n, pattern)]
        live = [n for n in names if n in active]
        if not names:
            raise SpecError(
                f"{where}[{j}]",
                f"no boundary piece matches {pattern!r} "
                f"(pieces: {', '.join(pieces.active)})",
            )
        if not live:
            raise SpecError(
                f"{where}[{j}]",
                f"{pattern!r} matches only pieces that are not on the "
                f"domain's boundary ({', '.join(names)})",
            )
        hit.update(live)
    return tuple(n for n in pieces.active if n in hit)


def resolve_conditions(spec: Spec, data: Sequence[ConditionData], pieces: Pieces,
                       initial: tuple[str, ...] = (), final: tuple[str, ...] = ()) -> tuple[Condition, ...]:
    """Each entry of ``bcs`` resolved to the active pieces it covers; a piece takes one condition
    of each slot (boundary, initial value, initial rate). ``data`` are the parsed expressions."""
    t = spec.coords[1]
    owner: dict[tuple[str, str], int] = {}  # (slot, piece) -> bcs index; slot: boundary/value/rate
    out = []
    for i, bc in enumerate(spec.bcs):
        where = f"bcs[{i}]"
        if bc.type in INITIAL_KINDS:
            if not initial:
                raise SpecError(where, f"the domain has no edge on {t} = {t}0 (box[1][0])")
            covers = initial if bc.on is None else match_pieces(bc.on, pieces, f"{where}.on")
            stray = [p for p in covers if p not in initial]
            if stray:
                raise SpecError(
                    f"{where}.on", f"{stray[0]!r} is not on the initial edge {t} = {t}0"
                )
            slot = "value" if bc.type == "initial_value" else "rate"
        else:
            covers = match_pieces(bc.on, pieces, f"{where}.on")
            if spec.is_evolution:
                for p in covers:
                    if p in final:
                        raise SpecError(
                            f"{where}.on",
                            f"{p!r} lies on the final edge {t} = {t}1, where "
                            "an evolution problem takes no condition",
                        )
                    if p in initial:
                        raise SpecError(
                            f"{where}.on",
                            f"{p!r} lies on the initial edge {t} = {t}0: "
                            "use initial_value / initial_rate there",
                        )
            slot = "boundary"
        for p in covers:
            if (slot, p) in owner:
                raise SpecError(
                    f"{where}.on", f"piece {p!r} already has a condition (bcs[{owner[slot, p]}])"
                )
            owner[slot, p] = i
        out.append(Condition(bc.type, i, covers, data[i].value, data[i].a, data[i].b))
    return tuple(out)


def check_requirements(spec: Spec, kind: str, pieces: Pieces, conditions: tuple[Condition, ...],
                       initial: tuple[str, ...] = (), final: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Every active piece has the conditions the operator's type needs; returns notes to show."""
    covered = {p for c in conditions if c.kind in BOUNDARY_KINDS for p in c.pieces}
    notes = []
    if not spec.is_evolution:
        missing = [p for p in pieces.active if p not in covered]
        if missing:
            raise SpecError("bcs", f"boundary piece {missing[0]!r} has no condition")
        if kind != "elliptic":
            notes.append(
                f"a {kind} operator posed with conditions on the whole boundary (a "
                "boundary-value problem); for evolution in t use coords = ['x', 't']"
            )
        return tuple(notes)
    t = spec.coords[1]
    kinds = {c.kind for c in conditions}
    values = {p for c in conditions if c.kind == "initial_value" for p in c.pieces}
    rates = {p for c in conditions if c.kind == "initial_rate" for p in c.pieces}
    need_rate = kind == "hyperbolic"
    for p in initial:
        if p not in values:
            raise SpecError("bcs", f"a {kind} problem needs initial_value on {p!r} ({t} = {t}0)")
        if need_rate and p not in rates:
            raise SpecError("bcs", f"a hyperbolic problem needs initial_rate on {p!r} ({t} = {t}0)")
    if "initial_rate" in kinds and not need_rate:
        raise SpecError("bcs", f"a {kind} problem takes initial_value only, not initial_rate")
    sides = [p for p in pieces.active if p not in initial and p not in final]
    missing = [p for p in sides if p not in covered]
    if missing and kind != "first-order":
        raise SpecError("bcs", f"boundary piece {missing[0]!r} has no condition")
    if missing:
        notes.append(
            "first-order problem: no condition on "
            + ", ".join(missing)
            + " (fine on outflow edges)"
        )
    return tuple(notes)
