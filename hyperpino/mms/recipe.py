"""One random problem as plain numbers: the operator, the solution's terms, holes, conditions.

A :class:`Recipe` is everything drawn for sample ``index`` of a run with ``seed``; the batched
evaluation (:mod:`hyperpino.mms.generator`) and the spec (:mod:`hyperpino.mms.to_spec`) are both
functions of it. The operator *type* and the labelled/physics-only flag come from a stream that
depends on ``(seed, index)`` only, the rest from ``(seed, index, attempt)``: rejecting a sample
redraws its problem but never its type, so the accepted mix is the configured one — unlike the
HyPINO generator (Bischof et al. 2025, arXiv 2509.05117, §2), whose classification bug and
type-dependent rejection leave ~7 % elliptic problems.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from hyperpino.mms.bubble import BOX, X_ONLY, weight_texts
from hyperpino.mms.config import MMSConfig
from hyperpino.mms.grammar import draw_params, draw_structure
from hyperpino.mms.holes import MAX_VERTICES, draw_holes, piece_names, weighted
from hyperpino.mms.templates import template
from hyperpino.pde.expr import MAX_LENGTH, MAX_NODES
from hyperpino.pde.operator import classify

KINDS = ("elliptic", "parabolic", "hyperbolic", "first-order")
CODES = ("dirichlet", "neumann", "robin", "initial_value", "initial_rate")
"""Condition-kind codes of boundary rows: index in this tuple."""
BOX_PIECES = ("box.left", "box.right", "box.bottom", "box.top")
_FIT = 0.85
"""Fraction of the spec format's expression limits a generated expression may use."""


@dataclass
class Recipe:
    """A drawn problem. ``coeffs (6,)`` in TERMS order; ``terms`` (structure, params) of u* or, when
    not ``labelled``, of the source f; ``conditions`` global piece -> list of ``(code, a, b, lin)``
    where ``lin = (α, β, γ)`` is the physics-only value α + β·x + γ·y (zeros when labelled);
    ``bubble`` the code of the factor B multiplying u* (labelled problems only)."""

    seed: int
    index: int
    attempt: int
    kind: str
    labelled: bool
    coeffs: np.ndarray
    terms: list[tuple[tuple, np.ndarray]]
    holes: list[dict]
    conditions: dict[int, list[tuple[int, float, float, tuple[float, float, float]]]] = field(
        default_factory=dict
    )
    bubble: int = 0
    """u* = B·(Σ terms) with bubble B of this code (:mod:`hyperpino.mms.bubble`); 0: u* = Σ terms."""
    phi: str = "grammar"
    """How the terms were drawn: ``grammar``, or for bubbles also ``constant`` or ``smooth``."""

    @property
    def evolution(self) -> bool:
        return self.kind != "elliptic"

    def piece_name(self, g: int) -> str:
        """Spec name of global piece ``g``."""
        if g < 4:
            return BOX_PIECES[g]
        h, e = divmod(g - 4, MAX_VERTICES)
        return piece_names(f"h{h}", self.holes[h])[e]


def fixed_stream(seed: int, index: int) -> np.random.Generator:
    return np.random.default_rng([seed, index, 0x5EED])


def draw_recipe(cfg: MMSConfig, seed: int, index: int, attempt: int) -> Recipe:
    """The problem for ``(seed, index, attempt)`` (deterministic)."""
    fixed = fixed_stream(seed, index)
    names = [k for k in KINDS if cfg.kind_weights.get(k, 0) > 0]
    kind = names[weighted(fixed, list(itertools.accumulate(cfg.kind_weights[k] for k in names)))]
    labelled = bool(fixed.random() >= cfg.physics_fraction)
    # Drawn after the type, from the same stream: a rejected draw keeps its bubble and φ kind, so
    # the accepted mix is the configured one.
    b_draw, phi_draw, plain_draw = fixed.random(), fixed.random(), fixed.random()
    bubble = 0
    if labelled and b_draw < cfg.bubble_fraction and (kind == "elliptic" or cfg.bubble_evolution):
        bubble = BOX if kind == "elliptic" else X_ONLY
    phi = "grammar"
    if bubble and phi_draw < cfg.bubble_constant:
        phi = "constant"
    elif bubble and phi_draw < cfg.bubble_constant + cfg.bubble_smooth:
        phi = "smooth"
    rng = np.random.default_rng([seed, index, attempt])
    coeffs = draw_operator(rng, kind, cfg)
    plain = kind != "elliptic" or (bubble and plain_draw < cfg.bubble_plain)
    holes = [] if plain else draw_holes(rng, cfg)
    recipe = Recipe(seed, index, attempt, kind, labelled, coeffs, [], holes, bubble=bubble, phi=phi)
    recipe.conditions = draw_conditions(rng, recipe, cfg)
    recipe.terms = draw_terms(rng, recipe, cfg) if labelled else draw_source(rng, cfg)
    return recipe


def _mag(rng: np.random.Generator, lo_hi: tuple[float, float], decimals: int) -> float:
    return float(np.round(rng.uniform(*lo_hi), decimals))


def draw_operator(rng: np.random.Generator, kind: str, cfg: MMSConfig) -> np.ndarray:
    """Coefficients ``(6,)`` (TERMS order) of an operator of type ``kind`` (y is t unless elliptic)."""
    d = cfg.decimals
    for _ in range(100):
        c = np.zeros(6)
        s = 1.0 if rng.random() < 0.5 else -1.0
        lower = [i for i in (0, 1, 2) if rng.random() < cfg.p_lower_order]
        if kind == "elliptic":
            c[3], c[4] = s * _mag(rng, cfg.coefficient, d), s * _mag(rng, cfg.coefficient, d)
            if rng.random() < cfg.p_isotropic:
                c[4] = c[3]
            if rng.random() < cfg.p_mixed:
                c[5] = np.round(rng.uniform(-0.8, 0.8) * 2 * np.sqrt(c[3] * c[4]), d)
        elif kind == "parabolic":  # c_t u_t + c_xx u_xx, opposite signs: forward diffusion
            c[2], c[3] = s * _mag(rng, cfg.coefficient, d), -s * _mag(rng, cfg.coefficient, d)
            lower = [i for i in lower if i != 2]
        elif kind == "hyperbolic":  # c_tt u_tt + c_xx u_xx, opposite signs: waves both ways
            c[4], c[3] = s * _mag(rng, cfg.coefficient, d), -s * _mag(rng, cfg.coefficient, d)
            if rng.random() < cfg.p_mixed:
                c[5] = (1.0 if rng.random() < 0.5 else -1.0) * _mag(rng, cfg.coefficient, d)
        else:  # first order: c_t u_t (+ c_x u_x + c_u u)
            c[2] = s * _mag(rng, cfg.coefficient, d)
            lower = [i for i in lower if i != 2]
        for i in lower:
            c[i] = (1.0 if rng.random() < 0.5 else -1.0) * _mag(rng, cfg.coefficient, d)
        if kind == "elliptic" and rng.random() < cfg.p_helmholtz:  # −Δu ∓ k²u: large zeroth order
            lo, hi = np.log(cfg.helmholtz[0]), np.log(cfg.helmholtz[1])
            c[0] = (1.0 if rng.random() < 0.5 else -1.0) * np.round(np.exp(rng.uniform(lo, hi)), d)
        if classify(float(c[3]), float(c[5]), float(c[4])) == kind and np.abs(c[1:]).sum() > 0:
            return c
    raise RuntimeError(f"could not draw a {kind} operator from the configured coefficients")


def _condition(rng: np.random.Generator, code: int, cfg: MMSConfig, labelled: bool):
    a = b = 0.0
    if code == 2:
        a, b = _mag(rng, cfg.robin, cfg.decimals), _mag(rng, cfg.robin, cfg.decimals)
    lin = (0.0, 0.0, 0.0)
    if not labelled:
        s = cfg.physics_bc_scale
        lin = tuple(float(v) for v in np.round(rng.uniform(-s, s, size=3), cfg.decimals))
        if rng.random() < 0.5:
            lin = (lin[0], 0.0, 0.0)
    return (code, a, b, lin)


def draw_conditions(rng: np.random.Generator, r: Recipe, cfg: MMSConfig) -> dict[int, list]:
    """Condition(s) per global piece; pieces hidden by the CSG are dropped later."""
    weights = cfg.bubble_bc_weights if r.bubble else cfg.bc_weights
    names = [k for k in ("dirichlet", "neumann", "robin") if weights.get(k, 0) > 0]
    cum = list(itertools.accumulate(weights[k] for k in names))
    pick = lambda: CODES.index(names[weighted(rng, cum)])  # noqa: E731
    out: dict[int, list] = {}
    if r.kind == "elliptic":
        pieces = list(range(4))
        for h, hole in enumerate(r.holes):
            pieces += [4 + h * MAX_VERTICES + e for e in range(len(piece_names("h", hole)))]
        codes = {g: pick() for g in pieces}
        if not any(codes[g] in (0, 2) for g in range(4)):
            codes[int(rng.integers(4))] = 0  # anchor u: pure Neumann leaves a constant free
        for g in pieces:
            out[g] = [_condition(rng, codes[g], cfg, r.labelled)]
        return out
    out[2] = [_condition(rng, 3, cfg, r.labelled)]
    if r.kind == "hyperbolic":
        out[2].append(_condition(rng, 4, cfg, r.labelled))
    if r.kind == "first-order":
        speed = r.coeffs[1] / r.coeffs[2]  # u_t + speed·u_x: information enters upwind
        if speed != 0:
            out[0 if speed > 0 else 1] = [_condition(rng, 0, cfg, r.labelled)]
    else:
        for g in (0, 1):
            out[g] = [_condition(rng, pick(), cfg, r.labelled)]
    return out


_VALUE, _GRADIENT = (1, 0, 0, 0, 0, 0), (0, 1, 0, 0, 0, 0)


@cache
def _sizes(structure: tuple, mask: tuple, bubble: bool = False) -> tuple[int, ...]:
    """(length, nodes) of a term's text in the source, the value and a gradient component.

    With a bubble each derivative D_j of the term in ``mask`` is written once (it is multiplied
    by its own polynomial W_j, see :mod:`hyperpino.mms.to_spec`), and a gradient component is
    B_x·u + B·u_x."""
    t = template(structure)
    if not bubble:
        return (*t.combo_size(mask), *t.combo_size(_VALUE), *t.combo_size(_GRADIENT))
    unit = [t.combo_size(tuple(k == j for k in range(6))) for j in range(6) if mask[j]]
    src = (sum(u[0] for u in unit), sum(u[1] for u in unit))
    val, grad = t.combo_size(_VALUE), t.combo_size(_GRADIENT)
    return (*src, *val, val[0] + grad[0], val[1] + grad[1])


_BUBBLE_TEXT = (480, 150)
"""Upper estimate of (length, nodes) of the bubble polynomials W_j and the products around them."""


def _largest(total, bubble: bool = False) -> tuple[int, int]:
    """(length, nodes) of the largest spec expression — the source, or a Robin value
    a·u + b·∂u/∂n — of terms with summed sizes ``total`` (as :func:`_sizes`)."""
    extra = _BUBBLE_TEXT if bubble else (0, 0)
    return (max(total[0] + extra[0], total[2] + 2 * total[4] + 80 + extra[0] // 3),
            max(total[1] + extra[1], total[3] + 2 * total[5] + 30 + extra[1] // 3))


def draw_terms(rng: np.random.Generator, r: Recipe, cfg: MMSConfig) -> list:
    """Terms of u*: structures and rounded parameters (fitted to the spec limits if configured).

    A structure whose text would not fit is redrawn before its numbers are drawn (the size
    estimate depends on the structure and the operator only).
    """
    if r.phi == "constant":  # amp·(0·x + 0·y + 1)
        amp = (1.0 if rng.random() < 0.5 else -1.0) * _mag(rng, cfg.amplitude, cfg.decimals)
        return [(("term", ("atom", "poly1")), np.array([amp, 0.0, 0.0, 1.0]))]
    if r.phi == "smooth":
        out = []
        for _ in range(int(rng.integers(1, 3))):
            s = ("term", ("atom", _SMOOTH[int(rng.integers(len(_SMOOTH)))]))
            out.append((s, draw_params(rng, s, cfg.smooth_frequency, cfg.amplitude, cfg.decimals)))
        return out
    n = int(rng.integers(cfg.n_terms[0], cfg.n_terms[1] + 1))
    if r.bubble:
        mask = bubble_mask(r.bubble, r.coeffs)
    else:
        mask = tuple(bool(c) for c in r.coeffs != 0)
    draw = lambda s: draw_params(rng, s, cfg.frequency, cfg.amplitude, cfg.decimals,  # noqa: E731
                                 cfg.frequency_log_share)
    terms: list = []
    total = (0,) * 6
    tries = 0
    while len(terms) < n and tries < 8 * n + 8:
        tries += 1
        s = draw_structure(rng, cfg.atoms, cfg.max_depth)
        if cfg.fit_spec:
            grown = tuple(a + b for a, b in zip(total, _sizes(s, mask, bool(r.bubble)), strict=True))
            length, nodes = _largest(grown, bool(r.bubble))
            if length > _FIT * MAX_LENGTH or nodes > _FIT * MAX_NODES:
                continue
            total = grown
        terms.append((s, draw(s)))
    if not terms:  # nothing fitted: one plain atom always does
        s = ("term", ("atom", "sin"))
        terms = [(s, draw(s))]
    return terms


_SMOOTH = ("sin", "cos", "gauss", "rational")
"""Atoms of smooth bubble factors φ (no polynomials: with B they would add little)."""


def bubble_mask(code: int, coeffs) -> tuple[bool, ...]:
    """Which derivatives D_j φ the source L(B·φ) involves: ``(6,)`` bools."""
    return tuple(t is not None for t in weight_texts(code, coeffs, str))


def draw_source(rng: np.random.Generator, cfg: MMSConfig) -> list:
    """A physics-only source: zero-mean on purpose (HyPINO's has mean 10 by a typo, §3.2)."""
    scale = cfg.physics_source_scale * rng.standard_normal()
    if rng.random() < 0.5:  # a constant: amp·(0·x + 0·y + 1)
        return [(("term", ("atom", "poly1")), np.round(np.array([scale, 0.0, 0.0, 1.0]), cfg.decimals))]
    atom = ("sin", "cos", "tanh", "gauss")[int(rng.integers(4))]
    s = ("term", ("atom", atom))
    p = draw_params(rng, s, (0.5, 3.0), (1.0, 1.0), cfg.decimals)
    p[0] = np.round(scale, cfg.decimals)
    return [(s, p)]
