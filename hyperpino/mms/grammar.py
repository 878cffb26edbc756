"""The grammar of random manufactured solutions: terms built from atoms of affine arguments.

A solution is a sum of *terms*; a term is ``amplitude · node`` where a node is an atom of an affine
map ``atom(a·x + b·y + c)``, an atom of another node ``atom(w·node + c)`` (composition), or the
product of two nodes. The method of manufactured solutions (Roache 2002, *Code verification by
the method of manufactured solutions*, J. Fluids Eng. 124) only needs u* smooth and rich; HyPINO
(Bischof et al. 2025, arXiv 2509.05117, §3.1) draws u* from sums, products and compositions of
sin, cos, tanh, sigmoid and 1/(1+z²). Here a term's *structure* (the tree without numbers) is a
hashable tuple; its numbers are a flat parameter vector in preorder. Derivatives are linear in
the terms, so the symbolic work is done once per term structure (:mod:`hyperpino.mms.templates`)
and a whole batch of solutions evaluates as a few batched calls per structure.

Structures: ``("atom", name)`` (3 parameters a, b, c), ``("comp", name, node)`` (w, c, then the
node's), ``("mul", node, node)``; a term is ``("term", node)`` with the amplitude first.
"""

from __future__ import annotations

import math

import numpy as np
import sympy

ATOMS: dict[str, object] = {
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tanh": sympy.tanh,
    "gauss": lambda z: sympy.exp(-(z**2)),
    "rational": lambda z: 1 / (1 + z**2),
    "poly1": lambda z: z,
    "poly2": lambda z: z**2,
    "poly3": lambda z: z**3,
}
"""Atom name -> a function of one sympy argument. ``gauss`` is the decaying exponential exp(−z²)."""

_PERIODIC = ("sin", "cos")
_POLY_FREQUENCY = (0.3, 1.2)
"""Polynomials of a steep argument overflow the bounds at once; they get gentle slopes."""


def draw_structure(rng: np.random.Generator, atoms: tuple[str, ...], max_depth: int) -> tuple:
    """A random term structure with nesting depth at most ``max_depth``."""
    return ("term", _draw_node(rng, atoms, max_depth))


def _draw_node(rng: np.random.Generator, atoms: tuple[str, ...], depth: int) -> tuple:
    atom = atoms[int(rng.integers(len(atoms)))]
    if depth <= 1 or rng.random() < 0.5:
        return ("atom", atom)
    if rng.random() < 0.5:
        return ("mul", _draw_node(rng, atoms, depth - 1), _draw_node(rng, atoms, depth - 1))
    return ("comp", atom, _draw_node(rng, atoms, depth - 1))


def n_params(node: tuple) -> int:
    """Length of the parameter vector of a structure."""
    tag = node[0]
    if tag == "term":
        return 1 + n_params(node[1])
    if tag == "atom":
        return 3
    if tag == "comp":
        return 2 + n_params(node[2])
    return n_params(node[1]) + n_params(node[2])


def draw_params(
    rng: np.random.Generator,
    structure: tuple,
    frequency: tuple[float, float],
    amplitude: tuple[float, float],
    decimals: int,
    log_share: float = 0.0,
) -> np.ndarray:
    """Random numbers for ``structure``, preorder, rounded to ``decimals``: ``(n_params,)``.

    An atom's frequency |(a, b)| is drawn in ``frequency`` log-uniformly with probability
    ``log_share``, else uniformly; polynomial atoms always get gentle uniform slopes."""
    out: list[float] = []

    def sign() -> float:
        return 1.0 if rng.random() < 0.5 else -1.0

    def node(n: tuple) -> None:
        if n[0] == "atom":
            poly = n[1].startswith("poly")
            lo, hi = _POLY_FREQUENCY if poly else frequency
            if log_share > 0 and not poly and rng.random() < log_share:
                omega = math.exp(rng.uniform(math.log(lo), math.log(hi)))
            else:
                omega = rng.uniform(lo, hi)
            theta = rng.uniform(0.0, 2.0 * math.pi)
            shift = rng.uniform(-math.pi, math.pi) if n[1] in _PERIODIC else rng.uniform(-1.0, 1.0)
            out.extend((omega * math.cos(theta), omega * math.sin(theta), shift))
        elif n[0] == "comp":
            out.extend((sign() * rng.uniform(0.5, 2.0), rng.uniform(-1.0, 1.0)))
            node(n[2])
        else:
            node(n[1])
            node(n[2])

    out.append(sign() * rng.uniform(*amplitude))
    node(structure[1])
    return np.round(np.asarray(out, dtype=np.float64), decimals)


def build_sympy(structure: tuple, params: list, x: sympy.Symbol, y: sympy.Symbol) -> sympy.Expr:
    """The term as a sympy expression; ``params`` are symbols or numbers in preorder."""
    it = iter(params)

    def node(n: tuple) -> sympy.Expr:
        if n[0] == "atom":
            a, b, c = next(it), next(it), next(it)
            return ATOMS[n[1]](a * x + b * y + c)
        if n[0] == "comp":
            w, c = next(it), next(it)
            return ATOMS[n[1]](w * node(n[2]) + c)
        return node(n[1]) * node(n[2])

    amp = next(it)
    return amp * node(structure[1])


def describe(structure: tuple) -> str:
    """Short text of a structure, e.g. ``sin(·)*tanh(w·gauss(·)+c)``."""

    def node(n: tuple) -> str:
        if n[0] == "atom":
            return f"{n[1]}(·)"
        if n[0] == "comp":
            return f"{n[1]}(w·{node(n[2])}+c)"
        return f"{node(n[1])}*{node(n[2])}"

    return "A·" + node(structure[1])
