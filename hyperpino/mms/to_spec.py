"""A recipe written as a spec (:class:`hyperpino.pde.spec.Spec`): text expressions, primitives, bcs.

Expressions are assembled from each template's text with the numbers filled in (no sympy per
sample); :func:`hyperpino.pde.expr.parse_expression` reads them back. The numbers were rounded when
drawn, so the spec and the tensors describe the same problem up to float round-off.
"""

from __future__ import annotations

import re

from hyperpino.errors import SpecError
from hyperpino.mms.bubble import NAMES, weight_texts
from hyperpino.mms.holes import primitive
from hyperpino.mms.recipe import CODES, Recipe
from hyperpino.mms.templates import fmt, template
from hyperpino.pde.spec import Spec
from hyperpino.pde.spec_io import spec_from_mapping
from hyperpino.pde.terms import TERMS

_Y = re.compile(r"\by\b")


def _sum(parts: list[str]) -> str:
    return " + ".join(parts) if parts else "0"


def _combo(r: Recipe, weights) -> str:
    """Σ_k weights[k]·D_k u* as text; with a bubble u* = B·φ this is Σ_j W_j·D_j φ (Leibniz)."""
    if not r.bubble:
        return _sum([p for s, v in r.terms for p in template(s).combo_text(v, weights)])
    out = []
    for j, w in enumerate(weight_texts(r.bubble, weights, fmt)):
        unit = tuple(float(k == j) for k in range(6))
        parts = [p for s, v in r.terms for p in template(s).combo_text(v, unit)]
        if w is not None and parts:
            out.append(f"({w})*({_sum(parts)})")
    return _sum(out)


def _normal_derivative(r: Recipe, g: int) -> str:
    """∂u*/∂n on global piece ``g`` as text (normals out of the domain)."""
    if g < 4:
        n = ((-1, 0), (1, 0), (0, -1), (0, 1))[g]
        return _combo(r, (0, n[0], n[1], 0, 0, 0))
    from hyperpino.mms.holes import MAX_VERTICES, vertices

    h, e = divmod(g - 4, MAX_VERTICES)
    hole = r.holes[h]
    if hole["type"] == "disk":
        (cx, cy), rad = hole["center"], hole["radius"]
        ux, uy = _combo(r, (0, 1, 0, 0, 0, 0)), _combo(r, (0, 0, 1, 0, 0, 0))
        return f"(({fmt(cx)} - x)/{fmt(rad)})*({ux}) + (({fmt(cy)} - y)/{fmt(rad)})*({uy})"
    v = vertices(hole)
    d = v[(e + 1) % len(v)] - v[e]
    length = float((d @ d) ** 0.5)
    return _combo(r, (0, -d[1] / length, d[0] / length, 0, 0, 0))


def _linear(lin) -> str:
    a, b, c = lin
    return _sum([fmt(a)] + ([f"{fmt(b)}*x"] if b else []) + ([f"{fmt(c)}*y"] if c else []))


def recipe_dict(r: Recipe, active) -> dict:
    """The spec of a recipe as a plain mapping (what a TOML/JSON file holds)."""
    t = r.evolution
    coords = ["x", "t"] if t else ["x", "y"]
    rename = (lambda s: _Y.sub("t", s)) if t else (lambda s: s)
    names = {"u": "u", "ux": "ux", "uy": "ut" if t else "uy", "uxx": "uxx", "uyy": "utt" if t else "uyy",
             "uxy": "uxt" if t else "uxy"}
    coefficients = {names[k]: float(c) for k, c in zip(TERMS, r.coeffs, strict=True) if c != 0}
    prims = {"box": {"type": "rectangle", "min": [-1.0, -1.0], "max": [1.0, 1.0]}}
    for h, hole in enumerate(r.holes):
        prims[f"h{h}"] = primitive(hole)
    csg = " - ".join(prims) if len(prims) > 1 else None
    if r.labelled:
        source = _combo(r, r.coeffs)
        exact = _combo(r, (1, 0, 0, 0, 0, 0))
    else:
        source, exact = _combo(r, (1, 0, 0, 0, 0, 0)), None
    bcs = []
    for g in sorted(r.conditions):
        if not bool(active[g]):
            continue
        for code, a, b, lin in r.conditions[g]:
            kind = CODES[code]
            if not r.labelled:
                value = _linear(lin)
            elif kind in ("dirichlet", "initial_value"):
                value = exact
            elif kind == "initial_rate":
                value = _combo(r, (0, 0, 1, 0, 0, 0))
            elif kind == "neumann":
                value = _normal_derivative(r, g)
            else:
                value = f"{fmt(a)}*({exact}) + {fmt(b)}*({_normal_derivative(r, g)})"
            entry = {"type": kind, "value": rename(value)}
            if kind in ("initial_value", "initial_rate"):
                entry["on"] = ["box.bottom"]
            else:
                entry["on"] = [r.piece_name(g)]
            if kind == "robin":
                entry["a"], entry["b"] = float(a), float(b)
            bcs.append(entry)
    out = {
        "name": f"mms_s{r.seed}_i{r.index}",
        "description": f"manufactured {r.kind} problem (hyperpino.mms, seed {r.seed}, sample {r.index}, "
                       f"{'labelled' if r.labelled else 'physics-only'}"
                       f"{f', u* = B·φ with the {NAMES[r.bubble]} bubble, {r.phi} φ' if r.bubble else ''})",
        "coords": coords,
        "box": [[-1.0, 1.0], [-1.0, 1.0]],
        "geometry": {"primitives": prims, **({"csg": csg} if csg else {})},
        "operator": {"coefficients": coefficients, "source": rename(source)},
        "bcs": bcs,
    }
    if exact is not None:
        out["exact"] = rename(exact)
    return out


def recipe_to_spec(r: Recipe, active) -> Spec:
    """The validated spec; ``active (P,)`` marks the pieces on the domain's boundary."""
    try:
        return spec_from_mapping(recipe_dict(r, active))
    except SpecError as err:
        raise SpecError(f"mms sample {r.index}", str(err)) from None
