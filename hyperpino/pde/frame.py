"""The frame a PINN trained from scratch works in: one where the operator's principal part is isotropic.

HyPINO's inputs map the user's box onto [-1, 1]² axis by axis (:mod:`hyperpino.pde.coords`), so on an
elongated box the operator becomes anisotropic in the network's coordinates: −Δu on [0, 10] × [0, 1]
is −0.04 u_XX − 4 u_YY on the square. The PDE loss is then all u_YY, and the trainer does not learn
the long direction (rel. L2 1.00 after 60 s from scratch, where the same equation on a 10 × 10 box
reaches 8.9e-4 in 30 s). A network trained from scratch owes nothing to the model's raster, so it may
take any affine frame: this module picks the one in which ``c_xx s_x² = c_yy s_y²`` (for −Δu a square
around the box), as large as needed for the box to fit in it and centred on it. This is the classic
rescaling of an anisotropic diffusion problem to isotropic form (e.g. the stretched coordinates of
boundary-layer analysis); here it only moves the PINN's inputs, the user's data and grid are kept.

Evolution problems keep the user's box (time and space have no common unit to balance), and so do
operators without both second derivatives.
"""

from __future__ import annotations

import math

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
