"""``hyperpino demo`` (what ``make demo`` runs): a bundled example, checked, drawn and discretised.

Until the solve pipeline lands this shows the foundation end to end: a spec file is validated and
summarised, its domain drawn with named boundary pieces and outward normals, the problem
rasterised into model inputs, and the residuals of a batch of (untrained) target PINNs evaluated
by the batched residual engine.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from hyperpino.errors import HyperpinoError

EXAMPLE = "helmholtz_G.toml"


def examples_dir() -> Path:
    """The bundled ``examples/`` folder of a source checkout."""
    path = Path(__file__).resolve().parents[1] / "examples"
    if not path.is_dir():
        raise HyperpinoError(f"bundled examples not found at {path}")
    return path


def run_demo(out: Path, *, quiet: bool = False) -> dict[str, float]:
    """Run the demo on ``examples/helmholtz_G.toml``, writing PNGs into ``out``."""
    from hyperpino.pde.check import load_problem, plot, summary
    from hyperpino.pde.discretize import rasterize_problem, sample_problem
    from hyperpino.pde.pinn import ModifiedMLP
    from hyperpino.pde.plot_inputs import plot_inputs
    from hyperpino.pde.residual import derivatives, module_point_fn, operator_residual, robin_residual

    say = (lambda *a: None) if quiet else print
    out.mkdir(parents=True, exist_ok=True)
    problem = load_problem(examples_dir() / EXAMPLE)
    say(summary(problem))
    plot(problem, out / "domain.png")
    plot_inputs(rasterize_problem(problem, 128), out / "inputs.png",
                title=f"{problem.name}: model inputs on [-1, 1]² (128×128)")

    torch.manual_seed(0)
    m = 16
    nets = [ModifiedMLP() for _ in range(m)]
    params = {k: torch.stack([dict(n.named_parameters())[k].detach() for n in nets])
              for k, _ in nets[0].named_parameters()}
    col = sample_problem(problem, 4096, 2048, generator=torch.Generator().manual_seed(0))
    fn = module_point_fn(nets[0])
    t0 = time.perf_counter()
    d_in = derivatives(fn, params, col.interior)
    r_pde = operator_residual(d_in, col.coeffs[None], col.source[None])
    d_bd = derivatives(fn, params, col.boundary, order=1)
    r_bc = robin_residual(d_bd, col.direction, col.a, col.b, col.g)
    elapsed = time.perf_counter() - t0
    figures = {
        "models": m,
        "interior_points": int(col.interior.shape[0]),
        "boundary_rows": int(col.boundary.shape[0]),
        "pde_residual_rms": float(r_pde.pow(2).mean().sqrt()),
        "bc_residual_rms": float(r_bc.pow(2).mean().sqrt()),
        "engine_seconds": elapsed,
    }
    say(f"\nresidual engine: {m} untrained target PINNs × {figures['interior_points']} interior points "
        f"+ {figures['boundary_rows']} boundary rows in {elapsed:.2f} s "
        f"(RMS residual: PDE {figures['pde_residual_rms']:.3g}, boundary {figures['bc_residual_rms']:.3g})")
    say(f"figures: {out / 'domain.png'}, {out / 'inputs.png'}")
    return figures
