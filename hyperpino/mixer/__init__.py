"""MixER: sparse top-1 mixtures of context-conditioned neural-ODE experts for families of dynamical
systems, with a K-means + least-squares gate update (Nzoyem et al. 2025, arXiv 2502.05335).

Imports only :mod:`hyperpino.hypernet` and :mod:`hyperpino.errors` from the project.
"""

from hyperpino._lazy import lazy_exports

_EXPORTS = {
    "Adapted": ("adaptation", "Adapted"), "adapt": ("adaptation", "adapt"),
    "predict": ("adaptation", "predict"),
    "Dataset": ("dataset", "Dataset"), "Split": ("dataset", "Split"),
    "load_dataset": ("dataset", "load"), "save_dataset": ("dataset", "save"),
    "evaluate": ("evaluation", "evaluate"),
    "CoDAExpert": ("experts", "CoDAExpert"), "Expert": ("experts", "Expert"),
    "GEPSExpert": ("experts", "GEPSExpert"), "NCFExpert": ("experts", "NCFExpert"),
    "fit_gate": ("gate", "fit_gate"), "gate_update": ("gate", "gate_update"), "kmeans": ("gate", "kmeans"),
    "SuiteConfig": ("suites", "SuiteConfig"), "generate": ("suites", "generate"),
    "SolverConfig": ("integrate", "SolverConfig"),
    "MixER": ("mixture", "MixER"), "MixERConfig": ("mixture", "MixERConfig"),
    "MixerTrainConfig": ("alternating", "MixerTrainConfig"), "Trainer": ("alternating", "Trainer"),
    "build_model": ("alternating", "build_model"), "load_trained": ("alternating", "load_trained"),
}
__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, globals(), _EXPORTS)
