"""Timing helpers for benchmarks on shared, noisy machines.

Candidates are run interleaved (a, b, a, b, ...) so that load from other processes hits all of
them alike, and compared by the median of the per-round ratios.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable, Mapping


def interleaved(fns: Mapping[str, Callable[[], object]], repeats: int, warmup: int = 1,
                label: str = "", device: str = "cpu") -> dict[str, list[float]]:
    """Wall-clock seconds of each function, ``repeats`` rounds after ``warmup`` untimed ones.

    Every round calls the functions once each, in the given order. On CUDA the device is
    synchronised before and after each call, so a time covers the kernels the call queued, not
    just their launch. Progress goes to stderr.
    """
    sync = _synchronizer(device)
    times: dict[str, list[float]] = {name: [] for name in fns}
    last: dict[str, float] = {}
    for round_ in range(warmup + repeats):
        for name, fn in fns.items():
            sync()
            start = time.perf_counter()
            fn()
            sync()
            last[name] = time.perf_counter() - start
            if round_ >= warmup:
                times[name].append(last[name])
        tag = "warm-up" if round_ < warmup else f"round {round_ - warmup + 1}/{repeats}"
        print(f"  {label}{tag}: " + ", ".join(f"{name} {t * 1e3:.0f} ms" for name, t in last.items()),
              file=sys.stderr, flush=True)
    return times


def median_ms(times: list[float]) -> float:
    """Median of a list of seconds, in milliseconds (rounded to 0.1 ms)."""
    return round(statistics.median(times) * 1e3, 1)


def paired_ratio(slow: list[float], fast: list[float]) -> float:
    """Median over rounds of ``slow / fast``: how many times faster ``fast`` ran (3 decimals)."""
    return round(statistics.median(s / f for s, f in zip(slow, fast, strict=True)), 3)


def cpu_threads() -> int:
    """The number of CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _synchronizer(device: str) -> Callable[[], None]:
    if str(device).startswith("cuda"):
        import torch

        return torch.cuda.synchronize
    return lambda: None


def peak_memory_mib(device: str, fn: Callable[[], object]) -> float | None:
    """The CUDA memory high-water mark of one call of ``fn`` in MiB (None on a CPU)."""
    if not str(device).startswith("cuda"):
        return None
    import torch

    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    fn()
    torch.cuda.synchronize()
    return round(torch.cuda.max_memory_allocated() / 2**20, 1)


def bench_device(name: str, device: str | None) -> str:
    """The device of a benchmark's ``--device`` option: ``auto`` (default) → CUDA when present.

    Raises :class:`~hyperpino.errors.HyperpinoError` for anything else, or for ``cuda`` without it.
    """
    import torch

    from hyperpino.errors import HyperpinoError

    device = device or "auto"
    if device not in ("auto", "cpu", "cuda"):
        raise HyperpinoError(f"bench {name}: --device must be auto, cpu or cuda, got {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise HyperpinoError(f"bench {name}: --device cuda: CUDA is not available")
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device
