"""One term structure differentiated once, symbolically: the text side of a manufactured solution.

A :class:`Template` holds the term with *symbolic* parameters ``p0, p1, …``, its derivatives
``u, u_x, u_y, u_xx, u_yy, u_xy`` (``TERMS`` order, no ``simplify``), and the derivatives as text
with the parameters as placeholders, so a spec file's expressions are the text with the numbers
filled in — no sympy per sample. Numbers come from :mod:`hyperpino.mms.jets`, which needs no
symbolic work at all (:meth:`Template.evaluate` is that path for one structure). HyPINO's
generator (Bischof et al. 2025, arXiv 2509.05117, §3.1) instead re-derives every sample with
autograd and spends a third of its time in ``sympy.simplify``.
"""

from __future__ import annotations

import ast
import re
import threading

import sympy
from torch import Tensor

from hyperpino.mms.grammar import ATOMS, build_sympy, n_params
from hyperpino.mms.jets import compile_terms, jets
from hyperpino.pde.expr import symbol

X, Y = symbol("x"), symbol("y")
_PARAM = re.compile(r"\bp(\d+)\b")
_WORST = "(-9.876)"
"""A wide negative number: text sizes are estimated with every parameter written like this."""


def fmt(value: float, decimals: int | None = None) -> str:
    """A number as the shortest text that parses back to the same float (negatives in parentheses)."""
    value = float(value)
    text = "0" if value == 0 else repr(value)
    return f"({text})" if text.startswith("-") else text


def ast_nodes(text: str) -> int:
    """Syntax-tree nodes of an expression text (as :mod:`hyperpino.pde.expr` bounds them)."""
    return sum(1 for node in ast.walk(ast.parse(text, mode="eval")) if not isinstance(node, ast.expr_context))


class Template:
    """A term structure with symbolic parameters, its derivatives, compiled and as text."""

    def __init__(self, structure: tuple):
        self.structure = structure
        self.n_params = n_params(structure)
        self.params = [sympy.Symbol(f"p{i}", real=True) for i in range(self.n_params)]
        expr = build_sympy(structure, self.params, X, Y)
        ex, ey = expr.diff(X), expr.diff(Y)
        self.derivatives = (expr, ex, ey, ex.diff(X), ey.diff(Y), ex.diff(Y))
        """``u, u_x, u_y, u_xx, u_yy, u_xy`` of the term (sympy, TERMS order)."""
        self.text = tuple(sympy.sstr(d) for d in self.derivatives)
        """The derivatives as text with placeholders ``p0, p1, …``."""
        worst = [_PARAM.sub(_WORST, t) for t in self.text]
        self.text_length = tuple(len(t) for t in worst)
        """Upper estimate of each derivative's text length once numbers are filled in."""
        self.text_nodes = tuple(ast_nodes(t) for t in worst)
        """Syntax-tree node count of each derivative's text with negative numbers filled in."""
        self._atom_text()
        self._sizes: dict[tuple, tuple[int, int]] = {}

    def _atom_text(self) -> None:
        """For a single atom ``A·f(a x + b y + c)``: f, f', f'' as text, so L(term) collects into
        ``k0·f + k1·f' + k2·f''`` (three numbers) instead of six derivative texts."""
        self.is_atom = self.structure[1][0] == "atom"
        if not self.is_atom:
            return
        z = sympy.Symbol("zz", real=True)
        f = ATOMS[self.structure[1][1]](z)
        arg = "(p1*x + p2*y + p3)"
        self.atom_text = tuple(sympy.sstr(g).replace("zz", arg) for g in (f, f.diff(z), f.diff(z, 2)))
        worst = [_PARAM.sub(_WORST, t) for t in self.atom_text]
        self.atom_length = tuple(len(t) + 24 for t in worst)
        self.atom_nodes = tuple(ast_nodes(t) + 4 for t in worst)

    def combo_size(self, mask) -> tuple[int, int]:
        """Estimated (length, nodes) of the text of Σ_k w_k D_k(term) for nonzero ``mask (6,)``."""
        key = tuple(bool(m) for m in mask)
        found = self._sizes.get(key)
        if found is None:
            found = self._sizes[key] = self._combo_size(key)
        return found

    def _combo_size(self, mask: tuple) -> tuple[int, int]:
        if self.is_atom:
            need = (mask[0], mask[1] or mask[2], any(mask[3:]))
            pick = [i for i in range(3) if need[i]]
            return sum(self.atom_length[i] for i in pick), sum(self.atom_nodes[i] for i in pick)
        pick = [k for k in range(6) if mask[k]]
        return sum(self.text_length[k] + 24 for k in pick), sum(self.text_nodes[k] + 4 for k in pick)

    def combo_text(self, values, weights, decimals: int | None = None) -> list[str]:
        """Text pieces (to be added) of Σ_k weights[k]·D_k(term) with the parameters ``values``."""
        w = [float(v) for v in weights]
        if self.is_atom:
            amp, a, b = float(values[0]), float(values[1]), float(values[2])
            k = (amp * w[0], amp * (w[1] * a + w[2] * b), amp * (w[3] * a * a + w[4] * b * b + w[5] * a * b))
            fill = lambda t: _PARAM.sub(lambda m: fmt(values[int(m.group(1))], decimals), t)  # noqa: E731
            return [f"{fmt(k[i])}*({fill(self.atom_text[i])})" for i in range(3) if k[i] != 0.0]
        return [f"{fmt(w[i])}*({self.fill(i, values)})" for i in range(6) if w[i] != 0.0]

    def evaluate(self, x: Tensor, y: Tensor, params: Tensor) -> Tensor:
        """Derivatives ``(I, N, 6)`` at points ``x, y (I, N)`` for parameters ``(I, P)``."""
        rows = params.detach().cpu().double().numpy()
        prog = compile_terms([[(self.structure, p)] for p in rows])
        return jets(prog, x.contiguous(), y.contiguous()).transpose(1, 2)

    def fill(self, k: int, values, decimals: int | None = None) -> str:
        """Derivative ``k`` (TERMS index) as text with the parameter ``values`` filled in."""
        return _PARAM.sub(lambda m: fmt(values[int(m.group(1))], decimals), self.text[k])

    def concrete(self, values) -> sympy.Expr:
        """The term with numbers, as sympy (for checks; not used when generating)."""
        return build_sympy(self.structure, [sympy.Float(float(v)) for v in values], X, Y)


_CACHE: dict[tuple, Template] = {}
_LOCK = threading.Lock()


def template(structure: tuple) -> Template:
    """The cached :class:`Template` of a term structure (built on first use in this process)."""
    found = _CACHE.get(structure)
    if found is None:
        with _LOCK:
            found = _CACHE.get(structure)
            if found is None:
                found = _CACHE[structure] = Template(structure)
    return found


def cache_size() -> int:
    """Number of structures compiled in this process."""
    return len(_CACHE)
