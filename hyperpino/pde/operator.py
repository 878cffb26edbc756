"""Linear second-order operators in two variables: parsing, linearity, type, evaluation.

``L u = c_u·u + c_x·u_x + c_y·u_y + c_xx·u_xx + c_yy·u_yy + c_xy·u_xy``, coefficients constant or
expressions in the coordinates. Written either as an operator string (``"-uxx - uyy + 64*u"``) or
as a coefficient table. For (x, t) problems the derivative names use t (``ut``, ``utt``, ``uxt``).

The type follows the principal part's discriminant ``c_xy² − 4·c_xx·c_yy`` (negative: elliptic,
zero: parabolic, positive: hyperbolic; no second-order term: first-order). The HyPINO reference code
labels every operator lacking one of u_xx/u_yy "parabolic" (reference notes, hypino.md §2); here a
pure transport operator is first-order and ``u_xx + u_yy`` alone is elliptic, as in any textbook.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sympy

from hyperpino.errors import OutOfFamilyError, SpecError
from hyperpino.pde.expr import parse_expression, symbol
from hyperpino.pde.terms import TERMS

if TYPE_CHECKING:
    from torch import Tensor

KINDS = ("elliptic", "parabolic", "hyperbolic", "first-order")


def derivative_names(coords: tuple[str, str]) -> dict[str, str]:
    """Accepted derivative names -> the canonical term name in ``TERMS``."""
    a, b = coords
    names = {
        "u": "u",
        f"u{a}": "ux",
        f"u{b}": "uy",
        f"u{a}{a}": "uxx",
        f"u{b}{b}": "uyy",
        f"u{a}{b}": "uxy",
    }
    return names


@dataclass(frozen=True)
class Operator:
    """A linear operator; ``coefficients[i]`` multiplies ``TERMS[i]`` (sympy, user coordinates)."""

    coefficients: tuple[sympy.Expr, ...]
    coords: tuple[str, str]

    @property
    def is_constant(self) -> bool:
        """True when no coefficient depends on the coordinates."""
        return all(not c.free_symbols for c in self.coefficients)

    def vector(self) -> tuple[float, ...]:
        """The constant coefficient vector ``(6,)`` in ``TERMS`` order (user coordinates)."""
        if not self.is_constant:
            raise OutOfFamilyError(
                "operator: the coefficients depend on the coordinates; constant coefficients are "
                "the family a hypernetwork takes zero-shot (use the reference solver or fine-tuning)"
            )
        return tuple(float(c) for c in self.coefficients)

    def coefficient_fn(self) -> Callable[[Tensor], Tensor]:
        """``f(points (..., 2) in user coordinates) -> coefficients (..., 6)``."""
        import torch  # here, not at the top: parsing an operator (`hyperpino check`) needs no torch

        from hyperpino.pde.expr_torch import to_torch

        fns = [to_torch(c, self.coords) for c in self.coefficients]
        return lambda p: torch.stack([f(p[..., 0], p[..., 1]) for f in fns], dim=-1)

    def kind(self, points: Tensor | None = None) -> str:
        """The operator's type; variable coefficients are classified at ``points`` (N, 2)."""
        c = dict(zip(TERMS, self.coefficients, strict=True))
        if self.is_constant:
            return classify(float(c["uxx"]), float(c["uxy"]), float(c["uyy"]))
        if points is None:
            raise ValueError("variable coefficients are classified at sample points")
        values = self.coefficient_fn()(points.double())
        kinds = {classify(float(v[3]), float(v[5]), float(v[4])) for v in values}
        if len(kinds) > 1:
            raise SpecError(
                "operator", "changes type inside the domain (" + ", ".join(sorted(kinds)) + ")"
            )
        return kinds.pop()

    def apply(self, u: sympy.Expr) -> sympy.Expr:
        """``L u`` for a sympy expression ``u`` in the coordinates (no simplification)."""
        x, y = (symbol(n) for n in self.coords)
        parts = {
            "u": u,
            "ux": u.diff(x),
            "uy": u.diff(y),
            "uxx": u.diff(x, 2),
            "uyy": u.diff(y, 2),
            "uxy": u.diff(x, y),
        }
        return sympy.Add(*(c * parts[t] for t, c in zip(TERMS, self.coefficients, strict=True) if c != 0))

    def describe(self) -> str:
        """Human-readable form, e.g. ``-u_xx - u_yy + 64·u``."""
        a, b = self.coords
        label = {
            "u": "u",
            "ux": f"u_{a}",
            "uy": f"u_{b}",
            "uxx": f"u_{a}{a}",
            "uyy": f"u_{b}{b}",
            "uxy": f"u_{a}{b}",
        }
        out = ""
        for term in ("uxx", "uxy", "uyy", "ux", "uy", "u"):
            c = self.coefficients[TERMS.index(term)]
            if c == 0:
                continue
            if c.free_symbols:
                piece, sign = f"({c})·{label[term]}", "+"
            else:
                v = float(c)
                sign = "-" if v < 0 else "+"
                mag = f"{abs(v):.6g}"
                piece = label[term] if mag == "1" else f"{mag}·{label[term]}"
            out += f"{'-' if sign == '-' else ''}{piece}" if not out else f" {sign} {piece}"
        return out


def classify(cxx: float, cxy: float, cyy: float) -> str:
    """Type from the principal part (see the module docstring)."""
    scale = abs(cxx) + abs(cxy) + abs(cyy)
    if scale == 0.0:
        return "first-order"
    disc = cxy * cxy - 4.0 * cxx * cyy
    if abs(disc) <= 1e-12 * scale * scale:
        return "parabolic"
    return "elliptic" if disc < 0 else "hyperbolic"


_HIGHER = re.compile(r"\bu[a-z]{3,}\b")


def parse_operator(
    expr: str | None,
    coefficients: Mapping[str, object] | None,
    coords: tuple[str, str],
    params: Mapping[str, float],
) -> Operator:
    """Build an :class:`Operator` from an operator string or a coefficient table (spec fields)."""
    if (expr is None) == (coefficients is None):
        raise SpecError("operator", "give exactly one of 'expr' and 'coefficients'")
    names = derivative_names(coords)
    subs = {symbol(k): v for k, v in params.items()}
    scope = [*coords, *params]
    coeffs = {t: sympy.Integer(0) for t in TERMS}
    if coefficients is not None:
        for key, value in coefficients.items():
            where = f"operator.coefficients.{key}" if key.isidentifier() else \
                f"operator.coefficients[{key!r}]"
            if key not in names:
                raise SpecError(where, f"unknown term (allowed: {', '.join(names)})")
            coeffs[names[key]] += parse_expression(value, scope, where=where).subs(subs)
    else:
        higher = _HIGHER.search(expr)
        if higher and higher.group() not in names:
            raise SpecError(
                "operator.expr",
                f"{higher.group()!r}: derivatives above second order "
                "are not supported (a linear second-order operator is expected)",
            )
        parsed = parse_expression(expr, [*scope, *names], where="operator.expr").subs(subs)
        deriv_syms = {symbol(n) for n in names}
        for name, term in names.items():
            c = parsed.diff(symbol(name))
            if c.free_symbols & deriv_syms:
                raise SpecError(
                    "operator.expr",
                    f"not linear in u (the coefficient of {name} "
                    f"contains {sorted(map(str, c.free_symbols & deriv_syms))[0]})",
                )
            coeffs[term] += c
        rest = parsed.subs({s: 0 for s in deriv_syms})
        if rest != 0:
            raise SpecError(
                "operator.expr",
                f"the term {rest} does not contain u; move it to the source (L u = f)",
            )
    op = Operator(tuple(coeffs[t] for t in TERMS), coords)
    if all(c == 0 for c in op.coefficients):
        raise SpecError("operator", "has no terms")
    if all(c == 0 for c in op.coefficients[1:]):
        raise SpecError("operator", "has no derivative terms (an algebraic equation, not a PDE)")
    return op
