"""The geometry computes with NumPy float64 arrays; its methods take and return torch tensors too.

The computational core (signed distances, pieces, the domain's analysis) is NumPy, so building and
checking a problem needs no torch (``hyperpino check`` refuses a bad spec before torch is
imported). The public methods convert at the edge: a tensor argument gives tensor results (on its
device; floating results in the dtype the method documents), an array gives arrays. torch is
looked up in ``sys.modules``, never imported here: a tensor argument means it is loaded already.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

F64 = np.float64


def is_tensor(x: object) -> bool:
    """Whether ``x`` is a torch tensor (False while torch is not imported)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def as_f64(x: Any) -> np.ndarray:
    """``x`` (tensor, array, sequence) as a float64 NumPy array (a tensor is detached, on the CPU)."""
    if is_tensor(x):
        import torch

        return x.detach().to(device="cpu", dtype=torch.float64).numpy()
    return np.asarray(x, dtype=F64)


def back(a: np.ndarray, x: Any, *, same_dtype: bool = False) -> Any:
    """``a`` in the kind of ``x``: a tensor on ``x``'s device when ``x`` is one, else ``a`` itself.

    Floating tensors are float64, or ``x``'s dtype with ``same_dtype``; integer and bool arrays keep
    theirs (int64 -> long).
    """
    if not is_tensor(x):
        return a
    import torch

    t = torch.from_numpy(a if a.flags.writeable and a.flags.c_contiguous else np.array(a))
    if t.is_floating_point() and same_dtype:
        t = t.to(x.dtype)
    return t.to(x.device)


def linspace(start: float, end: float, steps: int) -> np.ndarray:
    """``steps`` evenly spaced float64 values from ``start`` to ``end``, both ends exact.

    torch's formula (the first half counts up from ``start``, the second down from ``end``), so the
    grids of the analysis and of the data checks are those torch made before the port (to the last
    unit in the last place: torch's vectorised kernel rounds some values the other way).
    """
    if steps == 1:
        return np.array([start], dtype=F64)
    step = (end - start) / (steps - 1)
    i = np.arange(steps, dtype=F64)
    return np.where(i < steps // 2, start + step * i, end - step * (steps - 1 - i))


def norm2(v: np.ndarray) -> np.ndarray:
    """Euclidean norms ``(...)`` of vectors ``v (..., 2)``."""
    return np.sqrt(v[..., 0] * v[..., 0] + v[..., 1] * v[..., 1])
