"""Safe expressions: the whitelist parser, its limits, and the sympy -> torch translation."""

from __future__ import annotations

import math
import re
import time

import numpy as np
import pytest
import sympy
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch.func import jacfwd, jacrev, jvp, vmap

from hyperpino.errors import ExpressionError
from hyperpino.pde.expr import (
    CONSTANTS,
    FUNCTIONS,
    MAX_LENGTH,
    RESERVED,
    free_names,
    parse_expression,
    symbol,
)
from hyperpino.pde.expr_torch import to_torch

XY = ("x", "y")
# Points away from every pole and branch cut used below; x > 0 so x**y and log(x) are real.
X = torch.tensor([0.3, 0.7, 1.1, 1.6], dtype=torch.float64)
Y = torch.tensor([-1.2, -0.4, 0.0, 0.9], dtype=torch.float64)
x, y = X.numpy(), Y.numpy()


def run(text: str, names=XY, *tensors: torch.Tensor) -> torch.Tensor:
    return to_torch(parse_expression(text, names), names)(*(tensors or (X, Y)))


@pytest.mark.parametrize("text, reference", [
    ("x + 2*y - 3", x + 2 * y - 3),
    ("x*y/(1 + x**2)", x * y / (1 + x**2)),
    ("sin(pi*x)*cos(2*pi*y)", np.sin(np.pi * x) * np.cos(2 * np.pi * y)),
    ("exp(-x**2 - y**2)", np.exp(-(x**2) - y**2)),
    ("sqrt(x**2 + 1) + log(1 + x**2)", np.sqrt(x**2 + 1) + np.log(1 + x**2)),
    ("tanh(x) + sinh(y) - cosh(x*y)", np.tanh(x) + np.sinh(y) - np.cosh(x * y)),
    ("abs(y) - atan(y) + tan(x/2)", np.abs(y) - np.arctan(y) + np.tan(x / 2)),
    ("atan2(y, x) + atan2(1, x)", np.arctan2(y, x) + np.arctan2(1, x)),
    ("asin(x/2) + acos(y/3)", np.arcsin(x / 2) + np.arccos(y / 3)),
    ("heaviside(y)", np.heaviside(y, 0.5)),
    ("2**x + E**y + x**y", 2**x + np.e**y + x**y),
    ("(x**2 + 1)**(-1.5) + (x**2 + 1)**(1/3)", (x**2 + 1) ** -1.5 + (x**2 + 1) ** (1 / 3)),
    ("x**3 - x**-2 + y**3 + x**0.5 - 1/sqrt(x)", x**3 - x**-2.0 + y**3 + x**0.5 - x**-0.5),
    ("1e-3*x - -y + +x - 2.5e2", 1e-3 * x + y + x - 250),
    ("(x + 1)**64 / 2**64", ((x + 1) / 2) ** 64),
])
def test_values_match_numpy(text, reference):
    out = run(text)
    assert out.dtype == torch.float64 and out.shape == (4,)
    np.testing.assert_allclose(out.numpy(), reference, rtol=1e-12, atol=1e-12)


def test_symbols_parameters_and_numbers():
    expr = parse_expression("k*sin(a*x) + pi", ["x", "k", "a"])
    assert free_names(expr) == {"x", "k", "a"}
    assert all(s.is_real and s == symbol(s.name) for s in expr.free_symbols)
    fn = to_torch(expr, ["k", "a", "x"])
    k, a = torch.tensor(2.0, dtype=torch.float64), torch.tensor(3.0, dtype=torch.float64)
    torch.testing.assert_close(fn(k, a, X), 2 * torch.sin(3 * X) + math.pi)
    assert parse_expression(2) == sympy.Integer(2)
    assert parse_expression("1/3") == sympy.Rational(1, 3)
    assert parse_expression(0.25) == sympy.Float(0.25)
    assert parse_expression("(x + 1)**64", ["x"]) == (symbol("x") + 1) ** 64  # not expanded
    assert RESERVED == set(FUNCTIONS) | set(CONSTANTS) and "heaviside" in RESERVED


def test_broadcasting_constants_and_dtype():
    xs, ys = X[:3, None], Y[None, :]  # (3, 1) and (1, 4)
    assert run("x*y", XY, xs, ys).shape == (3, 4)
    only_x = run("x + 1", XY, xs, ys)
    assert only_x.shape == (3, 4) and torch.equal(only_x[:, 0], only_x[:, 3])
    constant = run("2*pi - sqrt(2)", XY, xs, ys)
    assert constant.shape == (3, 4) and constant.dtype == torch.float64
    torch.testing.assert_close(constant, torch.full((3, 4), 2 * math.pi - math.sqrt(2),
                                                    dtype=torch.float64))
    assert run("x*sin(y)", XY, X.float(), Y.float()).dtype == torch.float32
    assert run("x", XY).data_ptr() != X.data_ptr()  # the output never aliases an input
    assert to_torch(parse_expression("E"), [])().item() == pytest.approx(math.e)


EXPRESSIONS = [
    "sin(x)*exp(y) + x**3/(1 + y**2)",
    "atan2(y, x) + sqrt(x**2 + y**2) - log(x)",
    "x**y + 2**(x*y) + tanh(x - y)**2",
    "abs(y)*x + heaviside(y)*x**2 + cos(x)/(2 + sin(y))",
    "asin(x/2)*acos(y/2) + sinh(x)*cosh(y) + atan(x*y) + tan(x/3)",
]


def derivatives(text: str):
    """(function, [d/dx, d/dy], [[second derivatives]]) as torch closures, via sympy.diff."""
    expr = parse_expression(text, XY)
    sx, sy = symbol("x"), symbol("y")
    first = [to_torch(sympy.diff(expr, s), XY) for s in (sx, sy)]
    second = [[to_torch(sympy.diff(expr, a, b), XY) for b in (sx, sy)] for a in (sx, sy)]
    return to_torch(expr, XY), first, second


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_autograd_matches_sympy_diff(text):
    fn, first, _ = derivatives(text)
    # y avoids 0 so abs/heaviside are differentiable at every point.
    xs, ys = X.clone().requires_grad_(), (Y + 0.05).requires_grad_()
    gx, gy = torch.autograd.grad(fn(xs, ys).sum(), (xs, ys))
    torch.testing.assert_close(gx, first[0](xs, ys).detach())
    torch.testing.assert_close(gy, first[1](xs, ys).detach())


@pytest.mark.parametrize("text", EXPRESSIONS)
def test_torch_func_transforms_match_sympy_diff(text):
    fn, first, second = derivatives(text)
    points = torch.stack([X, Y + 0.05], dim=-1)  # (N, 2)

    def at(p):  # one point (2,) -> scalar
        return fn(p[0], p[1])

    def table(fs):  # closures at all points, stacked along the last axes
        return torch.stack([f(points[:, 0], points[:, 1]) for f in fs], dim=-1)

    grad = table(first)
    torch.testing.assert_close(vmap(jacrev(at))(points), grad)
    torch.testing.assert_close(vmap(jacfwd(at))(points), grad)
    hessian = torch.stack([table(row) for row in second], dim=-2)
    torch.testing.assert_close(vmap(jacfwd(jacrev(at)))(points), hessian)
    tangent = torch.tensor([1.0, -2.0], dtype=torch.float64)
    _, directional = vmap(lambda p: jvp(at, (p,), (tangent,)))(points)
    torch.testing.assert_close(directional, grad @ tangent)


def test_constants_inside_transforms():
    fn = to_torch(parse_expression("3*pi"), XY)
    points = torch.stack([X, Y], dim=-1)
    assert torch.equal(vmap(lambda p: fn(p[0], p[1]))(points), torch.full((4,), 3 * math.pi,
                                                                        dtype=torch.float64))
    assert torch.equal(vmap(jacrev(lambda p: fn(p[0], p[1])))(points), torch.zeros(4, 2,
                                                                                dtype=torch.float64))


def test_nodes_that_differentiation_introduces():
    sx = symbol("x")
    # d|x|/dx = sign(x); dH/dx = DiracDelta (zero a.e.); d|acos(x/2)|/dx brings in re, im, atan2.
    cases = [
        (sympy.diff(sympy.Abs(sx) * sx, sx), 2 * X.abs()),
        (sympy.diff(sympy.Heaviside(sx - 1) * sx, sx, 2), torch.zeros(4, dtype=torch.float64)),
        (sympy.diff(sympy.Abs(sympy.acos(sx / 2)), sx), -0.5 / torch.sqrt(1 - X**2 / 4)),
        (sympy.sign(sx - 1) + sympy.DiracDelta(sx, 1), torch.sign(X - 1)),
    ]
    for expr, reference in cases:
        torch.testing.assert_close(to_torch(expr, ["x"])(X), reference)


def test_to_torch_rejects_what_it_cannot_translate():
    with pytest.raises(ExpressionError, match="^to_torch: cannot translate gamma"):
        to_torch(sympy.gamma(symbol("x")), ["x"])
    with pytest.raises(ExpressionError, match=r"\['y'\] are not among the arguments \(x\)"):
        to_torch(parse_expression("x*y", XY), ["x"])
    with pytest.raises(TypeError, match="expected 2 tensors"):
        to_torch(parse_expression("x*y", XY), XY)(X)


MALICIOUS = [
    "__import__('os').system('ls')", "().__class__.__bases__[0].__subclasses__()",
    "open('/etc/passwd').read()", "globals()", "getattr(x, 'real')", "breakpoint()",
    "x.real", "x[0]", "x[1:2]", "lambda: 1", "[x for x in y]", "{x: 1}", "(x, y)",
    "f'{x}'", "'text'", "b'x'", "x if y else 1", "x < y", "x and y", "not x", "~x",
    "(z := 1)", "1j", "True", "None", "...", "x // 2", "x % 2", "x ^ 2", "x @ y", "x << 1",
    "sin(x=1)", "sin(*[x])", "atan2(x)", "sin(x, y)", "sin", "(x)(1)", "x(1)", "pi(2)",
    "z + 1", "foo(x)", "", "   \n\t ", "# comment only", "x; y", "x\ny", "x = 1", "x += 1",
    "import os", "del x", "x +", "(x", "ｘ + 1", "x\x00", "1/0", "x/0", "1/(x - x)",
    "0**-1", "sqrt(-1)", "log(0)", "acos(2)", "(-8)**(1/3)", "log(sin(pi))", "tan(pi/2)",
    "sqrt(-x**2)", "1e308*10", "1e400", "10**400", "exp(1000)", "9**9**9**9",
    "x/cos(pi/2)", "x**65", "x**-64.5", "((1/3)**64)**64", "10**64*10**64", "1" + "0" * 200,
    "(((1 + 1/(10**45*10**45))**64)**64)**64",
    "(" * 10_000 + "x" + ")" * 10_000, "(" * 500 + "x" + ")" * 500,
    "-" * 1999 + "x", "sin(" * 40 + "x" + ")" * 40, "+".join(["x"] * 400), "x" * 1_000_000,
]


@pytest.mark.parametrize("text", MALICIOUS, ids=lambda t: repr(t)[:40])
def test_bad_input_fails_fast_and_clearly(text):
    where = "bcs[2].value"
    start = time.perf_counter()
    with pytest.raises(ExpressionError) as info:
        parse_expression(text, XY, where=where)
    assert time.perf_counter() - start < 1.0
    message = str(info.value)
    assert message.startswith(where + ": ") and "\n" not in message and len(message) < 250


@pytest.mark.parametrize("value, match", [
    (True, "got bool"), (None, "got NoneType"), ([1], "got list"),
    (float("nan"), "out of range"), (1e200, "out of range"),
])
def test_bad_python_values(value, match):
    with pytest.raises(ExpressionError, match=match):
        parse_expression(value)


def test_messages_name_the_problem():
    cases = {
        "z": "unknown name 'z' (allowed: x, y, k)", "x^2": "use '**'",
        "x.real": "attribute access", "foo(x)": "unknown function 'foo'",
        "x" * (MAX_LENGTH + 1): "too long", "(" * 300 + "x" + ")" * 300: "too deeply nested",
        "9**9**9**9": "exponent", "10**400": "exponent", "1/0": "division by zero",
        "sqrt(-1)": "no finite real value", "x // 2": "'//'", "sin(x=1)": "keyword",
    }
    for text, expected in cases.items():
        with pytest.raises(ExpressionError, match=re.escape(expected)):
            parse_expression(text, ["x", "y", "k"])
    with pytest.raises(ExpressionError, match="'pi' is reserved"):
        parse_expression("x", ["x", "pi"])
    with pytest.raises(ExpressionError) as info:  # excerpts stay short
        parse_expression("x" * 500 + ".real", ["x"])
    assert len(str(info.value)) < 150


TOKENS = ["x", "y", "9", "64", "1e99", "0.5", "(", ")", "**", "*", "/", "+", "-", "^", ",", " ",
          "sin", "exp", "log", "sqrt", "atan2", "heaviside", "pi", "E", ".", "[", "]", "'", "=",
          "lambda", ":", "j", "_", "__class__", "import", ";", "\n"]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_token_soup_is_parsed_or_rejected_quickly(text):
    start = time.perf_counter()
    try:
        to_torch(parse_expression(text, XY), XY)
    except ExpressionError as err:
        assert "\n" not in str(err)
    assert time.perf_counter() - start < 1.0


# Domain-safe building blocks, so every intermediate value is real (torch computes in the reals,
# sympy in the complex plane: abs(sqrt(-1)) is 1 there but nan here).
LEAVES = ["x", "y", "k", "pi", "E", "1", "2", "3", "0.5", "1e-3", "2.5"]
UNARY = ["sin({})", "cos({})", "tanh({})", "atan({})", "abs({})", "-{}", "+{}", "sqrt(abs({}))",
         "log(abs({}))", "asin(sin({}))", "acos(tanh({}))", "exp(sin({}))", "cosh(atan({}))",
         "sinh(atan({}))", "heaviside({})", "({})**2", "({})**3", "({})**-1", "abs({})**(1/3)",
         "2**tanh({})", "abs({})**0.5"]
BINARY = ["({}) + ({})", "({}) - ({})", "({})*({})", "({})/({})", "atan2({}, {})"]


def grow(children):
    unary = st.tuples(st.sampled_from(UNARY), children).map(lambda t: t[0].format(t[1]))
    binary = st.tuples(st.sampled_from(BINARY), children, children).map(
        lambda t: t[0].format(t[1], t[2]))
    return unary | binary


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(st.sampled_from(LEAVES), grow, max_leaves=8))
def test_random_expressions_round_trip(text):
    names = ["x", "y", "k"]
    try:
        expr = parse_expression(text, names)
    except ExpressionError:  # a legitimate rejection, e.g. a constant 1/(2 - 2)
        return
    points = {"x": [0.37, -0.81, 1.3], "y": [-0.55, 0.92, -1.7], "k": [2.5, 2.5, -0.2]}
    out = to_torch(expr, names)(*(torch.tensor(points[n], dtype=torch.float64) for n in names))
    assert out.shape == (3,)
    for i in range(3):
        subs = {symbol(n): sympy.Float(points[n][i], 30) for n in names}
        try:
            value = complex(expr.xreplace(subs).n(30))
        except TypeError:  # zoo and friends: no finite value to compare with
            continue
        if not (math.isfinite(value.real) and value.imag == 0 and abs(value.real) < 1e100):
            continue
        assert math.isfinite(out[i]), (text, i)
        assert abs(out[i].item() - value.real) <= 1e-6 * (1 + abs(value.real)), (text, i)


# The NumPy backend: the same lowering over NumPy (spec checks before torch is imported).
NON_FINITE = ["log(x)", "sqrt(x)", "1/x", "x**(-2)", "x**(1/3)", "exp(1000*x)", "log(abs(x))*0",
              "heaviside(x)/x", "tan(pi*x/2)", "atan2(y, x)/x", "1/sqrt(x)"]


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.recursive(st.sampled_from(LEAVES), grow, max_leaves=8))
def test_numpy_backend_matches_torch(text):
    from hyperpino.pde.expr_numpy import to_numpy

    names = ["x", "y", "k"]
    try:
        expr = parse_expression(text, names)
    except ExpressionError:
        return
    points = {"x": [0.37, -0.81, 1.3, 0.0], "y": [-0.55, 0.92, -1.7, 0.0], "k": [2.5, 2.5, -0.2, 0.0]}
    t = to_torch(expr, names)(*(torch.tensor(points[n], dtype=torch.float64) for n in names)).numpy()
    a = to_numpy(expr, names)(*(np.array(points[n]) for n in names))
    assert a.dtype == np.float64 and a.shape == (4,)
    np.testing.assert_array_equal(np.isfinite(a), np.isfinite(t), err_msg=text)
    np.testing.assert_allclose(a, t, rtol=1e-12, atol=1e-12, err_msg=text)


@pytest.mark.parametrize("text", NON_FINITE)
def test_numpy_backend_is_not_finite_where_torch_is_not(text):
    from hyperpino.pde.expr_numpy import to_numpy

    grid = np.linspace(-1.0, 1.0, 9)
    px, py = (g.reshape(-1) for g in np.meshgrid(grid, grid, indexing="ij"))
    expr = parse_expression(text, XY)
    t = to_torch(expr, XY)(torch.from_numpy(px), torch.from_numpy(py)).numpy()
    with np.errstate(all="raise"):  # no floating-point warnings escape
        a = to_numpy(expr, XY)(px, py)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(t))
    np.testing.assert_array_equal(np.isinf(a), np.isinf(t))
    np.testing.assert_allclose(a[np.isfinite(a)], t[np.isfinite(t)], rtol=1e-12)


def test_numpy_backend_shapes_constants_and_errors():
    from hyperpino.pde.expr_numpy import to_numpy

    col, row = np.array([[1.0], [2.0]]), np.array([3.0, 4.0, 5.0])
    assert to_numpy(parse_expression("x*y", XY), XY)(col, row).shape == (2, 3)
    np.testing.assert_array_equal(to_numpy(parse_expression("3", XY), XY)(col, row), np.full((2, 3), 3.0))
    ident = to_numpy(parse_expression("x", XY), XY)
    assert ident(row, row) is not row  # a bare symbol gives a new array
    with pytest.raises(ExpressionError, match="^to_numpy: cannot translate gamma to numpy"):
        to_numpy(sympy.gamma(symbol("x")), ["x"])
    with pytest.raises(ExpressionError, match=r"^to_numpy: symbols \['y'\] are not among"):
        to_numpy(parse_expression("x*y", XY), ["x"])
