"""Sequential LSTM head: chunks generated in order, later chunks depending on earlier ones.

Chandra, Varshney, Srijith & Gupta 2023, "Continual Learning with Dependency Preserving
Hypernetworks" (WACV, arXiv 2209.07712). Chunked and MLP hypernetworks treat the weights of
different chunks (layers) as independent; an LSTM over the chunk steps carries a hidden state
from one chunk to the next. The paper's exact cell inputs are not public; here step ``i`` reads
``[z, c_i]`` (the conditioning at every step, plus a learned step embedding) and a linear map
of the hidden state gives chunk ``i``.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn

from hyperpino.errors import SpecError
from hyperpino.hypernet.heads.base import Head, chunk_count, rms_std
from hyperpino.hypernet.init import init_output_layer_
from hyperpino.hypernet.spec import ParamSpec


class LSTMHead(Head):
    """``z (M, in_dim) -> name -> (M, *shape)``: an LSTM over K = ⌈P / chunk_size⌉ steps.

    ``chunk_emb (K, chunk_emb_dim)``: learned step embeddings, N(0, 1). ``lstm``: one layer,
    ``hidden_size`` units. ``out``: ``hidden_size -> chunk_size``, shared by all steps.
    """

    def __init__(
        self,
        spec: ParamSpec,
        in_dim: int,
        chunk_size: int = 256,
        chunk_emb_dim: int = 8,
        hidden_size: int = 64,
        *,
        out_bias: bool = True,
    ):
        super().__init__()
        if chunk_size < 1 or chunk_emb_dim < 1 or hidden_size < 1:
            raise SpecError("chunk_size", f"chunk size, embedding and hidden sizes must be >= 1, "
                            f"got {chunk_size}, {chunk_emb_dim}, {hidden_size}")
        self.spec, self.in_dim, self.chunk_size = spec, in_dim, chunk_size
        self.n_chunks = chunk_count(spec.numel, chunk_size)
        self.chunk_emb = nn.Parameter(torch.randn(self.n_chunks, chunk_emb_dim))
        self.lstm = nn.LSTM(in_dim + chunk_emb_dim, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, chunk_size, bias=out_bias)

    def states(self, z: Tensor) -> Tensor:
        """``z (M, in_dim) -> (M, K, hidden_size)``: the hidden state after each step."""
        if z.ndim != 2 or z.shape[1] != self.in_dim:
            raise SpecError("cond", f"LSTM head expects features (M, {self.in_dim}), got {tuple(z.shape)}")
        m, k = z.shape[0], self.n_chunks
        steps = torch.cat([z[:, None].expand(m, k, -1), self.chunk_emb[None].expand(m, -1, -1)], dim=-1)
        return self.lstm(steps)[0]

    def chunks(self, z: Tensor) -> Tensor:
        """``z (M, in_dim) -> (M, K, chunk_size)``; chunk ``i`` depends on steps ``0..i``."""
        return self.out(self.states(z))

    def forward(self, z: Tensor) -> dict[str, Tensor]:
        flat = self.chunks(z).reshape(z.shape[0], -1)[:, : self.spec.numel]
        return self.spec.unflatten(flat)

    @torch.no_grad()
    def init_output_(self, target_std: Mapping[str, float], in_second_moment: float) -> None:
        # The LSTM's hidden scale has no closed form; measure it on a probe of inputs with the
        # given mean square, from a private generator so the global RNG stream is untouched.
        gen = torch.Generator().manual_seed(0)
        probe = torch.randn(64, self.in_dim, generator=gen) * in_second_moment**0.5
        probe = probe.to(self.chunk_emb)
        m2 = float(self.states(probe).pow(2).mean().clamp_min(1e-8))
        init_output_layer_(self.out, rms_std(self.spec, target_std), m2)
