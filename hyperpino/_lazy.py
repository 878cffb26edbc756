"""Lazy package exports (PEP 562), so the `hyperpino` command starts fast.

A package lists its public names and where each lives; a name is imported on first use. Parsing
arguments for one subcommand then does not pay for torch, sympy or scipy imported by another.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, namespace: dict[str, Any],
                 exports: Mapping[str, tuple[str, str]]) -> Callable[[str], Any]:
    """A module ``__getattr__`` resolving ``name -> (submodule, attribute)`` of ``package`` on demand.

    The value is cached in the package namespace, so later lookups are ordinary attribute reads.
    """

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, attr = exports[name]
        value = getattr(importlib.import_module(f"{package}.{module}"), attr)
        namespace[name] = value
        return value

    return __getattr__
