"""The HyPINO hypernetwork (Bischof et al. 2025, arXiv 2509.05117): target PINN, Swin encoder with
FiLM, attention-pooling decoder with per-tensor heads and θ0, presets and checkpoints.

Imports :mod:`hyperpino.hypernet`, :mod:`hyperpino.pde` and :mod:`hyperpino.errors`.
"""

from hyperpino.model.checkpoint import read_metadata as read_metadata
from hyperpino.model.conditioning import ConditionEmbedding as ConditionEmbedding
from hyperpino.model.conditioning import FiLM as FiLM
from hyperpino.model.decoder import AttentionPool as AttentionPool
from hyperpino.model.decoder import Decoder as Decoder
from hyperpino.model.encoder import Encoder as Encoder
from hyperpino.model.hypino import HyPINO as HyPINO
from hyperpino.model.presets import PRESETS as PRESETS
from hyperpino.model.presets import HyPINOConfig as HyPINOConfig
from hyperpino.model.stem import Stem as Stem
from hyperpino.model.target import TargetPINN as TargetPINN

__all__ = [
    "PRESETS",
    "AttentionPool",
    "ConditionEmbedding",
    "Decoder",
    "Encoder",
    "FiLM",
    "HyPINO",
    "HyPINOConfig",
    "Stem",
    "TargetPINN",
    "read_metadata",
]
