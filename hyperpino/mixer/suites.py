"""Generate the benchmark suites with scipy (DOP853, rtol = atol = 1e-10).

Fixes the data leaks of the MixER reference generator (Nzoyem et al. 2025, arXiv 2502.05335): each
split draws its initial conditions from its own seed stream (no trajectory of the training set
reappears in the test set), environments are distinct (no duplicates after rounding), and the
adaptation environments are sampled from one documented box for both adaptation splits.

Suites:

* ``odebench10``: ten 2-D ODEBench families; training environments have parameters
  ``c = c_ref · U[0.9, 1.1]^P``, adaptation environments ``c_ref · U[0.8, 1.2]^P`` (distinct from
  the training ones).
* ``lv``: Lotka–Volterra, α = γ = 0.5, (β, δ) on the 3 × 3 grid {0.5, 0.75, 1}², adaptation
  (β, δ) ∈ {0.625, 1.125}²; a family is a value of β (CoDA/NCF environments).
* ``selkov``: a = 0.1, b on three 7-point ranges around the Hopf bifurcation (the three families);
  adaptation b ∈ {−1.25, −0.65, −0.05, 0.02, 0.6, 1.2}.
* ``glycolytic``: k1 ∈ {100, 90, 80} (families) × K1 ∈ {1, 0.75, 0.5}; adaptation k1 ∈ {85, 95},
  K1 ∈ {0.625, 0.875}.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from hyperpino.errors import SpecError
from hyperpino.mixer.dataset import SPLITS, Dataset, Split
from hyperpino.mixer.systems import GLYCOLYTIC, LOTKA_VOLTERRA, ODEBENCH, SELKOV, ODESystem

SUITES = ("odebench10", "lv", "selkov", "glycolytic")
RTOL = ATOL = 1e-10
_BLOWUP = 1e3


@dataclass(frozen=True)
class SuiteConfig:
    """Sizes of a generated suite. ``horizon``: fraction of each family's ``T`` that is kept (short
    trajectories for quick runs); ``n_t``: time points per trajectory; ``envs_per_family`` /
    ``adapt_envs_per_family``: ODEBench only (the other suites have fixed parameter grids)."""

    suite: str = "odebench10"
    envs_per_family: int = 5
    adapt_envs_per_family: int = 2
    n_train: int = 4
    n_test: int = 8
    n_adapt: int = 1
    n_adapt_test: int = 8
    n_val: int = 0
    """Trajectories per training environment in the ``val`` split (0: no ``val`` split)."""
    n_t: int = 20
    horizon: float = 1.0
    families: tuple[str, ...] | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        if self.suite not in SUITES:
            raise SpecError("suite", f"unknown {self.suite!r} (known: {', '.join(SUITES)})")
        for name in ("envs_per_family", "adapt_envs_per_family", "n_train", "n_test", "n_adapt",
                     "n_adapt_test"):
            if getattr(self, name) < 1:
                raise SpecError(name, f"must be >= 1, got {getattr(self, name)}")
        if self.n_val < 0:
            raise SpecError("n_val", f"must be >= 0, got {self.n_val}")
        if self.n_t < 2 or not 0 < self.horizon <= 1:
            raise SpecError("n_t/horizon", "need n_t >= 2 and 0 < horizon <= 1")


def integrate(system: ODESystem, params: np.ndarray, y0: np.ndarray, t: np.ndarray) -> np.ndarray | None:
    """One trajectory ``(T, d)`` at times ``t``, or None when the solver fails or the state blows up."""
    with np.errstate(all="ignore"):
        sol = solve_ivp(system.rhs, (t[0], t[-1]), y0, method="DOP853", t_eval=t, rtol=RTOL, atol=ATOL,
                        args=(params,))
    if not sol.success or sol.y.shape[1] != len(t) or not np.all(np.isfinite(sol.y)):
        return None
    if np.abs(sol.y).max() > _BLOWUP:
        return None
    return sol.y.T


def _environments(cfg: SuiteConfig) -> list[tuple[str, ODESystem, int, np.ndarray, np.ndarray]]:
    """``(family name, system, family index, train params (E, P), adapt params (E', P))``."""
    rng = np.random.default_rng([cfg.seed, 1000])
    out = []
    if cfg.suite == "odebench10":
        names = list(cfg.families or ODEBENCH)
        unknown = [n for n in names if n not in ODEBENCH]
        if unknown:
            raise SpecError("families", f"unknown {unknown[0]!r} (known: {', '.join(ODEBENCH)})")
        for i, name in enumerate(names):
            s = ODEBENCH[name]
            ref = np.array(s.ref_params)
            train = ref * rng.uniform(0.9, 1.1, (cfg.envs_per_family, len(ref)))
            adapt = ref * rng.uniform(0.8, 1.2, (cfg.adapt_envs_per_family, len(ref)))
            out.append((name, s, i, train, adapt))
    elif cfg.suite == "lv":
        grid, new = [0.5, 0.75, 1.0], [0.625, 1.125]
        for i, beta in enumerate(grid):
            train = np.array([[0.5, beta, 0.5, d] for d in grid])
            adapt = np.array([[0.5, b, 0.5, d] for b in new for d in new]) if i == 0 else np.zeros((0, 4))
            out.append((f"lv_beta{beta}", LOTKA_VOLTERRA, i, train, adapt))
    elif cfg.suite == "selkov":
        ranges = [(-1.0, -0.25), (-0.1, 0.1), (0.25, 1.0)]
        new = np.array([-1.25, -0.65, -0.05, 0.02, 0.6, 1.2])
        for i, (lo, hi) in enumerate(ranges):
            train = np.stack([np.full(7, 0.1), np.linspace(lo, hi, 7)], axis=1)
            # an adaptation environment belongs to the family of the nearest training range
            fam = np.array([int(np.argmin([min(abs(b - a), abs(b - c)) for a, c in ranges])) for b in new])
            adapt = np.stack([np.full((fam == i).sum(), 0.1), new[fam == i]], axis=1)
            out.append((f"selkov_regime{i}", SELKOV, i, train, adapt))
    else:
        for i, k1 in enumerate([100.0, 90.0, 80.0]):
            train = np.array([[k1, big] for big in (1.0, 0.75, 0.5)])
            adapt = (np.array([[k, big] for k in (85.0, 95.0) for big in (0.625, 0.875)]) if i == 0
                     else np.zeros((0, 2)))
            out.append((f"glycolytic_k1_{k1:g}", GLYCOLYTIC, i, train, adapt))
    _check_distinct([e[3] for e in out], [e[4] for e in out])
    return out


def _check_distinct(train: Sequence[np.ndarray], adapt: Sequence[np.ndarray]) -> None:
    for f, (tr, ad) in enumerate(zip(train, adapt, strict=True)):
        rows = [tuple(np.round(r, 8)) for r in (*tr, *ad)]
        if len(set(rows)) != len(rows):
            raise SpecError("environments", f"family {f}: duplicate parameter values")


def _split(cfg: SuiteConfig, envs, which: str, n_traj: int, first_env_id: int) -> Split:
    split_no = SPLITS.index(which)
    Xs, ts, fams, pars = [], [], [], []
    for name, system, fam, train_p, adapt_p in envs:
        plist = train_p if which in ("train", "test", "val") else adapt_p
        for k, p in enumerate(plist):
            # One seed stream per (split, family, environment): test never redraws train's ICs.
            rng = np.random.default_rng([cfg.seed, split_no, fam, k])
            t = np.linspace(0.0, cfg.horizon * system.T, cfg.n_t)
            trajs = []
            for _ in range(50 * n_traj):
                y0 = rng.uniform(system.ic_low, system.ic_high)
                y = integrate(system, p, y0, t)
                if y is not None:
                    trajs.append(y)
                if len(trajs) == n_traj:
                    break
            else:
                raise SpecError(name, f"could not integrate {n_traj} bounded trajectories for params {p}")
            Xs.append(np.stack(trajs))
            ts.append(t)
            fams.append(fam)
            pars.append(np.pad(p, (0, 4 - len(p)), constant_values=np.nan))
    e = len(Xs)
    return Split(np.stack(Xs), np.stack(ts), np.array(fams), first_env_id + np.arange(e), np.stack(pars))


def generate(cfg: SuiteConfig, progress: bool = False) -> Dataset:
    """The splits of a suite (``val`` only when ``cfg.n_val > 0``). Environment ids: training envs
    ``0..E-1``, adaptation envs after."""
    envs = _environments(cfg)
    n_train_envs = sum(len(e[3]) for e in envs)
    sizes = {"train": cfg.n_train, "test": cfg.n_test, "adapt": cfg.n_adapt, "adapt_test": cfg.n_adapt_test,
             "val": cfg.n_val}
    splits = {}
    it = SPLITS
    if progress:
        from tqdm import tqdm

        it = tqdm(SPLITS, desc=f"generate {cfg.suite}", unit="split")
    for which in it:
        if sizes[which] == 0:
            continue
        first = 0 if which in ("train", "test", "val") else n_train_envs
        splits[which] = _split(cfg, envs, which, sizes[which], first)
    return Dataset(splits, [e[0] for e in envs], cfg.suite)
