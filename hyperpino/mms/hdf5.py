"""Datasets of generated problems in HDF5, written in shards so an interrupted run resumes.

Sample ``i`` depends only on ``(seed, i)``, so shard ``k`` (samples ``k·S … (k+1)·S − 1``) is the same
whoever writes it and whenever. Each shard is written to a temporary file and renamed into place;
a killed run leaves complete shards and at most some temporary files, which the next run deletes
before generating the missing shards. Shards are split over worker processes and over
``torchrun`` ranks (``RANK``/``WORLD_SIZE``); the last rank to finish — in practice rank 0 after
the others — merges them into one chunked, compressed file (also via a temporary file).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import torch

from hyperpino.mms.config import MMSConfig
from hyperpino.mms.generator import MMSGenerator
from hyperpino.mms.to_spec import recipe_dict
from hyperpino.model.channels import CHANNELS

ARRAYS = ("images", "coeffs", "interior", "labels", "source", "boundary", "a", "b", "g", "normal", "code",
          "labelled", "kind", "index")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hyperpino")
    except PackageNotFoundError:
        return "unknown"


def _shard_dir(out: Path) -> Path:
    return out.with_name(out.name + ".shards")


def write_shard(cfg: MMSConfig, seed: int, start: int, stop: int, path: Path) -> None:
    """Generate samples ``start … stop − 1`` into ``path`` (via ``path.tmp``, renamed)."""
    gen = MMSGenerator(cfg, seed)
    batch = gen.generate(range(start, stop))
    tmp = path.with_suffix(".tmp")
    with h5py.File(tmp, "w") as f:
        for name in ARRAYS:
            f.create_dataset(name, data=getattr(batch, name).cpu().numpy())
        specs = [json.dumps(recipe_dict(batch.recipes[i], batch.active[i])) for i in range(len(batch))]
        f.create_dataset("spec", data=np.array(specs, dtype=object), dtype=h5py.string_dtype())
    os.replace(tmp, path)


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
        meta_path.write_text(json.dumps(meta))
    count = (n + shard_size - 1) // shard_size
    paths = [shards / f"shard_{k:06d}.h5" for k in range(count)]
    for k in range(rank, count, world):  # leftovers of a killed run: only this rank's shards
        paths[k].with_suffix(".tmp").unlink(missing_ok=True)
    todo = [(cfg, seed, k * shard_size, min(n, (k + 1) * shard_size), paths[k])
            for k in range(count) if k % world == rank and not paths[k].exists()]
    from tqdm import tqdm

    bar = tqdm(total=count, initial=count - len(todo) if world == 1 else 0, unit="shard",
               disable=not progress, file=sys.stderr)
    if workers > 1 and len(todo) > 1:
        with mp.get_context("fork").Pool(workers) as pool:
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
    tmp = out.with_name(out.name + ".tmp")
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
    os.replace(tmp, out)
