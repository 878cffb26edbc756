"""Datasets of generated problems in HDF5, written in shards so an interrupted run resumes.

Sample ``i`` depends only on ``(seed, i)``, so shard ``k`` (samples ``k·S … (k+1)·S − 1``) is the same
whoever writes it and whenever. Each shard is written to a temporary file and renamed into place;
a killed run leaves complete shards and at most some temporary files, which the next run deletes
before generating the missing shards. Shards are split over worker processes and over
``torchrun`` ranks (``RANK``/``WORLD_SIZE``); the last rank to finish — in practice rank 0 after
the others — merges them into one chunked, compressed file (also via a temporary file).

Reading goes through :func:`check_file`, the one reader of the layout: every dataset present,
of the right dtype and shape, with the same number (>= 1) of samples, its first and last sample
readable; anything else is one :class:`~hyperpino.errors.DataError` naming the file and dataset.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import torch

from hyperpino.errors import DataError
from hyperpino.files import open_hdf5, write_atomic, write_text_atomic
from hyperpino.mms.config import MMSConfig
from hyperpino.mms.generator import MMSGenerator
from hyperpino.mms.to_spec import recipe_dict
from hyperpino.model.channels import CHANNELS
from hyperpino.pde.terms import N_TERMS

ARRAYS = ("images", "coeffs", "interior", "labels", "source", "boundary", "a", "b", "g", "normal", "code",
          "labelled", "kind", "index")


# name -> (dtype kinds, shape after the sample axis with symbolic sizes G, Ni, Nb)
LAYOUT: dict[str, tuple[str, tuple[int | str, ...]]] = {
    "images": ("f", (len(CHANNELS), "G", "G")), "coeffs": ("f", (N_TERMS,)),
    "interior": ("f", ("Ni", 2)), "labels": ("f", ("Ni", 6)), "source": ("f", ("Ni",)),
    "boundary": ("f", ("Nb", 2)), "a": ("f", ("Nb",)), "b": ("f", ("Nb",)), "g": ("f", ("Nb",)),
    "normal": ("f", ("Nb", 2)), "code": ("iu", ("Nb",)), "labelled": ("biu", ()), "kind": ("iu", ()),
    "index": ("iu", ()), "spec": ("OSU", ()),
}
"""The layout of a dataset file: every name in :data:`ARRAYS` and ``spec``, each ``(n, …)``."""

_KINDS = {"f": "floating-point", "iu": "integer", "biu": "boolean or integer", "OSU": "string"}


@dataclass(frozen=True)
class FileLayout:
    """What :func:`check_file` found: ``n`` samples of ``grid``² images, ``n_interior`` and
    ``n_boundary`` points each."""

    path: Path
    n: int
    grid: int
    n_interior: int
    n_boundary: int


def check_file(path: str | Path) -> FileLayout:
    """Validate a dataset file up front (layout, dtypes, shapes, count, first and last sample
    readable) and return its sizes; raises :class:`DataError` naming what is wrong."""
    path = Path(path)
    with open_hdf5(path) as f:
        sizes: dict[str, int] = {}
        n = None
        for name, (kinds, tail) in LAYOUT.items():
            where = f"{path}: dataset {name!r}"
            obj = f.get(name)
            if not isinstance(obj, h5py.Dataset):
                what = "missing" if obj is None else "not a dataset"
                raise DataError(f"{where} is {what} (a file from `hyperpino mms generate` has "
                                f"{', '.join(LAYOUT)})")
            if obj.dtype.kind not in kinds:
                raise DataError(f"{where} has dtype {obj.dtype}, expected {_KINDS[kinds]}")
            shape = obj.shape
            if len(shape) != 1 + len(tail):
                raise DataError(f"{where} has shape {shape}, expected (n, {', '.join(map(str, tail))})"
                                .replace(", )", ")"))
            n = shape[0] if n is None else n
            if shape[0] != n:
                raise DataError(f"{where} has {shape[0]} samples but 'images' has {n}")
            for size, want in zip(shape[1:], tail, strict=True):
                if isinstance(want, str):
                    want = sizes.setdefault(want, size)
                if size != want or size < 1:
                    raise DataError(f"{where} has shape {shape}, expected (n, "
                                    f"{', '.join(str(sizes.get(t, t)) for t in tail)})")
        if not n:
            raise DataError(f"{path}: holds zero samples")
        for name in LAYOUT:  # damaged or truncated data shows when read
            try:
                f[name][0], f[name][n - 1]
            except (OSError, ValueError, RuntimeError) as err:
                msg = " ".join(str(err).split())[:120]
                raise DataError(f"{path}: dataset {name!r} cannot be read (damaged or truncated file: "
                                f"{msg})") from None
    return FileLayout(path, n, sizes["G"], sizes["Ni"], sizes["Nb"])


def check_files(paths: list[str | Path], *, grid: int | None = None) -> list[FileLayout]:
    """:func:`check_file` for each path; all must share image size (``grid`` when given)."""
    if not paths:
        raise DataError("data: no files given")
    layouts = [check_file(p) for p in paths]
    want = grid if grid is not None else layouts[0].grid
    for lay in layouts:
        if lay.grid != want:
            whose = "the model's grid" if grid is not None else f"{layouts[0].path}'s"
            raise DataError(f"{lay.path}: images are {lay.grid}x{lay.grid} but {whose} is {want}")
    return layouts


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hyperpino")
    except PackageNotFoundError:
        return "unknown"


def _shard_dir(out: Path) -> Path:
    return out.with_name(out.name + ".shards")


def write_shard(cfg: MMSConfig, seed: int, start: int, stop: int, path: Path) -> None:
    """Generate samples ``start … stop − 1`` into ``path`` (:func:`~hyperpino.files.write_atomic`)."""
    gen = MMSGenerator(cfg, seed)
    batch = gen.generate(range(start, stop))

    def write(tmp: Path) -> None:
        with h5py.File(tmp, "w") as f:
            for name in ARRAYS:
                f.create_dataset(name, data=getattr(batch, name).cpu().numpy())
            specs = [json.dumps(recipe_dict(batch.recipes[i], batch.active[i])) for i in range(len(batch))]
            f.create_dataset("spec", data=np.array(specs, dtype=object), dtype=h5py.string_dtype())

    write_atomic(path, write)


def _quiet_worker() -> None:
    """Pool workers leave Ctrl-C to the parent, which stops the pool: a terminal's SIGINT reaches
    the whole process group, and each worker would print its own KeyboardInterrupt traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _work(job):
    torch.set_num_threads(1)
    write_shard(*job)
    return job[4].name


def generate_file(out: str | Path, n: int, cfg: MMSConfig, *, seed: int = 0, workers: int = 1,
                  shard_size: int = 64, progress: bool = True) -> Path:
    """Write ``n`` samples to ``out`` (resuming from existing shards)."""
    out = Path(out)
    rank, world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
    shards = _shard_dir(out)
    shards.mkdir(parents=True, exist_ok=True)
    meta = {"n": n, "seed": seed, "config": cfg.model_dump_json(), "shard_size": shard_size}
    meta_path = shards / "run.json"
    if meta_path.exists() and json.loads(meta_path.read_text()) != meta:
        from hyperpino.errors import HyperpinoError

        raise HyperpinoError(f"{shards}: holds shards of a different run (n, seed, config); remove it first")
    if rank == 0:
        write_text_atomic(meta_path, json.dumps(meta))
    count = (n + shard_size - 1) // shard_size
    paths = [shards / f"shard_{k:06d}.h5" for k in range(count)]
    for k in range(rank, count, world):  # leftovers of a killed run (write_atomic's temporaries)
        for tmp in shards.glob(f".{paths[k].name}.*.tmp"):
            tmp.unlink(missing_ok=True)
    todo = [(cfg, seed, k * shard_size, min(n, (k + 1) * shard_size), paths[k])
            for k in range(count) if k % world == rank and not paths[k].exists()]
    from tqdm import tqdm

    bar = tqdm(total=count, initial=count - len(todo) if world == 1 else 0, unit="shard",
               disable=not progress, file=sys.stderr)
    if workers > 1 and len(todo) > 1:
        with mp.get_context("fork").Pool(workers, initializer=_quiet_worker) as pool:
            for _ in pool.imap_unordered(_work, todo):
                bar.update()
    else:
        for job in todo:
            write_shard(*job)
            bar.update()
    bar.close()
    if rank != 0:
        return out
    while not all(p.exists() for p in paths):  # other ranks still writing
        time.sleep(1.0)
    _merge(out, paths, n, cfg, seed)
    for p in paths:
        p.unlink()
    meta_path.unlink()
    shards.rmdir()
    return out


def _merge(out: Path, paths: list[Path], n: int, cfg: MMSConfig, seed: int) -> None:
    def write(tmp: Path) -> None:
        with h5py.File(tmp, "w") as f:
            f.attrs["config"] = cfg.model_dump_json()
            f.attrs["version"] = _version()
            f.attrs["seed"] = seed
            f.attrs["n"] = n
            f.attrs["channels"] = json.dumps(list(CHANNELS))
            at = 0
            for p in paths:
                with h5py.File(p, "r") as s:
                    m = s["index"].shape[0]
                    for name in (*ARRAYS, "spec"):
                        src = s[name]
                        if name not in f:
                            chunk = (min(16, n), *src.shape[1:])
                            f.create_dataset(name, shape=(n, *src.shape[1:]), dtype=src.dtype, chunks=chunk,
                                             compression="gzip", compression_opts=4)
                        f[name][at : at + m] = src[...]
                    at += m

    write_atomic(out, write)
