"""Named presets: data sizes, architecture, training and adaptation for a suite, selected by name.

``paper``: the published configuration (Nzoyem et al. 2025, arXiv 2502.05335, read from the
reference code's ``examples/*/main_mixer.py``). ODEBench-10: GEPS experts of width 64 and depth 3,
M = 10, split contexts of 4 per expert, zero initial contexts, identical initial experts, 1500 outer
steps of 12 context + 12 model steps (proximal terms β = 10), the gate refitted after every inner
step, adaptive Runge–Kutta (rtol 1e-3, atol 1e-6), adaptation 1500 steps at lr 1e-3 with contexts
from zero following the gate. Lotka–Volterra: GEPS 256 × 4, M = 3, 2 context dims per expert,
5000 × (12 + 12) steps, the gate refitted every 5th inner step, self-reweighting of the environment
losses, an L1 penalty 1e-3 on the contexts, adaptation 5000 steps.

What ``paper`` does not reproduce: AdaBelief (Adam here), the reference's 16-environment
nearest-context loss filling (full batch here), its random 60 % time windows, and its skipped gate
updates (ours never skip; see :mod:`hyperpino.mixer.gate`).

``small``: what ``hyperpino bench mixer`` runs on a 2-core CPU — CoDA experts of width 32, 40 ×
(5 + 5) steps, short half-horizon trajectories, 2 environments per ODEBench family with the paper's
4 training trajectories each (with 2, experts that see few environments overfit; on the validation
split 4 gave MixER-10 a lower training loss than MixER-1 on every seed, docs/mixer.md), a warm-up with
one shared expert for half the steps, the best of 10 k-means++ seedings at the first gate update
(chosen on the validation split: purity 0.83 vs 0.78 over seeds 0-2, validation error unchanged;
docs/mixer.md), and the top-2 adaptation from expert centroids.

Data variants of ODEBench-10 (the paper's names): ``10A`` has 5 training environments per family
(50 in all), ``10B`` 16 (160). Both have 4 training, 32 test and 32 validation trajectories per
environment; adaptation environments: 1 per family for 10A, 4 for 10B (our reading of the
reference's comments; the published adaptation sizes are not known here).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from hyperpino.errors import SpecError
from hyperpino.mixer.adaptation import AdaptConfig
from hyperpino.mixer.alternating import MixerTrainConfig
from hyperpino.mixer.integrate import SolverConfig
from hyperpino.mixer.mixture import MixERConfig
from hyperpino.mixer.suites import SuiteConfig

PRESETS = ("small", "paper")
ODEBENCH_VARIANTS = ("10A", "10B")


@dataclass(frozen=True)
class Preset:
    """Everything a named run needs: the generated data, the model, training and adaptation."""

    name: str
    suite: SuiteConfig
    model: MixERConfig
    train: MixerTrainConfig
    adapt: AdaptConfig = field(default_factory=AdaptConfig)


def odebench_variant(variant: str, **overrides) -> SuiteConfig:
    """ODEBench-10A (5 environments per family) or 10B (16 per family) at the published sizes."""
    if variant not in ODEBENCH_VARIANTS:
        raise SpecError("variant", f"unknown {variant!r} (known: {', '.join(ODEBENCH_VARIANTS)})")
    per, adapt = (5, 1) if variant == "10A" else (16, 4)
    base = dict(suite="odebench10", envs_per_family=per, adapt_envs_per_family=adapt, n_train=4, n_test=32,
                n_adapt=1, n_adapt_test=32, n_val=32, n_t=20)
    return SuiteConfig(**(base | overrides))


def _paper(suite: str) -> Preset:
    solver = SolverConfig(method="dopri5", rtol=1e-3, atol=1e-6)
    if suite == "odebench10":
        return Preset(
            "paper", odebench_variant("10A"),
            MixERConfig(expert="geps", n_experts=10, ctx_dim=4, width=64, depth=3, same_init=True,
                        ctx_init_std=0.0, split_context=True, solver=solver),
            MixerTrainConfig(outer_steps=1500, ctx_steps=12, model_steps=12, lr_model=1e-3, lr_ctx=1e-3,
                             prox_ctx=10.0, prox_model=10.0, gate_every=1, gate_trajs=4, gate_stay=0.0),
            AdaptConfig(steps=1500, lr=1e-3, method="published", mode="bulk"))
    if suite == "lv":
        return Preset(
            "paper",
            SuiteConfig(suite="lv", n_train=4, n_test=32, n_adapt=1, n_adapt_test=32, n_val=32, n_t=20),
            MixERConfig(expert="geps", n_experts=3, ctx_dim=2, width=256, depth=4, same_init=True,
                        ctx_init_std=0.0, split_context=True, solver=solver),
            MixerTrainConfig(outer_steps=5000, ctx_steps=12, model_steps=12, lr_model=1e-3, lr_ctx=1e-3,
                             prox_ctx=10.0, prox_model=10.0, gate_every=5, gate_trajs=4, gate_stay=0.0,
                             self_reweight=True, ctx_l1=1e-3),
            AdaptConfig(steps=5000, lr=1e-3, method="published", mode="bulk"))
    raise SpecError("preset", f"'paper' is defined for odebench10 and lv, not {suite!r}")


def _small(suite: str) -> Preset:
    common = dict(n_train=4, n_test=4, n_adapt=1, n_adapt_test=4, n_val=4, n_t=10, seed=0)
    if suite == "odebench10":
        data = SuiteConfig(suite="odebench10", envs_per_family=2, adapt_envs_per_family=1, horizon=0.5,
                           **common)
    elif suite in ("lv", "selkov", "glycolytic"):
        data = SuiteConfig(suite=suite, horizon=1.0, **common)
    else:
        raise SpecError("preset", f"'small' is defined for odebench10, lv, selkov, glycolytic, not {suite!r}")
    return Preset(
        "small", data,
        MixERConfig(expert="coda", n_experts=10 if suite == "odebench10" else 3, ctx_dim=4, width=32, depth=3,
                    ctx_init_std=0.0),
        MixerTrainConfig(outer_steps=40, ctx_steps=5, model_steps=5, lr_model=3e-3, lr_ctx=1e-2,
                         gate_every=12, gate_trajs=1, gate_restarts=10, checkpoint_every=10, warmup=0.5),
        AdaptConfig(steps=100, lr=1e-2, top_k=2, method="top_k", mode="bulk"))


def preset(name: str, suite: str) -> Preset:
    """The preset ``name`` (``small`` or ``paper``) for ``suite`` (``odebench10``, ``lv``, ...)."""
    if name not in PRESETS:
        raise SpecError("preset", f"unknown {name!r} (known: {', '.join(PRESETS)})")
    return _paper(suite) if name == "paper" else _small(suite)


def with_experts(p: Preset, n_experts: int, gate: str = "lsq") -> Preset:
    """The same preset with ``n_experts`` experts and gate ``gate`` (the benchmark's model variants)."""
    return dataclasses.replace(p, model=dataclasses.replace(p.model, n_experts=n_experts, gate=gate))
