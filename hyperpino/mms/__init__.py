"""Symbolic method-of-manufactured-solutions problems and datasets (HyPINO's training data).

Random solutions u* from a grammar, random operators of a configured type mix, random holed
geometries and boundary conditions; f = L u* and boundary data exactly, for batches of samples at
once in torch; every sample can be written as a spec file. References: Roache 2002 (MMS), Bischof
et al. 2025, HyPINO, arXiv 2509.05117 (§2–3). See ``docs/mms.md``.
"""

from hyperpino._lazy import lazy_exports

_EXPORTS = {
    "Batch": ("batch", "Batch"),
    "Sample": ("batch", "Sample"),
    "MMSConfig": ("config", "MMSConfig"),
    "config_from_mapping": ("config", "config_from_mapping"),
    "load_config": ("config", "load_config"),
    "H5Dataset": ("datasets", "H5Dataset"),
    "StreamDataset": ("datasets", "StreamDataset"),
    "MMSGenerator": ("generator", "MMSGenerator"),
    "evaluate_recipes": ("generator", "evaluate_recipes"),
    "evaluate_terms": ("generator", "evaluate_terms"),
    "generate_file": ("hdf5", "generate_file"),
    "CODES": ("recipe", "CODES"),
    "KINDS": ("recipe", "KINDS"),
    "Recipe": ("recipe", "Recipe"),
    "draw_recipe": ("recipe", "draw_recipe"),
    "Template": ("templates", "Template"),
    "template": ("templates", "template"),
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, globals(), _EXPORTS)
