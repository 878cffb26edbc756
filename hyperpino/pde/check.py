"""``hyperpino check``: validate a spec and say, on one screen, what it was understood to mean."""

from __future__ import annotations

from pathlib import Path

from hyperpino.errors import printable
from hyperpino.pde.frame import MODEL_STRETCH, balanced_frame, imbalance, model_frame
from hyperpino.pde.problem import Problem, show


def summary(problem: Problem) -> str:
    """A human-readable summary: coordinates and box map, operator and type, pieces and conditions."""
    s, m = problem.spec, problem.map
    x, y = problem.coords
    (x0, x1), (y0, y1) = s.box
    (sx, sy), (bx, by) = m.scale, m.shift
    op = problem.operator
    # The description is free text from a file: escaped, so it cannot move the cursor or recolour.
    lines = [f"{problem.name}" + (f" — {printable(s.description)}" if s.description else "")]
    lines.append(f"  coordinates  ({x}, {y}) in [{x0:g}, {x1:g}] × [{y0:g}, {y1:g}]")
    if m.is_identity:
        lines.append("  box map      identity (the box is [-1, 1]²)")
    else:
        lines.append(
            f"  box map      X = {_affine(sx, bx, x)},  Y = {_affine(sy, by, y)}  (onto [-1, 1]²)"
        )
    coeff = "constant coefficients" if op.is_constant else "variable coefficients"
    lines.append(f"  operator     {op.describe()} = f   ({problem.kind}, {coeff})")
    if op.is_constant and not m.is_identity:
        canon = [c * k for c, k in zip(op.vector(), m.term_factors(), strict=True)]
        from hyperpino.pde.terms import TERMS

        lines.append(
            "  canonical    " + ", ".join(f"{t}: {c:.6g}" for t, c in zip(TERMS, canon, strict=True) if c)
        )
    # torch only for variable coefficients (imported by then)
    frame, ratio = balanced_frame(problem), imbalance(problem)
    if frame != problem.box:
        (a0, a1), (b0, b1) = frame
        why = f"isotropic there (the box map: {ratio:.3g}:1)" if ratio > 1 + 1e-9 else "the domain's extent"
        lines.append(f"  frame        [{a0:g}, {a1:g}] × [{b0:g}, {b1:g}] for the PINN: {why}")
        if ratio > MODEL_STRETCH ** 2:
            (a0, a1), (b0, b1) = model_frame(problem).map.box
            lines.append(f"               [{a0:g}, {a1:g}] × [{b0:g}, {b1:g}] for the model (its raster "
                         f"widens the box at most {MODEL_STRETCH:g}×)")
    lines.append(f"  source       f = {show(problem.source)}")
    d = problem.domain
    csg = s.geometry.csg or next(iter(s.geometry.primitives))
    lines.append(
        f"  domain       {csg}: area {d.area:.6g}, {len(d.active_pieces)} boundary "
        + ("piece" if len(d.active_pieces) == 1 else "pieces")
    )
    width = max(len(p) for p in d.active_pieces)
    for piece in d.active_pieces:
        conds = problem.conditions_on(piece)
        if conds:
            text = "; ".join(f"{c.describe(problem.coords)}  [bcs[{c.index}]]" for c in conds)
        elif piece in problem.final_pieces:
            text = f"(final edge {y} = {y1:g}: no condition)"
        else:
            text = "(no condition)"
        lines.append(f"    {piece:<{width}}  length {d.piece_length[piece]:<8.4g} {text}")
    if problem.exact is not None:
        from hyperpino.pde.collocation import exact_residuals  # torch: only for an exact solution

        res = exact_residuals(problem)
        worst = max(res.values())
        lines.append(f"  exact        u = {show(problem.exact)}")
        lines.append(
            f"               max residual of the spec's equations at u: {worst:.2e}"
            + ("" if worst < 1e-6 else "  <-- the exact solution does not fit the spec")
        )
    for note in problem.notes:
        lines.append(f"  note         {note}")
    return "\n".join(lines)


def _affine(scale: float, shift: float, name: str) -> str:
    out = name if scale == 1 else f"{scale:.6g}·{name}"
    return out if shift == 0 else f"{out} {'-' if shift < 0 else '+'} {abs(shift):.6g}"


def plot(problem: Problem, path: str | Path) -> None:
    """Draw the domain, its named boundary pieces and outward normals (user coordinates)."""
    from hyperpino.pde.geometry import plot_domain

    plot_domain(problem.domain, path, title=f"{problem.name}: {problem.operator.describe()} = f")
