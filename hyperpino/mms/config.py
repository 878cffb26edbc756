"""Configuration of the manufactured-problem generator: one frozen pydantic model with defaults.

Every knob of :mod:`hyperpino.mms` lives here (solution grammar, operator mix, geometry, boundary
conditions, rejection bounds, point counts), so a dataset is reproducible from its config and seed.
The defaults follow the published generator (Bischof et al. 2025, HyPINO, arXiv 2509.05117, §3)
where it is sound and fix it where it is not (type mix, physics-only source mean).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import tomllib
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hyperpino.errors import SpecError

Range = tuple[float, float]
Prob = Annotated[float, Field(ge=0.0, le=1.0)]
Weight = Annotated[float, Field(ge=0.0)]


class MMSConfig(BaseModel):
    """Generator settings. Ranges are ``(low, high)`` with ``low <= high``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # -- random solutions u*(x, y) --
    n_terms: tuple[int, int] = (1, 4)
    """Number of additive terms of u* (inclusive range). Single terms keep high-frequency solutions
    (and small normalised solutions, like the helmholtz benchmark's) from being averaged away."""
    max_depth: Annotated[int, Field(ge=1, le=3)] = 2
    """Deepest nesting of products/compositions in one term (1: a single atom of an affine map)."""
    frequency: Range = (0.5, 5 * 3.141592653589793)
    """Magnitude of the affine argument's gradient, |(a, b)| in atom(a·x + b·y + c). Up to 5π so the
    helmholtz benchmark's ~4.1π lies inside (the published generator stops at 2.5π)."""
    frequency_log_share: Prob = 0.5
    """Share of atoms whose |(a, b)| is drawn log-uniformly in ``frequency``, the rest uniformly: a
    mixture with more slow atoms than the old uniform draw on [0.5, 2.5π] (25 % against 20 % below
    2) and a heavier fast tail (16 % above 12) for small normalised solutions like helmholtz's."""
    amplitude: Range = (0.3, 2.0)
    atoms: tuple[str, ...] = ("sin", "cos", "tanh", "gauss", "rational", "poly1", "poly2", "poly3")
    """Atoms of the grammar: sin, cos, tanh, gauss = exp(−z²), rational = 1/(1+z²), polyK = z^K."""

    # -- bubble solutions u* = B·φ (zero Dirichlet data on the box; see hyperpino.mms.bubble) --
    bubble_fraction: Prob = 0.3
    """Share of labelled problems whose u* is a bubble B times φ (B = (1−x²)(1−y²), or 1−x² for
    evolution problems, whose y is time)."""
    bubble_evolution: bool = True
    """Whether evolution problems get the x-only bubble (False: only elliptic ones get bubbles)."""
    bubble_constant: Prob = 0.25
    """Share of bubble problems with a constant φ: −Δ(c·B) is a low-order polynomial source."""
    bubble_smooth: Prob = 0.25
    """Share of bubble problems with a smooth φ: 1–2 single atoms of frequency ``smooth_frequency``."""
    smooth_frequency: Range = (0.2, 1.5)
    bubble_plain: Prob = 0.5
    """Share of elliptic bubble problems posed on the plain box (no holes, whose data B·φ is not
    zero): with Dirichlet conditions these are −L u = f, u = 0 on the square."""
    bubble_bc_weights: dict[str, Weight] = Field(
        default_factory=lambda: {"dirichlet": 0.85, "neumann": 0.075, "robin": 0.075}
    )
    """Condition mix of bubble problems (zero data matter for Dirichlet conditions)."""

    # -- operators --
    kind_weights: dict[str, Weight] = Field(
        default_factory=lambda: {"elliptic": 0.4, "parabolic": 0.2, "hyperbolic": 0.2, "first-order": 0.2}
    )
    """Mix of operator types; normalised. Every accepted sample keeps the type drawn for its index."""
    coefficient: Range = (0.25, 2.0)
    """Magnitude range of operator coefficients (signs drawn separately)."""
    p_lower_order: Prob = 0.5
    """Probability of each lower-order term (u, u_x, u_y) being present."""
    p_mixed: Prob = 0.3
    """Probability of a mixed derivative u_xy term (elliptic and hyperbolic)."""
    p_isotropic: Prob = 0.3
    """Probability that an elliptic operator has equal u_xx and u_yy coefficients (a scaled Laplacian,
    as in five of the seven benchmarks; independent draws never give one)."""
    p_helmholtz: Prob = 0.15
    """Probability that an elliptic operator gets a large zeroth-order term (±, ``helmholtz``)."""
    helmholtz: Range = (2.0, 200.0)
    """Log-uniform magnitude range of that u coefficient: −Δu ∓ k²u with k up to ~14, and
    Poisson–Boltzmann-like operators (helmholtz_G: u dominates the Laplacian 64-fold)."""

    # -- geometry (elliptic problems; evolution problems use the full box) --
    n_holes: tuple[int, int] = (0, 4)
    hole_weights: dict[str, Weight] = Field(
        default_factory=lambda: {"disk": 1.0, "rectangle": 1.0, "triangle": 1.0, "polygon": 1.0}
    )
    hole_size: Range = (0.15, 0.5)
    """Disk radius, rectangle half-side, triangle/polygon circumradius."""
    min_area: Annotated[float, Field(gt=0.0, lt=1.0)] = 0.35
    """Reject a geometry covering less than this fraction of the box."""

    # -- boundary conditions --
    bc_weights: dict[str, Weight] = Field(
        default_factory=lambda: {"dirichlet": 0.5, "neumann": 0.25, "robin": 0.25}
    )
    robin: Range = (0.5, 2.0)
    """Range of the Robin coefficients a and b (both positive: a dissipative condition)."""

    # -- rejection bounds --
    max_u: float = Field(10.0, gt=0)
    min_std_u: float = Field(0.1, ge=0)
    max_derivative: float = Field(1e4, gt=0)
    max_source: float = Field(1e4, gt=0)
    max_normal_derivative: float = Field(100.0, gt=0)
    max_attempts: int = Field(200, ge=1)

    # -- physics-only problems --
    physics_fraction: Prob = 0.0
    """Fraction of samples with random sources/boundary data and no known solution."""
    physics_source_scale: float = Field(5.0, ge=0)
    """Physics-only source: zero-mean, scale times a unit-amplitude smooth function or constant."""
    physics_bc_scale: float = Field(1.0, ge=0)

    # -- discretisation --
    grid: int = Field(64, ge=8, le=1024)
    n_interior: int = Field(2048, ge=1)
    n_boundary: int = Field(2048, ge=1)
    band_px: float = Field(1.5, ge=0)
    decimals: Annotated[int, Field(ge=1, le=12)] = 3
    fit_spec: bool = True
    """Keep u* small enough that its source fits the spec format's expression limits (see docs)."""
    """Drawn numbers are rounded to this many decimals, so a spec file reproduces them exactly."""

    @model_validator(mode="after")
    def _check(self) -> MMSConfig:
        for name in ("n_terms", "frequency", "amplitude", "coefficient", "n_holes", "hole_size", "robin",
                     "smooth_frequency", "helmholtz"):
            lo, hi = getattr(self, name)
            if lo > hi or lo < 0:
                raise ValueError(f"{name}: needs 0 <= low <= high, got {[lo, hi]}")
        if self.frequency_log_share > 0 and self.frequency[0] <= 0:
            raise ValueError("frequency: a log-uniform law needs low > 0")
        if self.helmholtz[0] <= 0:
            raise ValueError("helmholtz: needs low > 0 (log-uniform)")
        if self.bubble_constant + self.bubble_smooth > 1:
            raise ValueError("bubble_constant + bubble_smooth: must not exceed 1")
        if self.n_terms[0] < 1:
            raise ValueError("n_terms: needs at least one term")
        if self.n_holes[1] > 4:
            raise ValueError("n_holes: at most 4 holes")
        from hyperpino.mms.grammar import ATOMS  # local: grammar imports nothing of config

        for atom in self.atoms:
            if atom not in ATOMS:
                raise ValueError(f"atoms: unknown atom {atom!r} (known: {', '.join(ATOMS)})")
        if not self.atoms:
            raise ValueError("atoms: needs at least one atom")
        for name, known in (
            ("kind_weights", ("elliptic", "parabolic", "hyperbolic", "first-order")),
            ("hole_weights", ("disk", "rectangle", "triangle", "polygon")),
            ("bc_weights", ("dirichlet", "neumann", "robin")),
            ("bubble_bc_weights", ("dirichlet", "neumann", "robin")),
        ):
            table = getattr(self, name)
            for key in table:
                if key not in known:
                    raise ValueError(f"{name}.{key}: unknown (known: {', '.join(known)})")
            if sum(table.values()) <= 0:
                raise ValueError(f"{name}: the weights must not all be zero")
        return self


def config_from_mapping(data: dict, where: str = "config") -> MMSConfig:
    """Validate a mapping into :class:`MMSConfig`; the first problem as a one-line ``SpecError``."""
    try:
        return MMSConfig.model_validate(data)
    except ValidationError as err:
        raise SpecError.from_validation(err, where) from None


def load_config(path: str | Path | None) -> MMSConfig:
    """The defaults, or a TOML file's settings over them (``[mms]`` table or top level)."""
    if path is None:
        return MMSConfig()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(str(path), "no such file") from None
    except tomllib.TOMLDecodeError as err:
        raise SpecError(str(path), f"invalid TOML: {err}") from None
    if isinstance(data.get("mms"), dict) and len(data) == 1:
        data = data["mms"]
    return config_from_mapping(data, where=path.name)
