"""Benchmarks: ``hyperpino bench NAME [--quick]``.

Each benchmark is a module ``hyperpino.bench.<name>`` with a function

    run(quick: bool, out_dir: pathlib.Path) -> dict

that does the measurement (progress on stderr), may write figures into ``out_dir`` and returns its
figures as a JSON-serialisable dict; the CLI prints that dict as one JSON object on the last line of
stdout. Comparisons are ratios measured within the same run, since the machines are shared.
"""

from __future__ import annotations

import importlib
from types import ModuleType

BENCHMARKS: dict[str, str] = {
    "residual": "batched residual engine vs the per-model autograd loop (HyPINO reference)",
    "mip": "magnitude-invariant parametrisation vs a plain hypernetwork: steps to a loss threshold",
    "mms": "manufactured-problem generator: labelled samples/s at 64² and 224² grids (CPU)",
    "continual": "hypernetwork continual learning vs EWC/SI/fine-tuning: Split/Permuted MNIST, CL1/CL3",
    "train": "HyPINO training samples/s (small on CPU; small and paper with MFU on a GPU)",
    "hypino": "HyPINO on the seven benchmarks: zero-shot, refined, fine-tuned, vs a PINN from scratch",
    "pinn": "the PINN from scratch vs DeepXDE's documented examples, 30/60/120 s, one thread each",
    "mixer": "MixER (M = 1, 3, 10) vs naive softmax mixture on ODEBench-10 and Lotka–Volterra (CPU, small)",
    "frame": "the balanced frame vs the box's own on elongated/anisotropic problems, scratch and model",
}


def load(name: str) -> ModuleType:
    """Import the benchmark module ``hyperpino.bench.<name>``."""
    return importlib.import_module(f"hyperpino.bench.{name}")
