"""Chunked head: one shared generator over ``[z, c_i]`` for learned chunk embeddings ``c_i``.

von Oswald, Henning, Sacramento & Grewe 2020, "Continual learning with hypernetworks" (ICLR,
arXiv 1906.00695), Fig. 1b. The flat parameter vector (length P) is cut into K chunks of C values;
chunk ``i`` is ``g([z, c_i])``, the outputs are concatenated and the last chunk is cut to P. The
generator's size no longer grows with P, which allows compression ratios ``|Θ_h|/|Θ| <= 1``.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn

from hyperpino.errors import SpecError
from hyperpino.hypernet.heads.base import Head, chunk_count, rms_std
from hyperpino.hypernet.init import init_output_layer_
from hyperpino.hypernet.mlp import MLP, Activation
from hyperpino.hypernet.spec import ParamSpec


class ChunkedHead(Head):
    """``z (M, in_dim) -> name -> (M, *shape)`` via K = ⌈P / chunk_size⌉ chunks.

    ``chunk_emb``: learned chunk embeddings ``(K, chunk_emb_dim)``, initialised N(0, 1).
    """

    def __init__(
        self,
        spec: ParamSpec,
        in_dim: int,
        chunk_size: int = 256,
        chunk_emb_dim: int = 8,
        hidden: tuple[int, ...] = (32,),
        activation: Activation = "leaky_relu",
        *,
        out_bias: bool = True,
    ):
        super().__init__()
        if chunk_size < 1 or chunk_emb_dim < 1:
            raise SpecError("chunk_size", f"chunk size and embedding size must be >= 1, "
                            f"got {chunk_size}, {chunk_emb_dim}")
        self.spec, self.in_dim, self.chunk_size = spec, in_dim, chunk_size
        self.n_chunks = chunk_count(spec.numel, chunk_size)
        self.chunk_emb = nn.Parameter(torch.randn(self.n_chunks, chunk_emb_dim))
        self.generator = MLP(in_dim + chunk_emb_dim, hidden, chunk_size, activation, bias_last=out_bias)

    def chunk_inputs(self, z: Tensor) -> Tensor:
        """``z (M, in_dim) -> [z, c_i] (M, K, in_dim + chunk_emb_dim)``."""
        if z.ndim != 2 or z.shape[1] != self.in_dim:
            raise SpecError("cond", f"chunked head expects features (M, {self.in_dim}), got {tuple(z.shape)}")
        m, k = z.shape[0], self.n_chunks
        return torch.cat([z[:, None].expand(m, k, -1), self.chunk_emb[None].expand(m, -1, -1)], dim=-1)

    def chunks(self, z: Tensor) -> Tensor:
        """``z (M, in_dim) -> (M, K, chunk_size)``, chunk ``i`` depending on ``c_i`` only."""
        return self.generator(self.chunk_inputs(z))

    def forward(self, z: Tensor) -> dict[str, Tensor]:
        flat = self.chunks(z).reshape(z.shape[0], -1)[:, : self.spec.numel]
        return self.spec.unflatten(flat)

    def init_output_(self, target_std: Mapping[str, float], in_second_moment: float) -> None:
        e = self.chunk_emb.shape[1]
        # the generator's input mixes z (mean square in_second_moment) and c_i (N(0, 1))
        m2 = (self.in_dim * in_second_moment + e * 1.0) / (self.in_dim + e)
        init_output_layer_(self.generator.last, rms_std(self.spec, target_std), m2)
