"""The solve pipeline: a spec in, a solution out (Bischof et al. 2025, HyPINO, arXiv 2509.05117).

``build_problem`` → ``HyPINO.pretrained()`` → ``generate`` (zero-shot, batched) → ``refine`` (delta
PINNs for the error problem) → ``finetune`` (the PINN trainer) → a :class:`SolveResult` with the
solution on the evaluation grid, residuals, errors against a reference, HDF5 and PNG output.
``solve`` does it all. See ``docs/solve.md``.

Names are imported on first use (PEP 562), so ``hyperpino solve --help`` does not pay for torch.
The package is ``solver`` so that ``hyperpino.solve`` stays the function.
"""

from __future__ import annotations

from hyperpino._lazy import lazy_exports

_EXPORTS = {
    "reference_for": ("problems", "reference_for"),
    "try_reference": ("problems", "try_reference"),
    "PINNEnsemble": ("ensemble", "PINNEnsemble"),
    "CanonicalEnsemble": ("ensemble", "CanonicalEnsemble"),
    "save_pinn": ("export", "save_pinn"),
    "load_pinn": ("export", "load_pinn"),
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

