"""The target PINN of HyPINO driven through the hypernetwork core.

The network whose weights HyPINO generates is :class:`hyperpino.pinn.network.ModifiedMLP` (Bischof et
al. 2025, "HyPINO", arXiv 2509.05117, §1.4 of the brief: Fourier features + Wang et al.'s modified
MLP, 5,409 parameters). Here it becomes a :class:`ParamSpec` (the contract with the decoder's heads)
and a :class:`FunctionalTarget` that evaluates B generated PINNs at once with ``vmap``.
"""

from __future__ import annotations

from collections.abc import Mapping

from torch import Tensor, nn

from hyperpino.errors import HyperpinoError
from hyperpino.hypernet import FunctionalTarget, ParamSpec
from hyperpino.pde.residual import Derivatives, PointFn, derivatives
from hyperpino.pinn.network import ModifiedMLP, PINNConfig


class TargetPINN(nn.Module):
    """``forward(params, x) -> u``: B generated PINNs on points.

    ``params``: ``name -> (B, *shape)`` over :attr:`spec`. ``x``: ``(N, 2)`` shared by all B
    networks or ``(B, N, 2)`` one point set per network. Returns ``u (B, N, 1)``.
    """

    def __init__(self, config: PINNConfig | None = None):
        super().__init__()
        self.config = config or PINNConfig()
        # Only the functional template (parameters as shape-only placeholders) is kept: a real
        # module here would hold parameters no forward pass uses (dead weight in checkpoints,
        # and an error under DDP without find_unused_parameters).
        module = self.fresh()
        self.spec = ParamSpec.from_module(module)
        self.functional = FunctionalTarget(module, self.spec)

    def fresh(self) -> ModifiedMLP:
        """A newly initialised target PINN (Glorot weights, zero biases), e.g. to copy into θ0."""
        return ModifiedMLP(self.config)

    def forward(self, params: Mapping[str, Tensor], x: Tensor, *, chunk_size: int | None = None) -> Tensor:
        d = self.config.in_dim
        if x.ndim not in (2, 3) or x.shape[-1] != d:
            raise HyperpinoError(f"points: expected (N, {d}) or (B, N, {d}), got {tuple(x.shape)}")
        return self.functional(params, x, x_per_model=x.ndim == 3, chunk_size=chunk_size)

    def point_fn(self) -> PointFn:
        """The residual engine's :data:`~hyperpino.pde.residual.PointFn`: one model, one point ``(2,)``
        -> scalar u."""
        f = self.functional.point_fn()
        return lambda params, x: f(params, x[None])[0, 0]

    def derivatives(self, params: Mapping[str, Tensor], points: Tensor, *, order: int = 2,
                    scale: Tensor | None = None) -> Derivatives:
        """u, ∇u (and the Hessian for ``order=2``) of the B networks at ``points (N, 2)`` or
        ``(B, N, 2)``, batched by the residual engine; multiplied by ``scale (B,)`` if given."""
        d = derivatives(self.point_fn(), params, points, order=order)
        if scale is None:
            return d
        s = scale.to(d.u.dtype)
        hess = None if d.hess is None else d.hess * s[:, None, None, None]
        return Derivatives(d.u * s[:, None], d.grad * s[:, None, None], hess)

    def to_modules(self, params: Mapping[str, Tensor]) -> list[ModifiedMLP]:
        """Generated ``name -> (B, *shape)`` -> B ordinary, detached :class:`ModifiedMLP`\\ s."""
        m = self.spec.check(params)
        modules = []
        for i in range(m):
            module = self.functional.to_module(params, index=i)
            assert isinstance(module, ModifiedMLP)
            modules.append(module)
        return modules
