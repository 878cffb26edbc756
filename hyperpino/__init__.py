"""hyperpino: hypernetworks for scientific ML.

Public API (imported on first use, PEP 562, so the ``hyperpino`` command starts fast)::

    import hyperpino
    problem = hyperpino.build_problem("examples/poisson_L.toml")
    model = hyperpino.HyPINO.pretrained()
    pinn = hyperpino.generate(model, problem)              # nn.Module: user points (N, 2) -> u (N, 1)
    pinn = hyperpino.refine(model, problem, pinn, iters=3)  # delta-PINN refinement
    pinn = hyperpino.finetune(problem, pinn, steps=500)     # the PINN trainer from that start
    result = hyperpino.solve(problem, refine=3)             # the whole pipeline; see docs/solve.md
"""

from hyperpino._lazy import lazy_exports

_EXPORTS = {
    "read_spec": ("pde.spec_io", "read_spec"),
    "build_problem": ("pde.problem", "build_problem"),
    "HyPINO": ("model.hypino", "HyPINO"),
    "generate": ("solver.generation", "generate"),
    "refine": ("solver.refinement", "refine"),
    "finetune": ("solver.finetune", "finetune"),
    "solve": ("solver.pipeline", "solve"),
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, globals(), _EXPORTS)
