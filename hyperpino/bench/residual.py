"""``hyperpino bench residual``: the batched residual engine vs the per-model autograd loop.

M random HyPINO target PINNs (5,409 parameters each, :class:`~hyperpino.pinn.network.ModifiedMLP`)
are evaluated at N shared points: u, ∇u and all second derivatives, then the operator residual
``L u − f`` with per-model coefficients. Two timings, each for the loop reference
(:func:`~hyperpino.pde.residual.loop_derivatives`, as in the HyPINO code) and for the engine
(:func:`~hyperpino.pde.residual.derivatives`):

* ``forward``: derivatives and residual (parameters require grad, as in training);
* ``forward_backward``: the same plus a mean-square loss backpropagated to the parameters.

Runs are interleaved (loop, engine, loop, engine, ...) and compared by the median of per-round
ratios, since the machine is shared. A second, smaller measurement with few points per model
(``small_n``) shows the regime where the loop's per-model overhead dominates.

``--device cuda`` measures on the GPU (synchronised timings, CUDA memory high-water marks) at the
sizes where a GPU is used: M = 64 models × N = 4096 points and M = 256 × N = 1024.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import torch
from torch.func import stack_module_state

from hyperpino.bench._timing import (
    bench_device,
    cpu_threads,
    interleaved,
    median_ms,
    paired_ratio,
    peak_memory_mib,
)
from hyperpino.pde.residual import (
    METHODS,
    Derivatives,
    derivatives,
    loop_derivatives,
    module_point_fn,
    operator_residual,
)
from hyperpino.pinn.network import ModifiedMLP

OPTIONS = ("device",)
"""The options of ``hyperpino bench`` this benchmark takes (as keyword arguments of :func:`run`)."""
FULL = {"models": 64, "points": 4096, "repeats": 5, "small_points": 256}
QUICK = {"models": 16, "points": 512, "repeats": 3, "small_points": 64}
CUDA = {"models": 64, "points": 4096, "repeats": 5, "small_points": 256, "wide": (256, 1024)}
CUDA_QUICK = {"models": 16, "points": 1024, "repeats": 3, "small_points": 64, "wide": (64, 256)}


def run(quick: bool, out_dir: Path, *, device: str | None = None) -> dict:
    """Time the engine against the loop; write ``residual.json`` into ``out_dir``; return figures."""
    device = bench_device("residual", device)
    cuda = device == "cuda"
    cfg = (CUDA_QUICK if quick else CUDA) if cuda else (QUICK if quick else FULL)
    threads_before = torch.get_num_threads()
    threads = cpu_threads()
    torch.set_num_threads(threads)  # the same for both methods, as many as this process may use
    start = time.perf_counter()
    load_before = _load()
    try:
        main = _compare(cfg["models"], cfg["points"], cfg["repeats"], methods=METHODS, device=device)
        small = _compare(cfg["models"], cfg["small_points"], cfg["repeats"],
                         methods=METHODS[:1], device=device)
        wide = None
        if cuda:
            m, n = cfg["wide"]
            wide = _compare(m, n, cfg["repeats"], methods=METHODS[:1], device=device)
    finally:
        torch.set_num_threads(threads_before)
    result = {
        "benchmark": "residual",
        "quick": quick,
        "models": cfg["models"],
        "points": cfg["points"],
        "params_per_model": sum(p.numel() for p in ModifiedMLP().parameters()),
        "dtype": "float32",
        "device": device,
        "gpu": torch.cuda.get_device_name() if cuda else None,
        "threads": threads,
        "load_avg_before": load_before,
        "load_avg_after": _load(),
        "repeats": cfg["repeats"],
        "torch": torch.__version__,
        "machine": platform.machine(),
        "engine_method": METHODS[0],
        **main,
        "small_n": small,
        **({"wide": wide} if wide else {}),
        "wall_s": round(time.perf_counter() - start, 1),
    }
    (out_dir / "residual.json").write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return result


def _compare(n_models: int, n_points: int, repeats: int, methods: tuple[str, ...],
             device: str = "cpu") -> dict:
    """Interleaved timings of the loop and each engine method for one size; their agreement."""
    print(f"residual bench: M={n_models} models × N={n_points} points on {device}, "
          f"{torch.get_num_threads()} threads", file=sys.stderr, flush=True)
    torch.manual_seed(0)
    params, _ = stack_module_state([ModifiedMLP().to(device) for _ in range(n_models)])
    module = ModifiedMLP().to(device)
    fn = module_point_fn(module)
    points = torch.rand(n_points, 2, device=device) * 2 - 1
    coeffs = torch.randn(n_models, 6, device=device)
    source = torch.randn(n_models, n_points, device=device)

    def loop() -> Derivatives:
        return loop_derivatives(module, params, points)

    def engine(method: str):
        return lambda: derivatives(fn, params, points, method=method)

    def forward(compute):
        return lambda: operator_residual(compute(), coeffs, source)

    def forward_backward(compute):
        def step() -> None:
            loss = operator_residual(compute(), coeffs, source).square().mean()
            grads = torch.autograd.grad(loss, list(params.values()))
            del grads
        return step

    names = ["loop", *methods]
    computes = {"loop": loop, **{m: engine(m) for m in methods}}
    t_fwd = interleaved({n: forward(computes[n]) for n in names}, repeats, label="forward ", device=device)
    t_fb = interleaved({n: forward_backward(computes[n]) for n in names}, repeats,
                       label="forward+backward ", device=device)
    out: dict = {
        "forward_ms": {n: median_ms(t_fwd[n]) for n in names},
        "forward_backward_ms": {n: median_ms(t_fb[n]) for n in names},
        "speedup_forward": paired_ratio(t_fwd["loop"], t_fwd[methods[0]]),
        "speedup_forward_backward": paired_ratio(t_fb["loop"], t_fb[methods[0]]),
        "speedup_by_method": {m: {"forward": paired_ratio(t_fwd["loop"], t_fwd[m]),
                                  "forward_backward": paired_ratio(t_fb["loop"], t_fb[m])}
                              for m in methods},
    }
    if device == "cuda":
        out["peak_memory_mib"] = {
            f"{n}_{kind}": peak_memory_mib(device, make(computes[n]))
            for n in names for kind, make in (("forward", forward), ("forward_backward", forward_backward))}
    out["max_abs_diff"] = _agreement(loop, computes[methods[0]], coeffs, source, params)
    return out


def _agreement(loop, engine, coeffs, source, params) -> dict:
    """Largest absolute differences between the two methods (float32): terms, residual and the
    loss gradient w.r.t. the parameters; plus the largest magnitudes for scale."""
    ref, new = loop(), engine()
    r_ref, r_new = (operator_residual(d, coeffs, source) for d in (ref, new))
    g_ref = torch.autograd.grad(r_ref.square().mean(), list(params.values()))
    g_new = torch.autograd.grad(r_new.square().mean(), list(params.values()))
    return {
        "terms": _max(ref.terms() - new.terms()),
        "terms_scale": _max(ref.terms()),
        "residual": _max(r_ref - r_new),
        "param_grad": max(_max(a - b) for a, b in zip(g_ref, g_new, strict=True)),
        "param_grad_scale": max(_max(a) for a in g_ref),
    }


def _max(t: torch.Tensor) -> float:
    return float(f"{t.detach().abs().max().item():.3g}")


def _load() -> float | None:
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
