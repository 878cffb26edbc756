"""The output-head interface: features ``h`` -> generated tensors ``name -> (M, *shape)``.

A head owns the hypernetwork's last layer(s) and the layout of the output; every head returns its
tensors through the :class:`~hyperpino.hypernet.spec.ParamSpec`, so the rest of the toolkit never
sees how they were produced: per tensor (HyPINO's decoder, Bischof et al. 2025, arXiv 2509.05117),
in chunks (von Oswald et al. 2020, arXiv 1906.00695) or sequentially (Chandra et al. 2023,
arXiv 2209.07712).
"""

from __future__ import annotations

from collections.abc import Mapping

from torch import Tensor, nn

from hyperpino.hypernet.spec import ParamSpec


class Head(nn.Module):
    """Abstract base. Subclasses set :attr:`spec` and :attr:`in_dim` and implement :meth:`forward`
    and :meth:`init_output_`."""

    spec: ParamSpec
    in_dim: int

    def forward(self, h: Tensor) -> dict[str, Tensor]:
        """``h (M, in_dim)`` (or per-tensor tokens ``(M, T, in_dim)``) -> ``name -> (M, *shape)``."""
        raise NotImplementedError

    def init_output_(self, target_std: Mapping[str, float], in_second_moment: float) -> None:
        """Initialise the output layer so the generated tensor ``name`` has standard deviation
        about ``target_std[name]``, given inputs ``h`` of mean square ``in_second_moment``."""
        raise NotImplementedError


def chunk_count(numel: int, chunk_size: int) -> int:
    """Number of chunks of ``chunk_size`` covering ``numel`` values (the last one is cut)."""
    return -(-numel // chunk_size)


def rms_std(spec: ParamSpec, target_std: Mapping[str, float]) -> float:
    """Root-mean-square of the per-tensor target std over all P values: the one scale a shared
    chunk generator can be given, since a chunk position serves different tensors."""
    total = sum(e.numel * target_std[e.name] ** 2 for e in spec)
    return (total / spec.numel) ** 0.5
