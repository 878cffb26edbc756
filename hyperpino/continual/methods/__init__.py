"""Continual-learning methods and the factory the CLI and the bench use."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from torch import nn

from hyperpino.continual.methods.base import SCENARIOS as SCENARIOS
from hyperpino.continual.methods.base import Method as Method
from hyperpino.continual.methods.base import Scenario as Scenario
from hyperpino.continual.methods.base import TaskConditioned as TaskConditioned
from hyperpino.continual.methods.ewc import OnlineEWC as OnlineEWC
from hyperpino.continual.methods.hnet import GENERATORS as GENERATORS
from hyperpino.continual.methods.hnet import HNET as HNET
from hyperpino.continual.methods.interval import HyperInterval as HyperInterval
from hyperpino.continual.methods.separate import Separate as Separate
from hyperpino.continual.methods.shared import Finetune as Finetune
from hyperpino.continual.methods.shared import Joint as Joint
from hyperpino.continual.methods.shared import SharedNet as SharedNet
from hyperpino.continual.methods.shared import shared_outputs as shared_outputs
from hyperpino.continual.methods.si import SI as SI
from hyperpino.errors import HyperpinoError

METHODS = ("hnet", "chunked", "lstm", "interval", "ewc", "si", "finetune", "separate", "joint")


def build_method(
    name: str,
    make_target: Callable[[int], nn.Module],
    n_tasks: int,
    classes_per_task: int,
    scenario: Scenario,
    *,
    input_shape: tuple[int, ...] | None = None,
    **options: Any,
) -> Method:
    """The method ``name`` for a benchmark; ``make_target(outputs)`` builds the network (called
    with ``C`` for task-conditioned methods, with ``T·C`` or ``C`` for a shared network);
    ``options``: keyword arguments of the method's class (``beta``, ``mip``, ``lam``, ...), and
    for task-conditioned methods ``task_inference="ppca"`` (per-task generative models for CL2/CL3,
    :mod:`hyperpino.continual.task_inference`; needs ``input_shape``) or ``"entropy"``."""
    if name not in METHODS:
        raise HyperpinoError(f"--method: unknown {name!r} (known: {', '.join(METHODS)})")
    common = (n_tasks, classes_per_task, scenario)
    inference = options.pop("task_inference", "entropy")
    if inference not in ("entropy", "ppca"):
        raise HyperpinoError(f"--option task_inference: unknown {inference!r} (known: entropy, ppca)")
    method: Method
    if name in ("hnet", "chunked", "lstm"):
        method = HNET(make_target(classes_per_task), *common, generator=name, **options)
    elif name == "interval":
        method = HyperInterval(make_target(classes_per_task), *common, **options)
    elif name == "separate":
        method = Separate(make_target(classes_per_task), *common, **options)
    else:
        if inference != "entropy":
            raise HyperpinoError(f"--option task_inference: {name} has one shared network, no task to infer")
        shared = make_target(shared_outputs(*common))
        cls = {"ewc": OnlineEWC, "si": SI, "finetune": Finetune, "joint": Joint}[name]
        return cls(shared, *common, **options)
    if inference == "ppca":
        if input_shape is None:
            raise HyperpinoError("task_inference=ppca: build_method needs input_shape")
        method.use_generative_inference(math.prod(input_shape))
    return method
