"""A run's history as typed data: one :class:`Step` per measurement, a :class:`StopReason` per phase.

Modelled on diffrax's ``RESULTS``: the reasons a phase can end are named members that carry their
own message, so the summary, the HDF5 file and the JSON output say the same thing, and code
compares members instead of strings.
"""

from __future__ import annotations

import enum
import math
from dataclasses import asdict, dataclass

from hyperpino.pde.metrics import METRICS


class Stage(enum.Enum):
    """Where in a solve a :class:`Step` was measured."""

    ZERO_SHOT = "zero-shot"
    REFINE = "refine"
    FINETUNE = "finetune"
    SCRATCH = "scratch"
    """Training a PINN from random weights (out-of-family specs, ``--from-scratch``, baselines)."""


class Phase(enum.Enum):
    """The optimiser of a training step (``NONE`` for generation and refinement)."""

    NONE = ""
    ADAM = "adam"
    LBFGS = "lbfgs"


class StopReason(enum.Enum):
    """Why a phase (refinement, fine-tuning, training from scratch) ended.

    ``reason.code`` is a short stable name (JSON, HDF5); ``reason.message`` the sentence the summary
    prints; ``reason.tolerance`` whether the user's own tolerance ended the run.
    """

    STEPS = ("steps", "every step ran", False)
    NO_GAIN = ("no_gain", "a step did not lower the physics loss and was discarded", False)
    STEP_BUDGET = ("step_budget", "step budget spent", False)
    TIME_BUDGET = ("time_budget", "time budget spent", False)
    TOL_RESIDUAL = ("tol_residual", "PDE and boundary residuals reached --tol-residual (relative)", True)
    TOL_BOUNDARY = ("tol_boundary", "boundary residual reached --tol-boundary", True)
    TOL_RESIDUALS = ("tol_residuals",
                     "relative residuals reached --tol-residual, boundary rms --tol-boundary", True)
    TOL_REFERENCE = ("tol_reference", "error against the reference reached --tol (benchmarking)", True)
    TARGET_LOSS = ("target_loss", "loss reached its target", True)
    DIVERGED = ("diverged", "the loss became NaN or infinite", False)
    INTERRUPTED = ("interrupted", "interrupted (Ctrl-C); the kept state so far is returned", False)

    def __init__(self, code: str, message: str, tolerance: bool):
        self.code, self.message, self.tolerance = code, message, tolerance

    def __str__(self) -> str:
        return self.message

    @classmethod
    def from_code(cls, code: str) -> StopReason:
        for r in cls:
            if r.code == code:
                return r
        raise ValueError(f"unknown stop reason {code!r}")


@dataclass(frozen=True)
class Step:
    """One row of a run's history.

    ``time``: seconds (evaluation excluded) since the start of the run it belongs to; ``members``:
    PINNs in the ensemble; ``loss``: the weighted physics loss; ``pde_rms`` / ``bc_rms``: RMS of the
    PDE and boundary residuals; ``residual`` / ``bc_residual``: the relative PDE and boundary
    residuals (:func:`~hyperpino.pde.residual.relative_residual`,
    :func:`~hyperpino.pde.residual.relative_boundary_residual`: what ``--tol-residual`` compares
    with). Errors against a reference (:data:`METRICS`) are None
    without one.
    """

    stage: Stage
    step: int
    time: float
    loss: float
    pde_rms: float
    bc_rms: float
    residual: float | None = None
    members: int = 1
    bc_residual: float | None = None
    phase: Phase = Phase.NONE
    rel_l2: float | None = None
    mse: float | None = None
    mae: float | None = None
    max_abs: float | None = None
    smape: float | None = None

    @property
    def errors(self) -> dict[str, float] | None:
        """The metrics against the reference, or None without one."""
        return None if self.rel_l2 is None else {k: getattr(self, k) for k in METRICS}

    @property
    def label(self) -> str:
        return self.stage.value if self.stage is Stage.ZERO_SHOT else f"{self.stage.value} {self.step}"

    def to_json(self) -> dict:
        """JSON-able (enums as their values, NaN/inf as None)."""
        out = asdict(self)
        out["stage"], out["phase"] = self.stage.value, self.phase.value
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in out.items()}


COLUMNS = ("stage", "step", "members", "time", "phase", "loss", "pde_rms", "bc_rms", "residual",
           "bc_residual", *METRICS)
"""The :class:`Step` fields, in the order the HDF5 file writes them as columns."""
