"""The HyPINO hypernetwork (Bischof et al. 2025, arXiv 2509.05117): target PINN, Swin encoder with
FiLM, attention-pooling decoder with per-tensor heads and θ0, presets, its input channels,
the least-squares output layer and checkpoints. Training lives in :mod:`hyperpino.training`.

Imports :mod:`hyperpino.pinn`, :mod:`hyperpino.pde`, :mod:`hyperpino.hypernet` and the bottom
modules. Names are imported on first use (PEP 562), so ``hyperpino --help`` does not load timm.
"""

from hyperpino._lazy import lazy_exports

_EXPORTS = {
    "read_metadata": ("checkpoint", "read_metadata"),
    "ConditionEmbedding": ("conditioning", "ConditionEmbedding"),
    "FiLM": ("conditioning", "FiLM"),
    "AttentionPool": ("decoder", "AttentionPool"),
    "Decoder": ("decoder", "Decoder"),
    "Encoder": ("encoder", "Encoder"),
    "HyPINO": ("hypino", "HyPINO"),
    "PRESETS": ("presets", "PRESETS"),
    "HyPINOConfig": ("presets", "HyPINOConfig"),
    "Stem": ("stem", "Stem"),
    "TargetPINN": ("target", "TargetPINN"),
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, globals(), _EXPORTS)
