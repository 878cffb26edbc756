"""The solve pipeline: a spec in, a solution out (Bischof et al. 2025, HyPINO, arXiv 2509.05117).

``load_spec`` → ``HyPINO.pretrained()`` → ``generate`` (zero-shot, batched) → ``refine`` (delta
PINNs for the error problem) → ``finetune`` (the PINN trainer) → a :class:`SolveResult` with the
solution on the evaluation grid, residuals, errors against a reference, HDF5 and PNG output.
``solve`` does it all. See ``docs/solve.md``.

Names are imported on first use (PEP 562), so ``hyperpino solve --help`` does not pay for torch.

``hyperpino.solve`` is both this package and the function :func:`solve`: the import system sets
the package as the attribute ``hyperpino.solve`` whenever a submodule is imported, which would
shadow the function. The package module is therefore callable and forwards to the function, so
``hyperpino.solve(spec)`` works whatever was imported before.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from hyperpino._lazy import lazy_exports

_EXPORTS = {
    "load_spec": ("problems", "load_spec"),
    "as_problem": ("problems", "as_problem"),
    "reference_for": ("problems", "reference_for"),
    "PINNEnsemble": ("ensemble", "PINNEnsemble"),
    "CanonicalEnsemble": ("ensemble", "CanonicalEnsemble"),
    "save_pinn": ("export", "save_pinn"),
    "load_pinn": ("export", "load_pinn"),
    "pretrained": ("generation", "pretrained"),
    "generate": ("generation", "generate"),
    "BUNDLED": ("generation", "BUNDLED"),
    "refine": ("refinement", "refine"),
    "refine_many": ("refinement", "refine_many"),
    "finetune": ("finetune", "finetune"),
    "finetune_run": ("finetune", "finetune_run"),
    "solve": ("pipeline", "solve"),
    "SolveResult": ("result", "SolveResult"),
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, globals(), _EXPORTS)


class _CallablePackage(types.ModuleType):
    """This package's module type: calling it calls :func:`hyperpino.solve.pipeline.solve`."""

    def __call__(self, spec: Any, **options: Any) -> Any:
        from hyperpino.solve.pipeline import solve

        return solve(spec, **options)


sys.modules[__name__].__class__ = _CallablePackage
