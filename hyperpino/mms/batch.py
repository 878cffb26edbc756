"""Generated samples as tensors: :class:`Batch` (leading axis B) and one :class:`Sample` of it.

Images follow :data:`hyperpino.pde.collocation.CHANNELS` on ``grid_points(G)`` (row 0 is y = +1);
boundary rows use the unified form ``a·u + b·(d·∇u) = g`` of :mod:`hyperpino.pde.collocation`, on
[-1, 1]² where ``d`` is the outward unit normal. Labels are in ``TERMS`` order.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from torch import Tensor

from hyperpino.mms.recipe import Recipe


@dataclass
class Batch:
    """``B`` samples.

    ``images (B, C, G, G)``; ``coeffs (B, 6)`` canonical operator coefficients (TERMS order);
    ``interior (B, N, 2)`` with ``labels (B, N, 6)`` = u, u_x, u_y, u_xx, u_yy, u_xy (zeros when
    not labelled) and ``source (B, N)``; ``boundary (B, Nb, 2)`` rows ``a, b, g (B, Nb)``,
    ``normal (B, Nb, 2)`` (= d), ``code (B, Nb)`` index into :data:`~hyperpino.mms.recipe.CODES`;
    ``labelled (B,)`` bool, ``kind (B,)`` index into ``KINDS``, ``index (B,)`` sample numbers;
    ``active (B, P)`` bool, the boundary pieces of each domain; ``recipes`` the drawn problems.
    """

    images: Tensor
    coeffs: Tensor
    interior: Tensor
    labels: Tensor
    source: Tensor
    boundary: Tensor
    a: Tensor
    b: Tensor
    g: Tensor
    normal: Tensor
    code: Tensor
    labelled: Tensor
    kind: Tensor
    index: Tensor
    active: Tensor
    recipes: list[Recipe]

    TENSORS = ("images", "coeffs", "interior", "labels", "source", "boundary", "a", "b", "g", "normal",
               "code", "labelled", "kind", "index", "active")

    def __len__(self) -> int:
        return self.images.shape[0]

    def __getitem__(self, i: int) -> Sample:
        return Sample(**{f: getattr(self, f)[i] for f in self.TENSORS}, recipe=self.recipes[i])

    def to(self, device) -> Batch:
        return Batch(**{f: getattr(self, f).to(device) for f in self.TENSORS}, recipes=self.recipes)


@dataclass
class Sample:
    """One sample: the fields of :class:`Batch` without the leading axis, and its recipe."""

    images: Tensor
    coeffs: Tensor
    interior: Tensor
    labels: Tensor
    source: Tensor
    boundary: Tensor
    a: Tensor
    b: Tensor
    g: Tensor
    normal: Tensor
    code: Tensor
    labelled: Tensor
    kind: Tensor
    index: Tensor
    active: Tensor
    recipe: Recipe

    def to_spec(self):
        """The problem as a :class:`hyperpino.pde.spec.Spec` (with its exact solution if labelled)."""
        from hyperpino.mms.to_spec import recipe_to_spec

        return recipe_to_spec(self.recipe, self.active)

    def tensors(self) -> dict[str, Tensor]:
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "recipe"}
