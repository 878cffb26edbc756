"""The frame a problem's PINN works in: one where the operator's principal part is isotropic.

Mapping the user's box onto [-1, 1]² axis by axis makes the operator anisotropic on an elongated box:
−Δu on [0, 10] × [0, 1] is −0.04 u_XX − 4 u_YY on the square. A network is about equally smooth in
X and Y, so the PDE loss is then all u_YY: trained from scratch for 60 s the PINN stayed at rel.
L2 1.00, and the model, shown a square raster of a problem that is 100:1 anisotropic, answered 1.00
zero-shot and 0.50 after 60 s of fine-tuning. Any affine frame serves a PINN, and the raster may
show the domain as it really is, so this module picks the frame in which ``c_xx s_x² = c_yy s_y²``
(for −Δu a square around the box), as large as needed for the box to fit and centred on it: the
classic rescaling of anisotropic diffusion to isotropic form. The same channel then gives 1.2e-4
from scratch, 0.31 zero-shot and 2.4e-5 fine-tuned (docs/solve.md). For the model the frame widens
the box at most :data:`MODEL_STRETCH` times: its raster must still show the domain. The user's data, grid and
outputs keep the user's box; only the PINN's inputs and the model's raster move. The frame starts
from the domain's bounding box (:func:`region`), so a box drawn loosely around the domain costs
nothing either.

An operator without both second derivatives keeps the user's box: a parabolic one (u_t − k u_xx has
no u_tt: its time and space share no unit to balance) or one with a single diffusion direction. The
wave equation has both, and its speed is the unit: u_tt = 4 u_xx on [0, 1]² becomes a frame twice as
wide as the box in x, where the characteristics run at 45° (from scratch, 60 s, one thread: rel. L2
0.71 → 0.41 and, seed 1, 1.07 → 0.41; fine-tuned from the model 0.46 → 0.46).
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


def region(problem: Problem) -> Box:
    """The domain's bounding box within the spec's ``box``: what a frame has to hold. A box drawn
    loosely around the domain would waste the network's input range and the model's pixels
    (helmholtz in [-2, 2]² instead of [-1, 1]², 30 s, one thread: from scratch rel. L2 1.5e-2 →
    2.2e-2, fine-tuned from the model 2.5e-2 → 4.1e-2)."""
    (x0, x1), (y0, y1) = problem.box
    (a0, a1), (b0, b1) = problem.domain.geometry.bbox()
    lo_x, hi_x, lo_y, hi_y = max(x0, float(a0)), min(x1, float(a1)), max(y0, float(b0)), min(y1, float(b1))
    if not (lo_x < hi_x and lo_y < hi_y):  # nothing tighter to say
        return ((x0, x1), (y0, y1))
    return ((lo_x, hi_x), (lo_y, hi_y))


def _extents(problem: Problem, box: Box | None = None) -> tuple[float, float] | None:
    """The sides of ``box`` (default: the spec's) in units of the principal part,
    ``(Lx / √|c_xx|, Ly / √|c_yy|)``; None without both second derivatives."""
    cxx, cyy = principal_sizes(problem)
    if not (cxx > 0 and cyy > 0 and math.isfinite(cxx) and math.isfinite(cyy)):
        return None
    (x0, x1), (y0, y1) = box or problem.box
    return (x1 - x0) / math.sqrt(cxx), (y1 - y0) / math.sqrt(cyy)


def imbalance(problem: Problem) -> float:
    """How anisotropic the user's box map makes the principal part: ``max(a/b, b/a)`` of the
    canonical ``a = |c_xx| s_x²``, ``b = |c_yy| s_y²`` (1.0 where :func:`balanced_frame` keeps the box
    for want of both second derivatives; 100 for −Δu on a 10 × 1 box)."""
    e = _extents(problem)
    return 1.0 if e is None else (max(e) / min(e)) ** 2


MODEL_STRETCH = 10.0
"""The most a frame for the model widens the box along an axis. The bundled model's raster has 64
pixels a side, and a strip a tenth of it high still holds about six rows of the domain; at 30× it
holds two, at 100× none, and the zero-shot answer to −ε u_xx − u_yy = f on the unit square fell from
rel. L2 0.34 in the box's frame to 0.54 (ε = 1e-3) and 1.02 (ε = 1e-4) in the full balance (found in
review, 2026-12-07). A PINN from scratch sees no raster and takes the full balance."""


def balanced_frame(problem: Problem, stretch: float | None = None) -> Box:
    """The :func:`region` (the spec's box where the domain fills it) widened, about its centre, along
    the axis that is short in the principal part's units, until the principal part is isotropic
    (``|c_xx| s_x² = |c_yy| s_y²``, ``s = 2 / side``), or by at most ``stretch`` (then only partly
    balanced: :data:`MODEL_STRETCH` for the model's raster). The region itself where it is balanced
    to 1e-9, or when ``c_xx`` or ``c_yy`` is zero (e.g. a parabolic problem). The other axis keeps the
    region's exact ends, so the frame contains the domain."""
    (x0, x1), (y0, y1) = box = region(problem)
    e = _extents(problem, box)
    if e is None:
        return box  # type: ignore[return-value]
    widen = max(e) / min(e) if stretch is None else min(max(e) / min(e), float(stretch))
    if widen <= 1 + 1e-9:
        return box  # type: ignore[return-value]
    if e[0] < e[1]:
        h, m = widen * (x1 - x0) / 2, (x0 + x1) / 2
        return ((m - h, m + h), (y0, y1))
    h, m = widen * (y1 - y0) / 2, (y0 + y1) / 2
    return ((x0, x1), (m - h, m + h))


def balanced(problem: Problem, stretch: float | None = None) -> Problem:
    """``problem`` in its :func:`balanced_frame` (``stretch`` as there); a problem given a frame of its
    own (:meth:`Problem.in_frame`) is returned as it is."""
    if problem.frame is not None:
        return problem
    return problem.in_frame(balanced_frame(problem, stretch))


def model_frame(problem: Problem) -> Problem:
    """``problem`` as the model sees it: :func:`balanced` within :data:`MODEL_STRETCH` (generation,
    refinement and fine-tuning from the model, validation, the input figures)."""
    return balanced(problem, MODEL_STRETCH)


def covers(frame, box, rel: float = 1e-9) -> bool:
    """Whether ``frame ((x0, x1), (y0, y1))`` contains ``box`` (to ``rel`` of the frame's sides)."""
    return all(f0 - rel * (f1 - f0) <= float(b0) and float(b1) <= f1 + rel * (f1 - f0)
               for (f0, f1), (b0, b1) in zip(frame, box, strict=True))


def framed_for(problem: Problem, frame, who: str) -> Problem:
    """``problem`` in the frame of a PINN made for ``frame`` (a saved or generated ensemble's
    ``box``): any frame around the problem's domain (:func:`region`) serves; one that leaves part of
    it out is a mismatch, refused with a :class:`HyperpinoError` that starts with ``who``."""
    frame = tuple(tuple(float(v) for v in side) for side in frame)
    if frame == problem.map.box:
        return problem
    if not covers(frame, region(problem)):
        (x0, x1), (y0, y1) = region(problem)
        raise HyperpinoError(f"{who}: the PINN was made for the box {frame}, which does not cover the "
                             f"problem {problem.name}'s domain (({x0:g}, {x1:g}), ({y0:g}, {y1:g}))")
    return problem.in_frame(frame)
