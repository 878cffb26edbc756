"""A reference solution on the evaluation grid, and its HDF5 file.

The grid is :func:`hyperpino.pde.geometry.grid_points` over the spec's box: ``u[i, j]`` is the
value at ``(x[j], y[i])`` with row 0 at the top (``y[0] = y1``). Points outside the domain are NaN
in ``u`` and False in ``mask``. Files are written to a temporary name and renamed into place, so an
interrupted write never leaves a corrupt file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path

import h5py
import numpy as np

from hyperpino.errors import HyperpinoError

SOLVER_VERSION = "1"
"""Bumped whenever a change of the solvers changes their results (part of the cache key)."""


@dataclass(frozen=True)
class ReferenceSolution:
    """``u (N, N)`` (NaN outside), ``mask (N, N)`` bool, ``x (N,)``, ``y (N,)`` (descending).

    ``method`` is ``"fem-p2"`` (steady) or ``"cn-p2-richardson"`` ((x, t)); ``h`` the mesh size,
    ``dt`` the coarse time step (NaN when steady), ``dofs``/``nodes``/``elements`` the mesh's
    sizes, ``solve_time`` seconds, ``spec_json`` the problem's spec.
    """

    name: str
    u: np.ndarray
    mask: np.ndarray
    x: np.ndarray
    y: np.ndarray
    method: str
    h: float
    dt: float
    dofs: int
    nodes: int
    elements: int
    solve_time: float
    spec_json: str
    version: str = SOLVER_VERSION

    @property
    def values(self) -> np.ndarray:
        """Masked values ``(n_inside,)`` in row-major grid order."""
        return self.u[self.mask]

    def save(self, path: str | Path) -> Path:
        """Write an HDF5 file (datasets u, mask, x, y; everything else as attributes)."""
        from hyperpino.files import write_atomic

        def write(tmp: Path) -> None:
            with h5py.File(tmp, "w") as f:
                for key in ("u", "mask", "x", "y"):
                    f.create_dataset(key, data=getattr(self, key), compression="gzip")
                f.attrs["spec"] = self.spec_json
                for field in fields(self):
                    if field.name not in ("u", "mask", "x", "y", "spec_json"):
                        f.attrs[field.name] = getattr(self, field.name)
                f.attrs["package_version"] = _package_version()

        return write_atomic(path, write)

    @classmethod
    def load(cls, path: str | Path) -> ReferenceSolution:
        try:
            with h5py.File(path, "r") as f:
                data = {k: f[k][()] for k in ("u", "mask", "x", "y")}
                data["spec_json"] = str(f.attrs["spec"])
                for field in fields(cls):
                    if field.name not in data:
                        value = f.attrs[field.name]
                        data[field.name] = value.item() if hasattr(value, "item") else str(value)
        except (OSError, KeyError) as err:
            raise HyperpinoError(f"{path}: not a reference solution file ({err})") from None
        data["mask"] = data["mask"].astype(bool)
        return cls(**data)

    def summary(self) -> dict:
        """Scalars for printing (no arrays)."""
        out = {k: v for k, v in asdict(self).items() if k not in ("u", "mask", "x", "y", "spec_json")}
        # Plain Python scalars: a fresh solve leaves NumPy ones (int32 dofs), which json refuses.
        out = {k: v.item() if isinstance(v, np.generic) else v for k, v in out.items()}
        out = {k: (None if isinstance(v, float) and v != v else v) for k, v in out.items()}  # NaN: JSON
        out["grid"] = int(self.u.shape[0])
        out["inside"] = int(self.mask.sum())
        return out


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hyperpino")
    except PackageNotFoundError:
        return "unknown"
