"""Parametric ODE families: the ten 2-D ODEBench systems MixER uses, Lotka–Volterra, Sel'kov and the
7-D glycolytic oscillator.

ODEBench-10 follows the table of Nzoyem et al. 2025 (MixER, arXiv 2502.05335), taken from
ODEFormer's ODEBench (d'Ascoli et al. 2024). LV, Sel'kov and the glycolytic oscillator follow the
environments of CoDA (Kirchmeyer et al. 2022) and NCF (Nzoyem et al. 2024); the glycolytic model is
that of Ruoff et al. 2003 / Daniels & Nemenman 2015. Right-hand sides are plain numpy for
``scipy.integrate.solve_ivp``; ``rhs(t, y, c)`` with ``y (d,)`` and parameters ``c (P,)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Rhs = Callable[[float, np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class ODESystem:
    """One family: its vector field, reference parameters, horizon ``T`` and initial-condition box."""

    name: str
    dim: int
    rhs: Rhs
    ref_params: tuple[float, ...]
    T: float
    ic_low: tuple[float, ...]
    ic_high: tuple[float, ...]


# -------------------------------------------------------------------------------------- ODEBench
def _harmonic(t, y, c):
    return np.array([y[1], -c[0] * y[0]])


def _damped_harmonic(t, y, c):
    return np.array([y[1], -c[0] * y[0] - c[1] * y[1]])


def _pendulum(t, y, c):
    return np.array([y[1], -c[0] * np.sin(y[0])])


def _double_well(t, y, c):
    return np.array([y[1], -c[0] * y[1] - y[0] ** 3 + y[0]])


def _hoop(t, y, c):
    return np.array([y[1], (-c[0] + np.cos(y[0])) * np.sin(y[0])])


def _shear(t, y, c):
    return np.array([
        np.cos(y[0]) / np.tan(y[1]),
        np.sin(y[0]) * (c[0] * np.sin(y[1]) ** 2 + np.cos(y[1]) ** 2),
    ])


def _vdp(t, y, c):
    return np.array([y[1], -c[0] * y[1] * (y[0] ** 2 - 1) - y[0]])


def _vdp_simple(t, y, c):
    return np.array([c[0] * (-y[0] ** 3 / 3 + y[0] + y[1]), -y[0] / c[0]])


def _glyco2(t, y, c):
    return np.array([c[0] * y[1] + y[0] ** 2 * y[1] - y[0], -c[0] * y[0] + c[1] - y[0] ** 2 * y[1]])


def _duffing(t, y, c):
    return np.array([y[1], c[0] * y[1] * (1 - y[0] ** 2) - y[0]])


# ------------------------------------------------------------------------------ LV, SM, glycolytic
def _lotka_volterra(t, y, c):
    # c = (alpha, beta, gamma, delta)
    return np.array([c[0] * y[0] - c[1] * y[0] * y[1], c[3] * y[0] * y[1] - c[2] * y[1]])


def _selkov(t, y, c):
    # c = (a, b)
    x, v = y
    return np.array([-x + c[0] * v + x * x * v, c[1] - c[0] * v - x * x * v])


def _glycolytic(t, y, c):
    # c = (k1, K1); the other constants are those of Ruoff et al. 2003.
    k1, big_k1 = c
    j0, k2, k3, k4, k5, k6 = 2.5, 6.0, 16.0, 100.0, 1.28, 12.0
    k, kappa, q, psi, n, a = 1.8, 13.0, 4.0, 0.1, 1.0, 4.0
    s1, s2, s3, s4, s5, s6, s7 = y
    v1 = k1 * s1 * s6 / (1.0 + (s6 / big_k1) ** q)
    return np.array([
        j0 - v1,
        2 * v1 - k2 * s2 * (n - s5) - k6 * s2 * s5,
        k2 * s2 * (n - s5) - k3 * s3 * (a - s6),
        k3 * s3 * (a - s6) - k4 * s4 * s5 - kappa * (s4 - s7),
        k2 * s2 * (n - s5) - k4 * s4 * s5 - k6 * s2 * s5,
        -2 * v1 + 2 * k3 * s3 * (a - s6) - k5 * s6,
        psi * kappa * (s4 - s7) - k * s7,
    ])


ODEBENCH: dict[str, ODESystem] = {
    s.name: s
    for s in (
        ODESystem("ode24_harmonic", 2, _harmonic, (2.1,), 10.0, (-1.0, -1.0), (1.0, 1.0)),
        ODESystem("ode25_damped_harmonic", 2, _damped_harmonic, (4.5, 0.43), 8.0, (-1.0, -1.0), (1.0, 1.0)),
        ODESystem("ode28_pendulum", 2, _pendulum, (0.9,), 15.0, (-1.5, -0.5), (1.5, 0.5)),
        ODESystem("ode32_double_well", 2, _double_well, (0.18,), 5.0, (-1.5, -1.0), (1.5, 1.0)),
        ODESystem("ode34_hoop", 2, _hoop, (0.93,), 20.0, (-2.0, -0.5), (2.0, 0.5)),
        ODESystem("ode35_shear_flow", 2, _shear, (4.2,), 5.0, (0.2, 0.8), (1.2, 1.6)),
        ODESystem("ode37_van_der_pol", 2, _vdp, (0.43,), 15.0, (-2.0, -2.0), (2.0, 2.0)),
        ODESystem("ode38_van_der_pol_simple", 2, _vdp_simple, (3.37,), 15.0, (-2.0, -1.0), (2.0, 1.0)),
        ODESystem("ode39_glycolytic_2d", 2, _glyco2, (2.4, 0.07), 4.0, (0.1, 0.1), (1.0, 1.0)),
        ODESystem("ode40_duffing", 2, _duffing, (0.886,), 10.0, (-2.0, -2.0), (2.0, 2.0)),
    )
}

LOTKA_VOLTERRA = ODESystem(
    "lotka_volterra", 2, _lotka_volterra, (0.5, 0.5, 0.5, 0.5), 10.0, (1.0, 1.0), (2.0, 2.0)
)
SELKOV = ODESystem("selkov", 2, _selkov, (0.1, 0.5), 40.0, (0.0, 0.0), (3.0, 3.0))
GLYCOLYTIC = ODESystem(
    "glycolytic",
    7,
    _glycolytic,
    (100.0, 0.52),
    1.0,
    (0.15, 0.19, 0.04, 0.10, 0.08, 0.14, 0.05),
    (1.60, 2.16, 0.20, 0.35, 0.30, 2.67, 0.10),
)
