"""A generated solution as an ordinary ``nn.Module``: a weighted sum of target PINNs, box map included.

HyPINO's answer to a problem is a target PINN on the canonical square, multiplied by the output
scale of the input normalisation; iterative refinement adds one "delta" PINN per step (Bischof et
al. 2025, HyPINO, arXiv 2509.05117, §4 of the brief: the reference's ``Ensemble``). Here

    u(x) = Σ_k w_k · u_k(X),    X = s ⊙ x + b   (the map of the problem's frame, :class:`BoxMap`),

with ``u_k`` plain :class:`~hyperpino.pinn.network.ModifiedMLP` members and fixed weights ``w_k`` (the
output scales). :class:`CanonicalEnsemble` is the sum on canonical points, what the PINN trainer
fine-tunes; :class:`PINNEnsemble` composes the box map in, so users call it on their own points.
The weights are buffers, not parameters: fine-tuning moves the members, the scale stays the one
the data asked for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor, nn

from hyperpino.errors import HyperpinoError
from hyperpino.pde.coords import BoxMap
from hyperpino.pde.residual import Derivatives, derivatives, module_point_fn
from hyperpino.pinn.network import ModifiedMLP, PINNConfig

Box = tuple[tuple[float, float], tuple[float, float]]


class CanonicalEnsemble(nn.Module):
    """``X (..., 2) -> Σ_k weights[k] · members[k](X)  (..., 1)`` at canonical points.

    ``members``: K >= 1 :class:`ModifiedMLP` of one :class:`PINNConfig`; ``weights``: ``(K,)``.
    """

    weights: Tensor

    def __init__(self, members: Sequence[ModifiedMLP], weights: Tensor | Sequence[float]):
        super().__init__()
        if not members:
            raise HyperpinoError("an ensemble needs at least one member")
        configs = {m.config for m in members}
        if len(configs) != 1:
            raise HyperpinoError("ensemble members must share one PINNConfig")
        ref = next(members[0].parameters())
        weights = torch.as_tensor(weights, dtype=ref.dtype, device=ref.device).reshape(-1)
        if weights.shape[0] != len(members):
            raise HyperpinoError(f"ensemble: {len(members)} members but {weights.shape[0]} weights")
        self.members = nn.ModuleList(members)
        self.register_buffer("weights", weights.detach().clone())

    @property
    def config(self) -> PINNConfig:
        return self.members[0].config

    def forward(self, x: Tensor) -> Tensor:
        out = self.weights[0] * self.members[0](x)
        for k in range(1, len(self.members)):
            out = out + self.weights[k] * self.members[k](x)
        return out

    def theta(self) -> tuple[dict[str, Tensor], Tensor]:
        """The members' parameters stacked, ``name -> (K, *shape)`` (detached), and ``weights (K,)``:
        the layout a :class:`~hyperpino.model.target.TargetPINN` evaluates all members with."""
        per = [dict(m.named_parameters()) for m in self.members]
        return {n: torch.stack([p[n].detach() for p in per]) for n in per[0]}, self.weights.detach()


class PINNEnsemble(nn.Module):
    """The solution of one problem in the user's coordinates: ``x (N, 2) -> u (N, 1)``.

    ``canonical`` is the :class:`CanonicalEnsemble` on [-1, 1]²; ``box`` the problem's frame (its box,
    or a box around it where the operator is isotropic: :mod:`hyperpino.pde.frame`), whose affine
    map onto [-1, 1]² is applied first. Any leading shape ``(..., 2)`` works.
    """

    map_scale: Tensor
    map_shift: Tensor

    def __init__(self, canonical: CanonicalEnsemble, box: Box):
        super().__init__()
        self.canonical = canonical
        self.box: Box = tuple(tuple(float(v) for v in side) for side in box)  # type: ignore[assignment]
        self.map = BoxMap(self.box)
        ref = canonical.weights
        self.register_buffer("map_scale", torch.tensor(self.map.scale, dtype=ref.dtype, device=ref.device))
        self.register_buffer("map_shift", torch.tensor(self.map.shift, dtype=ref.dtype, device=ref.device))

    # ----------------------------------------------------------------------------- construction
    @classmethod
    def from_theta(cls, theta: Mapping[str, Tensor], weights: Tensor, box: Box,
                   config: PINNConfig) -> PINNEnsemble:
        """From stacked member parameters ``name -> (K, *shape)`` of the PINN ``config`` and
        ``weights (K,)``."""
        from hyperpino.model.target import TargetPINN

        target = TargetPINN(config)
        members = target.to_modules({k: v.detach() for k, v in theta.items()})
        ref = next(iter(theta.values()))
        members = [m.to(device=ref.device, dtype=ref.dtype) for m in members]
        return cls(CanonicalEnsemble(members, weights.detach().to(ref)), box)

    def extended(self, theta: Mapping[str, Tensor], weights: Tensor) -> PINNEnsemble:
        """A new ensemble: this one's members (copied) followed by ``theta``'s (``(K', *shape)``)."""
        old, w_old = self.canonical.theta()  # new members follow this ensemble's device and dtype
        both = {k: torch.cat([old[k], theta[k].detach().to(old[k])]) for k in old}
        return PINNEnsemble.from_theta(both, torch.cat([w_old, weights.detach().to(w_old)]),
                                       self.box, self.config)

    # -------------------------------------------------------------------------------- properties
    @property
    def config(self) -> PINNConfig:
        return self.canonical.config

    def __len__(self) -> int:
        return len(self.canonical.members)

    @property
    def weights(self) -> Tensor:
        return self.canonical.weights

    def theta(self) -> tuple[dict[str, Tensor], Tensor]:
        """See :meth:`CanonicalEnsemble.theta`."""
        return self.canonical.theta()

    # -------------------------------------------------------------------------------- evaluation
    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] != 2:
            raise HyperpinoError(f"points: expected (..., 2), got {tuple(x.shape)}")
        return self.canonical(x * self.map_scale + self.map_shift)

    def derivatives(self, points: Tensor, *, order: int = 2, canonical: bool = True) -> Derivatives:
        """u, ∇u (and the Hessian) of the whole ensemble at ``points (N, 2)``: shapes ``(1, N)``,
        ``(1, N, 2)``, ``(1, N, 2, 2)``, the sum of the members' weighted derivatives.

        ``canonical=True``: points and derivatives in canonical coordinates (what the residual
        engine and the model's error inputs use); otherwise both in the user's coordinates.
        """
        if not canonical:
            points = self.map.to_canonical(points)
        params = {k: p.unsqueeze(0) for k, p in self.canonical.named_parameters()}
        d = derivatives(module_point_fn(self.canonical), params, points, order=order)
        if canonical:
            return d
        s = self.map_scale.to(d.u)
        hess = None if d.hess is None else d.hess * s[:, None] * s[None, :]
        return Derivatives(d.u, d.grad * s, hess)
