"""Symbolic method-of-manufactured-solutions problems and datasets (HyPINO's training data).

Random solutions u* from a grammar, random operators of a configured type mix, random holed
geometries and boundary conditions; f = L u* and boundary data exactly, for batches of samples at
once in torch; every sample can be written as a spec file. References: Roache 2002 (MMS), Bischof
et al. 2025, HyPINO, arXiv 2509.05117 (§2–3). See ``docs/mms.md``.
"""

import importlib

# Public names and the module each lives in. Imported on first use (PEP 562) so that
# `hyperpino mms --help` and the other subcommands do not pay for torch and sympy at start-up.
_EXPORTS = {
    "Batch": "batch", "Sample": "batch",
    "MMSConfig": "config", "config_from_mapping": "config", "load_config": "config",
    "H5Dataset": "datasets", "StreamDataset": "datasets",
    "MMSGenerator": "generator", "evaluate_terms": "generator",
    "generate_file": "hdf5",
    "CODES": "recipe", "KINDS": "recipe", "Recipe": "recipe", "draw_recipe": "recipe",
    "Template": "templates", "template": "templates",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'hyperpino.mms' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"hyperpino.mms.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value
