"""``hyperpino bench mms``: labelled manufactured samples per second at 64² and 224² grids.

Each sample: images at G², 2048 interior points with u and its five derivatives, 2048 boundary
rows. The structure templates (sympy text, used to keep specs within their size limits) are built
in a warm-up run first (reported separately), as a long-running generator builds each once.
Rates are measured with the generator's default of one torch thread (one core: the speed-up over
the reference is per core) and again with this process's thread setting: on a shared,
oversubscribed machine intra-op threads can cost more than they give. HyPINO's reference
generator makes ~1 sample/s per CPU core at 224² (Bischof et al. 2025, arXiv 2509.05117;
measured in the reference notes, §3.1).

``--device cuda`` also runs the generator on the GPU (it is torch throughout) and compares it with
the CPU workers of the same machine: one single-threaded process per core generating at once, as
``hyperpino mms generate --workers`` does (full run, or any run on CUDA).
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import time
from pathlib import Path

import torch

from hyperpino.bench._timing import bench_device, cpu_threads
from hyperpino.mms.config import MMSConfig
from hyperpino.mms.generator import MMSGenerator
from hyperpino.mms.templates import cache_size

OPTIONS = ("device",)
"""The options of ``hyperpino bench`` this benchmark takes (as keyword arguments of :func:`run`)."""
REFERENCE_PER_CORE = 1.0
GPU_BATCH = {False: 1024, True: 128}
"""Samples per GPU ``generate`` call (full, quick): a GPU wants whole batches."""


def _worker(grid: int, batch: int, seed: int, ready, go, done) -> None:
    gen = MMSGenerator(MMSConfig(grid=grid), seed=seed, threads=1)
    gen.generate(range(8))  # templates and caches built before the clock starts
    ready.release()
    go.wait()
    start = time.time()
    gen.generate(range(1000, 1000 + batch))
    done.put((start, time.time()))


def worker_rate(grid: int, workers: int, batch: int) -> float:
    """Samples/s of ``workers`` single-threaded processes generating ``batch`` samples each at once
    (from the first start to the last finish; start-up and warm-up untimed)."""
    ctx = mp.get_context("spawn")  # a clean interpreter per worker, as DataLoader workers on CUDA
    ready, go, done = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(grid, batch, 100 + i, ready, go, done), daemon=True)
             for i in range(workers)]
    for proc in procs:
        proc.start()
    try:
        for _ in procs:
            ready.acquire()
        go.set()
        spans = [done.get(timeout=600) for _ in procs]
    finally:
        for proc in procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.terminate()
    return workers * batch / (max(e for _, e in spans) - min(s for s, _ in spans))


def _gpu_rate(grid: int, batch: int, rounds: int) -> float:
    gen = MMSGenerator(MMSConfig(grid=grid), seed=7, device="cuda")
    gen.generate(range(batch))  # kernels, caches and allocator warmed up
    torch.cuda.synchronize()
    t, start = time.perf_counter(), 10_000
    for r in range(rounds):
        gen.generate(range(start + r * batch, start + (r + 1) * batch))
    torch.cuda.synchronize()
    return rounds * batch / (time.perf_counter() - t)


def run(quick: bool, out_dir: Path, *, device: str | None = None) -> dict:
    device = bench_device("mms", device)
    batch = 64 if quick else 256
    rounds = 1 if quick else 3
    cores = torch.get_num_threads()
    out: dict = {"batch": batch, "process_threads": cores, "device": device}
    t0 = time.perf_counter()
    warm = MMSGenerator(MMSConfig(grid=16, n_interior=64, n_boundary=64), seed=12345)
    warm.generate(range(512 if not quick else 128))
    out["warmup_s"] = round(time.perf_counter() - t0, 2)
    out["templates"] = cache_size()
    for grid in (64, 224):
        start = 1000
        for threads, key in ((1, f"samples_per_s_{grid}"), (None, f"samples_per_s_{grid}_{cores}threads")):
            gen = MMSGenerator(MMSConfig(grid=grid), seed=7, threads=threads)
            gen.generate(range(16))  # any structure not yet built
            total = 0
            t = time.perf_counter()
            for _ in range(rounds):
                total += len(gen.generate(range(start, start + batch)))
                start += batch
            rate = total / (time.perf_counter() - t)
            out[key] = round(rate, 1)
            print(f"grid {grid}, {threads or cores} thread(s): {rate:.1f} samples/s", file=sys.stderr)
    out["acceptance"] = round(gen.stats["accepted"] / max(gen.stats["attempts"], 1), 3)
    out["speedup_224_vs_reference_core"] = round(out["samples_per_s_224"] / REFERENCE_PER_CORE, 1)
    if device == "cuda" or not quick:
        # Workers before CUDA is touched; spawn keeps them clear of this process's state anyway.
        workers = min(cpu_threads(), 16)
        rate = worker_rate(224, workers, 16 if quick else 64)
        out.update(cpu_workers=workers, samples_per_s_224_cpu_workers=round(rate, 1))
        print(f"grid 224, {workers} CPU worker processes: {rate:.1f} samples/s", file=sys.stderr)
    if device == "cuda":
        out["gpu"] = torch.cuda.get_device_name()
        for grid in (64, 224):
            rate = _gpu_rate(grid, GPU_BATCH[quick], rounds)
            out[f"samples_per_s_{grid}_gpu"] = round(rate, 1)
            print(f"grid {grid}, GPU: {rate:.1f} samples/s", file=sys.stderr)
        cpu = out["samples_per_s_224_cpu_workers"]
        out["gpu_vs_cpu_workers_224"] = round(out["samples_per_s_224_gpu"] / cpu, 2)
    return out
