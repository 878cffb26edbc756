"""Output heads of a hypernetwork: per tensor, chunked (von Oswald et al. 2020), LSTM (Chandra et al.
2023). Each maps features to ``name -> (M, *shape)`` through a ParamSpec."""

from hyperpino.hypernet.heads.base import Head as Head
from hyperpino.hypernet.heads.chunked import ChunkedHead as ChunkedHead
from hyperpino.hypernet.heads.lstm import LSTMHead as LSTMHead
from hyperpino.hypernet.heads.per_tensor import PerTensorHead as PerTensorHead

__all__ = ["ChunkedHead", "Head", "LSTMHead", "PerTensorHead"]
