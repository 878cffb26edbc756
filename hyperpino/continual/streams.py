"""The random streams of a continual-learning run, and how a checkpoint carries them.

A run draws random numbers from three kinds of stream:

* the per-task training stream (mini-batches, shifts; EWC's sampled labels): a generator and the
  global torch RNG, both seeded from ``(seed, task)`` when a task starts (:func:`task_seed`);
* the method's own generators (:meth:`~hyperpino.continual.methods.base.Method.generators`), e.g.
  the one choosing which old tasks HNET regularises at each step; they run across tasks, so they
  are seeded once from the run's seed (:func:`seed_method`) and their states are saved with every
  checkpoint;
* the global torch RNG state at the checkpoint, saved too (nothing depends on it today, since each
  task reseeds it, but a resumed run then starts from exactly the state the interrupted one had).

:func:`capture` turns them into ``uint8`` tensors stored next to the method's state (keys
``PREFIX + name``); :func:`restore` puts them back. A run resumed from a checkpoint therefore
draws the same numbers as an uninterrupted one.
"""

from __future__ import annotations

import zlib

import numpy as np
import torch
from torch import Tensor

from hyperpino.errors import CheckpointError

PREFIX = "_rng."
"""Key prefix of the stream states in ``state.safetensors`` (never a method's state-dict key)."""

GLOBAL = "torch"
"""Name of the global torch RNG among the saved streams."""


def task_seed(seed: int, task: int) -> int:
    """The seed of task ``task``'s training stream in a run with ``seed``."""
    return seed * 1000 + task


def stream_seed(seed: int, name: str) -> int:
    """A 63-bit seed for the method stream ``name`` of a run with ``seed`` (distinct streams and
    distinct seeds give unrelated numbers: NumPy's ``SeedSequence`` mixes them)."""
    entropy = [seed, zlib.crc32(name.encode())]
    return int(np.random.SeedSequence(entropy).generate_state(1, np.uint64)[0] >> np.uint64(1))


def seed_method(method, seed: int) -> None:
    """Seed each of ``method``'s generators from the run's ``seed`` (a fresh run)."""
    for name, gen in method.generators().items():
        gen.manual_seed(stream_seed(seed, name))


def capture(method) -> dict[str, Tensor]:
    """The states of the global torch RNG and of ``method``'s generators, ``PREFIX + name ->
    (S,) uint8``."""
    states = {GLOBAL: torch.get_rng_state(), **{n: g.get_state() for n, g in method.generators().items()}}
    return {PREFIX + n: s.clone() for n, s in states.items()}


def restore(method, saved: dict[str, Tensor], where: str) -> None:
    """Put the states :func:`capture` saved back; ``where`` names the file in errors."""
    own = {GLOBAL, *method.generators()}
    found = {k[len(PREFIX):] for k in saved if k.startswith(PREFIX)}
    if found != own:
        raise CheckpointError(f"{where}: random-stream states {sorted(found)} do not fit the method's "
                              f"{sorted(own)}")
    torch.set_rng_state(saved[PREFIX + GLOBAL])
    for name, gen in method.generators().items():
        gen.set_state(saved[PREFIX + name])
