"""The operator terms, in the one order used everywhere (coefficient vectors, residual engine).

A linear second-order operator in two variables (x, y) is

    L u = c_u·u + c_x·u_x + c_y·u_y + c_xx·u_xx + c_yy·u_yy + c_xy·u_xy,

and its coefficient vector is ``(c_u, c_x, c_y, c_xx, c_yy, c_xy)`` in the order of ``TERMS``.
For (x, t) problems the second coordinate plays the role of y (``uy`` is u_t, ``uyy`` is u_tt).
"""

from __future__ import annotations

TERMS: tuple[str, ...] = ("u", "ux", "uy", "uxx", "uyy", "uxy")
"""Names of the operator terms; index ``i`` of a coefficient vector multiplies ``TERMS[i]``."""

N_TERMS = len(TERMS)
