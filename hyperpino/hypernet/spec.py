"""ParamSpec: the names and shapes of the parameters a hypernetwork generates.

The spec is the contract between a hypernetwork and its target network (the idea HyperLight's
``external_shapes()`` expresses as ``name -> shape``; Ortiz, Guttag & Dalca 2023, arXiv 2304.07645).
It is derived from any ``nn.Module`` and drives flattening, initialisation (fan-in and fan-out for
hyperfan-in, Chang et al. 2020), the output heads and unflattening.

Generated parameters always carry a leading model axis ``M`` (also when ``M = 1``): a parameter
set is a ``dict name -> (M, *shape)``; its flat form is ``(M, P)`` with ``P = spec.numel``.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from hyperpino.errors import SpecError

Role = Literal["weight", "bias", "norm"]
"""``weight``: a matrix or kernel (or any other non-bias tensor); ``bias``: an additive vector;
``norm``: the scale of a LayerNorm / BatchNorm / GroupNorm / InstanceNorm (initialised at 1)."""

_NORM_TYPES: tuple[type[nn.Module], ...] = (
    nn.LayerNorm,
    nn.GroupNorm,
    nn.modules.batchnorm._NormBase,  # BatchNorm1d/2d/3d and InstanceNorm1d/2d/3d
)


@dataclass(frozen=True)
class ParamEntry:
    """One generated tensor: its target name, shape ``shape``, fans and role.

    ``fan_in``/``fan_out`` follow ``torch.nn.init`` for tensors of rank >= 2 (``shape[1]·k`` and
    ``shape[0]·k`` with ``k`` the receptive field). A bias takes the fan-in of its sibling weight
    (``bias`` -> ``weight``, ``bias_ih_l0`` -> ``weight_ih_l0``) so initialisers can scale it like
    ``nn.Linear`` does; a norm scale or a lone vector has fan-in 1.
    """

    name: str
    shape: tuple[int, ...]
    fan_in: int
    fan_out: int
    role: Role

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class ParamSpec:
    """An ordered tuple of :class:`ParamEntry`; the flat layout concatenates them in this order."""

    entries: tuple[ParamEntry, ...]

    def __post_init__(self) -> None:
        if not self.entries:
            raise SpecError("params", "a ParamSpec needs at least one parameter")
        seen: set[str] = set()
        for entry in self.entries:
            if entry.name in seen:
                raise SpecError(f"params[{entry.name!r}]", "listed twice")
            seen.add(entry.name)

    # ----------------------------------------------------------------------------- construction
    @classmethod
    def from_module(
        cls,
        module: nn.Module,
        include: Sequence[str] | None = None,
        exclude: Sequence[str] = (),
        predicate: Callable[[str, nn.Parameter], bool] | None = None,
    ) -> ParamSpec:
        """The spec of ``module``'s named parameters, in ``named_parameters()`` order.

        ``include``: glob patterns on full names (``"head.*"``); ``None`` selects all. ``exclude``:
        patterns removed afterwards. ``predicate(name, param)``: a further filter. A pattern that
        matches nothing is an error (a typo would otherwise silently generate nothing).
        """
        named = dict(module.named_parameters())
        where = type(module).__name__
        for field, patterns in (("include", include or ()), ("exclude", exclude)):
            for i, pattern in enumerate(patterns):
                if not fnmatch.filter(named, pattern):
                    raise SpecError(
                        f"{field}[{i}]",
                        f"pattern {pattern!r} matches no parameter of {where} "
                        f"(names: {', '.join(named)})",
                    )
        selected = [
            name
            for name, param in named.items()
            if (include is None or any(fnmatch.fnmatchcase(name, p) for p in include))
            and not any(fnmatch.fnmatchcase(name, p) for p in exclude)
            and (predicate is None or predicate(name, param))
        ]
        if not selected:
            raise SpecError("params", f"the selection leaves no parameter of {where} to generate")
        return cls(tuple(_entry(module, name, named) for name in selected))

    # ------------------------------------------------------------------------------- properties
    @property
    def names(self) -> tuple[str, ...]:
        return tuple(e.name for e in self.entries)

    @property
    def numel(self) -> int:
        """``P``, the length of the flat parameter vector."""
        return sum(e.numel for e in self.entries)

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {e.name: e.shape for e in self.entries}

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[ParamEntry]:
        return iter(self.entries)

    def __getitem__(self, name: str) -> ParamEntry:
        for entry in self.entries:
            if entry.name == name:
                return entry
        raise KeyError(name)

    # ------------------------------------------------------------------------------- conversion
    def check(self, params: Mapping[str, Tensor], where: str = "params") -> int:
        """Validate ``params: dict name -> (M, *shape)`` and return ``M``.

        Raises :class:`~hyperpino.errors.SpecError` naming the key: missing, unexpected, not a
        tensor, missing model axis, wrong shape, or an ``M`` that differs between keys.
        """
        missing = [n for n in self.names if n not in params]
        if missing:
            raise SpecError(f"{where}[{missing[0]!r}]", f"missing (missing keys: {', '.join(missing)})")
        unexpected = [n for n in params if n not in self.shapes]
        if unexpected:
            raise SpecError(
                f"{where}[{unexpected[0]!r}]",
                f"unexpected key (unexpected: {', '.join(map(str, unexpected))}; "
                f"expected: {', '.join(self.names)})",
            )
        m: int | None = None
        for entry in self.entries:
            value, key = params[entry.name], f"{where}[{entry.name!r}]"
            if not isinstance(value, Tensor):
                raise SpecError(key, f"expected a tensor, got {type(value).__name__}")
            got = tuple(value.shape)
            if got == entry.shape:
                raise SpecError(
                    key,
                    f"shape {got} has no leading model axis; expected (M, {_dims(entry.shape)}) "
                    "(use value[None] for one model)",
                )
            if got[1:] != entry.shape or len(got) == 0:
                raise SpecError(key, f"expected shape (M, {_dims(entry.shape)}), got {got}")
            if m is None:
                m = got[0]
            elif got[0] != m:
                raise SpecError(key, f"model axis M = {got[0]} differs from M = {m} of the other keys")
        assert m is not None
        return m

    def flatten(self, params: Mapping[str, Tensor]) -> Tensor:
        """``dict name -> (M, *shape)`` -> ``(M, P)``, entries concatenated in spec order."""
        m = self.check(params)
        return torch.cat([params[e.name].reshape(m, e.numel) for e in self.entries], dim=1)

    def unflatten(self, flat: Tensor) -> dict[str, Tensor]:
        """``(M, P)`` -> ``dict name -> (M, *shape)`` (views into ``flat``)."""
        if flat.ndim != 2 or flat.shape[1] != self.numel:
            raise SpecError(
                "flat", f"expected shape (M, {self.numel}), got {tuple(flat.shape)}"
            )
        parts = torch.split(flat, [e.numel for e in self.entries], dim=1)
        return {e.name: p.reshape(flat.shape[0], *e.shape) for e, p in zip(self.entries, parts, strict=True)}

    def extract(self, module: nn.Module) -> dict[str, Tensor]:
        """The current values of the spec's parameters in ``module``, ``name -> (1, *shape)``
        (detached copies)."""
        named = dict(module.named_parameters())
        missing = [n for n in self.names if n not in named]
        if missing:
            raise SpecError(f"module[{missing[0]!r}]", f"{type(module).__name__} has no such parameter")
        out = {n: named[n].detach().clone()[None] for n in self.names}
        self.check(out, where="module")
        return out


def module_key(name: str) -> str:
    """A parameter name usable as an ``nn.ModuleDict``/``nn.ParameterDict`` key: those may not
    contain ".", and parameter names never contain ":" (``"net.0.weight" -> "net:0:weight"``)."""
    return name.replace(".", ":")


def _dims(shape: tuple[int, ...]) -> str:
    return ", ".join(map(str, shape))


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a tensor of rank >= 2, as ``torch.nn.init`` computes them."""
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _entry(module: nn.Module, name: str, named: Mapping[str, Tensor]) -> ParamEntry:
    prefix, _, leaf = name.rpartition(".")
    owner = module.get_submodule(prefix)
    shape = tuple(named[name].shape)
    if isinstance(owner, _NORM_TYPES) and leaf == "weight":
        return ParamEntry(name, shape, 1, shape[0] if shape else 1, "norm")
    if len(shape) >= 2:
        return ParamEntry(name, shape, *_fans(shape), "weight")
    size = shape[0] if shape else 1
    if leaf.startswith("bias"):
        sibling = named.get(f"{prefix}.{leaf.replace('bias', 'weight', 1)}".lstrip("."))
        fan_in = 1
        if sibling is not None and sibling.ndim >= 2:
            fan_in, _ = _fans(tuple(sibling.shape))
        return ParamEntry(name, shape, fan_in, size, "bias")
    return ParamEntry(name, shape, 1, size, "weight")
