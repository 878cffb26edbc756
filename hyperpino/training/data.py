"""Training batches by step: ``batch(step)`` is the same whenever and on whichever process it is made.

On-the-fly data: step ``s`` of rank ``r`` (of ``K``) is samples ``(s·K + r)·B … + B − 1`` of the
manufactured-problem generator (deterministic in (seed, index)), so a resumed run sees exactly the
data an uninterrupted run would, and ranks never share a sample. HDF5 data: the same indices,
modulo the number of stored samples.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import torch
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from hyperpino.errors import HyperpinoError
from hyperpino.model.inputs import Inputs
from hyperpino.pde.geometry import grid_points
from hyperpino.training.batch import TrainBatch


def _rank() -> tuple[int, int]:
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


class StepBatches(IterableDataset):
    """Yields ``(step, TrainBatch)`` for ``step = start, start + 1, …`` (each worker takes every
    ``num_workers``-th step; a DataLoader returns them in order)."""

    def __init__(self, mms_cfg, *, seed: int, batch_size: int, start: int, data: tuple[str, ...] = ()):
        self.cfg, self.seed, self.batch_size, self.start, self.data = mms_cfg, seed, batch_size, start, data
        if data:  # here, in the training process: a worker's error would arrive with its traceback
            from hyperpino.mms.hdf5 import check_files

            check_files(list(data), grid=mms_cfg.grid)

    def indices(self, step: int) -> range:
        rank, world = _rank()
        first = (step * world + rank) * self.batch_size
        return range(first, first + self.batch_size)

    def __iter__(self) -> Iterator[tuple[int, TrainBatch]]:
        info = get_worker_info()
        wid, nw = (info.id, info.num_workers) if info else (0, 1)
        if info is not None:
            torch.set_num_threads(1)  # generation workers share the cores with the training process
        make = self._from_files() if self.data else self._generator()
        step = self.start + wid
        while True:
            yield step, make(self.indices(step))
            step += nw

    def _generator(self):
        from hyperpino.mms import MMSGenerator

        gen = MMSGenerator(self.cfg, self.seed)
        return lambda idx: TrainBatch.from_mms(gen.generate(idx), self.cfg.band_px)

    def _from_files(self):
        from hyperpino.mms import H5Dataset

        ds = H5Dataset(list(self.data))
        g = self.cfg.grid

        def make(idx: range) -> TrainBatch:
            items = [ds[i % len(ds)] for i in idx]
            st = {k: torch.stack([it[k] for it in items]) for k in items[0] if k != "spec"}
            b = len(items)
            # Stored files carry no band geometry: the error-problem images of these samples would
            # be approximate, so the trainer does not build refinement-style inputs from them.
            foot = grid_points(g, dtype=st["images"].dtype).reshape(1, -1, 2).expand(b, -1, -1)
            inputs = Inputs(st["images"], st["coeffs"], foot, torch.zeros_like(foot))
            return TrainBatch(inputs=inputs, interior=st["interior"], source=st["source"],
                              labels=st["labels"], labelled=st["labelled"].bool(), boundary=st["boundary"],
                              a=st["a"], b=st["b"], g=st["g"], direction=st["normal"])

        return make


def step_loader(dataset: StepBatches, workers: int, *, pin_memory: bool = False
                ) -> Iterator[tuple[int, TrainBatch]]:
    """An iterator over ``dataset`` with ``workers`` background processes (0: in this process);
    ``pin_memory`` for a GPU (host-to-device copies then overlap with compute)."""
    if workers == 0:
        return iter(dataset)
    return _project_errors(iter(DataLoader(dataset, batch_size=None, num_workers=workers, prefetch_factor=4,
                                           persistent_workers=False, pin_memory=pin_memory)))


def _project_errors(batches: Iterator) -> Iterator:
    """Re-raise a worker's project error as one line: the DataLoader hands it over with the
    worker's traceback in its message."""
    try:
        yield from batches
    except (HyperpinoError, RuntimeError) as err:
        lines = str(err).strip().splitlines()
        name, _, message = lines[-1].partition(": ") if lines else ("", "", "")
        if len(lines) > 1 and name.startswith("hyperpino.errors."):
            raise HyperpinoError(message) from None
        raise
