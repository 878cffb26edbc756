"""Per-tensor heads: one small MLP per generated tensor.

The layout of HyPINO's decoder (Bischof et al. 2025, arXiv 2509.05117: one attention-pooled token
per target tensor, each fed to its own MLP) and of a plain MLP hypernetwork split per tensor (as in
HyperLight's output-split initialisation, Ortiz, Guttag & Dalca 2023, arXiv 2304.07645). With no
hidden layer it is the bias-free linear map ``W·ξ`` of CoDA-style experts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from torch import Tensor, nn

from hyperpino.errors import SpecError
from hyperpino.hypernet.heads.base import Head
from hyperpino.hypernet.init import init_output_layer_
from hyperpino.hypernet.mlp import MLP, Activation
from hyperpino.hypernet.spec import ParamEntry, ParamSpec, module_key


class PerTensorHead(Head):
    """``h -> name -> (M, *shape)`` with one MLP ``in_dim -> hidden -> numel`` per tensor.

    ``tokens=False``: ``h (M, in_dim)`` is shared by all heads. ``tokens=True``: ``h (M, T, in_dim)``
    with ``T = len(spec)``; token ``t`` feeds the head of the spec's ``t``-th tensor.
    ``hidden``: hidden widths for every head, or a function ``entry -> widths`` (e.g. wider heads
    for larger tensors). ``out_bias=False`` drops the output biases (MIP: θ0 is the bias).
    """

    def __init__(
        self,
        spec: ParamSpec,
        in_dim: int,
        hidden: tuple[int, ...] | Callable[[ParamEntry], tuple[int, ...]] = (32,),
        activation: Activation = "leaky_relu",
        *,
        tokens: bool = False,
        out_bias: bool = True,
    ):
        super().__init__()
        self.spec, self.in_dim, self.tokens = spec, in_dim, tokens
        widths = hidden if callable(hidden) else (lambda _e: hidden)
        self.heads = nn.ModuleDict(
            {
                module_key(e.name): MLP(in_dim, tuple(widths(e)), e.numel, activation, bias_last=out_bias)
                for e in spec
            }
        )

    def forward(self, h: Tensor) -> dict[str, Tensor]:
        t = len(self.spec)
        want = f"(M, {t}, {self.in_dim})" if self.tokens else f"(M, {self.in_dim})"
        if h.ndim != (3 if self.tokens else 2) or h.shape[-1] != self.in_dim or (
            self.tokens and h.shape[1] != t
        ):
            raise SpecError("cond", f"per-tensor head expects features {want}, got {tuple(h.shape)}")
        m = h.shape[0]
        return {
            e.name: self.heads[module_key(e.name)](h[:, i] if self.tokens else h).reshape(m, *e.shape)
            for i, e in enumerate(self.spec)
        }

    def init_output_(self, target_std: Mapping[str, float], in_second_moment: float) -> None:
        # Kaiming-initialised hidden layers keep the mean square of their input.
        for e in self.spec:
            head = self.heads[module_key(e.name)]
            assert isinstance(head, MLP)
            init_output_layer_(head.last, target_std[e.name], in_second_moment)
