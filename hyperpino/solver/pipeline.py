"""``solve``: spec in, solution out — zero-shot generation, refinement, fine-tuning, evaluation.

The pipeline of HyPINO (Bischof et al. 2025, arXiv 2509.05117): one hypernetwork pass gives a PINN
for the problem; iterative delta refinement adds PINNs for the error problem (§4 of the brief); the
ensemble can then be fine-tuned like any PINN (§5.2). Every step is measured: physics residuals at
fixed collocation points, and errors against the reference (the exact solution or the FEM solver)
on the evaluation grid when one exists.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from hyperpino.devices import pick_device
from hyperpino.errors import HyperpinoError
from hyperpino.model.hypino import BUNDLED, HyPINO
from hyperpino.pde.problem import Problem, SpecLike, build_problem
from hyperpino.pde.residual import operator_residual
from hyperpino.pinn.fit import GridEvaluator
from hyperpino.solver.ensemble import PINNEnsemble
from hyperpino.solver.finetune import finetune_config, finetune_run
from hyperpino.solver.generation import generate, model_device
from hyperpino.solver.problems import check_in_family, evaluation_grid, reference_for
from hyperpino.solver.refinement import diagnose, refine_many
from hyperpino.solver.result import SolveResult

if TYPE_CHECKING:
    from hyperpino.pinn.network import PINNConfig

TOL_MAX_STEPS = 20_000
"""Fine-tuning steps allowed when fine-tuning to a tolerance without a step count."""


def solve(spec: SpecLike, *, model: HyPINO | str | Path | None = None, refine: int | None = None,
          finetune_steps: int | None = None, tol: float | None = None, device: str | None = None,
          dtype: str | None = None, reference: bool | object = True, seed: int | None = None,
          progress: Callable[[str], None] | None = None) -> SolveResult:
    """Solve one problem with HyPINO and report how well.

    ``spec``: a path, Spec or Problem. ``model``: a HyPINO, a checkpoint path, or None for the
    bundled pretrained model. ``refine``: refinement steps (stops early when the physics loss no
    longer drops); ``finetune_steps``: optimiser steps of fine-tuning; ``tol``: fine-tune until the
    relative L2 error against the reference is at most ``tol`` (at most ``finetune_steps`` or
    :data:`TOL_MAX_STEPS` steps). ``refine``, ``finetune_steps``, ``seed``, ``device`` and ``dtype``
    (of fine-tuning) default to the spec's ``[run]`` table (``refine``: 3 if
    the spec does not set it). ``reference``: True (exact solution or
    cached FEM), False, or a ``ReferenceSolution``. ``progress`` receives one line per step.
    """
    t_start = time.perf_counter()
    problem = build_problem(spec)
    check_in_family(problem)
    run = problem.spec.run
    if refine is None:
        refine = run.refine
    refine = int(refine)
    steps = run.finetune_steps if finetune_steps is None else int(finetune_steps)
    seed = run.seed if seed is None else int(seed)
    dev = pick_device(run.device if device is None else device)
    dtype = run.dtype if dtype is None else dtype
    if refine < 0 or steps < 0:
        raise HyperpinoError(f"solve: refine and finetune steps must be >= 0, got {refine}, {steps}")
    if tol is not None and not tol > 0:
        raise HyperpinoError(f"solve: --tol must be positive, got {tol}")
    say = progress or (lambda line: None)
    torch.manual_seed(seed)

    timings: dict[str, float] = {}
    t = time.perf_counter()
    if model is None or isinstance(model, (str, Path)):
        source = BUNDLED if model is None else Path(model)
        model = HyPINO.pretrained(source, device=dev)
    else:
        source = "(in memory)"
        model = model.to(dev).train(False)
    timings["load model"] = time.perf_counter() - t
    info = {"model": str(source), "preset": model.preset, "grid": model.config.grid, "device": str(dev),
            "refine": refine, "finetune_steps": steps, "tol": tol, "seed": seed, "dtype": dtype}

    t = time.perf_counter()
    ref = (reference_for(problem) if reference is True else None if reference is False else reference)
    timings["reference"] = time.perf_counter() - t
    if tol is not None and ref is None:
        raise HyperpinoError(f"{problem.name}: --tol needs a reference solution, and none is available")
    evaluate = reference_evaluator(problem, ref, model_device(model), model.target.config)

    t = time.perf_counter()
    ens = generate(model, problem)
    timings["generate"] = time.perf_counter() - t
    say(f"{problem.name}: zero-shot PINN generated in {timings['generate']:.2f} s")

    t = time.perf_counter()
    (refined,) = refine_many(model, [problem], [ens], refine, evaluate=evaluate, progress=say, seed=seed)
    timings["refine"] = time.perf_counter() - t
    ens, history = refined.ensemble, refined.history
    for e in history:
        e["time"] += timings["generate"]
    stopped = {"refine": refined.stopped} if refine else {}

    if steps or tol is not None:
        t = time.perf_counter()
        offset = history[-1]["time"]

        total = steps or TOL_MAX_STEPS
        shown = [-1]

        def show(entry: dict) -> None:
            # About ten lines per run: the trainer reports L-BFGS every few steps.
            if entry["step"] < total and entry["step"] - shown[0] < max(1, total // 10):
                return
            shown[0] = entry["step"]
            say(f"{problem.name}: fine-tune step {entry['step']} ({entry['phase']}) loss {entry['loss']:.3e}"
                + (f" rel L2 {entry['rel_l2']:.3e}" if "rel_l2" in entry else ""))

        cfg = finetune_config(total, target_error=tol, seed=seed, dtype=dtype,
                              device=dev.type)
        # From the generated PINN with its own output layer: the least-squares layer of the zero-shot
        # answer often has coefficients 100-1000x larger (cancelling features), and Adam's first
        # steps on the hidden layers then move u by that much (measured on helmholtz_G: rel L2 0.20
        # after 60 s from the least-squares answer, 3e-3 from the generated one).
        start = generate(model, problem, solve_output=False)
        tuned = finetune_run(problem, start, config=cfg, reference=ref, callback=show)
        timings["finetune"] = time.perf_counter() - t
        ens = tuned.ensemble
        stopped["finetune"] = tuned.stopped
        for e in tuned.history:
            history.append({"stage": "finetune", "step": e["step"], "members": len(ens), "phase": e["phase"],
                            "time": offset + e["time"], "loss": e["loss"], "pde_rms": e["loss_pde"] ** 0.5,
                            "bc_rms": e["loss_bc"] ** 0.5,
                            **{k: e[k] for k in ("rel_l2", "mse", "mae", "max_abs", "smape") if k in e}})

    t = time.perf_counter()
    x, y, mask, u, residual = grid_solution(problem, ens)
    final = diagnose(problem, ens, seed=seed)
    boundary = {}
    for cond in problem.conditions:
        key = f"bcs[{cond.index}]"
        if key in final["bc"]:
            boundary[key] = {"type": cond.kind, "pieces": list(cond.pieces), "rms": final["bc"][key],
                             "max": final["bc_max"][key]}
    errors = None
    if ref is not None:
        w = ens.weights
        errors = GridEvaluator(problem, ref.x, ref.y, ref.u, ref.mask, w.device, w.dtype)(ens.canonical)
    timings["evaluate"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t_start
    return SolveResult(problem, ens, x, y, u, mask, residual, boundary, history, ref, errors, timings,
                       info, stopped)


def reference_evaluator(problem: Problem, ref, device, config: PINNConfig):
    """``evaluate(i, θ (K, …), weights (K,))`` -> metrics against ``ref`` of the ensemble of PINNs
    ``config`` (None without a reference)."""
    if ref is None:
        return None
    ev = GridEvaluator(problem, ref.x, ref.y, ref.u, ref.mask, device, torch.float32)

    def evaluate(i: int, theta: dict, weights: torch.Tensor) -> dict:
        ens = PINNEnsemble.from_theta(theta, weights, problem.map.box, config)
        return ev(ens.canonical)

    return evaluate


@torch.no_grad()
def _values(ens: PINNEnsemble, points: torch.Tensor) -> torch.Tensor:
    return torch.cat([ens(c)[..., 0] for c in points.split(65536)])


def grid_solution(problem: Problem, ens: PINNEnsemble, n: int | None = None):
    """``x, y, mask, u, residual`` on the evaluation grid; ``u`` and ``residual = L u − f`` are NaN
    outside the domain. The residual uses the canonical operator at canonical points, equal to the
    user's operator at the user's points (chain rule, :mod:`hyperpino.pde.coords`)."""
    from hyperpino.pde.expr_torch import to_torch

    x, y, mask = evaluation_grid(problem, n)
    w = ens.weights
    xx, yy = np.meshgrid(x, y)
    user = torch.from_numpy(np.stack([xx[mask], yy[mask]], -1)).to(device=w.device, dtype=w.dtype)
    u = np.full(mask.shape, np.nan)
    res = np.full(mask.shape, np.nan)
    if not mask.any():
        return x, y, mask, u, res
    u[mask] = _values(ens, user).double().cpu().numpy()
    coeffs = problem.map.canonical_coefficients(torch.tensor(problem.operator.vector(), dtype=w.dtype,
                                                             device=w.device))
    f = to_torch(problem.source, problem.coords)(user[:, 0], user[:, 1]).expand(user.shape[0])
    canon = problem.map.to_canonical(user)
    parts = []
    for c, fc in zip(canon.split(16384), f.split(16384), strict=True):
        with torch.no_grad():
            d = ens.derivatives(c, order=2)
        parts.append(operator_residual(d, coeffs, fc[None])[0])
    res[mask] = torch.cat(parts).double().cpu().numpy()
    return x, y, mask, u, res
