"""Context-conditioned experts: ``ξ -> θ(ξ)``, the weights of a vector field ``f(x; θ(ξ))``.

An expert is split into a *generator* (an ``nn.Module``, ``forward(ξ (B, d_ξ)) -> name -> (B, *shape)``)
and a *field* (a :class:`~hyperpino.hypernet.FunctionalTarget` evaluated with those weights). Because
a context is constant during a solve, the weights are generated once per environment before
integration and the right-hand side only evaluates the field. The generator's parameters of M
experts are stacked (``torch.func.stack_module_state``) and evaluated with ``vmap`` by
:class:`~hyperpino.mixer.mixture.MixER`.

* :class:`CoDAExpert`: ``θ = θc + W·ξ`` (Kirchmeyer et al. 2022, CoDA), the hypernetwork core's
  ``coda`` preset (residual base θc, bias-free linear per-tensor heads).
* :class:`GEPSExpert`: low-rank ``W_l + A_l diag(ξ) B_l`` and ``b_l + A_l ξ`` per layer
  (Koupaï et al. 2024, GEPS).
* :class:`NCFExpert`: NCF-style concatenation (Nzoyem et al. 2024): a state MLP and a context MLP
  each project to 32 features, concatenated into the main MLP. The context features are a generated
  parameter of the field, so the same machinery batches it.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from hyperpino.errors import SpecError
from hyperpino.hypernet import FunctionalTarget, HyperNetwork, ParamSpec, ResidualBase

EXPERTS = ("coda", "geps", "ncf")


def field_mlp(dim: int, width: int, depth: int) -> nn.Sequential:
    """``(N, dim) -> (N, dim)``: ``depth`` Linear layers of width ``width``, Swish between them."""
    if depth < 2 or width < 1:
        raise SpecError("expert", f"need depth >= 2 and width >= 1, got depth {depth}, width {width}")
    widths = [dim] + [width] * (depth - 1) + [dim]
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < depth - 1:
            layers.append(nn.SiLU())
    return nn.Sequential(*layers)


class Expert(nn.Module):
    """Base: ``forward(ξ (B, d_ξ)) -> θ: name -> (B, *shape)`` for :attr:`field`, which maps
    ``(N, dim) -> (N, dim)``."""

    dim: int
    ctx_dim: int
    field: FunctionalTarget


class CoDAExpert(Expert):
    """``θ(ξ) = θc + W·ξ`` over all weights and biases of a Swish MLP."""

    def __init__(self, dim: int, ctx_dim: int, width: int = 32, depth: int = 3):
        super().__init__()
        self.dim, self.ctx_dim = dim, ctx_dim
        root = field_mlp(dim, width, depth)
        self.field = FunctionalTarget(root)
        self.hnet = HyperNetwork.for_module(root, cond_dim=ctx_dim, config="coda")

    def forward(self, xi: Tensor) -> dict[str, Tensor]:
        return self.hnet(xi)


class GEPSExpert(Expert):
    """``W_l(ξ) = W_l + A_l diag(ξ) B_l``, ``b_l(ξ) = b_l + A_l ξ``: rank ``d_ξ`` adaptation per layer."""

    def __init__(self, dim: int, ctx_dim: int, width: int = 32, depth: int = 3):
        super().__init__()
        self.dim, self.ctx_dim = dim, ctx_dim
        root = field_mlp(dim, width, depth)
        self.field = FunctionalTarget(root)
        self.base = ResidualBase.from_module(root)
        self.layers = [n.rpartition(".")[0] for n in self.field.spec.names if n.endswith("weight")]
        self.A = nn.ParameterList()
        self.B = nn.ParameterList()
        for name in self.layers:
            out_f, in_f = self.field.spec[f"{name}.weight"].shape
            # small A·B so that every context starts near the shared network (as CoDA's W·ξ does)
            self.A.append(nn.Parameter(torch.randn(out_f, ctx_dim) / math.sqrt(ctx_dim)))
            self.B.append(nn.Parameter(0.1 * torch.randn(ctx_dim, in_f) / math.sqrt(in_f)))

    def forward(self, xi: Tensor) -> dict[str, Tensor]:
        theta0 = self.base()
        out = {}
        for name, A, B in zip(self.layers, self.A, self.B, strict=True):
            # (B_ctx, out, r) * (B_ctx, 1, r) @ (r, in) -> (B_ctx, out, in)
            aw = A[None] * xi[:, None, :]
            out[f"{name}.weight"] = theta0[f"{name}.weight"] + aw @ B
            out[f"{name}.bias"] = theta0[f"{name}.bias"] + xi @ (0.1 * A).T
        return out


class NCFField(nn.Module):
    """``x (N, dim) -> (N, dim)``: ``main([state(x), c])`` with ``c (emb,)`` a parameter (generated)."""

    def __init__(self, dim: int, width: int, depth: int, emb: int = 32):
        super().__init__()
        self.state = nn.Linear(dim, emb)
        self.ctx = nn.Parameter(torch.zeros(emb))
        self.main = field_mlp(2 * emb, width, depth)
        self.main[-1] = nn.Linear(width, dim)
        self.act = nn.SiLU()

    def forward(self, x: Tensor) -> Tensor:
        h = self.act(self.state(x))
        return self.main(torch.cat([h, self.act(self.ctx).expand(*h.shape[:-1], -1)], dim=-1))


class NCFExpert(Expert):
    """Concatenation expert: shared state and main networks, context features ``c = MLP(ξ)``."""

    def __init__(self, dim: int, ctx_dim: int, width: int = 32, depth: int = 3, emb: int = 32):
        super().__init__()
        self.dim, self.ctx_dim = dim, ctx_dim
        root = NCFField(dim, width, depth, emb)
        self.field = FunctionalTarget(root)
        self.shared = ResidualBase.from_module(root, ParamSpec.from_module(root, exclude=["ctx"]))
        self.ctx_net = nn.Sequential(nn.Linear(ctx_dim, emb), nn.SiLU(), nn.Linear(emb, emb))

    def forward(self, xi: Tensor) -> dict[str, Tensor]:
        b = xi.shape[0]
        out = {n: v.expand(b, *v.shape[1:]) for n, v in self.shared().items()}
        out["ctx"] = self.ctx_net(xi)
        return out


def make_expert(kind: str, dim: int, ctx_dim: int, width: int, depth: int) -> Expert:
    """An expert by name (``coda``, ``geps``, ``ncf``)."""
    table = {"coda": CoDAExpert, "geps": GEPSExpert, "ncf": NCFExpert}
    if kind not in table:
        raise SpecError("expert", f"unknown {kind!r} (known: {', '.join(EXPERTS)})")
    return table[kind](dim, ctx_dim, width, depth)
