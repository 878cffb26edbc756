"""Shared hypernetwork core: ParamSpec, functional targets, MIP encodings and residual base θ0,
output heads (per-tensor, chunked, LSTM) and the HyperNetwork that assembles them.

Imports nothing from hyperpino except :mod:`hyperpino.errors`.
"""

from hyperpino.hypernet.config import PRESETS as PRESETS
from hyperpino.hypernet.config import HeadName as HeadName
from hyperpino.hypernet.config import HyperNetConfig as HyperNetConfig
from hyperpino.hypernet.encoding import ENCODINGS as ENCODINGS
from hyperpino.hypernet.encoding import EncodingName as EncodingName
from hyperpino.hypernet.encoding import check_unit_range as check_unit_range
from hyperpino.hypernet.encoding import encode_cos_sin as encode_cos_sin
from hyperpino.hypernet.encoding import encode_z_1mz as encode_z_1mz
from hyperpino.hypernet.encoding import encoded_dim as encoded_dim
from hyperpino.hypernet.functional import FunctionalTarget as FunctionalTarget
from hyperpino.hypernet.heads import ChunkedHead as ChunkedHead
from hyperpino.hypernet.heads import Head as Head
from hyperpino.hypernet.heads import LSTMHead as LSTMHead
from hyperpino.hypernet.heads import PerTensorHead as PerTensorHead
from hyperpino.hypernet.hypernet import HyperNetwork as HyperNetwork
from hyperpino.hypernet.init import hyperfan_in_std as hyperfan_in_std
from hyperpino.hypernet.mlp import MLP as MLP
from hyperpino.hypernet.mlp import Activation as Activation
from hyperpino.hypernet.residual_base import ResidualBase as ResidualBase
from hyperpino.hypernet.spec import ParamEntry as ParamEntry
from hyperpino.hypernet.spec import ParamSpec as ParamSpec
from hyperpino.hypernet.spec import Role as Role

__all__ = [
    "ENCODINGS",
    "PRESETS",
    "Activation",
    "ChunkedHead",
    "EncodingName",
    "FunctionalTarget",
    "Head",
    "HeadName",
    "HyperNetConfig",
    "HyperNetwork",
    "LSTMHead",
    "MLP",
    "ParamEntry",
    "ParamSpec",
    "PerTensorHead",
    "ResidualBase",
    "Role",
    "check_unit_range",
    "encode_cos_sin",
    "encode_z_1mz",
    "encoded_dim",
    "hyperfan_in_std",
]
