"""The frame a problem's PINN works in: one where the operator's principal part is isotropic.

Mapping the user's box onto [-1, 1]² axis by axis makes the operator anisotropic on an elongated box:
−Δu on [0, 10] × [0, 1] is −0.04 u_XX − 4 u_YY on the square. A network is about equally smooth in
X and Y, so the PDE loss is then all u_YY: trained from scratch for 60 s the PINN stayed at rel.
L2 1.00, and the model, shown a square raster of a problem that is 100:1 anisotropic, answered 1.00
zero-shot and 0.50 after 60 s of fine-tuning. Any affine frame serves a PINN, and the raster may
show the domain as it really is, so this module picks the frame in which ``c_xx s_x² = c_yy s_y²``
(for −Δu a square around the box), as large as needed for the box to fit and centred on it: the
classic rescaling of anisotropic diffusion to isotropic form. The same channel then gives 1.2e-4
from scratch, 0.31 zero-shot and 1.4e-4 fine-tuned (docs/solve.md). The user's data, grid and
outputs keep the user's box; only the PINN's inputs and the model's raster move.

Evolution problems keep the user's box (time and space have no common unit to balance), and so do
operators without both second derivatives.
"""

from __future__ import annotations

import math

from hyperpino.errors import HyperpinoError
from hyperpino.pde.problem import Problem
from hyperpino.pde.terms import TERMS

Box = tuple[tuple[float, float], tuple[float, float]]

SAMPLES = 256
"""Interior points at which a variable operator's principal coefficients are averaged."""


def principal_sizes(problem: Problem) -> tuple[float, float]:
    """``(|c_xx|, |c_yy|)`` of the operator in user coordinates; for variable coefficients their
    mean magnitudes over :data:`SAMPLES` interior points (a fixed draw)."""
    ixx, iyy = TERMS.index("uxx"), TERMS.index("uyy")
    op = problem.operator
    if op.is_constant:
        v = op.vector()
        return abs(v[ixx]), abs(v[iyy])
    import torch

    pts = problem.domain.sample_interior(SAMPLES, generator=torch.Generator().manual_seed(0),
                                         dtype=torch.float64)
    c = op.coefficient_fn()(pts).abs().mean(0)
    return float(c[ixx]), float(c[iyy])


def _extents(problem: Problem) -> tuple[float, float] | None:
    """The box's sides in units of the principal part, ``(Lx / √|c_xx|, Ly / √|c_yy|)``; None for an
    evolution problem or without both second derivatives."""
    if problem.spec.is_evolution:
        return None
    cxx, cyy = principal_sizes(problem)
    if not (cxx > 0 and cyy > 0 and math.isfinite(cxx) and math.isfinite(cyy)):
        return None
    (x0, x1), (y0, y1) = problem.spec.box
    return (float(x1) - float(x0)) / math.sqrt(cxx), (float(y1) - float(y0)) / math.sqrt(cyy)


def imbalance(problem: Problem) -> float:
    """How anisotropic the user's box map makes the principal part: ``max(a/b, b/a)`` of the
    canonical ``a = |c_xx| s_x²``, ``b = |c_yy| s_y²`` (1.0 where :func:`balanced_frame` keeps the box
    for want of both second derivatives or for time; 100 for −Δu on a 10 × 1 box)."""
    e = _extents(problem)
    return 1.0 if e is None else (max(e) / min(e)) ** 2


def balanced_frame(problem: Problem) -> Box:
    """The box, containing the spec's ``box`` and centred on it, in which the principal part is
    isotropic (``|c_xx| s_x² = |c_yy| s_y²`` with ``s = 2 / side``). The spec's box itself where it
    is already balanced to 1e-9, for an evolution problem, or when ``c_xx`` or ``c_yy`` is zero."""
    (x0, x1), (y0, y1) = box = tuple(tuple(float(v) for v in side) for side in problem.spec.box)
    e = _extents(problem)
    if e is None or abs(e[0] - e[1]) <= 1e-9 * max(e):
        return box  # type: ignore[return-value]
    # the frame's sides are equal in the principal part's units, the larger one the box's
    hx, hy = (max(e) * (side / ext) / 2 for side, ext in zip((x1 - x0, y1 - y0), e, strict=True))
    mx, my = (x0 + x1) / 2, (y0 + y1) / 2
    return ((mx - hx, mx + hx), (my - hy, my + hy))


def balanced(problem: Problem) -> Problem:
    """``problem`` in its :func:`balanced_frame`."""
    return problem.in_frame(balanced_frame(problem))


def covers(frame, box, rel: float = 1e-9) -> bool:
    """Whether ``frame ((x0, x1), (y0, y1))`` contains ``box`` (to ``rel`` of the frame's sides)."""
    return all(f0 - rel * (f1 - f0) <= float(b0) and float(b1) <= f1 + rel * (f1 - f0)
               for (f0, f1), (b0, b1) in zip(frame, box, strict=True))


def framed_for(problem: Problem, frame, who: str) -> Problem:
    """``problem`` in the frame of a PINN made for ``frame`` (a saved or generated ensemble's
    ``box``): any frame around the problem's box serves; one that leaves part of it out is a
    mismatch, refused with a :class:`HyperpinoError` that starts with ``who``."""
    frame = tuple(tuple(float(v) for v in side) for side in frame)
    if frame == problem.map.box:
        return problem
    if not covers(frame, problem.spec.box):
        (x0, x1), (y0, y1) = problem.spec.box
        raise HyperpinoError(f"{who}: the PINN was made for the box {frame}, which does not cover the "
                             f"problem {problem.name}'s box (({x0:g}, {x1:g}), ({y0:g}, {y1:g}))")
    return problem.in_frame(frame)
