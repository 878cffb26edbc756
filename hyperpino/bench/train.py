"""``hyperpino bench train``: HyPINO training throughput (samples/s), FLOPs per step and, on a GPU, MFU.

``hyperpino bench train [--quick] [--device auto|cpu|cuda] [--presets small,paper] [--batch-size N]
[--workers N]``. Defaults: on the CPU ``small``, batch 8, one data worker; on CUDA ``small`` and
``paper``, batch 512, ``min(16, cores)`` workers. Measured per preset:

- ``model_samples_per_s``: optimizer steps on pre-generated batches (the model alone: hypernetwork
  forward, batched PINN derivatives, loss, backward, AdamW), including the refinement-style share;
- ``tflops_per_step``: FLOPs (×10⁻¹²) of one whole step (the no-grad forward of the refinement share, the
  forward, the backward) by torch's operator formulas (:class:`~hyperpino.bench._flops.FlopCount`);
  ``tflops_per_s`` = that × steps/s; on CUDA ``mfu`` = that ÷ the GPU's peak bf16 dense rate
  (``PEAK_TFLOPS``; unknown GPUs report ``null``);
- ``data_samples_per_s``: the manufactured-problem generator on the CPU, one process and one
  thread (what one data worker makes; the trainer's 512 + 512 points per problem), after a warm-up
  batch; on CUDA also ``data_samples_per_s_cuda``, the generator running on the GPU
  (``MMSGenerator(..., device="cuda")``, whole batches, batch moved onto the device included);
- ``end_to_end_samples_per_s``: the trainer's own loop with on-the-fly data from ``workers``
  processes, timed from its per-step log after ``max(2, workers)`` steps (worker start-up,
  template compilation, the first round of prefetched batches).

Pre-generated batches come from the GPU generator on CUDA (a CPU core makes a 512-problem 224²
batch in tens of seconds), else from the CPU one.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from hyperpino.errors import HyperpinoError

OPTIONS = ("device", "batch_size", "workers", "presets")
"""The options of ``hyperpino bench`` this benchmark takes (as keyword arguments of :func:`run`)."""
WARM = 2
"""Steps of the end-to-end run left out of its timing (at least; ``workers`` when more)."""
PEAK_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0}
"""bf16 dense tensor-core peaks (NVIDIA data sheets, SXM parts)."""
DEFAULT_BATCH = {"cpu": 8, "cuda": 512}
DEFAULT_PRESETS = {"cpu": ("small",), "cuda": ("small", "paper")}
MAX_DEFAULT_WORKERS = 16


@dataclass(frozen=True)
class Plan:
    """What one ``bench train`` run measures; built and validated by :func:`plan`."""

    device: str
    """``"cpu"`` or ``"cuda"``."""
    presets: tuple[str, ...]
    batch: int
    workers: int
    steps: int
    """Timed optimizer steps (model alone and end to end)."""
    data_samples: int
    """Samples timed per generator measurement."""


def _count(text: str | int | None, option: str, default: int, minimum: int) -> int:
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise HyperpinoError(f"bench train: {option} must be an integer, got {text!r}") from None
    if value < minimum:
        raise HyperpinoError(f"bench train: {option} must be at least {minimum}, got {value}")
    return value


def plan(quick: bool, *, device: str | None = None, batch_size: str | int | None = None,
         workers: str | int | None = None, presets: str | None = None) -> Plan:
    """Validate the options (strings from the command line, or ints); one-line errors."""
    from hyperpino.bench._timing import bench_device, cpu_threads
    from hyperpino.model.presets import PRESETS

    device = bench_device("train", device)
    if presets is None:
        names = DEFAULT_PRESETS[device]
    else:
        names = tuple(dict.fromkeys(p.strip() for p in presets.split(",")))
        bad = [p for p in names if p not in PRESETS]
        if bad or not names:
            raise HyperpinoError(f"bench train: --presets: unknown preset {(bad or [''])[0]!r} "
                                 f"(known: {', '.join(PRESETS)}; comma-separated)")
    default_workers = 1 if device == "cpu" else min(MAX_DEFAULT_WORKERS, cpu_threads())
    batch = _count(batch_size, "--batch-size", DEFAULT_BATCH[device], 1)
    return Plan(device=device, presets=names, batch=batch,
                workers=_count(workers, "--workers", default_workers, 0),
                steps=5 if quick else 20, data_samples=(4 if quick else 16) * min(batch, 8))


def _trainer(preset: str, out: Path, steps: int, batch: int, device: str, workers: int):
    from hyperpino.training.config import train_config
    from hyperpino.training.loop import Trainer

    # Only fields that exist today; any field the config gains keeps its default.
    cfg = train_config({"preset": preset, "steps": steps, "batch_size": batch, "validation": [],
                        "checkpoint_every": 10**6, "validate_every": 10**6, "workers": workers})
    return Trainer(cfg, out, model_overrides={}, mms_overrides={}, log=lambda *_: None,
                   device=device, progress=False)


def _peak(device: torch.device) -> float | None:
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    return next((v * 1e12 for k, v in PEAK_TFLOPS.items() if k in name), None)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def data_rate(mms_cfg, device: str | torch.device, *, chunk: int, samples: int, seed: int = 0,
              start: int = 10**6) -> tuple[float, list]:
    """Training batches per second from ``MMSGenerator(mms_cfg, seed, device=device)``, as samples/s.

    One warm-up chunk (template compilation, kernels), then ``samples`` more in chunks of ``chunk``,
    each turned into a :class:`TrainBatch` on ``device``. Returns the rate and all batches made.
    """
    from hyperpino.mms import MMSGenerator
    from hyperpino.training.batch import TrainBatch

    dev = torch.device(device)
    gen = MMSGenerator(mms_cfg, seed=seed, device=dev)

    def make(i: int) -> TrainBatch:
        idx = range(start + i * chunk, start + (i + 1) * chunk)
        return TrainBatch.from_mms(gen.generate(idx), gen.cfg.band_px).to(dev)

    batches = [make(0)]
    n = max(1, -(-samples // chunk))
    _sync(dev)
    t0 = time.perf_counter()
    batches += [make(i) for i in range(1, n + 1)]
    _sync(dev)
    return n * chunk / (time.perf_counter() - t0), batches


def step_flops(t, batch) -> int:
    """FLOPs of one training step of trainer ``t`` on ``batch`` (the step is taken)."""
    from hyperpino.bench._flops import FlopCount

    with FlopCount() as counter:
        _step(t, batch)
    return counter.total


def _step(t, b) -> None:
    loss, _ = t.loss(t.model, b.to(t.device))
    t.opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(t.model.parameters(), 1.0)
    t.opt.step()


def measure(preset: str, p: Plan) -> dict:
    """The figures of one preset (see the module docstring)."""
    with tempfile.TemporaryDirectory() as tmp:
        t = _trainer(preset, Path(tmp) / "run", steps=10**6, batch=p.batch, device=p.device, workers=0)
        dev = t.device
        out: dict = {"preset": preset, "device": str(dev), "batch": p.batch, "workers": p.workers,
                     "parameters": sum(q.numel() for q in t.model.parameters())}
        chunk = min(p.batch, 8)
        out["data_samples_per_s"], batches = data_rate(t.mms_cfg, "cpu", chunk=chunk,
                                                       samples=p.data_samples)
        if dev.type == "cuda":
            try:
                rate, batches = data_rate(t.mms_cfg, dev, chunk=p.batch, samples=2 * p.batch)
                out["data_samples_per_s_cuda"] = rate
            except Exception as err:
                # A scarce GPU run should still measure the model: report, then reuse CPU samples.
                out["data_samples_per_s_cuda"] = None
                out["data_cuda_error"] = f"{type(err).__name__}: {err}"[:500]
                print(f"bench train: GPU generator failed: {out['data_cuda_error']}", file=sys.stderr)
                batches = [_tile(batches, p.batch)]
        elif chunk != p.batch:
            _, batches = data_rate(t.mms_cfg, "cpu", chunk=p.batch, samples=p.batch)
        _step(t, batches[0])  # warm-up (allocations, kernels)
        _sync(dev)
        flops = step_flops(t, batches[1 % len(batches)])
        _sync(dev)
        t0 = time.perf_counter()
        for i in range(p.steps):
            _step(t, batches[i % len(batches)])
        _sync(dev)
        dt = (time.perf_counter() - t0) / p.steps
        out["model_samples_per_s"] = p.batch / dt
        out["tflops_per_step"] = flops / 1e12
        out["tflops_per_s"] = flops / dt / 1e12
        if dev.type == "cuda":
            peak = _peak(dev)
            out["mfu"] = None if peak is None else flops / dt / peak
        del batches, t
        try:
            out["end_to_end_samples_per_s"] = _end_to_end(preset, p, Path(tmp) / "e2e")
        except RuntimeError as err:
            # Typically a data worker killed for host memory (paper, batch 512, 16 workers: each
            # worker holds batches of GBs): a finding of the benchmark, reported with the rest.
            out["end_to_end_samples_per_s"] = None
            out["end_to_end_error"] = f"{err}"[:500]
            print(f"bench train: end-to-end run failed: {err}", file=sys.stderr)
    return out


def _tile(batches: list, size: int):
    """One batch of ``size`` samples, cycling through the samples of ``batches``."""
    from hyperpino.training.batch import TrainBatch

    joined = TrainBatch.cat(batches)
    whole = TrainBatch.cat([joined] * -(-size // len(joined)))
    return whole.split(size)[0] if len(whole) > size else whole


def _end_to_end(preset: str, p: Plan, out: Path) -> float:
    """Samples/s of ``Trainer.run`` with ``p.workers`` data processes, from its per-step log."""
    warm = max(WARM, p.workers)
    e2e = _trainer(preset, out, steps=p.steps + warm, batch=p.batch, device=p.device, workers=p.workers)
    e2e.run()
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    times = [e["time"] for e in log if "loss" in e]
    return p.steps * p.batch / (times[-1] - times[warm - 1])


def run(quick: bool, out_dir: Path, **options) -> dict:
    """``hyperpino bench train``; ``options``: :data:`OPTIONS` (command-line strings or ints)."""
    p = plan(quick, **options)
    threads = 2
    torch.set_num_threads(threads)
    results = {"threads": threads, "cuda": torch.cuda.is_available(), "device": p.device,
               "steps": p.steps, "runs": []}
    for preset in p.presets:
        print(f"bench train: {preset} on {p.device}, batch {p.batch}, {p.workers} worker(s), "
              f"{p.steps} steps", file=sys.stderr, flush=True)
        results["runs"].append(measure(preset, p))
        print(f"bench train: {json.dumps(results['runs'][-1], sort_keys=True)}", file=sys.stderr, flush=True)
    return results
