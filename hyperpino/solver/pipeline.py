"""``solve``: spec in, solution out — zero-shot generation, refinement, fine-tuning, evaluation.

The pipeline of HyPINO (Bischof et al. 2025, arXiv 2509.05117): one hypernetwork pass gives a PINN
for the problem; iterative delta refinement adds PINNs for the error problem (§4 of the brief); the
ensemble can then be fine-tuned like any PINN (§5.2). A spec outside the model's family (variable
coefficients), or any spec with ``from_scratch``, goes to the same PINN trainer from random weights.

One pass: the spec is parsed once (by the caller or :func:`build_problem` here), the family is
checked once, the problem is rasterised once (generation and refinement share the inputs), and the
options are resolved once (:meth:`SolveOptions.resolve`). Every step is measured: physics residuals
at fixed collocation points, and errors against the reference (the exact solution or the FEM
solver) on the evaluation grid when one exists.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from hyperpino.devices import pick_device
from hyperpino.errors import HyperpinoError, OutOfFamilyError
from hyperpino.model.hypino import BUNDLED, HyPINO
from hyperpino.pde.frame import balanced, framed_for, model_frame
from hyperpino.pde.problem import Problem, SpecLike, build_problem
from hyperpino.pde.residual import operator_residual
from hyperpino.pinn.fit import FitConfig, GridEvaluator, scratch_config
from hyperpino.pinn.history import Stage, Step, StopReason
from hyperpino.pinn.network import ModifiedMLP, PINNConfig
from hyperpino.pinn.scale import output_scale
from hyperpino.solver.answer import pick_answer
from hyperpino.solver.ensemble import CanonicalEnsemble, PINNEnsemble
from hyperpino.solver.finetune import WARMUP, finetune_config, finetune_run
from hyperpino.solver.generation import ensembles, inputs_of, predict
from hyperpino.solver.options import SolveOptions
from hyperpino.solver.problems import check_in_family, evaluation_grid, try_reference
from hyperpino.solver.refinement import diagnose, refine_many
from hyperpino.solver.result import BoundaryResidual, SolveResult

if TYPE_CHECKING:
    from hyperpino.pde.reference import ReferenceSolution


def solve(spec: SpecLike, *, model: HyPINO | str | Path | None = None,
          reference: bool | ReferenceSolution = True, progress: Callable[[str], None] | None = None,
          options: SolveOptions | None = None, **overrides) -> SolveResult:
    """Solve one problem and report how well.

    ``spec``: a path, Spec or Problem. ``model``: a HyPINO, a checkpoint path, or None for the
    bundled pretrained model (not loaded when the solve trains from scratch). ``options``: a
    :class:`SolveOptions`; without it, ``overrides`` (``refine``, ``finetune_steps``, ``time_budget``,
    ``tol_residual``, ``tol_boundary``, ``tol``, ``from_scratch``, ``seed``, ``device``, ``dtype``;
    None keeps the spec's value) are laid over the spec's ``[run]`` table. ``reference``: True (exact
    solution or cached FEM), False, or a ``ReferenceSolution``. ``progress`` receives the lines to
    show (at least one every ``progress_every`` seconds while training).
    """
    t_start = time.perf_counter()
    problem = build_problem(spec)
    opts = options or SolveOptions.resolve(problem.spec.run, **overrides)
    say = progress or (lambda line: None)
    try:
        check_in_family(problem)
        in_family = True
    except OutOfFamilyError:
        in_family = False
    scratch = opts.from_scratch or not in_family
    notes: list[str] = []
    if not in_family:
        say(f"{problem.name}: the operator's coefficients vary in space, outside HyPINO's family: "
            "training a PINN from scratch instead")
        notes.append("outside HyPINO's family (variable coefficients): PINN trained from scratch")
    dev = pick_device(opts.device)
    torch.manual_seed(opts.seed)
    timings: dict[str, float] = {}

    if not scratch:  # before the reference: a wrong checkpoint fails in a second, not after the FEM solve
        t = time.perf_counter()
        model, source = _load(model, dev)
        timings["load model"] = time.perf_counter() - t
    ref = None
    if reference is True:
        t = time.perf_counter()
        if problem.exact is None:
            say(f"{problem.name}: computing the FEM reference (cached after the first time) ...")
        ref, why = try_reference(problem)
        timings["reference"] = time.perf_counter() - t
        if why is not None:
            if opts.tol is not None:
                raise HyperpinoError(f"{problem.name}: --tol needs a reference solution, and there is "
                                     f"none ({why})")
            say(f"{problem.name}: no reference solution: {why}")
            notes.append(f"no reference solution: {why}")
    elif reference is not False:
        ref = reference
    if opts.tol is not None and ref is None:
        raise HyperpinoError(f"{problem.name}: --tol needs a reference solution, and none is available")

    history: list[Step] = []
    stopped: dict[Stage, StopReason] = {}
    answered: Step | None = None
    info = {"device": str(dev), "route": "scratch" if scratch else "hypino"}
    size = None  # the scratch PINN's output scale
    # the PINN (and the model's view of the problem) works in the frame where the operator is
    # isotropic (hyperpino.pde.frame), for the model's raster within its MODEL_STRETCH; the grid, the
    # reference and the outputs stay the user's
    problem = balanced(problem) if scratch else model_frame(problem)
    if problem.map.box != problem.box:
        (a0, a1), (b0, b1) = problem.map.box
        say(f"{problem.name}: the PINN works in the frame [{a0:g}, {a1:g}] × [{b0:g}, {b1:g}] around the "
            "domain, where the operator is isotropic")
    if scratch:
        config = PINNConfig()
        torch.manual_seed(opts.seed)
        # the member answers in units of the solution's estimated size (hyperpino.pinn.scale)
        size = output_scale(problem, seed=opts.seed)
        ens = PINNEnsemble(CanonicalEnsemble([ModifiedMLP(config)], [size]), problem.map.box)
        start, offset = ens, 0.0
    else:
        info.update(model=str(source), preset=model.preset, grid=model.config.grid)
        config = model.target.config
        t = time.perf_counter()
        inputs = inputs_of(model, [problem])
        theta, scale = predict(model, inputs)
        (ens,) = ensembles(model, [problem], theta, scale, solve_output=True)
        # Fine-tuning starts from the generated PINN with its own output layer: the least-squares
        # layer of the zero-shot answer often has coefficients 100-1000x larger (cancelling
        # features), and Adam's first steps on the hidden layers then move u by that much
        # (measured on helmholtz_G: rel L2 0.20 after 60 s from the least-squares answer, 3e-3
        # from the generated one).
        (start,) = ensembles(model, [problem], theta, scale, solve_output=False)
        timings["generate"] = time.perf_counter() - t
        say(f"{problem.name}: zero-shot PINN generated in {timings['generate']:.2f} s")
        evaluate = reference_evaluator(problem, ref, dev, config)
        t = time.perf_counter()
        (refined,) = refine_many(model, [problem], [ens], opts.refine, evaluate=evaluate, progress=say,
                                 seed=opts.seed, inputs=[inputs])
        if opts.refine:
            timings["refine"] = time.perf_counter() - t
            stopped[Stage.REFINE] = refined.stopped
        else:
            timings["generate"] += time.perf_counter() - t
        ens = refined.ensemble
        history = [dataclasses.replace(e, time=e.time + timings["generate"]) for e in refined.history]
        offset = history[-1].time

    if opts.trains or scratch:
        stage = Stage.SCRATCH if scratch else Stage.FINETUNE
        cfg = _train_config(opts, scratch, dev.type)
        steps, seconds = opts.budget(scratch)
        bound = " and ".join(b for b in (f"{steps} steps" if steps else "",
                                         f"{seconds:g} s" if seconds else "") if b)
        say(f"{problem.name}: {'training from scratch' if scratch else 'fine-tuning'} for at most {bound} "
            f"({cfg.dtype}; Ctrl-C stops it and keeps the state so far)")
        t = time.perf_counter()
        tuned = finetune_run(problem, start, config=cfg, reference=ref, progress=say, stage=stage,
                             scale=size)
        stopped[stage] = tuned.stopped
        members = len(tuned.ensemble)
        before = history[-1] if history else None
        rows = [dataclasses.replace(e, time=offset + e.time, members=members) for e in tuned.history]
        history += rows
        # the row of the state fine-tuning returned (its start, when the estimate kept that)
        answered = next((r for e, r in zip(tuned.history, rows, strict=True) if e is tuned.best), None)
        if scratch:
            ens = tuned.ensemble
        else:  # the refined ensemble or fine-tuning's answer (hyperpino.solver.answer)
            try:
                ens, said = pick_answer(problem, ens, tuned, history, w_pde=cfg.w_pde, seed=opts.seed)
                notes += said
            except KeyboardInterrupt:  # Ctrl-C while comparing (a second or so): fine-tuning's answer
                ens = tuned.ensemble
                stopped[stage] = tuned.stopped = StopReason.INTERRUPTED
            if ens is not tuned.ensemble:
                answered = before
        timings["train" if scratch else "finetune"] = time.perf_counter() - t
        say(f"{problem.name}: {stage.value} stopped: {tuned.stopped.message}")

    t = time.perf_counter()
    x, y, mask, u, residual = grid_solution(problem, ens)
    route = "training from scratch" if scratch else "fine-tuning" if opts.trains else \
        "refinement" if opts.refine else "zero-shot generation"
    if not scratch and "model" in info:
        route += f" from the model {info['model']}"
    require_finite_solution(problem, ens, x, y, mask, u, route)
    final = diagnose(problem, ens, seed=opts.seed)
    boundary = [BoundaryResidual(f"bcs[{c.index}]", c.kind, tuple(c.pieces), final["bc"][f"bcs[{c.index}]"],
                                 final["bc_max"][f"bcs[{c.index}]"])
                for c in problem.conditions if f"bcs[{c.index}]" in final["bc"]]
    errors = None
    if ref is not None:
        w = ens.weights
        errors = GridEvaluator(problem, ref.x, ref.y, ref.u, ref.mask, w.device, w.dtype)(ens.canonical)
    at = answered or (history[-1] if history else None)  # the row of the state answered
    where = (at.stage, at.step, at.time) if at else (Stage.SCRATCH, 0, 0.0)
    kept = Step(*where, final["loss"], final["pde_rms"], final["bc_rms"], final["residual"],
                members=len(ens), bc_residual=final["bc_residual"], **(errors or {}))
    timings["evaluate"] = time.perf_counter() - t
    timings["solve"] = time.perf_counter() - t_start
    advice = next_step(final["residual"], final["bc_residual"], trained=opts.trains or scratch,
                       refine_no_gain=stopped.get(Stage.REFINE) is StopReason.NO_GAIN,
                       zero_data=final["zero_data"], u_rms=final["u_rms"])
    if advice:
        notes.append(advice)
    info.update(options=opts.to_json(), dtype=str(ens.weights.dtype).removeprefix("torch."))
    return SolveResult(problem, ens, x, y, u, mask, residual, boundary, history, kept, ref, errors, timings,
                       info, stopped, notes)


def require_finite_solution(problem: Problem, ens: PINNEnsemble, x: np.ndarray, y: np.ndarray,
                            mask: np.ndarray, u: np.ndarray, route: str) -> None:
    """Raise :class:`HyperpinoError` when the solution ``u (n, n)`` is not finite on the domain
    (``mask``): nothing is written then. The message names the cause as far as it is known: weights
    that are not finite, or an overflow of finite weights, after ``route``."""
    bad = mask & ~np.isfinite(u)
    if not bad.any():
        return
    count, total = int(bad.sum()), int(mask.sum())
    i, j = (int(k[0]) for k in np.nonzero(bad))
    a, b = problem.coords
    theta, weights = ens.theta()
    broken = [name for name, v in {**theta, "weights": weights}.items() if not bool(torch.isfinite(v).all())]
    cause = (f"the PINN's parameters {', '.join(broken[:3])} are not finite" if broken
             else "the PINN overflows with finite parameters")
    at = f"({a}, {b}) = ({x[j]:.6g}, {y[i]:.6g})"
    raise HyperpinoError(f"{problem.name}: the solution is not finite at {count} of {total} grid points "
                         f"inside the domain, first at {at} ({u[i, j]}), after {route}: {cause}; "
                         "nothing was written")


UNSOLVED = 0.1
"""A relative residual (PDE or boundary) above this: the answer does not solve the problem yet. The
residuals are backward errors, the share of the equation's own terms left unbalanced. Fine-tuning
the eleven in-family examples for 2, 5, 10 and 20 s (2026-12-07, one thread): the 19 answers above it
had rel. L2 5.3e-2 to 1.05, 24 of the 25 below it 1.2e-4 to 8.8e-2 (the wave at 20 s: 0.45, residuals
6.0e-3 and 6.9e-2; an initial-value problem, where small residuals do not bound the error). Above
it the physics loss does not rank answers by their error (poisson_C after 5 s without the estimate
of :mod:`hyperpino.pinn.estimate`: residuals 0.38 and 0.37, from 0.94 and 0.50, rel. L2 0.60 from
0.56), so the summary says the answer is not a solution yet."""


def next_step(residual: float, bc_residual: float, *, trained: bool, refine_no_gain: bool,
              zero_data: bool = False, u_rms: float = math.nan) -> str | None:
    """The summary's advice on the answer's relative residuals (None when there is none to give):
    a warning above :data:`UNSOLVED`, naming the options that train further; else, when refinement
    stopped helping and nothing trained, how to go further. With ``zero_data`` (source and boundary
    data zero) the solution is u = 0, the answer's error is its RMS ``u_rms``, and the relative
    residuals (ratios of what is left of u) say nothing: the advice gives that RMS instead."""
    if zero_data and math.isfinite(u_rms):
        return (f"the source and the boundary data are all zero, so u = 0 solves the problem and the "
                f"answer's error is its RMS, {u_rms:.2g} (relative residuals say nothing here)")
    go_on = "--time-budget 60s or --tol-residual 1e-3"
    if not (residual <= UNSOLVED and bc_residual <= UNSOLVED):  # a NaN in either included
        # a run that trained may already have had 60 s: it is told to give more, not a fixed figure
        return (f"the answer does not solve the problem yet (relative residuals: PDE {residual:.2g}, "
                f"boundary {bc_residual:.2g}; above {UNSOLVED:g}): "
                + ("train longer, a larger --time-budget or --tol-residual 1e-3" if trained
                   else f"fine-tune it, {go_on}, or --from-scratch"))
    if refine_no_gain and not trained:
        return f"refinement stopped helping; to go further: {go_on} (fine-tuning), or --from-scratch"
    return None


def _load(model, dev):
    if model is None or isinstance(model, (str, Path)):
        source = BUNDLED if model is None else Path(model)
        return HyPINO.pretrained(source, device=dev), source
    return model.to(dev).train(False), "(in memory)"


def _train_config(opts: SolveOptions, scratch: bool, device: str) -> FitConfig:
    """The trainer's settings for this solve (see :meth:`SolveOptions.budget`)."""
    steps, seconds = opts.budget(scratch)
    base = finetune_config(steps) if steps else scratch_config(seconds)
    warmup = 0 if scratch else base.warmup if steps else WARMUP
    return dataclasses.replace(base, time_budget=seconds, warmup=warmup, target_error=opts.tol,
                               tol_residual=opts.tol_residual, tol_boundary=opts.tol_boundary, seed=opts.seed,
                               dtype=opts.dtype, device=device, progress_every=opts.progress_every)


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

    problem = framed_for(problem, ens.box, "grid_solution")  # the derivatives are the PINN's frame's
    x, y, mask = evaluation_grid(problem, n)
    w = ens.weights
    xx, yy = np.meshgrid(x, y)
    user = torch.from_numpy(np.stack([xx[mask], yy[mask]], -1)).to(device=w.device, dtype=w.dtype)
    u = np.full(mask.shape, np.nan)
    res = np.full(mask.shape, np.nan)
    if not mask.any():
        return x, y, mask, u, res
    u[mask] = _values(ens, user).double().cpu().numpy()
    canon = problem.map.to_canonical(user)
    f = to_torch(problem.source, problem.coords)(user[:, 0], user[:, 1]).expand(user.shape[0])
    # per point (N, 6); the canonical coefficients of the user's operator (chain rule)
    coeffs = problem.map.canonical_coefficients(problem.operator.coefficient_fn()(user)).to(w)
    coeffs = coeffs.expand(user.shape[0], coeffs.shape[-1])
    parts = []
    for c, fc, k in zip(canon.split(16384), f.split(16384), coeffs.split(16384), strict=True):
        with torch.no_grad():
            d = ens.derivatives(c, order=2)
        parts.append(operator_residual(d, k[None], fc[None])[0])
    res[mask] = torch.cat(parts).double().cpu().numpy()
    return x, y, mask, u, res
