"""θ0, the residual base of a magnitude-invariant hypernetwork: ``θ = θ0 + Δθ(E(γ))``.

Ortiz, Guttag & Dalca 2023, "Magnitude Invariant Parametrizations Improve Hypernetwork Learning"
(arXiv 2304.07645), output encoding. θ0 is an independent learnable copy of the target's parameters,
initialised as the target itself would be, so that at the start of training every conditioning
value already yields a sensibly scaled network and the hypernetwork only learns the γ-dependent
correction. HyperLight hides θ0 in the bias of its last linear layer; here it is a named module
whose keys are the target's parameter names (issue #6 there: "I cannot find the output residual").
It is also the ``θc`` of CoDA-style context-conditioned experts, ``θ = θc + W·ξ``.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping

import torch
from torch import Tensor, nn

from hyperpino.errors import SpecError
from hyperpino.hypernet.spec import ParamSpec, module_key


class ResidualBase(nn.Module):
    """A learnable ``dict name -> (*shape)`` over a :class:`ParamSpec`; ``forward()`` returns it
    with a model axis, ``name -> (1, *shape)``, ready to broadcast against ``Δθ (M, *shape)``.

    Build it with :meth:`from_module` (copy a trained or freshly initialised network) or
    :meth:`from_spec` (PyTorch's default ``nn.Linear``/``nn.Conv`` initialisation by role).
    """

    def __init__(self, spec: ParamSpec, values: Mapping[str, Tensor]):
        super().__init__()
        self.spec = spec
        spec.check({n: v[None] for n, v in values.items()}, where="theta0")
        self.theta = nn.ParameterDict(
            {module_key(n): nn.Parameter(values[n].detach().clone()) for n in spec.names}
        )

    @classmethod
    def from_module(
        cls, module: nn.Module, spec: ParamSpec | None = None, *, reinit: bool = False
    ) -> ResidualBase:
        """θ0 = the current parameters of ``module`` (a trained network, or one just built).

        ``reinit=True`` copies a deep copy of ``module`` after calling ``reset_parameters()`` on
        every submodule that has one (for modules whose ``__init__`` customises initialisation,
        pass a fresh instance instead)."""
        spec = spec if spec is not None else ParamSpec.from_module(module)
        if reinit:
            module = copy.deepcopy(module)
            for sub in module.modules():
                reset = getattr(sub, "reset_parameters", None)
                if callable(reset):
                    reset()
        return cls(spec, {n: v[0] for n, v in spec.extract(module).items()})

    @classmethod
    def from_spec(cls, spec: ParamSpec, *, dtype: torch.dtype = torch.float32) -> ResidualBase:
        """θ0 initialised from the spec alone, as ``nn.Linear``/``nn.ConvNd`` initialise:
        weights and biases uniform in ``±1/√fan_in``, norm scales 1."""
        values = {}
        for e in spec:
            if e.role == "norm":
                values[e.name] = torch.ones(e.shape, dtype=dtype)
            else:
                bound = 1.0 / math.sqrt(e.fan_in)
                values[e.name] = torch.empty(e.shape, dtype=dtype).uniform_(-bound, bound)
        return cls(spec, values)

    def forward(self) -> dict[str, Tensor]:
        """θ0 as ``name -> (1, *shape)``."""
        return {n: self.theta[module_key(n)][None] for n in self.spec.names}

    def as_dict(self) -> dict[str, nn.Parameter]:
        """The parameters themselves, ``name -> (*shape)`` (e.g. for a separate optimiser group)."""
        return {n: self.theta[module_key(n)] for n in self.spec.names}

    def load_from(self, module: nn.Module) -> None:
        """Copy ``module``'s current values of the spec's parameters into θ0 (in place)."""
        values = self.spec.extract(module)
        with torch.no_grad():
            for n in self.spec.names:
                self.theta[module_key(n)].copy_(values[n][0])

    def freeze(self) -> ResidualBase:
        """Stop training θ0 (``requires_grad=False``); returns ``self``."""
        self.theta.requires_grad_(False)
        return self

    def unfreeze(self) -> ResidualBase:
        self.theta.requires_grad_(True)
        return self

    @property
    def frozen(self) -> bool:
        return not any(p.requires_grad for p in self.theta.values())

    def check_against(self, spec: ParamSpec) -> None:
        """Raise unless this base covers exactly ``spec`` (same names, same shapes)."""
        if self.spec.shapes != spec.shapes:
            raise SpecError("theta0", f"does not match the spec: {self.spec.shapes} vs {spec.shapes}")
