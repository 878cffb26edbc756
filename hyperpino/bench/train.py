"""``hyperpino bench train``: HyPINO training throughput (samples/s) and, on a GPU, model-FLOPs use.

Measured per preset on the device at hand (``small`` on the CPU; ``small`` and ``paper`` on CUDA):

- ``model_samples_per_s``: optimizer steps on pre-generated batches (the model alone: hypernetwork
  forward, batched PINN derivatives, loss, backward, AdamW), including the refinement-style share;
- ``data_samples_per_s``: the manufactured-problem generator alone, in this process, after a
  warm-up batch (the trainer's 512 + 512 points per problem);
- ``end_to_end_samples_per_s``: the trainer's loop with on-the-fly data from one worker process;
- on CUDA, ``mfu``: FLOPs of a step (``torch.utils.flop_counter``) × steps/s ÷ the GPU's peak
  bf16 dense rate (``PEAK_TFLOPS``; unknown GPUs report ``null``).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import torch

WARM = 2
"""Steps of the end-to-end run left out of its timing."""
PEAK_TFLOPS = {"H100": 989.0, "H200": 989.0, "A100": 312.0}
"""bf16 dense tensor-core peaks (NVIDIA data sheets, SXM parts)."""


def _trainer(preset: str, out: Path, steps: int, batch: int, device: str, workers: int):
    from hyperpino.model.train_config import train_config
    from hyperpino.model.training import Trainer

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


def measure(preset: str, *, device: str, batch: int, steps: int, quick: bool = False) -> dict:
    from torch.utils.flop_counter import FlopCounterMode

    from hyperpino.mms import MMSGenerator
    from hyperpino.model.train_batch import TrainBatch

    with tempfile.TemporaryDirectory() as tmp:
        t = _trainer(preset, Path(tmp) / "run", steps=10**6, batch=batch, device=device, workers=0)
        dev = t.device
        gen = MMSGenerator(t.mms_cfg, seed=0)
        # The first batch compiles the generator's term templates: warm-up, not throughput.
        batches = [TrainBatch.from_mms(gen.generate(range(batch)), gen.cfg.band_px)]
        n_data = 4 if quick else 16
        t0 = time.perf_counter()
        for i in range(1, n_data + 1):
            idx = range(i * batch, (i + 1) * batch)
            batches.append(TrainBatch.from_mms(gen.generate(idx), gen.cfg.band_px))
        data_rate = n_data * batch / (time.perf_counter() - t0)

        def step(b: TrainBatch) -> None:
            loss, _ = t.loss(t.model, b.to(dev))
            t.opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(t.model.parameters(), 1.0)
            t.opt.step()

        step(batches[0])  # warm-up (allocations, kernels)
        flops = None
        if dev.type == "cuda":
            with FlopCounterMode(display=False) as counter:
                step(batches[1])
            flops = counter.get_total_flops()
        _sync(dev)
        t0 = time.perf_counter()
        for i in range(steps):
            step(batches[i % len(batches)])
        _sync(dev)
        dt = (time.perf_counter() - t0) / steps
        out = {"preset": preset, "device": str(dev), "batch": batch, "parameters": sum(
            p.numel() for p in t.model.parameters()), "model_samples_per_s": batch / dt,
            "data_samples_per_s": data_rate}
        if flops is not None:
            peak = _peak(dev)
            out["tflops_per_step"] = flops / 1e12
            out["mfu"] = None if peak is None else flops / dt / peak
        # The whole loop with a data worker (what `hyperpino train` does), timed from the run's own
        # per-step log after WARM steps (worker start-up, template compilation, first allocations).
        e2e = _trainer(preset, Path(tmp) / "e2e", steps=steps + WARM, batch=batch, device=device,
                       workers=1)
        e2e.run()
        log = [json.loads(line) for line in (Path(tmp) / "e2e" / "log.jsonl").read_text().splitlines()]
        times = [e["time"] for e in log if "loss" in e]
        out["end_to_end_samples_per_s"] = steps * batch / (times[-1] - times[WARM - 1])
    return out


def run(quick: bool, out_dir: Path) -> dict:
    threads = 2
    torch.set_num_threads(threads)
    cuda = torch.cuda.is_available()
    steps = 5 if quick else 20
    results = {"threads": threads, "cuda": cuda, "runs": []}
    plan = [("small", "cpu", 8)]
    if cuda:
        plan += [("small", "cuda", 32), ("paper", "cuda", 16)]
    for preset, device, batch in plan:
        print(f"bench train: {preset} on {device}, batch {batch}, {steps} steps", file=sys.stderr, flush=True)
        results["runs"].append(measure(preset, device=device, batch=batch, steps=steps, quick=quick))
    return results
