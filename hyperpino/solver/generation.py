"""Zero-shot generation: problems in, PINNs out, many problems in one forward pass.

``model.predict`` maps B rasterised problems to B parameter sets θ and output scales (Bischof et
al. 2025, HyPINO, arXiv 2509.05117: one hypernetwork pass per PDE); each becomes a one-member
:class:`~hyperpino.solver.ensemble.PINNEnsemble` in the problem's own coordinates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from hyperpino.model.hypino import BUNDLED as BUNDLED
from hyperpino.model.inputs import Inputs, problem_inputs
from hyperpino.model.output_layer import Rows, problem_rows, solve_output_layer
from hyperpino.pde.frame import model_frame
from hyperpino.pde.problem import Problem, SpecLike, build_problem
from hyperpino.solver.ensemble import PINNEnsemble
from hyperpino.solver.problems import check_in_family

if TYPE_CHECKING:
    from hyperpino.model.hypino import HyPINO

def model_device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def predict(model: HyPINO, inputs: Inputs, *, batch_size: int = 64) -> tuple[dict[str, Tensor], Tensor]:
    """``model.predict`` in eval mode, without gradients, in chunks of ``batch_size`` problems:
    θ ``name -> (B, *shape)`` and ``scale (B,)`` (float32, on the model's device)."""
    was_training = model.training
    model.train(False)
    try:
        parts = []
        for i in range(0, len(inputs), batch_size):
            chunk = Inputs(inputs.images[i:i + batch_size], inputs.coeffs[i:i + batch_size],
                           inputs.foot[i:i + batch_size], inputs.direction[i:i + batch_size])
            parts.append(model.predict(chunk.to(model_device(model))))
    finally:
        model.train(was_training)
    theta = {k: torch.cat([p[0][k] for p in parts]).float() for k in parts[0][0]}
    return theta, torch.cat([p[1] for p in parts]).float()


def inputs_of(model: HyPINO, problems: Sequence[Problem]) -> Inputs:
    """The raw model inputs of ``problems`` (B = len(problems), each checked to be in the model's
    family by the caller) on the model's grid: the one rasterisation of a problem."""
    return Inputs.cat([problem_inputs(p, model.config.grid) for p in problems])


def generate(model: HyPINO, specs: SpecLike | Sequence[SpecLike], *, batch_size: int = 64,
             solve_output: bool = True) -> PINNEnsemble | list[PINNEnsemble]:
    """The zero-shot PINN of each problem: one spec gives one module, a list gives a list.

    Every problem goes through one batched forward pass (in chunks of ``batch_size``) on the
    model's device; the PINNs live there too. Each maps user points ``(N, 2)`` to ``(N, 1)``.
    ``solve_output`` (default): the PINN's output layer is then solved by least squares on the
    problem's PDE and boundary rows (:mod:`hyperpino.model.output_layer`); ``False`` keeps the
    generated one (the published HyPINO's answer).
    """
    single = not isinstance(specs, (list, tuple))
    problems = [model_frame(build_problem(s)) for s in ([specs] if single else specs)]
    if not problems:
        return []
    for p in problems:
        check_in_family(p)
    theta, scale = predict(model, inputs_of(model, problems), batch_size=batch_size)
    out = ensembles(model, problems, theta, scale, solve_output=solve_output, batch_size=batch_size)
    return out[0] if single else out


def ensembles(model: HyPINO, problems: Sequence[Problem], theta: dict[str, Tensor], scale: Tensor, *,
              solve_output: bool = True, batch_size: int = 64) -> list[PINNEnsemble]:
    """One-member ensembles from predicted ``theta`` ``name -> (B, *shape)`` and ``scale (B,)``
    (see :func:`generate`; ``theta`` is not modified)."""
    theta = dict(theta)
    if solve_output:
        theta["out.weight"], theta["out.bias"] = theta["out.weight"].clone(), theta["out.bias"].clone()
        dev = model_device(model)
        for i in range(0, len(problems), batch_size):
            part = slice(i, i + batch_size)
            rows = Rows.stack([problem_rows(p, device=dev) for p in problems[part]])
            part_theta = {k: v[part] for k, v in theta.items()}
            solved = solve_output_layer(model.target, part_theta, scale[part], rows)
            for k in ("out.weight", "out.bias"):
                theta[k][part] = solved[k]
    return [PINNEnsemble.from_theta({k: v[i:i + 1] for k, v in theta.items()}, scale[i:i + 1],
                                    p.map.box, model.target.config)
            for i, p in enumerate(problems)]
