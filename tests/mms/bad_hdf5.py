"""A corpus of bad HDF5 files for ``train --data`` (the layout of ``hyperpino mms generate``),
each made from a good file by one damage. Each case: ``(name, damage, expected)``;
``damage(good, dst)`` writes ``dst``. (A uniquely named module rather than ``conftest``.)"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np


def _copy_edit(edit: Callable[[h5py.File], None]):
    def damage(good: Path, dst: Path) -> None:
        shutil.copy(good, dst)
        with h5py.File(dst, "r+") as f:
            edit(f)

    return damage


def _rebuild(change: Callable[[dict], None]):
    """All datasets read into memory, changed, and written to a fresh file."""

    def damage(good: Path, dst: Path) -> None:
        with h5py.File(good, "r") as f:
            data = {k: f[k][()] for k in f}
        change(data)
        with h5py.File(dst, "w") as f:
            for k, v in data.items():
                if v is None:
                    continue
                if v.dtype == object:
                    f.create_dataset(k, data=v, dtype=h5py.string_dtype())
                else:
                    f.create_dataset(k, data=v)

    return damage


def _bytes(content: bytes):
    def damage(good: Path, dst: Path) -> None:
        dst.write_bytes(content)

    return damage


def _truncate(fraction: float):
    def damage(good: Path, dst: Path) -> None:
        raw = good.read_bytes()
        dst.write_bytes(raw[: int(len(raw) * fraction)])

    return damage


def _scribble(at: float):
    def damage(good: Path, dst: Path) -> None:
        raw = bytearray(good.read_bytes())
        i = int(len(raw) * at)
        raw[i : i + 256] = b"\xaa" * 256
        dst.write_bytes(bytes(raw))

    return damage


def _set(name: str, make: Callable[[np.ndarray], np.ndarray | None]):
    def change(d: dict) -> None:
        d[name] = make(d[name])

    return _rebuild(change)


def _all(make: Callable[[np.ndarray], np.ndarray]):
    def change(d: dict) -> None:
        for k in d:
            d[k] = make(d[k])

    return _rebuild(change)


def _group(name: str):
    def edit(f: h5py.File) -> None:
        del f[name]
        f.create_group(name)

    return _copy_edit(edit)


def _directory(good: Path, dst: Path) -> None:
    dst.mkdir()


def _missing(good: Path, dst: Path) -> None:
    pass


def _nan_in(name: str):
    def make(a: np.ndarray) -> np.ndarray:
        a = a.copy()
        a.reshape(a.shape[0], -1)[-1, 0] = np.nan
        return a

    return _set(name, make)


CASES: list[tuple[str, Callable, str]] = [
    ("missing_file", _missing, "no such data file"),
    ("directory", _directory, "no such data file"),
    ("empty", _bytes(b""), "not a readable HDF5 file (empty file)"),
    ("bad_magic", _bytes(b"\x89HDF\r\n\x1a\x0b" + b"\0" * 600), "not a readable HDF5 file"),
    ("text_file", _bytes(b"images,coeffs\n1,2\n"), "not a readable HDF5 file"),
    ("truncated_10", _truncate(0.1), "not a readable HDF5 file"),
    ("truncated_60", _truncate(0.6), "truncated"),
    ("truncated_95", _truncate(0.95), ""),
    ("scribbled_40", _scribble(0.4), ""),
    ("scribbled_70", _scribble(0.7), ""),
    ("missing_labels", _set("labels", lambda a: None), "dataset 'labels' is missing"),
    ("missing_spec", _set("spec", lambda a: None), "dataset 'spec' is missing"),
    ("images_a_group", _group("images"), "dataset 'images' is not a dataset"),
    ("images_int", _set("images", lambda a: a.astype(np.int32)), "dataset 'images' has dtype int32"),
    ("images_strings", _set("images", lambda a: a.astype("S8")), "dataset 'images' has dtype"),
    ("labelled_float", _set("labelled", lambda a: a.astype(np.float32)), "dataset 'labelled' has dtype"),
    ("code_float", _set("code", lambda a: a.astype(np.float32)), "dataset 'code' has dtype float32"),
    ("spec_numbers", _set("spec", lambda a: np.zeros(len(a))), "dataset 'spec' has dtype float64"),
    ("images_scalar", _set("images", lambda a: np.float32(1.0)), "dataset 'images' has shape ()"),
    ("images_3d", _set("images", lambda a: a[:, 0]), "dataset 'images' has shape"),
    ("images_9_channels", _set("images", lambda a: a[:, :9]), "dataset 'images' has shape"),
    ("images_not_square", _set("images", lambda a: a[..., :8]), "dataset 'images' has shape"),
    ("coeffs_5", _set("coeffs", lambda a: a[:, :5]), "dataset 'coeffs' has shape"),
    ("interior_3d_points", _set("interior", lambda a: np.concatenate([a, a[..., :1]], -1)),
     "dataset 'interior' has shape"),
    ("labels_fewer_points", _set("labels", lambda a: a[:, :-1]), "dataset 'labels' has shape"),
    ("a_fewer_points", _set("a", lambda a: a[:, :-1]), "dataset 'a' has shape"),
    ("index_one_short", _set("index", lambda a: a[:-1]), "dataset 'index' has"),
    ("zero_samples", _all(lambda a: a[:0]), "holds zero samples"),
    ("zero_points", _rebuild(lambda d: d.update({k: d[k][:, :0] for k in ("interior", "labels", "source")})),
     "dataset 'interior' has shape"),
    ("other_grid", _set("images", lambda a: np.repeat(np.repeat(a, 2, -1), 2, -2)), "the model's grid is 16"),
    ("nan_source", _nan_in("source"), "has NaN or infinite values in 'source'"),
    ("inf_images", _nan_in("images"), "has NaN or infinite values in 'images'"),
]
