"""hyperpino: hypernetworks for scientific ML.

Public API (imported on first use, PEP 562, so the ``hyperpino`` command starts fast)::

    import hyperpino
    spec = hyperpino.load_spec("examples/poisson_L.toml")
    model = hyperpino.HyPINO.pretrained()
    pinn = model.generate(spec)               # nn.Module: user points (N, 2) -> u (N, 1)
    result = hyperpino.solve(spec, refine=3)  # the whole pipeline; see docs/solve.md
"""

from hyperpino._lazy import lazy_exports

_EXPORTS = {
    "load_spec": ("solver.problems", "load_spec"),
    "HyPINO": ("model.hypino", "HyPINO"),
    "solve": ("solver.pipeline", "solve"),
}
__all__ = sorted(_EXPORTS)
__getattr__ = lazy_exports(__name__, globals(), _EXPORTS)
