"""Readers for the standard image files a user may already have (never downloaded).

* MNIST / Fashion-MNIST IDX files (LeCun et al.; Xiao et al. 2017): ``train-images-idx3-ubyte``,
  ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``, ``t10k-labels-idx1-ubyte``, each
  optionally ``.gz``.
* CIFAR-10 / CIFAR-100 "python version" batches (Krizhevsky 2009): ``data_batch_1..5`` and
  ``test_batch`` (CIFAR-10), ``train`` and ``test`` (CIFAR-100), pickled dicts of uint8 rows.

A missing or malformed file raises a one-line :class:`~hyperpino.errors.HyperpinoError` naming it
(the CLI prints it and exits with code 2).
"""

from __future__ import annotations

import gzip
import pickle
import zlib
from pathlib import Path

import numpy as np

from hyperpino.errors import HyperpinoError

Arrays = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _find(directory: Path, stem: str, what: str) -> Path:
    for candidate in (directory / stem, directory / f"{stem}.gz"):
        if candidate.is_file():
            return candidate
    raise HyperpinoError(
        f"data: {what} needs {stem}[.gz] in {directory} (not found; hyperpino never downloads data)"
    )


def read_idx(path: Path) -> np.ndarray:
    """One IDX file (magic ``0x0000 08 ndim``, big-endian int32 sizes, uint8 data) -> array.

    A file that is not one (bad magic, truncated header, a size that disagrees with the header,
    a damaged gzip stream) raises a one-line :class:`~hyperpino.errors.HyperpinoError`."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError, zlib.error) as err:  # gzip.BadGzipFile is an OSError
        raise HyperpinoError(f"data: {path} cannot be read ({type(err).__name__}: {err})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08 or not 1 <= raw[3] <= 4:
        magic = raw[:4].hex() or "none"
        raise HyperpinoError(f"data: {path} is not an unsigned-byte IDX file (magic {magic}, expected "
                             "000008 followed by 1-4 dimensions)")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise HyperpinoError(f"data: {path} ends inside its IDX header ({len(raw)} bytes)")
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise HyperpinoError(f"data: {path} holds {data.size} bytes of data, its header says {dims} "
                             f"({int(np.prod(dims))} bytes)")
    return data.reshape(dims)


def load_idx_dir(directory: str | Path, what: str = "MNIST") -> Arrays:
    """``(x_train (N, H, W) uint8, y_train (N,) int64, x_test, y_test)`` from a folder of IDX
    files; checks that images are 3-d with one size, that each image file has a label per image
    and that labels are digits 0-9 (MNIST and Fashion-MNIST both have 10 classes)."""
    d = Path(directory)
    if not d.is_dir():
        raise HyperpinoError(f"--data-dir: {d} is not a folder")
    stems = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    paths = [_find(d, s, what) for s in stems]
    xtr, ytr, xte, yte = (read_idx(p) for p in paths)
    for (x, px), (y, py) in (((xtr, paths[0]), (ytr, paths[1])), ((xte, paths[2]), (yte, paths[3]))):
        if x.ndim != 3:
            raise HyperpinoError(f"data: {px} holds {x.ndim}-d data, expected images (N, H, W)")
        if y.ndim != 1 or len(y) != len(x):
            raise HyperpinoError(f"data: {py} holds labels of shape {y.shape}, expected ({len(x)},) "
                                 f"for the images of {px.name}")
        if y.size and y.max() > 9:
            raise HyperpinoError(f"data: {py} has label {int(y.max())}, expected 0-9")
    if xtr.shape[1:] != xte.shape[1:]:
        raise HyperpinoError(f"data: training images are {xtr.shape[1:]}, test images {xte.shape[1:]}")
    return xtr, ytr.astype(np.int64), xte, yte.astype(np.int64)


class _ArraysOnly(pickle.Unpickler):
    """An unpickler for the CIFAR python batches that can build nothing but data.

    Pickle is that dataset's format, and a plain ``pickle.load`` would run whatever callable a
    tampered file names; here only NumPy's array reconstruction is allowed (the batches hold dicts
    of bytes, lists, ints and arrays), anything else is refused with a one-line error.
    """

    _ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
                ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
                ("numpy", "ndarray"), ("numpy", "dtype"),
                ("_codecs", "encode")}  # how protocol-2 pickles spell bytes

    def find_class(self, module: str, name: str):
        if (module, name) not in self._ALLOWED:
            raise HyperpinoError(f"data: refusing to load {module}.{name} from a dataset file "
                                 "(only arrays and plain Python data are allowed)")
        return super().find_class(module, name)


def _unpickle(path: Path) -> dict:
    with open(path, "rb") as fh:
        try:
            return _ArraysOnly(fh, encoding="bytes").load()
        except (pickle.UnpicklingError, EOFError, ValueError) as err:
            raise HyperpinoError(f"data: {path} is not a CIFAR python batch ({err})") from None


def _cifar_rows(batch: dict, label_key: bytes) -> tuple[np.ndarray, np.ndarray]:
    data = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
    return data, np.asarray(batch[label_key], dtype=np.int64)


def load_cifar10_dir(directory: str | Path) -> Arrays:
    """``(x_train (50000, 3, 32, 32) uint8, y_train, x_test, y_test)`` from ``cifar-10-batches-py``."""
    d = Path(directory)
    parts = [_cifar_rows(_unpickle(_find(d, f"data_batch_{i}", "CIFAR-10")), b"labels") for i in range(1, 6)]
    xte, yte = _cifar_rows(_unpickle(_find(d, "test_batch", "CIFAR-10")), b"labels")
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]), xte, yte


def load_cifar100_dir(directory: str | Path) -> Arrays:
    """The same for ``cifar-100-python`` (fine labels, 100 classes)."""
    d = Path(directory)
    xtr, ytr = _cifar_rows(_unpickle(_find(d, "train", "CIFAR-100")), b"fine_labels")
    xte, yte = _cifar_rows(_unpickle(_find(d, "test", "CIFAR-100")), b"fine_labels")
    return xtr, ytr, xte, yte
