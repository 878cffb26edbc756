"""Finite data, checked where an expression is evaluated and reported by its field.

``log(x)`` on a box around 0, ``1/x`` on an edge through x = 0, ``exp(100*x)`` in float32: each
gives NaN or inf somewhere, and what goes wrong next (a model input, a singular FEM system, a NaN
solution) no longer says why. :func:`require_finite` is called on the values right after they are
computed and names the spec field and the first point where they are not finite.

Values and points are torch tensors or NumPy arrays (or numbers); the checks run in NumPy, so the
spec checks (:mod:`hyperpino.pde.problem`) use them before torch is imported.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hyperpino.errors import SpecError


def _numpy(x: Any) -> tuple[np.ndarray, str, float | None]:
    """``x`` as an array (floating tensors as float64), its dtype's name and largest finite value
    (None for non-floating data)."""
    if hasattr(x, "detach"):  # a torch tensor: torch is imported already
        import torch

        t = x.detach().cpu()
        if not t.is_floating_point():
            return t.numpy(), str(t.dtype).removeprefix("torch."), None
        return t.to(torch.float64).numpy(), str(t.dtype).removeprefix("torch."), torch.finfo(t.dtype).max
    a = np.array(x)
    if not np.issubdtype(a.dtype, np.floating):
        return a, str(a.dtype), None
    return a, str(a.dtype), float(np.finfo(a.dtype).max)


def require_finite(values: Any, points: Any, where: str, coords: tuple[str, str] = ("x", "y")) -> None:
    """Raise :class:`SpecError` at ``where`` unless ``values`` are finite at every point.

    ``values`` broadcast to ``(n,)``; ``points (n, 2)`` are where they were evaluated (user
    coordinates), for the message: ``bcs[1].value: not finite at (x, y) = (0, 1): inf``.
    """
    v, dtype, top = _numpy(values)
    if top is None:
        return
    p = _numpy(points)[0].reshape(-1, 2)
    v = v.reshape(-1) if v.size == p.shape[0] else np.broadcast_to(v.reshape(-1)[:1], (max(p.shape[0], 1),))
    bad = ~np.isfinite(v)
    if not bad.any():
        return
    i = int(np.flatnonzero(bad)[0])
    value = float(v[i])
    at = ""
    if p.shape[0]:
        at = f" at ({coords[0]}, {coords[1]}) = ({float(p[i, 0]):.6g}, {float(p[i, 1]):.6g})"
    note = ""
    if dtype != "float64" and value in (float("inf"), float("-inf")):
        note = f" in {dtype} (beyond {top:.3g})"
    raise SpecError(where, f"not finite{at}: {value}{note}")


def require_nonzero(values: Any, points: Any, where: str, coords: tuple[str, str] = ("x", "y")) -> None:
    """Raise :class:`SpecError` at ``where`` where ``values (n,)`` are 0 (e.g. a Robin ``b``)."""
    v = _numpy(values)[0].reshape(-1)
    p = _numpy(points)[0].reshape(-1, 2)
    if v.size == 1:
        v = np.broadcast_to(v, (max(p.shape[0], 1),))
    zero = v == 0
    if bool(zero.any()) and p.shape[0]:
        i = int(np.flatnonzero(zero)[0])
        raise SpecError(where, f"is 0 at ({coords[0]}, {coords[1]}) = "
                        f"({float(p[i, 0]):.6g}, {float(p[i, 1]):.6g}) (it divides the condition)")
