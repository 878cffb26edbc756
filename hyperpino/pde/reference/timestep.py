"""(x, t) problems: P2 finite elements in x, Crank–Nicolson in t, Richardson-extrapolated.

The operator ``c_tt u_tt + c_xt u_xt + c_t u_t + c_xx u_xx + c_x u_x + c_u u = f`` is discretised
in x by the method of lines with P2 elements on a 1-D mesh (scikit-fem; Gustafsson & McBain 2020).
With ``S u = c_xx u_xx + c_x u_x + c_u u`` in the weak form
``∫ S u v = −∫ c_xx u' v' + ∫ (c_x − c_xx') u' v + ∫ c_u u v + Σ_ends c_xx ∂u/∂n v`` the ends'
Neumann and Robin data (``∂u/∂n = (g − a u)/b``, outward normal ±x) enter as point terms.

* parabolic and first-order: ``E y' + G y = L(t)`` with ``y = u``, ``E = M[c_t]``, ``G = K``;
* hyperbolic: ``y = (u, w = u_t)``, ``E = diag(M, M[c_tt])``, ``G = [[0, −M], [K, C]]`` with
  ``C = M[c_t] + ∫ c_xt w' v``; the initial rate gives ``w(t0)``.

Crank–Nicolson (the trapezoidal rule: A-stable, energy-conserving for the wave equation, second
order; Crank & Nicolson 1947) marches ``y``; Dirichlet ends are imposed on u (and on w = ∂g/∂t) by
condensation. Its error expands in even powers of dt, so one Richardson step, ``(4 y_{dt/2} −
y_dt)/3``, makes it fourth order: that is what lets the wave benchmark reach 1e-4 with a thousand
steps. Only rectangular (x, t) domains are supported.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import sympy
import torch
from scipy.interpolate import CubicSpline
from skfem import Basis, BilinearForm, ElementLineP2, MeshLine1, asm

from hyperpino.errors import HyperpinoError
from hyperpino.pde.problem import BOUNDARY_KINDS, Condition, Problem
from hyperpino.pde.reference.numeric import depends_on, diff, np_fn
from hyperpino.pde.terms import TERMS

DEFAULT_CELLS = 256
"""Elements in x when no h is given."""

DEFAULT_STEPS = 1000
"""Time steps of the coarse Crank–Nicolson run when no dt is given (the fine run takes twice)."""


@dataclass(frozen=True)
class MarchSolution:
    """Values ``u (len(t), len(x))`` at grid times ``t`` and positions ``x`` inside the domain."""

    x: np.ndarray
    t: np.ndarray
    u: np.ndarray
    h: float
    dt: float
    dofs: int
    nodes: int
    elements: int
    solve_time: float


@dataclass(frozen=True)
class _End:
    dof: int
    sign: float  # outward normal in x: -1 at the left end, +1 at the right
    cond: Condition | None


def rectangle_of(problem: Problem) -> tuple[tuple[float, float], tuple[float, float]]:
    """The (x, t) domain as ``((x0, x1), (t0, t1))``; raises if it is not a rectangle."""
    (x0, x1), (t0, t1) = problem.domain.geometry.bbox()
    if not math.isclose(problem.domain.area, (x1 - x0) * (t1 - t0), rel_tol=1e-6):
        raise HyperpinoError(
            f"{problem.name}: (x, {problem.coords[1]}) domains other than a rectangle (holes, curved "
            "or slanted edges) are not supported by the reference solver")
    return (x0, x1), (t0, t1)


def _end_condition(problem: Problem, x: float, ts: tuple[float, float]) -> Condition | None:
    pts = torch.tensor([[x, t0 + (t1 - t0) * f] for t0, t1 in [ts] for f in (0.2, 0.5, 0.8)],
                       dtype=torch.float64)
    _, piece, _ = problem.domain.geometry.sdf_with_piece(pts)
    names = {problem.domain.geometry.piece_names[int(p)] for p in piece}
    conds = {c.index: c for n in names for c in problem.conditions_on(n) if c.kind in BOUNDARY_KINDS}
    if len(names) > 1 and len(conds) > 1:
        raise HyperpinoError(f"{problem.name}: the edge x = {x:g} changes its condition in time; "
                             "not supported by the reference solver")
    return next(iter(conds.values()), None)


def solve_evolution(problem: Problem, x_grid: np.ndarray, t_grid: np.ndarray, *,
                    h: float | None = None, steps: int | None = None) -> MarchSolution:
    """March an (x, t) problem and sample it at ``x_grid (Nx,)`` × ``t_grid (Nt,)`` (inside only)."""
    start = time.perf_counter()
    (x0, x1), (t0, t1) = rectangle_of(problem)
    kind = problem.kind
    if kind not in ("parabolic", "hyperbolic", "first-order"):
        raise HyperpinoError(f"{problem.name}: a {kind} (x, t) problem has no reference solver")
    cells = DEFAULT_CELLS if h is None else max(2, math.ceil((x1 - x0) / h))
    mesh = MeshLine1.init_tensor(np.linspace(x0, x1, cells + 1))
    basis = Basis(mesh, ElementLineP2(), intorder=6)
    steps = DEFAULT_STEPS if steps is None else int(steps)
    if steps < 1:
        raise HyperpinoError(f"reference solver: steps must be positive, got {steps}")
    xs = x_grid[(x_grid >= x0 - 1e-12) & (x_grid <= x1 + 1e-12)]
    ts = t_grid[(t_grid >= t0 - 1e-12) & (t_grid <= t1 + 1e-12)]
    system = _System(problem, basis, (x0, x1), (t0, t1))
    probe = basis.probes(np.clip(xs, x0, x1)[None]).tocsr()
    coarse = system.march(steps, probe)
    fine = system.march(2 * steps, probe)
    # Richardson: CN's error is even in dt, so this cancels the dt² term at the shared times.
    u_steps = (4 * fine[::2] - coarse) / 3
    t_steps = np.linspace(t0, t1, steps + 1)
    u = CubicSpline(t_steps, u_steps, axis=0)(np.clip(ts, t0, t1))
    return MarchSolution(xs, ts, u, (x1 - x0) / cells, (t1 - t0) / steps, basis.N,
                         cells + 1, cells, time.perf_counter() - start)


class _System:
    """Assembly of ``E, G, L(t)`` and the Crank–Nicolson march (see the module docstring)."""

    def __init__(self, problem: Problem, basis: Basis, xr, tr):
        self.p, self.basis, self.tr = problem, basis, tr
        coords = problem.coords
        x, t = coords
        c = dict(zip(TERMS, problem.operator.coefficients, strict=True))
        self.hyper = problem.kind == "hyperbolic"
        self.fn = {
            "ct": np_fn(c["uy"], coords), "ctt": np_fn(c["uyy"], coords),
            "cxt": np_fn(c["uxy"], coords), "cu": np_fn(c["u"], coords),
            "kxx": np_fn(-c["uxx"], coords), "bx": np_fn(c["ux"] - diff(c["uxx"], x), coords),
            "cxx": np_fn(c["uxx"], coords), "f": np_fn(problem.source, coords, "operator.source"),
        }
        doflocs = basis.doflocs[0]
        self.ends = [_End(int(np.argmin(np.abs(doflocs - xe))), s, _end_condition(problem, xe, tr))
                     for xe, s in ((xr[0], -1.0), (xr[1], 1.0))]
        exprs = [*problem.operator.coefficients]
        for e in self.ends:
            if e.cond is not None and e.cond.kind == "robin":
                exprs += [e.cond.a, e.cond.b]
        self.steady = not any(depends_on(e, t) for e in exprs)
        self.xq = np.asarray(basis.global_coordinates())[0]  # (nel, nqp)
        # load matrix Q: F(t) = Q @ f(xq, t) for the source, without re-assembling each step
        phis = [np.asarray(basis.basis[i][0]) * basis.dx for i in range(basis.Nbfun)]
        rows = np.concatenate([np.repeat(basis.element_dofs[i], self.xq.shape[1]) for i in
                               range(basis.Nbfun)])
        vals = np.concatenate([p.ravel() for p in phis])
        cols = np.tile(np.arange(self.xq.size), basis.Nbfun)
        self.Q = sp.csr_matrix((vals, (rows, cols)), shape=(basis.N, self.xq.size))
        self.zero_source = problem.source == 0
        ic = {cd.kind: cd for cd in problem.conditions if cd.kind in ("initial_value", "initial_rate")}
        iv, ir = ic["initial_value"], ic.get("initial_rate")
        self.u0 = np_fn(iv.value, coords, f"bcs[{iv.index}].value")
        self.w0 = None if ir is None else np_fn(ir.value, coords, f"bcs[{ir.index}].value")
        self.dirichlet = [e for e in self.ends if e.cond is not None and e.cond.kind == "dirichlet"]
        self.g = {e.dof: np_fn(e.cond.value, coords, f"bcs[{e.cond.index}].value") for e in self.dirichlet}
        self.gt = {e.dof: np_fn(sympy.diff(e.cond.value, sympy.Symbol(t)), coords)
                   for e in self.dirichlet}

    def _field(self, name: str, t: float) -> np.ndarray:
        return self.fn[name](self.xq, t) * np.ones_like(self.xq)

    def _mass(self, w: np.ndarray) -> sp.csr_matrix:
        return asm(_mass_form, self.basis, w=w).tocsr()

    def matrices(self, t: float) -> tuple[sp.csr_matrix, sp.csr_matrix]:
        """``E, G`` at time t."""
        b = self.basis
        K = asm(_stiff_form, b, k=self._field("kxx", t), bx=self._field("bx", t),
                cu=self._field("cu", t)).tolil()
        for e in self.ends:
            if e.cond is not None and e.cond.kind in ("neumann", "robin"):
                xe = b.doflocs[0, e.dof]
                a, bb = (0.0, 1.0) if e.cond.kind == "neumann" else (
                    float(np_fn(e.cond.a, self.p.coords)(xe, t)),
                    float(np_fn(e.cond.b, self.p.coords)(xe, t)))
                K[e.dof, e.dof] -= float(self.fn["cxx"](xe, t)) * a / bb
        K = K.tocsr()
        if not self.hyper:
            return self._mass(self._field("ct", t)), K
        M = self._mass(np.ones_like(self.xq))
        C = self._mass(self._field("ct", t)) + asm(_advect_form, b, c=self._field("cxt", t)).tocsr()
        E = sp.block_diag([M, self._mass(self._field("ctt", t))]).tocsr()
        G = sp.bmat([[None, -M], [K, C]]).tocsr()
        return E, G

    def load(self, t: float) -> np.ndarray:
        b = self.basis
        F = np.zeros(b.N) if self.zero_source else self.Q @ self.fn["f"](self.xq, t).ravel()
        for e in self.ends:
            if e.cond is not None and e.cond.kind in ("neumann", "robin"):
                xe = b.doflocs[0, e.dof]
                bb = 1.0 if e.cond.kind == "neumann" else float(np_fn(e.cond.b, self.p.coords)(xe, t))
                g = float(np_fn(e.cond.value, self.p.coords)(xe, t))
                F[e.dof] -= float(self.fn["cxx"](xe, t)) * g / bb
        return np.concatenate([np.zeros(b.N), F]) if self.hyper else F

    def fixed(self, t: float) -> dict[int, float]:
        n, out = self.basis.N, {}
        for e in self.dirichlet:
            xe = self.basis.doflocs[0, e.dof]
            out[e.dof] = float(self.g[e.dof](xe, t))
            if self.hyper:
                out[n + e.dof] = float(self.gt[e.dof](xe, t))
        return out

    def march(self, steps: int, probe: sp.csr_matrix) -> np.ndarray:
        """Values at the probe points after each step ``(steps + 1, Nx)`` (row 0: t0)."""
        (t0, t1), n = self.tr, self.basis.N
        dt = (t1 - t0) / steps
        y = self.u0(self.basis.doflocs[0], t0) * np.ones(n)
        if self.hyper:
            y = np.concatenate([y, self.w0(self.basis.doflocs[0], t0) * np.ones(n)])
        out = [probe @ y[:n]]
        d = np.array(sorted(self.fixed(t0)), dtype=np.int64)
        free = np.setdiff1d(np.arange(y.size), d)
        lu = None
        load0 = self.load(t0)
        for k in range(steps):
            ta, tb = t0 + k * dt, t0 + (k + 1) * dt
            if lu is None or not self.steady:
                E, G = self.matrices(0.5 * (ta + tb))
                lhs, rhs_m = (E / dt + G / 2).tocsr(), (E / dt - G / 2).tocsr()
                lu = spla.splu(lhs[free][:, free].tocsc())
                lhs_fd = lhs[free][:, d]
            load1 = self.load(tb)
            r = rhs_m @ y + 0.5 * (load0 + load1)
            fix = self.fixed(tb)
            yd = np.array([fix[i] for i in d])
            y = y.copy()
            y[d] = yd
            y[free] = lu.solve(r[free] - lhs_fd @ yd)
            load0 = load1
            out.append(probe @ y[:n])
        return np.stack(out)


@BilinearForm
def _mass_form(u, v, w):
    return w.w * u * v


@BilinearForm
def _stiff_form(u, v, w):
    return w.k * u.grad[0] * v.grad[0] + w.bx * u.grad[0] * v + w.cu * u * v


@BilinearForm
def _advect_form(u, v, w):
    return w.c * u.grad[0] * v
