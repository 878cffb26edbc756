"""Operator parsing, linearity and type classification."""

import pytest
import sympy
import torch

from hyperpino.errors import OutOfFamilyError, SpecError
from hyperpino.pde.operator import classify, parse_operator
from hyperpino.pde.terms import TERMS

XY = ("x", "y")


def vec(expr, coords=XY, params=None):
    return parse_operator(expr, None, coords, params or {}).vector()


@pytest.mark.parametrize(
    "expr, kind",
    [
        ("-uxx - uyy", "elliptic"),
        ("uxx + uyy + u", "elliptic"),
        ("uxx - uyy", "hyperbolic"),
        ("uxy", "hyperbolic"),
        ("uxx + 2*uxy + uyy", "parabolic"),
        # The reference code calls all of these "parabolic" (hypino.md §2):
        ("ux + uy", "first-order"),
        ("3*u + ux", "first-order"),
        ("uxx + ux", "parabolic"),
        ("uyy", "parabolic"),
    ],
)
def test_types(expr, kind):
    assert parse_operator(expr, None, XY, {}).kind() == kind


def test_classify_discriminant():
    assert classify(1, 0, 1) == "elliptic"
    assert classify(1, 2, 1) == "parabolic"
    assert classify(1, 3, 1) == "hyperbolic"
    assert classify(0, 0, 0) == "first-order"


def test_expr_and_coefficients_agree():
    a = vec("-k*(uxx + uyy) + 2*ux - uxy/4 + 64*u", params={"k": 0.5})
    b = parse_operator(
        None, {"uxx": "-k", "uyy": -0.5, "ux": 2, "uxy": -0.25, "u": 64}, XY, {"k": 0.5}
    ).vector()
    assert a == pytest.approx(b)
    assert dict(zip(TERMS, a, strict=False)) == pytest.approx(
        {"u": 64, "ux": 2, "uy": 0, "uxx": -0.5, "uyy": -0.5, "uxy": -0.25}
    )


def test_time_names():
    v = parse_operator("utt - 4*uxx + ut", None, ("x", "t"), {}).vector()
    assert dict(zip(TERMS, v, strict=False)) == pytest.approx(
        {"u": 0, "ux": 0, "uy": 1, "uxx": -4, "uyy": 1, "uxy": 0}
    )
    with pytest.raises(SpecError, match="unknown name 'uyy'"):
        parse_operator("uyy", None, ("x", "t"), {})


def test_variable_coefficients():
    op = parse_operator("-(1 + x**2)*uxx - uyy", None, XY, {})
    assert not op.is_constant
    with pytest.raises(OutOfFamilyError, match="outside|zero-shot"):
        op.vector()
    pts = torch.rand(20, 2, dtype=torch.float64)
    assert op.kind(pts) == "elliptic"
    c = op.coefficient_fn()(pts)
    assert c.shape == (20, 6)
    assert torch.allclose(c[:, 3], -(1 + pts[:, 0] ** 2))
    mixed = parse_operator("x*uxx + uyy", None, XY, {})
    with pytest.raises(SpecError, match="changes type"):
        mixed.kind(torch.tensor([[-0.5, 0.0], [0.5, 0.0]], dtype=torch.float64))


def test_apply_symbolic():
    op = parse_operator("-uxx - uyy + 2*u", None, XY, {})
    x, y = sympy.symbols("x y", real=True)
    u = sympy.sin(x) * sympy.exp(y)
    assert sympy.simplify(op.apply(u) - 2 * u) == 0


@pytest.mark.parametrize(
    "expr, match",
    [
        ("uxxx", "above second order"),
        ("u*ux + uxx", "not linear"),
        ("uxx + sin(u)", "not linear"),
        ("uxx + x", "does not contain u"),
        ("5*u", "no derivative terms"),
        ("uxx - uxx", "no terms"),
    ],
)
def test_bad_operators(expr, match):
    with pytest.raises(SpecError, match=match):
        parse_operator(expr, None, XY, {})


def test_describe():
    assert parse_operator("-uxx - uyy + 64*u", None, XY, {}).describe() == "-u_xx - u_yy + 64·u"
    assert parse_operator("utt - 4*uxx", None, ("x", "t"), {}).describe() == "-4·u_xx + u_tt"
