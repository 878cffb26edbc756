"""The spec schema: one pydantic model for TOML, YAML and JSON problem files.

This module only checks the *shape* of a spec (keys, types, ranges). What a spec means — the
geometry's boundary pieces, the operator's type, which conditions a problem needs — is checked
when it becomes a :class:`~hyperpino.pde.problem.Problem`. The format is documented in
``docs/spec-format.md``; ``hyperpino schema`` prints this model as JSON Schema.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    field_validator,
)

Number = StrictInt | StrictFloat
"""A plain number (booleans are not numbers here)."""

Expr = StrictInt | StrictFloat | Annotated[StrictStr, Field(max_length=2000)]
"""A number or an expression in the coordinates and parameters, e.g. ``"sin(pi*x)*exp(-k*t)"``."""

Pair = tuple[Expr, Expr]
Name = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")]
Pattern = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.*?\[\]!-]+$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RectangleSpec(_Model):
    type: Literal["rectangle"]
    min: Pair
    max: Pair


class DiskSpec(_Model):
    type: Literal["disk"]
    center: Pair
    radius: Expr


class EllipseSpec(_Model):
    type: Literal["ellipse"]
    center: Pair
    semi_axes: Pair
    angle: Expr = 0.0


class PolygonSpec(_Model):
    type: Literal["polygon"]
    vertices: list[Pair] = Field(min_length=3, max_length=256)


class TriangleSpec(_Model):
    type: Literal["triangle"]
    vertices: list[Pair] = Field(min_length=3, max_length=3)


PrimitiveSpec = Annotated[
    RectangleSpec | DiskSpec | EllipseSpec | PolygonSpec | TriangleSpec,
    Field(discriminator="type"),
]


class GeometrySpec(_Model):
    primitives: dict[Name, PrimitiveSpec] = Field(min_length=1, max_length=64)
    csg: Annotated[str, Field(max_length=2000)] | None = None


class OperatorSpec(_Model):
    expr: Annotated[str, Field(max_length=2000)] | None = None
    coefficients: dict[str, Expr] | None = None
    source: Expr = 0


def _as_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


class _OnPieces(_Model):
    on: list[Pattern] = Field(min_length=1, max_length=64)
    _wrap = field_validator("on", mode="before")(_as_list)


class DirichletSpec(_OnPieces):
    type: Literal["dirichlet"]
    value: Expr


class NeumannSpec(_OnPieces):
    type: Literal["neumann"]
    value: Expr


class RobinSpec(_OnPieces):
    type: Literal["robin"]
    a: Expr
    b: Expr
    value: Expr


class InitialValueSpec(_Model):
    type: Literal["initial_value"]
    on: list[Pattern] | None = None
    value: Expr
    _wrap = field_validator("on", mode="before")(_as_list)


class InitialRateSpec(_Model):
    type: Literal["initial_rate"]
    on: list[Pattern] | None = None
    value: Expr
    _wrap = field_validator("on", mode="before")(_as_list)


ConditionSpec = Annotated[
    DirichletSpec | NeumannSpec | RobinSpec | InitialValueSpec | InitialRateSpec,
    Field(discriminator="type"),
]


class EvaluationSpec(_Model):
    grid: int = Field(default=224, ge=16, le=1024)


class RunSpec(_Model):
    refine: int = Field(default=3, ge=0, le=100)
    """HyPINO refinement steps (the reference notebook finds 3–10 enough; `hyperpino solve` stops
    early when a step stops helping)."""
    finetune_steps: int = Field(default=0, ge=0, le=10_000_000)
    seed: int = Field(default=0, ge=-(2**63), le=2**64 - 1)  # what torch.manual_seed takes
    device: Literal["auto", "cpu", "cuda"] = "auto"
    dtype: Literal["float32", "float64"] = "float32"


class Spec(_Model):
    """A whole problem file. See ``docs/spec-format.md``."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")]
    description: Annotated[str, Field(max_length=2000)] = ""
    coords: tuple[Literal["x"], Literal["y", "t"]] = ("x", "y")
    box: tuple[tuple[Number, Number], tuple[Number, Number]]
    parameters: dict[Name, Number] = Field(default_factory=dict, max_length=64)
    geometry: GeometrySpec
    operator: OperatorSpec
    bcs: list[ConditionSpec] = Field(min_length=1, max_length=128)
    exact: Expr | None = None
    evaluation: EvaluationSpec = Field(default_factory=EvaluationSpec)
    run: RunSpec = Field(default_factory=RunSpec)

    @property
    def is_evolution(self) -> bool:
        """True for (x, t) problems."""
        return self.coords[1] == "t"
