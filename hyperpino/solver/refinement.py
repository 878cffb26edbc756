"""Iterative delta refinement: add PINNs that solve the error problem of the current ensemble.

For a linear operator the correction ``δ = u − ū`` of an approximation ``ū`` solves
``L δ = f − L ū`` with boundary data ``g − B ū`` on the same geometry (Bischof et al. 2025, HyPINO,
arXiv 2509.05117, §4 of the brief). Each step rasterises that error problem with
:func:`~hyperpino.model.inputs.error_inputs` — exactly how training builds the delta step — asks the
model for δ (``model.predict``) and appends it to the ensemble. Unlike the reference, which always
runs ``num_iter`` steps, a step whose physics loss (PDE + boundary residual at fixed collocation
points) does not improve is discarded and refinement stops there.

Cost: ū's derivatives are needed at the same fixed points every step (the image grid, the band
feet, the collocation points), so :class:`ResidualProbe` keeps running sums and evaluates only the
newest member — k steps cost O(k) member evaluations instead of O(k²).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from hyperpino.errors import HyperpinoError, SpecError
from hyperpino.model.inputs import Inputs, error_inputs
from hyperpino.model.output_layer import Rows, solve_output_layer
from hyperpino.pde import geometry as geo
from hyperpino.pde.collocation import sample_problem
from hyperpino.pde.frame import framed_for
from hyperpino.pde.problem import Problem, SpecLike, build_problem
from hyperpino.pde.residual import (
    Derivatives,
    operator_residual,
    relative_boundary_residual,
    relative_residual,
    robin_residual,
)
from hyperpino.pinn.fit import FitConfig
from hyperpino.pinn.history import Stage, Step, StopReason
from hyperpino.solver.ensemble import PINNEnsemble
from hyperpino.solver.generation import inputs_of, model_device, predict
from hyperpino.solver.problems import check_in_family

if TYPE_CHECKING:
    from hyperpino.model.hypino import HyPINO
    from hyperpino.model.target import TargetPINN

W_BC = FitConfig.w_bc
"""Weight of the boundary term in the physics loss (the PINN trainer's default ``w_bc``)."""

Evaluate = Callable[[int, dict[str, Tensor], Tensor], dict]
"""``evaluate(problem index, θ name -> (K, *shape), weights (K,)) -> extra history fields``."""


def _add(a: Derivatives | None, b: Derivatives) -> Derivatives:
    if a is None:
        return b
    hess = None if a.hess is None or b.hess is None else a.hess + b.hess
    return Derivatives(a.u + b.u, a.grad + b.grad, hess)


class ResidualProbe:
    """Derivatives and residuals of one problem's growing ensemble at fixed canonical points.

    Point sets: ``n_interior`` / ``n_boundary`` collocation points (fixed ``seed``) for the residuals
    and, given the model's ``inputs`` (B = 1), its image grid (order 2) and the band feet (order 1),
    which :func:`error_inputs` asks for. ``add`` evaluates new members only; sums have ``M = 1``.
    """

    def __init__(self, problem: Problem, inputs: Inputs | None, target: TargetPINN, *, n_interior: int = 2048,
                 n_boundary: int = 1024, seed: int = 0, device=None, dtype: torch.dtype = torch.float32):
        self.target = target
        if inputs is not None:
            device, dtype = inputs.images.device, inputs.images.dtype
        col = sample_problem(problem, n_interior, n_boundary, dtype=dtype,
                             generator=torch.Generator().manual_seed(seed))
        self.col = type(col)(**{k: v.to(device) for k, v in vars(col).items()})
        # the residual sets come first (indices 0, 1); the model-grid sets only with inputs
        self.sets: list[tuple[Tensor, int]] = [(self.col.interior, 2), (self.col.boundary, 1)]
        if inputs is not None:
            grid = geo.grid_points(inputs.images.shape[-1], dtype=dtype).reshape(-1, 2).to(device)
            self.sets += [(grid, 2), (inputs.foot[0], 1)]
        self.sums: list[Derivatives | None] = [None] * len(self.sets)
        self.thetas: list[dict[str, Tensor]] = []
        self.weights: list[Tensor] = []
        self.conditions = sorted({int(i) for i in self.col.condition.tolist()})

    def _eval(self, theta: dict[str, Tensor], weights: Tensor, points: Tensor, order: int) -> Derivatives:
        d = self.target.derivatives(theta, points, order=order, scale=weights)
        return Derivatives(d.u.sum(0, keepdim=True), d.grad.sum(0, keepdim=True),
                           None if d.hess is None else d.hess.sum(0, keepdim=True))

    def add(self, theta: dict[str, Tensor], weights: Tensor) -> None:
        """Append members ``name -> (K, *shape)`` with ``weights (K,)``."""
        with torch.no_grad():
            for i, (pts, order) in enumerate(self.sets):
                self.sums[i] = _add(self.sums[i], self._eval(theta, weights, pts, order))
        self.thetas.append(theta)
        self.weights.append(weights)

    def state(self) -> tuple[list, int]:
        return list(self.sums), len(self.thetas)

    def restore(self, state: tuple[list, int]) -> None:
        self.sums, n = list(state[0]), state[1]
        del self.thetas[n:], self.weights[n:]

    def theta(self) -> tuple[dict[str, Tensor], Tensor]:
        """All members so far: ``name -> (K, *shape)`` and ``weights (K,)``."""
        return ({k: torch.cat([t[k] for t in self.thetas]) for k in self.thetas[0]},
                torch.cat(self.weights))

    def derivs(self, points: Tensor, order: int) -> Derivatives:
        """The ensemble's derivatives at ``points (1, P, 2)`` (a :data:`~hyperpino.model.inputs.DerivFn`
        for one problem); cached sums when the points are one of the fixed sets."""
        p = points[0]
        for (pts, o), s in zip(self.sets, self.sums, strict=True):
            if o >= order and s is not None and pts.shape == p.shape and torch.equal(pts, p):
                return s
        theta, weights = self.theta()
        with torch.no_grad():
            return self._eval(theta, weights, p, order)

    def error_rows(self) -> Rows:
        """The error problem's rows at the fixed points (B = 1): ``f − L ū`` and ``g − B ū``."""
        c = self.col
        source = -operator_residual(self.sums[0], c.coeffs[None], c.source[None])
        g = -robin_residual(self.sums[1], c.direction, c.a, c.b, c.g)
        return Rows(c.interior[None], c.coeffs[None], source, c.boundary[None], c.a[None], c.b[None], g,
                    c.direction[None])

    def residuals(self) -> dict:
        """RMS of the PDE residual (``pde_rms``; ``residual``: relative, see
        :func:`~hyperpino.pde.residual.relative_residual`; ``bc_residual``: the boundary's, see
        :func:`~hyperpino.pde.residual.relative_boundary_residual`), of the boundary residual (all
        rows; RMS and max per ``bcs`` entry), and the physics loss ``mean r_pde² + W_BC · mean r_bc²``
        (user units; see pde/collocation.py); ``zero_data``: the source and the boundary data are zero
        at every point, and ``u_rms``: the RMS of u inside."""
        c = self.col
        r_pde = operator_residual(self.sums[0], c.coeffs[None], c.source[None])[0]
        r_bc = robin_residual(self.sums[1], c.direction, c.a, c.b, c.g)[0]
        pde, bc = float(r_pde.square().mean()), float(r_bc.square().mean())
        rows = {i: r_bc[c.condition == i] for i in self.conditions}
        return {"pde_rms": pde ** 0.5, "bc_rms": bc ** 0.5, "loss": pde + W_BC * bc,
                "residual": float(relative_residual(self.sums[0], c.coeffs[None], c.source[None])[0]),
                "bc_residual": float(relative_boundary_residual(self.sums[1], c.direction, c.a, c.b, c.g,
                                                                self.sums[0])[0]),
                "bc": {f"bcs[{i}]": float(r.square().mean().sqrt()) for i, r in rows.items()},
                "bc_max": {f"bcs[{i}]": float(r.abs().max()) for i, r in rows.items()},
                # zero source and boundary data: u = 0 solves it, and the relative residuals compare noise
                "zero_data": not (bool((c.source != 0).any()) or bool((c.g != 0).any())),
                "u_rms": float(self.sums[0].u.square().mean().sqrt())}


@dataclass
class Refined:
    """The result for one problem: the refined ``ensemble`` and one ``history`` row per kept step
    (step 0 is the ensemble refinement started from); ``stopped`` says why it ended."""

    ensemble: PINNEnsemble
    history: list[Step] = field(default_factory=list)
    stopped: StopReason = StopReason.STEPS


def refine_many(model: HyPINO, problems: Sequence[Problem], ensembles: Sequence[PINNEnsemble], iters: int,
                *, rtol: float = 0.0, early_stop: bool = True, evaluate: Evaluate | None = None,
                progress: Callable[[str], None] | None = None, n_interior: int = 2048,
                n_boundary: int = 1024, seed: int = 0, solve_output: bool = True,
                inputs: Sequence[Inputs] | None = None) -> list[Refined]:
    """Refine B problems together (one model pass per step for all still improving).

    With ``solve_output`` each delta PINN's output layer is solved by least squares on its error
    problem's rows (:mod:`hyperpino.model.output_layer`), as zero-shot generation does.

    A step is kept when the physics loss drops below ``(1 − rtol)`` times the best so far; else,
    with ``early_stop``, it is discarded and that problem stops. ``evaluate`` adds fields (e.g.
    errors against a reference) to each history entry; its time is not counted in ``time``.
    ``inputs``: the problems' model inputs when the caller has them (they are checked to be in the
    model's family then); otherwise each problem is checked and rasterised here.
    """
    if iters < 0:
        raise SpecError("refine", f"the number of refinement steps must be >= 0, got {iters}")
    dev = model_device(model)
    states = []
    t_eval = 0.0
    t0 = time.perf_counter()

    def entry(i: int, step: int, probe: ResidualProbe) -> Step:
        nonlocal t_eval
        elapsed = time.perf_counter() - t0 - t_eval
        r = probe.residuals()
        errors = {}
        if evaluate is not None:
            t = time.perf_counter()
            errors = evaluate(i, *probe.theta())
            t_eval += time.perf_counter() - t
        return Step(Stage.ZERO_SHOT if step == 0 else Stage.REFINE, step, elapsed, r["loss"], r["pde_rms"],
                    r["bc_rms"], r["residual"], members=len(probe.theta()[1]), bc_residual=r["bc_residual"],
                    **errors)

    for i, (problem, ens) in enumerate(zip(problems, ensembles, strict=True)):
        if inputs is None:  # rasterised here, in the PINN's frame (hyperpino.pde.frame)
            problem = framed_for(problem, ens.box, "refine")
            check_in_family(problem)
        elif ens.box != problem.map.box:
            raise HyperpinoError(f"refine: the PINN was made for the box {ens.box}, the inputs for "
                                 f"{problem.name}'s frame {problem.map.box}")
        inputs_i = (inputs_of(model, [problem]) if inputs is None else inputs[i]).to(dev)
        probe = ResidualProbe(problem, inputs_i, model.target, n_interior=n_interior,
                              n_boundary=n_boundary, seed=seed)
        theta, weights = ens.theta()
        probe.add({k: v.to(dev, torch.float32) for k, v in theta.items()}, weights.to(dev, torch.float32))
        first = entry(i, 0, probe)
        states.append({"problem": problem, "inputs": inputs_i, "probe": probe, "start": len(ens),
                       "best": first.loss, "history": [first], "stopped": None})
    active = list(range(len(states)))
    for step in range(1, iters + 1):
        if not active:
            break
        errs = [error_inputs(states[i]["inputs"], states[i]["probe"].derivs) for i in active]
        theta, scale = predict(model, Inputs.cat(errs))
        if solve_output:
            rows = Rows.stack([states[i]["probe"].error_rows() for i in active])
            solved = solve_output_layer(model.target, theta, scale, rows)
            theta = {**theta, "out.weight": solved["out.weight"], "out.bias": solved["out.bias"]}
        for j, i in enumerate(active):
            st, probe = states[i], states[i]["probe"]
            saved = probe.state()
            probe.add({k: v[j:j + 1] for k, v in theta.items()}, scale[j:j + 1])
            e = entry(i, step, probe)
            improved = e.loss < (1.0 - rtol) * st["best"]
            if improved or not early_stop:
                st["best"] = min(st["best"], e.loss)
                st["history"].append(e)
            else:
                probe.restore(saved)
                st["stopped"] = StopReason.NO_GAIN
            if progress is not None:
                verdict = "kept" if improved or not early_stop else "discarded"
                progress(f"{st['problem'].name}: refine {step}/{iters} loss {e.loss:.3e} "
                         f"(PDE residual {e.residual:.2e}, boundary rms {e.bc_rms:.3e}) {verdict}")
        active = [i for i in active if not states[i]["stopped"]]
    out = []
    for st, ens in zip(states, ensembles, strict=True):
        probe = st["probe"]
        theta, weights = probe.theta()
        new = {k: v[st["start"]:] for k, v in theta.items()}
        refined = ens.extended(new, weights[st["start"]:]) if len(weights) > st["start"] else ens
        out.append(Refined(refined, st["history"], st["stopped"] or StopReason.STEPS))
    return out


def refine(model: HyPINO, specs: SpecLike | Sequence[SpecLike], pinns: PINNEnsemble | Sequence[PINNEnsemble],
           iters: int = 3, **options) -> PINNEnsemble | list[PINNEnsemble]:
    """Refined ensembles: one spec and PINN give one ensemble, lists give a list (see
    :func:`refine_many` for ``options``). The given PINNs are not modified."""
    single = not isinstance(specs, (list, tuple))
    problems = [build_problem(s) for s in ([specs] if single else specs)]
    ens = [pinns] if single else list(pinns)
    for e in ens:
        if not isinstance(e, PINNEnsemble):
            raise HyperpinoError(f"refine: expected a PINNEnsemble (from generate), got {type(e).__name__}")
    out = [r.ensemble for r in refine_many(model, problems, ens, iters, **options)]
    return out[0] if single else out


def diagnose(problem: Problem, ens: PINNEnsemble, *, n_interior: int = 2048, n_boundary: int = 1024,
             seed: int = 0) -> dict:
    """:meth:`ResidualProbe.residuals` of a finished ensemble (any device and dtype), in its frame."""
    from hyperpino.model.target import TargetPINN

    problem = framed_for(problem, ens.box, "diagnose")
    theta, weights = ens.theta()
    probe = ResidualProbe(problem, None, TargetPINN(ens.config).to(weights.device), n_interior=n_interior,
                          n_boundary=n_boundary, seed=seed, device=weights.device, dtype=weights.dtype)
    probe.add(theta, weights)
    return probe.residuals()
