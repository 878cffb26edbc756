"""Finite data, checked where an expression is evaluated and reported by its field.

``log(x)`` on a box around 0, ``1/x`` on an edge through x = 0, ``exp(100*x)`` in float32: each
gives NaN or inf somewhere, and what goes wrong next (a model input, a singular FEM system, a NaN
solution) no longer says why. :func:`require_finite` is called on the values right after they are
computed and names the spec field and the first point where they are not finite.
"""

from __future__ import annotations

import numpy as np
import torch

from hyperpino.errors import SpecError


def require_finite(values: torch.Tensor | np.ndarray | float, points: torch.Tensor | np.ndarray,
                   where: str, coords: tuple[str, str] = ("x", "y")) -> None:
    """Raise :class:`SpecError` at ``where`` unless ``values`` are finite at every point.

    ``values`` broadcast to ``(n,)``; ``points (n, 2)`` are where they were evaluated (user
    coordinates), for the message: ``bcs[1].value: not finite at (x, y) = (0, 1): inf``.
    """
    v = values.detach().cpu() if isinstance(values, torch.Tensor) else torch.as_tensor(np.array(values))
    p = points.detach().cpu() if isinstance(points, torch.Tensor) else torch.as_tensor(np.array(points))
    p = p.reshape(-1, 2)
    if not v.is_floating_point():
        return
    v = v.reshape(-1) if v.numel() == p.shape[0] else v.reshape(-1)[:1].expand(max(p.shape[0], 1))
    bad = ~torch.isfinite(v)
    if not bool(bad.any()):
        return
    i = int(torch.nonzero(bad)[0])
    value = float(v[i])
    at = ""
    if p.shape[0]:
        at = f" at ({coords[0]}, {coords[1]}) = ({float(p[i, 0]):.6g}, {float(p[i, 1]):.6g})"
    note = ""
    if v.dtype != torch.float64 and value in (float("inf"), float("-inf")):
        note = f" in {str(v.dtype).removeprefix('torch.')} (beyond {torch.finfo(v.dtype).max:.3g})"
    raise SpecError(where, f"not finite{at}: {value}{note}")


def require_nonzero(values: torch.Tensor, points: torch.Tensor, where: str,
                    coords: tuple[str, str] = ("x", "y")) -> None:
    """Raise :class:`SpecError` at ``where`` where ``values (n,)`` are 0 (e.g. a Robin ``b``)."""
    v = values.detach().cpu().reshape(-1)
    p = points.detach().cpu().reshape(-1, 2)
    if v.numel() == 1:
        v = v.expand(max(p.shape[0], 1))
    zero = v == 0
    if bool(zero.any()) and p.shape[0]:
        i = int(torch.nonzero(zero)[0])
        raise SpecError(where, f"is 0 at ({coords[0]}, {coords[1]}) = "
                        f"({float(p[i, 0]):.6g}, {float(p[i, 1]):.6g}) (it divides the condition)")
