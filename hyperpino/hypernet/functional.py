"""Functional targets: evaluate any ``nn.Module`` on M generated parameter sets at once.

The torch.func ensembling pattern (``functional_call`` on a stateless template, ``vmap`` over the
model axis) instead of HyperLight's attribute mutation (``using_externals``), which cannot batch
several conditioning vectors (HyperLight issue #4; Ortiz, Guttag & Dalca 2023, arXiv 2304.07645).

The template is a deep copy of the target in which every *generated* parameter is replaced by a
placeholder on the ``meta`` device (shape only, no memory, and any use without generated values
fails loudly). Parameters that are not generated and all buffers stay real: they are registered on
this module, so an optimiser over ``target.parameters()`` trains them and ``.to()`` moves them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping

import torch
from torch import Tensor, nn
from torch.func import functional_call, vmap

from hyperpino.errors import SpecError
from hyperpino.hypernet.spec import ParamSpec


class FunctionalTarget(nn.Module):
    """``target(params, x) -> (M, N, ...)``: the module evaluated with ``params: name -> (M, *shape)``.

    ``module``: any ``nn.Module`` taking one input tensor. ``spec``: the generated parameters
    (default: all of them). Train/eval mode is the template's (``target.train()``/``.eval()``).
    A BatchNorm in train mode updates its running statistics in place, which ``vmap`` allows only
    on per-model buffers: pass them with a model axis (they are updated in place, e.g. per-task
    statistics), use eval mode, or ``track_running_stats=False``.
    """

    def __init__(self, module: nn.Module, spec: ParamSpec | None = None):
        super().__init__()
        self.spec = spec if spec is not None else ParamSpec.from_module(module)
        self.spec.extract(module)  # fails early when the spec does not fit the module
        self.template = copy.deepcopy(module)
        # Tied weights appear once in the spec but under several names in the module; every alias
        # must see the generated value.
        all_named = list(self.template.named_parameters(remove_duplicate=False))
        ids = {name: id(p) for name, p in all_named}
        self._aliases: dict[str, tuple[str, ...]] = {
            name: tuple(a for a, _ in all_named if ids[a] == ids[name]) for name in self.spec.names
        }
        for name in self.spec.names:
            for alias in self._aliases[name]:
                _to_placeholder(self.template, alias)

    # --------------------------------------------------------------------------------- batched
    def forward(
        self,
        params: Mapping[str, Tensor],
        x: Tensor,
        buffers: Mapping[str, Tensor] | None = None,
        *,
        x_per_model: bool = False,
        chunk_size: int | None = None,
    ) -> Tensor:
        """Evaluate all M models.

        ``params``: ``name -> (M, *shape)``. ``x``: ``(N, ...)`` shared by all models, or
        ``(M, N, ...)`` with ``x_per_model=True``. ``buffers``: optional overrides
        ``name -> (*shape)`` (shared) or ``(M, *shape)`` (per model, e.g. per-task BatchNorm
        statistics); buffers not given keep the template's values. ``chunk_size``: passed to
        ``vmap`` to bound memory. Returns ``(M, *out)`` where ``out`` is the module's output shape.
        """
        m = self.spec.check(params)
        if x_per_model and (x.ndim == 0 or x.shape[0] != m):
            raise SpecError("x", f"x_per_model: expected shape (M={m}, N, ...), got {tuple(x.shape)}")
        shared, batched = self._split_buffers(buffers or {}, m)

        def one(p: dict[str, Tensor], b: dict[str, Tensor], xi: Tensor) -> Tensor:
            return functional_call(self.template, (self._expand(p), b, shared), (xi,))

        return vmap(one, in_dims=(0, 0, 0 if x_per_model else None), chunk_size=chunk_size)(
            dict(params), batched, x
        )

    def point_fn(self, buffers: Mapping[str, Tensor] | None = None) -> Callable[[dict, Tensor], Tensor]:
        """``f(params, x)`` for ONE model: ``params: name -> shape`` (no model axis), ``x`` whatever
        the module accepts (one point ``(d,)`` for an MLP). Pure, for ``torch.func`` transforms
        (``jacrev(f, argnums=1)``, ``vmap`` over points and models). No validation inside."""
        fixed = dict(buffers or {})

        def f(params: dict[str, Tensor], x: Tensor) -> Tensor:
            return functional_call(self.template, (self._expand(params), fixed), (x,))

        return f

    # ----------------------------------------------------------------------------- plain module
    def to_module(self, params: Mapping[str, Tensor], index: int = 0) -> nn.Module:
        """An ordinary module (a deep copy of the target) holding model ``index`` of ``params``
        (``name -> (M, *shape)``) as its own ``nn.Parameter``s, detached from any graph."""
        m = self.spec.check(params)
        if not -m <= index < m:
            raise SpecError("index", f"{index} out of range for M = {m} models")
        module = copy.deepcopy(self.template)
        for name in self.spec.names:
            value = nn.Parameter(params[name][index].detach().clone())
            for alias in self._aliases[name]:
                prefix, _, leaf = alias.rpartition(".")
                owner = module.get_submodule(prefix)
                delattr(owner, leaf)
                owner.register_parameter(leaf, value)
        return module

    # ---------------------------------------------------------------------------------- helpers
    def _expand(self, params: Mapping[str, Tensor]) -> dict[str, Tensor]:
        return {alias: params[name] for name in self.spec.names for alias in self._aliases[name]}

    def _split_buffers(
        self, buffers: Mapping[str, Tensor], m: int
    ) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
        own = dict(self.template.named_buffers())
        shared: dict[str, Tensor] = {}
        batched: dict[str, Tensor] = {}
        for name, value in buffers.items():
            if name not in own:
                raise SpecError(
                    f"buffers[{name!r}]", f"no such buffer (buffers: {', '.join(own) or 'none'})"
                )
            shape, got = tuple(own[name].shape), tuple(value.shape)
            if got == shape:
                shared[name] = value
            elif got == (m, *shape):
                batched[name] = value
            else:
                raise SpecError(
                    f"buffers[{name!r}]", f"expected shape {shape} or (M={m}, *{shape}), got {got}"
                )
        return shared, batched


def _to_placeholder(module: nn.Module, name: str) -> None:
    """Replace parameter ``name`` by a plain ``meta`` tensor attribute (not a registered parameter,
    so optimisers, ``.to()`` and ``state_dict`` never see it; ``functional_call`` swaps it)."""
    prefix, _, leaf = name.rpartition(".")
    owner = module.get_submodule(prefix)
    if leaf not in owner._parameters:  # a second alias of an already replaced tied parameter
        return
    param = owner._parameters.pop(leaf)
    assert param is not None
    setattr(owner, leaf, torch.empty(param.shape, dtype=param.dtype, device="meta"))
