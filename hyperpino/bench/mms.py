"""``hyperpino bench mms``: labelled manufactured samples per second at 64² and 224² grids.

Each sample: images at G², 2048 interior points with u and its five derivatives, 2048 boundary
rows. The structure templates (sympy text, used to keep specs within their size limits) are built
in a warm-up run first (reported separately), as a long-running generator builds each once.
Rates are measured with the generator's default of one torch thread (one core: the speed-up over
the reference is per core) and again with this process's thread setting: on a shared,
oversubscribed machine intra-op threads can cost more than they give. HyPINO's reference
generator makes ~1 sample/s per CPU core at 224² (Bischof et al. 2025, arXiv 2509.05117;
measured in the reference notes, §3.1).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

from hyperpino.mms.config import MMSConfig
from hyperpino.mms.generator import MMSGenerator
from hyperpino.mms.templates import cache_size

REFERENCE_PER_CORE = 1.0


def run(quick: bool, out_dir: Path) -> dict:
    batch = 64 if quick else 256
    rounds = 1 if quick else 3
    cores = torch.get_num_threads()
    out: dict = {"batch": batch, "process_threads": cores, "device": "cpu"}
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
    return out
