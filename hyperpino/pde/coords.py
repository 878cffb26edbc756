"""The affine map from a box onto the canonical square [-1, 1]².

HyPINO and the rasterised model inputs live on [-1, 1]²; users pose problems on any box, and a
problem is mapped from its frame (:mod:`hyperpino.pde.frame`: the box, or a box around it where the
operator is isotropic). The map
``X = s ⊙ x + b`` with ``s = 2 / (x1 − x0)`` per axis is kept with the problem, so points go both
ways and derivatives follow by the chain rule: ``∂/∂x = s_x ∂/∂X``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hyperpino.pde.terms import TERMS

if TYPE_CHECKING:  # torch is imported by the methods' callers; building a problem needs none
    from torch import Tensor


@dataclass(frozen=True)
class BoxMap:
    """Affine map of ``box = ((x0, x1), (y0, y1))`` onto [-1, 1]² (axis-wise, orientation kept)."""

    box: tuple[tuple[float, float], tuple[float, float]]

    @property
    def scale(self) -> tuple[float, float]:
        """``(s_x, s_y) = (2/(x1−x0), 2/(y1−y0))``."""
        (x0, x1), (y0, y1) = self.box
        return (2.0 / (x1 - x0), 2.0 / (y1 - y0))

    @property
    def shift(self) -> tuple[float, float]:
        """``(b_x, b_y)`` such that ``X = s_x x + b_x`` maps x0 to −1 and x1 to +1."""
        (x0, x1), (y0, y1) = self.box
        return (-(x0 + x1) / (x1 - x0), -(y0 + y1) / (y1 - y0))

    @property
    def is_identity(self) -> bool:
        return self.scale == (1.0, 1.0) and self.shift == (0.0, 0.0)

    def to_canonical(self, p: Tensor) -> Tensor:
        """User points ``(..., 2)`` -> canonical points ``(..., 2)``."""
        return p * p.new_tensor(self.scale) + p.new_tensor(self.shift)

    def to_user(self, q: Tensor) -> Tensor:
        """Canonical points ``(..., 2)`` -> user points ``(..., 2)``."""
        return (q - q.new_tensor(self.shift)) / q.new_tensor(self.scale)

    def term_factors(self) -> tuple[float, ...]:
        """Chain-rule factor of each operator term, in ``TERMS`` order.

        A user coefficient ``c_k`` becomes ``c_k · factor_k`` in canonical coordinates:
        ``u_x = s_x u_X``, ``u_xx = s_x² u_XX``, ``u_xy = s_x s_y u_XY``.
        """
        sx, sy = self.scale
        factors = {"u": 1.0, "ux": sx, "uy": sy, "uxx": sx * sx, "uyy": sy * sy, "uxy": sx * sy}
        return tuple(factors[t] for t in TERMS)

    def canonical_coefficients(self, coeffs: Tensor) -> Tensor:
        """Coefficient vectors ``(..., 6)`` in user coordinates -> canonical ones ``(..., 6)``."""
        return coeffs * coeffs.new_tensor(self.term_factors())

    def flux_direction(self, normals: Tensor) -> Tensor:
        """Direction ``d`` with ``∂u/∂n = d · ∇_X u`` for user-frame unit normals ``(..., 2)``.

        ``∇_x u = s ⊙ ∇_X u``, so ``n · ∇_x u = (s ⊙ n) · ∇_X u``; for a non-square box ``d`` is not
        parallel to the canonical normal of a curved piece, and using ``d`` keeps Neumann exact.
        """
        return normals * normals.new_tensor(self.scale)

    def canonical_normals(self, normals: Tensor) -> Tensor:
        """User-frame unit normals ``(..., 2)`` -> unit normals of the mapped boundary ``(..., 2)``."""
        import torch

        n = normals / normals.new_tensor(self.scale)  # normals are covectors: they map by s⁻¹
        return n / torch.linalg.vector_norm(n, dim=-1, keepdim=True)
