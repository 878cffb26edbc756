"""Continual-learning methods and the factory the CLI and the bench use."""

from __future__ import annotations

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
    **options: Any,
) -> Method:
    """The method ``name`` for a benchmark; ``make_target(outputs)`` builds the network (called
    with ``C`` for task-conditioned methods, with ``T·C`` or ``C`` for a shared network);
    ``options``: keyword arguments of the method's class (``beta``, ``mip``, ``lam``, ...)."""
    if name not in METHODS:
        raise HyperpinoError(f"--method: unknown {name!r} (known: {', '.join(METHODS)})")
    common = (n_tasks, classes_per_task, scenario)
    if name in ("hnet", "chunked", "lstm"):
        return HNET(make_target(classes_per_task), *common, generator=name, **options)
    if name == "interval":
        return HyperInterval(make_target(classes_per_task), *common, **options)
    if name == "separate":
        return Separate(make_target(classes_per_task), *common, **options)
    shared = make_target(shared_outputs(*common))
    cls = {"ewc": OnlineEWC, "si": SI, "finetune": Finetune, "joint": Joint}[name]
    return cls(shared, *common, **options)
