"""``hyperpino bench mip``: magnitude-invariant parametrisation vs a plain hypernetwork.

Reproduces, on a small task, the central claim of Ortiz, Guttag & Dalca 2023, "Magnitude Invariant
Parametrizations Improve Hypernetwork Learning" (arXiv 2304.07645): a fully connected LeakyReLU
hypernetwork whose input γ is resampled every step trains faster, and more reliably across seeds,
with MIP (cos/sin input encoding plus a learnable residual base θ0) than without it.

Task. γ ∈ [0, 1] sets the frequency of ``u_γ(x) = sin(π(1 + 3γ)x)`` on ``x ∈ [-1, 1]``. The
hypernetwork (trunk 64-64, LeakyReLU, linear per-tensor output) generates the 1-32-32-1 tanh MLP
that should represent ``u_γ``; every Adam step draws M fresh γ ~ U[0, 1] and N points and fits all
M generated networks at once (``FunctionalTarget``, vmap). Both modes share the task, the
architecture, the optimiser and the seeds; they differ only in MIP (encoding + θ0 + small Δθ
initialisation) vs the plain hypernetwork (raw γ, no θ0, hyperfan-in). The loss is measured every
``eval_every`` steps on a fixed grid of γ (including γ = 0, where a plain hypernetwork's weights
vanish) and x.

Figures: for each mode and loss threshold, the step at which each seed first gets below it
(``null``: never within the budget), the final loss per seed, and the ratio of median steps
(plain / MIP); the PNG shows the mean ± one standard deviation of log10 loss over seeds.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn

from hyperpino.hypernet import FunctionalTarget, HyperNetConfig, HyperNetwork

MODES = ("mip", "plain")


@dataclass(frozen=True)
class Setup:
    """Sizes of one bench run."""

    steps: int = 2000
    seeds: int = 5
    models_per_step: int = 16
    points_per_step: int = 128
    eval_every: int = 20
    lr: float = 1e-3
    thresholds: tuple[float, ...] = (1e-2, 3e-3)
    """Loss thresholds; the first is drawn in the plot."""


QUICK = Setup(steps=600, seeds=3, eval_every=25)


def target_net() -> nn.Module:
    """The generated network, ``x (N, 1) -> u (N, 1)``."""
    return nn.Sequential(nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))


def task(gamma: Tensor, x: Tensor) -> Tensor:
    """``u_γ(x) = sin(π(1 + 3γ)x)``: ``gamma (M, 1)``, ``x (N, 1)`` -> ``(M, N, 1)``."""
    return torch.sin(math.pi * (1.0 + 3.0 * gamma[:, None, :]) * x[None])


def make_hypernet(mode: str, target: nn.Module) -> HyperNetwork:
    """The two compared hypernetworks: same trunk, linear per-tensor output, LeakyReLU."""
    common = dict(trunk=(64, 64), head_hidden=(), activation="leaky_relu")
    if mode == "mip":
        config = HyperNetConfig(mip=True, encoding="cos_sin", **common)
    else:
        # raw γ ~ U[0, 1] has mean square 1/3; tell hyperfan-in so the plain mode starts well scaled
        config = HyperNetConfig(mip=False, encoding=None, cond_second_moment=1.0 / 3.0, **common)
    return HyperNetwork.for_module(target, cond_dim=1, config=config)


def train(mode: str, seed: int, setup: Setup) -> tuple[list[int], list[float]]:
    """Train one hypernetwork; returns the evaluation steps and the eval losses there."""
    torch.manual_seed(seed)
    target = target_net()
    hnet = make_hypernet(mode, target)
    f = FunctionalTarget(target)
    opt = torch.optim.Adam(hnet.parameters(), lr=setup.lr)
    gen = torch.Generator().manual_seed(1000 + seed)
    g_eval = torch.linspace(0, 1, 33)[:, None]
    x_eval = torch.linspace(-1, 1, 128)[:, None]
    u_eval = task(g_eval, x_eval)
    steps, losses = [], []
    for step in range(setup.steps + 1):
        if step % setup.eval_every == 0:
            with torch.no_grad():
                steps.append(step)
                losses.append(float((f(hnet(g_eval), x_eval) - u_eval).pow(2).mean()))
        if step == setup.steps:
            break
        gamma = torch.rand(setup.models_per_step, 1, generator=gen)
        x = torch.rand(setup.points_per_step, 1, generator=gen) * 2 - 1
        loss = (f(hnet(gamma), x) - task(gamma, x)).pow(2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return steps, losses


def first_below(steps: list[int], losses: list[float], threshold: float) -> int | None:
    """The first evaluation step with loss below ``threshold``, or ``None``."""
    return next((s for s, v in zip(steps, losses, strict=True) if v < threshold), None)


def run(quick: bool, out_dir: Path) -> dict:
    """Train both modes for every seed; write ``mip_convergence.png``; return the figures."""
    setup = QUICK if quick else Setup()
    threads = torch.get_num_threads()
    # Tiny ops: one thread avoids contention on shared machines and is faster here.
    torch.set_num_threads(1)
    try:
        curves, steps, seconds = _train_all(setup)
    finally:
        torch.set_num_threads(threads)
    result: dict = {
        "bench": "mip",
        "quick": quick,
        "task": "gamma~U[0,1] resampled each step -> 1-32-32-1 tanh MLP fitting sin(pi(1+3 gamma)x)",
        "steps": setup.steps,
        "seeds": setup.seeds,
        "thresholds": list(setup.thresholds),
        "lr": setup.lr,
        "models_per_step": setup.models_per_step,
    }
    medians: dict[tuple[str, float], float] = {}
    for mode in MODES:
        figures: dict = {"steps_to_threshold": {}, "reached": {}, "median_steps_to_threshold": {}}
        for thr in setup.thresholds:
            hits = [first_below(steps, c, thr) for c in curves[mode]]
            # A seed that never reaches the threshold counts as beyond the budget in the median.
            padded = sorted(math.inf if h is None else h for h in hits)
            medians[mode, thr] = padded[len(padded) // 2]
            figures["steps_to_threshold"][f"{thr:g}"] = hits
            figures["reached"][f"{thr:g}"] = f"{sum(h is not None for h in hits)}/{len(hits)}"
            figures["median_steps_to_threshold"][f"{thr:g}"] = _finite(medians[mode, thr])
        finals = [c[-1] for c in curves[mode]]
        figures["final_loss"] = [float(f"{v:.4g}") for v in finals]
        figures["final_loss_median"] = float(f"{sorted(finals)[len(finals) // 2]:.4g}")
        result[mode] = figures
    result["median_steps_ratio_plain_over_mip"] = {
        f"{thr:g}": (
            round(medians["plain", thr] / medians["mip", thr], 2)
            if math.isfinite(medians["plain", thr]) and math.isfinite(medians["mip", thr])
            else None
        )
        for thr in setup.thresholds
    }
    png = out_dir / "mip_convergence.png"
    _plot(steps, curves, setup.thresholds[0], png)
    result["plot"] = str(png)
    result["seconds"] = seconds
    return result


def _train_all(setup: Setup) -> tuple[dict[str, list[list[float]]], list[int], float]:
    curves: dict[str, list[list[float]]] = {m: [] for m in MODES}
    steps: list[int] = []
    t0 = time.perf_counter()
    for seed in range(setup.seeds):
        for mode in MODES:
            steps, losses = train(mode, seed, setup)
            curves[mode].append(losses)
            hit = first_below(steps, losses, setup.thresholds[0])
            print(
                f"mip bench: seed {seed} {mode:5s} final loss {losses[-1]:.3e}, "
                f"{setup.thresholds[0]:g} {'not reached' if hit is None else f'at step {hit}'} "
                f"({time.perf_counter() - t0:.0f} s)",
                file=sys.stderr,
            )
    return curves, steps, round(time.perf_counter() - t0, 1)


def _finite(value: float) -> float | None:
    return None if math.isinf(value) else value


def _plot(steps: list[int], curves: dict[str, list[list[float]]], threshold: float, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    colors = {"mip": "tab:blue", "plain": "tab:red"}
    labels = {"mip": "MIP (cos/sin encoding + θ0)", "plain": "plain hypernetwork"}
    for mode in MODES:
        logs = torch.tensor(curves[mode]).log10()  # (seeds, evals)
        mean, std = logs.mean(0), logs.std(0) if logs.shape[0] > 1 else torch.zeros_like(logs[0])
        label = f"{labels[mode]}, geometric mean of {logs.shape[0]} seeds"
        ax.plot(steps, 10**mean, color=colors[mode], label=label)
        ax.fill_between(steps, 10 ** (mean - std), 10 ** (mean + std), color=colors[mode], alpha=0.2)
    ax.axhline(threshold, color="k", ls="--", lw=1, label=f"threshold {threshold:g}")
    ax.set_yscale("log")
    ax.set_xlabel("Adam step (γ resampled every step)")
    ax.set_ylabel("eval MSE over γ ∈ [0, 1]")
    ax.set_title("MIP vs plain hypernetwork (band: ±1 sd of log10 loss)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    plt.close(fig)
