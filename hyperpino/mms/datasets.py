"""Torch datasets: a map-style :class:`H5Dataset` over files and an on-the-fly :class:`StreamDataset`.

The stream generates batches on the training device (no disk), deterministic in
``(seed, index)`` and split over DataLoader workers and ``torchrun`` ranks by index.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Iterator
from pathlib import Path

import h5py
import torch
from torch.utils.data import Dataset, IterableDataset, get_worker_info

from hyperpino.errors import DataError
from hyperpino.mms.batch import Batch
from hyperpino.mms.config import MMSConfig
from hyperpino.mms.generator import MMSGenerator
from hyperpino.mms.hdf5 import ARRAYS, check_files


class H5Dataset(Dataset):
    """Samples of one or many files written by ``hyperpino mms generate``; item: dict of tensors
    (fields of :class:`~hyperpino.mms.batch.Batch` without the leading axis, plus ``spec`` JSON).
    The files are checked up front (:func:`~hyperpino.mms.hdf5.check_files`) and each sample's
    values when read (finite), so bad data is a :class:`DataError` naming file and sample."""

    def __init__(self, paths: str | Path | list):
        self.paths = [Path(p) for p in ([paths] if isinstance(paths, (str, Path)) else paths)]
        self.layouts = check_files(self.paths)  # the one reader of the layout: fails here, not mid-run
        self.sizes = [lay.n for lay in self.layouts]
        self.offsets = [0]
        for s in self.sizes:
            self.offsets.append(self.offsets[-1] + s)
        self._files: dict[int, h5py.File] = {}

    def __len__(self) -> int:
        return self.offsets[-1]

    def __getitem__(self, i: int) -> dict:
        if not 0 <= i < len(self):
            raise IndexError(i)
        k = bisect.bisect_right(self.offsets, i) - 1
        f = self._files.get(k)
        if f is None:  # opened lazily, per process (h5py handles do not survive fork)
            f = self._files[k] = h5py.File(self.paths[k], "r")
        j = i - self.offsets[k]
        try:
            out = {name: torch.as_tensor(f[name][j]) for name in ARRAYS}
            spec = f["spec"][j]
        except (OSError, ValueError, RuntimeError) as err:  # damage inside the file, past the checks
            msg = " ".join(str(err).split())[:120]
            raise DataError(f"{self.paths[k]}: sample {j} cannot be read (damaged file: {msg})") from None
        for name, v in out.items():
            if v.is_floating_point() and not bool(torch.isfinite(v).all()):
                raise DataError(f"{self.paths[k]}: sample {j} has NaN or infinite values in {name!r}")
        out["spec"] = spec.decode() if isinstance(spec, bytes) else spec
        return out


class StreamDataset(IterableDataset):
    """Endless batches of ``batch_size`` fresh samples generated on ``device``; yields :class:`Batch`.

    Indices ``start, start + stride, …`` with the stride spread over ranks and workers, so no two
    consumers ever produce the same sample.
    """

    def __init__(self, cfg: MMSConfig | None = None, *, seed: int = 0, batch_size: int = 64,
                 device: str = "cpu", start: int = 0, limit: int | None = None):
        self.cfg, self.seed, self.batch_size = cfg or MMSConfig(), seed, batch_size
        self.device, self.start, self.limit = device, start, limit

    def __iter__(self) -> Iterator[Batch]:
        info = get_worker_info()
        wid, nw = (info.id, info.num_workers) if info else (0, 1)
        rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
        consumer, consumers = rank * nw + wid, world * nw
        gen = MMSGenerator(self.cfg, self.seed, device=self.device)
        block = self.start + consumer * self.batch_size
        made = 0
        while self.limit is None or made < self.limit:
            yield gen.generate(range(block, block + self.batch_size))
            made += 1
            block += consumers * self.batch_size
