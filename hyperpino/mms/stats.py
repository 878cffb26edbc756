"""Where a problem lies in the training distribution: a few scale-free statistics and percentiles.

The statistics are those the model's input normalisation leaves (``hyperpino/model/inputs.py:
normalise``: the operator divided by ``k = max|c|``, then all data — source/k, Dirichlet, Neumann
and Robin values — by their largest magnitude ``s``; the model then answers u/s):

- ``zeroth``, ``first``, ``second``: ``|c_u|/k``, ``max(|c_x|, |c_y|)/k``, the largest second-order
  coefficient over k (canonical coordinates);
- ``aniso``: ``min/max`` of ``|c_xx|, |c_yy|`` (0 for evolution problems);
- ``size``: ``max|u|/s`` on the domain, the size of the normalised solution;
- ``freq``: the dominant angular frequency of u (of the source when u is unknown) on the grid,
  the peak of its zero-padded power spectrum without the mean (resolution ~π/4 on [-1, 1]);
- ``source_share``: ``|f|/k`` against the boundary data, ``src/(src + bc)`` of their maxima
  (1: the source carries everything, 0: the boundary data do).

Training problems are rasterised by :class:`~hyperpino.mms.MMSGenerator` and u* evaluated on the
grid; example specs by :func:`hyperpino.pde.collocation.rasterize_problem`, with u from the spec's
exact solution or a coarse reference solve (:mod:`hyperpino.pde.reference`). The normalisation is
restated here because :mod:`hyperpino.mms` sits below :mod:`hyperpino.model` in the layers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from hyperpino.mms.config import MMSConfig
from hyperpino.model.channels import CHANNELS

FEATURES = ("zeroth", "first", "second", "aniso", "size", "freq", "source_share")
BENCHMARKS = ("heat", "helmholtz", "helmholtz_G", "poisson_C", "poisson_G", "poisson_L", "wave")
"""The seven HyPINO benchmarks (``examples/NAME.toml``)."""
_CH = {name: i for i, name in enumerate(CHANNELS)}
_BC = tuple(_CH[c] for c in ("dirichlet_value", "neumann_value", "robin_value"))
_TINY = 1e-8
ZERO_DATA = 0.999
"""``source_share`` from which a problem counts as one with (numerically) zero boundary data."""
_PAD = 4
REFERENCE_H = 0.04
"""Mesh size of the reference solve for examples without an exact solution (coarse: ~1 s each)."""


def features(images: Tensor, coeffs: Tensor, u: Tensor | None) -> dict[str, np.ndarray]:
    """Statistics of ``B`` problems: ``images (B, C, G, G)`` (CHANNELS), canonical ``coeffs (B, 6)``,
    ``u (B, G, G)`` on the same grid (NaN rows or ``None``: unknown). Returns name -> ``(B,)``."""
    images, c = images.double(), coeffs.double().abs()
    b, _, g, _ = images.shape
    k = c.amax(1).clamp_min(_TINY)
    dom = images[:, _CH["domain"]] > 0
    src = (images[:, _CH["source"]] * dom).abs().flatten(1).amax(1) / k
    bc = images[:, list(_BC)].abs().flatten(1).amax(1)
    data = torch.maximum(src, bc)
    scale = torch.where(data > _TINY, data, torch.ones_like(data))
    hi, lo = torch.maximum(c[:, 3], c[:, 4]), torch.minimum(c[:, 3], c[:, 4])
    out = {
        "zeroth": c[:, 0] / k,
        "first": torch.maximum(c[:, 1], c[:, 2]) / k,
        "second": c[:, 3:6].amax(1) / k,
        "aniso": torch.where(hi > 0, lo / hi.clamp_min(_TINY), 0.0),
        "source_share": src / (src + bc).clamp_min(_TINY),
    }
    if u is None:
        u = images.new_full((b, g, g), math.nan)
    u = torch.where(dom, u.double().nan_to_num(0.0), 0.0)
    known = torch.isfinite(u).flatten(1).all(1) & (u.abs().flatten(1).amax(1) > 0)
    out["size"] = torch.where(known, u.abs().flatten(1).amax(1) / scale, math.nan)
    field = torch.where(known[:, None, None], u, images[:, _CH["source"]] * dom)
    out["freq"] = dominant_frequency(field, dom)
    return {name: out[name].numpy() for name in FEATURES}


def dominant_frequency(v: Tensor, dom: Tensor) -> Tensor:
    """Angular frequency ``(B,)`` at the peak of the power spectrum of ``v (B, G, G)`` on [-1, 1]²
    (mean over ``dom`` removed, zero outside it, zero-padded ``_PAD``-fold)."""
    b, g, _ = v.shape
    area = dom.flatten(1).sum(1).clamp_min(1)
    mean = (v * dom).flatten(1).sum(1) / area
    w = torch.where(dom, v - mean[:, None, None], 0.0)
    m = _PAD * g  # zero padding: resolution π/_PAD instead of π
    power = torch.fft.fft2(w, s=(m, m)).abs().square()
    power[:, 0, 0] = 0.0
    f = 2 * math.pi * torch.fft.fftfreq(m, d=2.0 / (g - 1), dtype=torch.float64)
    radius = torch.sqrt(f[:, None] ** 2 + f[None, :] ** 2).flatten()
    peak = power.flatten(1).argmax(1)
    return torch.where(power.flatten(1).amax(1) > 0, radius[peak], 0.0)


@dataclass
class Distribution:
    """Statistics of ``n`` drawn training problems: name -> ``(n,)``, and the generator's acceptance."""

    values: dict[str, np.ndarray]
    acceptance: float

    def percentile(self, name: str, value: float) -> float:
        """Share (in %) of training values below ``value`` (ties count half); NaN if unknown."""
        ref = self.values[name]
        ref = ref[np.isfinite(ref)]
        if not math.isfinite(value) or not len(ref):
            return math.nan
        return float(100.0 * ((ref < value).mean() + 0.5 * (ref == value).mean()))

    def quantiles(self, name: str, qs=(5, 50, 95)) -> list[float]:
        ref = self.values[name]
        ref = ref[np.isfinite(ref)]
        return [float(np.percentile(ref, q)) if len(ref) else math.nan for q in qs]


def training_distribution(cfg: MMSConfig, n: int, *, seed: int = 0, grid: int = 64,
                          batch: int = 128) -> Distribution:
    """Statistics of samples ``0..n-1`` of ``cfg`` (with a ``grid``² image and few points: fast)."""
    from hyperpino.mms.generator import MMSGenerator, evaluate_recipes
    from hyperpino.pde.geometry import grid_points

    cfg = cfg.model_copy(update={"grid": grid, "n_interior": 64, "n_boundary": 64})
    gen = MMSGenerator(cfg, seed, dtype=torch.float64)
    pts = grid_points(grid, dtype=torch.float64).reshape(1, -1, 2)
    parts: list[dict[str, np.ndarray]] = []
    for start in range(0, n, batch):
        bt = gen.generate(range(start, min(start + batch, n)))
        u = evaluate_recipes(bt.recipes, pts.expand(len(bt), -1, -1))[..., 0].reshape(-1, grid, grid)
        u = torch.where(bt.labelled[:, None, None], u, math.nan)
        parts.append(features(bt.images, bt.coeffs, u))
    values = {k: np.concatenate([p[k] for p in parts]) for k in FEATURES}
    return Distribution(values, gen.stats["accepted"] / max(gen.stats["attempts"], 1))


def example_features(path: str | Path, *, grid: int = 64, reference: bool = True) -> dict[str, float]:
    """Statistics of one spec file; u from its exact solution, else a coarse reference solve
    (``reference=False``: size n/a and the frequency from the source)."""
    from hyperpino.model.channels import rasterize_problem
    from hyperpino.pde.expr_torch import to_torch
    from hyperpino.pde.frame import model_frame
    from hyperpino.pde.geometry import grid_points
    from hyperpino.pde.problem import build_problem

    problem = model_frame(build_problem(path))  # what the model sees
    m = problem.map
    coeffs = m.canonical_coefficients(torch.tensor(problem.operator.vector(), dtype=torch.float64))
    images = rasterize_problem(problem, grid, dtype=torch.float64)
    u = None
    if problem.exact is not None:
        user = m.to_user(grid_points(grid, dtype=torch.float64).reshape(-1, 2))
        u = to_torch(problem.exact, problem.coords)(user[:, 0], user[:, 1]).expand(user.shape[0])
        u = u.reshape(grid, grid)
    elif reference:
        from hyperpino.pde.reference import solve_reference

        u = torch.as_tensor(solve_reference(problem, REFERENCE_H, n=grid).u)
    f = features(images[None], coeffs[None], None if u is None else u[None])
    return {k: float(v[0]) for k, v in f.items()}


def benchmark_paths() -> list[Path]:
    """``examples/NAME.toml`` of :data:`BENCHMARKS` next to the package (a source checkout)."""
    root = Path(__file__).resolve().parents[2] / "examples"
    return [root / f"{name}.toml" for name in BENCHMARKS]


def report(dist: Distribution, examples: dict[str, dict[str, float]]) -> dict:
    """The JSON object of ``hyperpino mms stats``: training quantiles, the share of training problems
    with zero boundary data (``zero_data``), each example's values and percentiles (``None``: n/a)."""
    clean = lambda v: None if not math.isfinite(v) else round(v, 4)  # noqa: E731
    share = dist.values["source_share"]
    return {
        "n": int(len(dist.values[FEATURES[0]])),
        "acceptance": round(dist.acceptance, 3),
        "zero_data": round(float((share >= ZERO_DATA).mean()), 4),
        "train": {k: dict(zip(("p5", "p50", "p95"), map(clean, dist.quantiles(k)), strict=True))
                  for k in FEATURES},
        "examples": {name: {k: {"value": clean(v[k]), "percentile": clean(dist.percentile(k, v[k]))}
                            for k in FEATURES} for name, v in examples.items()},
    }


def table(rep: dict) -> str:
    """A compact text table of :func:`report`: ``value (percentile)`` per example and statistic."""
    head = ["problem", *FEATURES]
    rows = [["train p5/50/95", *("/".join(_num(q) for q in rep["train"][k].values()) for k in FEATURES)]]
    for name, cells in rep["examples"].items():
        row = [name]
        for k in FEATURES:
            v, p = cells[k]["value"], cells[k]["percentile"]
            row.append("n/a" if v is None else f"{_num(v)} ({'n/a' if p is None else f'{p:.0f}%'})")
        rows.append(row)
    width = [max(len(r[j]) for r in [head, *rows]) for j in range(len(head))]
    line = lambda r: "  ".join(c.ljust(w) for c, w in zip(r, width, strict=True)).rstrip()  # noqa: E731
    return "\n".join([line(head), *map(line, rows)])


def _num(v) -> str:
    if v is None:
        return "n/a"
    return f"{v:.3g}"
