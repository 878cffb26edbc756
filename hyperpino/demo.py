"""``hyperpino demo`` (what ``make demo`` runs): a bundled benchmark solved with the bundled model.

The spec ``examples/poisson_L.toml`` is validated and summarised, its domain and model inputs are
drawn, then HyPINO (Bischof et al. 2025, arXiv 2509.05117) generates a PINN for it in one forward
pass, refines it and fine-tunes it briefly; the solution, residuals and errors against the FEM
reference are written as HDF5 and PNG. Without the bundled checkpoint the demo says so loudly and
runs an untrained model of the same architecture, so the pipeline can still be seen end to end.
"""

from __future__ import annotations

import time
from pathlib import Path

import torch

from hyperpino.examples import examples_dir

EXAMPLE = "poisson_L.toml"


def run_demo(out: Path, *, quiet: bool = False, model=None, refine: int = 3, finetune: int = 400,
             threads: int | None = 1) -> dict[str, float]:
    """Solve ``examples/poisson_L.toml``, writing PNGs, ``poisson_L.h5`` and the PINN into ``out``.

    ``model``: a HyPINO (default: the bundled pretrained one); ``finetune``: fine-tuning steps after
    refinement (the bundled CPU-trained model is a rough start, see its MODEL_CARD.md). ``threads``
    sets torch's CPU threads (the small networks run fastest on one; more fight over shared cores).
    Returns a few figures.
    """
    from hyperpino.model.channels import rasterize_problem
    from hyperpino.model.checkpoint import read_metadata
    from hyperpino.model.hypino import BUNDLED, HyPINO
    from hyperpino.model.plot_inputs import plot_inputs
    from hyperpino.pde.check import plot, summary
    from hyperpino.pde.frame import model_frame
    from hyperpino.pde.problem import build_problem
    from hyperpino.solver.outputs import save_result
    from hyperpino.solver.pipeline import solve

    say = (lambda *a: None) if quiet else print
    if threads:
        torch.set_num_threads(int(threads))
    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    problem = build_problem(examples_dir() / EXAMPLE)
    say(summary(problem))
    plot(problem, out / "domain.png")
    trained = True
    if model is None and BUNDLED.is_file():
        model = BUNDLED  # solve() loads it and names the file in its summary
    elif model is None:
        trained = False
        say(f"\nNOTE: {BUNDLED}: no such checkpoint\nNOTE: running an UNTRAINED model of the `small` "
            "architecture instead; its numbers mean nothing.\n")
        torch.manual_seed(0)
        model = HyPINO.from_preset("small").train(False)
    # The grid from the checkpoint's header, without loading its weights twice.
    g = read_metadata(model)["config"]["grid"] if isinstance(model, Path) else model.config.grid
    plot_inputs(rasterize_problem(model_frame(problem), g), out / "inputs.png",
                title=f"{problem.name}: model inputs on [-1, 1]² ({g}×{g})")
    result = solve(problem, model=model, refine=refine, finetune_steps=finetune,
                   progress=None if quiet else print)
    save_result(result, out)
    say("")
    say(result.summary())
    say(f"figures: {out / 'domain.png'}, {out / 'inputs.png'}")
    figures = {"members": len(result.ensemble), "trained_model": trained,
               "seconds": time.perf_counter() - t0}
    if result.errors is not None:
        figures.update(rel_l2=result.errors["rel_l2"], mse=result.errors["mse"])
    return figures
