"""Validation of a HyPINO model on bundled example problems: zero-shot error against references.

The reference HyPINO selects its "best" checkpoint by training loss (Bischof et al. 2025, §3.3
and §7 of the brief); here the best checkpoint is the one with the lowest mean zero-shot relative
L2 error on these problems, whose reference solutions come from the FEM solver (cached on disk).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from hyperpino.model.inputs import Inputs, problem_inputs
from hyperpino.pde.metrics import rel_l2


@dataclass
class _Case:
    name: str
    inputs: Inputs
    points: Tensor  # canonical points of the masked evaluation grid (P, 2)
    ref: np.ndarray  # reference values there (P,)


class Validator:
    """``validator(model) -> {name: rel_l2, ..., "mean", "gmean"}`` for the examples ``names``.

    Problems are rasterised once on the model's grid; evaluation uses at most ``max_points`` of each
    reference grid's points (a fixed, evenly strided subset) to keep validation quick.
    """

    def __init__(self, names: tuple[str, ...], grid: int, *, max_points: int = 4096):
        from hyperpino.demo import examples_dir
        from hyperpino.pde.check import load_problem
        from hyperpino.pde.reference import reference_solution

        self.cases: list[_Case] = []
        for name in names:
            problem = load_problem(examples_dir() / f"{name}.toml")
            ref = reference_solution(problem)
            xx, yy = np.meshgrid(ref.x, ref.y)
            user = np.stack([xx[ref.mask], yy[ref.mask]], -1)
            keep = np.linspace(0, len(user) - 1, min(max_points, len(user))).astype(int)
            pts = problem.map.to_canonical(torch.from_numpy(user[keep])).float()
            self.cases.append(_Case(name, problem_inputs(problem, grid), pts, ref.u[ref.mask][keep]))

    @torch.no_grad()
    def __call__(self, model) -> dict[str, float]:
        device = next(model.parameters()).device
        inputs = Inputs.cat([c.inputs for c in self.cases]).to(device)
        was_training = model.training
        model.train(False)
        try:
            theta, scale = model.predict(inputs)
        finally:
            model.train(was_training)
        out = {}
        for i, case in enumerate(self.cases):
            one = {k: v[i : i + 1].float() for k, v in theta.items()}
            u = model.target(one, case.points.to(device))[0, :, 0] * scale[i]
            out[case.name] = float(rel_l2(u.double().cpu().numpy(), case.ref))
        errs = np.array([out[c.name] for c in self.cases])
        out["mean"] = float(np.mean(errs))
        # Selection uses the geometric mean: one problem's error of 40 must not outweigh the rest.
        out["gmean"] = float(np.exp(np.mean(np.log(np.maximum(errs, 1e-12)))))
        return out
