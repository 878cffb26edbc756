"""Trajectory datasets of ODE families: families -> environments -> trajectories, and their HDF5 files.

Layout of a file (``hyperpino mixer data`` writes it; user files in the same layout are accepted)::

    /                  attrs: format = "hyperpino.mixer/1", suite (str), families (JSON list of names)
    /<split>/X         (E, N, T, d) float   N trajectories of T states of dimension d per environment
    /<split>/t         (E, T) float         strictly increasing times, t[e] = t[e, 0] + S_e · τ with one
                                            normalised grid τ ∈ [0, 1] shared by all environments
    /<split>/family    (E,) int             index into the root's ``families`` (-1: unknown)
    /<split>/env_id    (E,) int             environment identity; test shares train's, adapt_test adapt's
    /<split>/params    (E, P) float         true parameters, NaN-padded (optional; for reports only)

``<split>`` is one of ``train``, ``test`` (new initial conditions of the training environments),
``adapt`` (new environments, few trajectories), ``adapt_test`` (new initial conditions of those)
and ``val`` (further new initial conditions of the training environments, for model selection and
searches, so the test split is never tuned on). Only ``train`` is required. Environments differ in
their time span ``S_e`` (ODEBench families have different horizons); the model integrates in τ and
scales its vector field by ``S_e``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hyperpino.errors import SpecError
from hyperpino.files import open_hdf5, write_atomic

FORMAT = "hyperpino.mixer/1"
SPLITS = ("train", "test", "adapt", "adapt_test", "val")


@dataclass
class Split:
    """One split: ``X (E, N, T, d)``, ``t (E, T)``, ``family (E,)``, ``env_id (E,)``, ``params (E, P)``."""

    X: np.ndarray
    t: np.ndarray
    family: np.ndarray
    env_id: np.ndarray
    params: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))

    @property
    def n_envs(self) -> int:
        return self.X.shape[0]

    @property
    def span(self) -> np.ndarray:
        """``S_e = t[e, -1] − t[e, 0]``, shape ``(E,)``."""
        return self.t[:, -1] - self.t[:, 0]

    @property
    def tau(self) -> np.ndarray:
        """The shared normalised time grid ``τ (T,)``, from 0 to 1."""
        return (self.t[0] - self.t[0, 0]) / self.span[0]

    def validate(self, where: str) -> None:
        """Raise :class:`SpecError` naming the dataset and what is wrong with it."""
        X, t = self.X, self.t
        if X.ndim != 4:
            raise SpecError(f"{where}/X", f"expected shape (E, N, T, d), got {X.shape}")
        e, _, n_t, _ = X.shape
        if min(X.shape) < 1 or n_t < 2:
            raise SpecError(f"{where}/X", f"needs E, N, d >= 1 and T >= 2, got {X.shape}")
        if t.shape != (e, n_t):
            raise SpecError(f"{where}/t", f"expected shape (E={e}, T={n_t}), got {t.shape}")
        if not np.all(np.isfinite(X)):
            raise SpecError(f"{where}/X", "contains NaN or infinite values")
        if not np.all(np.isfinite(t)) or not np.all(np.diff(t, axis=1) > 0):
            raise SpecError(f"{where}/t", "times must be finite and strictly increasing in every environment")
        tau = (t - t[:, :1]) / (t[:, -1:] - t[:, :1])
        bad = np.flatnonzero(np.abs(tau - tau[:1]).max(axis=1) > 1e-6)
        if bad.size:
            raise SpecError(f"{where}/t", f"environment {bad[0]}: its time grid is not a rescaling of "
                            "environment 0's (t[e] = t[e,0] + S_e·τ with one τ for all)")
        for name, arr in (("family", self.family), ("env_id", self.env_id)):
            if arr.shape != (e,):
                raise SpecError(f"{where}/{name}", f"expected shape (E={e},), got {arr.shape}")
        if self.params.size and self.params.shape[0] != e:
            raise SpecError(f"{where}/params", f"expected {e} rows, got {self.params.shape[0]}")


@dataclass
class Dataset:
    """The splits of one suite and the names of its families."""

    splits: dict[str, Split]
    families: list[str]
    suite: str = "user"

    def __getitem__(self, split: str) -> Split:
        if split not in self.splits:
            raise SpecError(split, f"the dataset has no split {split!r} (has: {', '.join(self.splits)})")
        return self.splits[split]

    @property
    def dim(self) -> int:
        return self["train"].X.shape[-1]


def save(ds: Dataset, path: str | os.PathLike) -> None:
    """Write ``ds`` as HDF5 (chunked, compressed), via a temporary file renamed into place."""
    import h5py

    def write(tmp: Path) -> None:
        with h5py.File(tmp, "w") as f:
            f.attrs.update(format=FORMAT, suite=ds.suite, families=json.dumps(ds.families))
            for name, s in ds.splits.items():
                g = f.create_group(name)
                g.create_dataset("X", data=s.X.astype(np.float32), compression="gzip",
                                 chunks=(1, *s.X.shape[1:]))
                for key in ("t", "family", "env_id", "params"):
                    g.create_dataset(key, data=getattr(s, key))

    write_atomic(path, write)


def load(path: str | os.PathLike) -> Dataset:
    """Read and validate a dataset file; every problem is a one-line :class:`SpecError` naming the
    file and the dataset (:class:`DataError` from :func:`~hyperpino.files.open_hdf5` when the file
    is missing or not HDF5: empty, bad magic, truncated), a missing group or dataset, a
    dataset of the wrong dtype or shape, unreadable (damaged) data, zero environments or
    trajectories, non-finite values, or times that are not one shared grid."""
    import h5py

    path = Path(path)
    with open_hdf5(path) as f:
        if not isinstance(f.get("train"), h5py.Group):
            raise SpecError(str(path), "has no 'train' group (see docs/mixer.md for the layout)")
        families = _families(path, f.attrs.get("families", "[]"))
        splits = {}
        for name in SPLITS:
            if name not in f:
                continue
            g = f[name]
            where = f"{path.name}:/{name}"
            if not isinstance(g, h5py.Group):
                raise SpecError(where, "expected a group of datasets (X, t, ...)")
            X = _array(g, "X", where, "f", required=True)
            e = X.shape[0] if X.ndim else 0
            fam = _array(g, "family", where, "iu")
            env = _array(g, "env_id", where, "iu")
            params = _array(g, "params", where, "f")
            s = Split(X.astype(np.float64), _array(g, "t", where, "f", required=True).astype(np.float64),
                      np.full(e, -1) if fam is None else fam.astype(np.int64),
                      np.arange(e) if env is None else env.astype(np.int64),
                      np.zeros((0, 0)) if params is None else params.astype(np.float64))
            s.validate(where)
            known = len(families) if families else None
            if known is not None and np.any((s.family < -1) | (s.family >= known)):
                raise SpecError(f"{where}/family", f"indices must be -1 or in [0, {known - 1}] "
                                f"(the root's families), got {s.family.min()}..{s.family.max()}")
            splits[name] = s
        suite = str(f.attrs.get("suite", "user"))
    dims = {n: s.X.shape[-1] for n, s in splits.items()}
    if len(set(dims.values())) != 1:
        raise SpecError(str(path), f"state dimensions differ between splits: {dims}")
    return Dataset(splits, families, suite)


_KINDS = {"f": "floating-point", "iu": "integer"}


def _array(group, key: str, where: str, kinds: str, *, required: bool = False) -> np.ndarray | None:
    """``group[key]`` read whole after checking it is a dataset of a dtype kind in ``kinds``."""
    import h5py

    obj = group.get(key)
    if obj is None:
        if required:
            raise SpecError(where, f"missing dataset {key!r}")
        return None
    if not isinstance(obj, h5py.Dataset):
        raise SpecError(f"{where}/{key}", "is not a dataset")
    ok = obj.dtype.kind in kinds or (kinds == "f" and obj.dtype.kind in "iu")  # integer data is exact
    if not ok:
        raise SpecError(f"{where}/{key}", f"has dtype {obj.dtype}, expected {_KINDS[kinds]}")
    try:
        return np.asarray(obj[()])
    except (OSError, ValueError, RuntimeError) as err:
        msg = " ".join(str(err).split())[:120]
        raise SpecError(f"{where}/{key}", f"cannot be read (damaged or truncated file: {msg})") from None


def _families(path: Path, raw) -> list[str]:
    """The root's ``families`` attribute: a JSON list of names."""
    try:
        value = json.loads(raw.decode() if isinstance(raw, bytes) else str(raw))
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SpecError(f"{path.name}:/families", "attribute must be a JSON list of names")
    return value
