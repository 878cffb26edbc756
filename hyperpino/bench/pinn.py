"""``hyperpino bench pinn``: the project's PINN from scratch against DeepXDE's, same wall time.

For poisson_L and helmholtz and wall-time budgets of 30, 60 and 120 s (``--quick``: 10 s), two
processes start together, one thread each: the project's trainer
(:func:`hyperpino.pinn.fit.fit_pinn` with :func:`~hyperpino.pinn.fit.scratch_config`, the trainer
of ``hyperpino solve --from-scratch``) and DeepXDE (Lu et al. 2021, SIAM Review) set up as its
documented examples are:

* poisson_L — ``examples/pinn_forward/Poisson_Lshape.py``: FNN 2-50-50-50-50-1, tanh, Glorot
  uniform; 1200 domain and 120 boundary points; Adam lr 1e-3 for 50,000 iterations, then L-BFGS;
* helmholtz — ``examples/pinn_forward/Helmholtz_Dirichlet_2d.py`` (defaults: hard constraint,
  10 points per wavelength): FNN 2-150-150-150-1, sin, Glorot uniform; the boundary built in
  (u = (1 − x²)(1 − y²)·N(x, y)); 40² domain and 160 boundary points; Adam lr 1e-3 for 5000
  iterations.

Both stop at the budget. Both are scored alike: the final network on the reference grid (the
spec's exact solution, else the FEM reference), relative L2 over the points inside the domain.
DeepXDE is not a dependency of hyperpino: the benchmark installs it (``pip install --no-deps
--target``) into ``OUT/_deepxde`` for this run only, with scikit-optimize, which it imports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from hyperpino.errors import HyperpinoError

PROBLEMS = ("poisson_L", "helmholtz")
BUDGETS = (30.0, 60.0, 120.0)
QUICK_BUDGETS = (10.0,)
DEEPXDE = ("deepxde==1.15.0", "scikit-optimize==0.10.2", "pyaml")


def run(quick: bool, out_dir: Path) -> dict:
    """Both trainers side by side on each problem and budget; writes ``pinn.json``."""
    from hyperpino.examples import examples_dir
    from hyperpino.files import write_text_atomic
    from hyperpino.pde.problem import build_problem
    from hyperpino.solver.problems import reference_for

    deps = _deepxde(out_dir / "_deepxde")
    budgets = QUICK_BUDGETS if quick else BUDGETS
    rows = []
    for name in PROBLEMS:
        problem = build_problem(examples_dir() / f"{name}.toml")
        ref = reference_for(problem)
        ref_file = out_dir / f"{name}_reference.npz"
        np.savez(ref_file, x=ref.x, y=ref.y, u=ref.u, mask=ref.mask)
        for budget in budgets:
            print(f"bench pinn: {name}, {budget:g} s each, side by side ...", file=sys.stderr, flush=True)
            ours, theirs = _side_by_side(name, budget, ref_file, out_dir, deps)
            rows.append({"problem": name, "budget_s": budget, "hyperpino": ours, "deepxde": theirs,
                         "ratio": theirs["rel_l2"] / ours["rel_l2"] if ours["rel_l2"] > 0 else None})
            print(f"  hyperpino rel L2 {ours['rel_l2']:.3e} ({ours['wall_s']:.0f} s), DeepXDE "
                  f"{theirs['rel_l2']:.3e} ({theirs['wall_s']:.0f} s)", file=sys.stderr, flush=True)
    result = {"benchmark": "pinn", "quick": quick, "threads_each": 1, "rows": rows,
              "deepxde": DEEPXDE[0], "table": table(rows)}
    write_text_atomic(out_dir / "pinn.json", json.dumps(result, indent=1))
    print(result["table"], file=sys.stderr)
    return result


def table(rows: list[dict]) -> str:
    """Markdown: relative L2 of both trainers per problem and budget."""
    out = ["| problem | budget | hyperpino PINN | DeepXDE example | DeepXDE / hyperpino |",
           "|---|---|---|---|---|"]
    for r in rows:
        ratio = "–" if r["ratio"] is None else f"{r['ratio']:.2f}"
        out.append(f"| {r['problem']} | {r['budget_s']:g} s | {r['hyperpino']['rel_l2']:.2e} | "
                   f"{r['deepxde']['rel_l2']:.2e} | {ratio} |")
    return "\n".join(out)


def _deepxde(target: Path) -> Path:
    """A folder holding DeepXDE (installed there on first use); raises when pip cannot get it."""
    if (target / "deepxde").is_dir():
        return target
    print(f"bench pinn: installing {DEEPXDE[0]} into {target} (for this benchmark only)", file=sys.stderr)
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), *DEEPXDE]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise HyperpinoError(f"bench pinn: could not install DeepXDE with pip: {done.stderr.strip()[-300:]}")
    return target


def _side_by_side(name: str, budget: float, ref_file: Path, out_dir: Path, deps: Path) -> tuple[dict, dict]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "DDE_BACKEND": "pytorch"}
    procs = {}
    for who in ("hyperpino", "deepxde"):
        out = out_dir / f"{name}_{budget:g}_{who}.json"
        code = (f"from hyperpino.bench.pinn import worker; worker({who!r}, {name!r}, {budget!r}, "
                f"{str(ref_file)!r}, {str(out)!r})")
        e = dict(env)
        if who == "deepxde":
            e["PYTHONPATH"] = os.pathsep.join(p for p in (str(deps), env.get("PYTHONPATH", "")) if p)
        procs[who] = (subprocess.Popen([sys.executable, "-c", code], env=e, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE, text=True), out)
    results = []
    for who, (proc, out) in procs.items():
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise HyperpinoError(f"bench pinn: the {who} run failed: {err.strip()[-500:]}")
        results.append(json.loads(out.read_text()))
    return results[0], results[1]


def worker(who: str, name: str, budget: float, ref_file: str, out: str) -> None:
    """One trainer in this process (one thread): train for ``budget`` s, score, write JSON to ``out``."""
    import torch

    torch.set_num_threads(1)
    ref = dict(np.load(ref_file))
    t0 = time.perf_counter()
    predict = _ours(name, budget, ref) if who == "hyperpino" else _deepxde_run(name, budget)
    wall = time.perf_counter() - t0
    from hyperpino.pde.metrics import all_metrics

    mask = ref["mask"].astype(bool)
    xx, yy = np.meshgrid(ref["x"], ref["y"])
    points = np.stack([xx[mask], yy[mask]], -1)
    metrics = all_metrics(predict(points), ref["u"][mask])
    Path(out).write_text(json.dumps({**metrics, "wall_s": wall}))


def _ours(name: str, budget: float, ref: dict):
    import torch

    from hyperpino.examples import examples_dir
    from hyperpino.pde.frame import balanced
    from hyperpino.pde.problem import build_problem
    from hyperpino.pinn.fit import fit_pinn, scratch_config

    problem = balanced(build_problem(examples_dir() / f"{name}.toml"))  # the frame of `solve --from-scratch`
    res = fit_pinn(problem, None, scratch_config(budget, eval_every=100))

    def predict(points: np.ndarray) -> np.ndarray:
        x = problem.map.to_canonical(torch.from_numpy(points)).float()
        with torch.no_grad():
            return res.model(x)[:, 0].double().numpy()

    return predict


def _float32(data):
    # DeepXDE's Polygon samples float64 points, which its float32 torch network refuses
    for attr in ("train_x", "train_x_all", "train_x_bc", "test_x"):
        value = getattr(data, attr, None)
        if isinstance(value, np.ndarray):
            setattr(data, attr, value.astype(np.float32))
    return data


def _deepxde_run(name: str, budget: float):
    """DeepXDE as its documented example for ``name`` sets it up, stopped at ``budget`` seconds."""
    import deepxde as dde
    import torch

    class Budget(dde.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.t0 = time.perf_counter()

        def on_epoch_end(self):
            if time.perf_counter() - self.t0 >= budget:
                self.model.stop_training = True

    stop = Budget()
    if name == "poisson_L":
        def pde(x, y):
            return -dde.grad.hessian(y, x, i=0, j=0) - dde.grad.hessian(y, x, i=1, j=1) - 1

        geom = dde.geometry.Polygon([[0, 0], [1, 0], [1, -1], [-1, -1], [-1, 1], [0, 1]])
        bc = dde.icbc.DirichletBC(geom, lambda x: 0, lambda _, on_boundary: on_boundary)
        data = _float32(dde.data.PDE(geom, pde, bc, num_domain=1200, num_boundary=120, num_test=1500))
        net = dde.nn.FNN([2] + [50] * 4 + [1], "tanh", "Glorot uniform")
        model = dde.Model(data, net)
        model.compile("adam", lr=0.001)
        model.train(iterations=50000, callbacks=[stop], display_every=10**9)
        if time.perf_counter() - stop.t0 < budget:
            model.compile("L-BFGS")
            model.train(callbacks=[stop], display_every=10**9)
    elif name == "helmholtz":
        pi = np.pi

        def pde(x, y):
            lap = dde.grad.hessian(y, x, i=0, j=0) + dde.grad.hessian(y, x, i=1, j=1)
            f = (1 - 17 * pi**2) * torch.sin(pi * x[:, 0:1]) * torch.sin(4 * pi * x[:, 1:2])
            return lap + y - f

        geom = dde.geometry.Rectangle([-1, -1], [1, 1])
        bc = dde.icbc.DirichletBC(geom, lambda x: 0, lambda _, on_boundary: on_boundary)
        nx = int(2 / (0.5 / 10))  # 10 points per wavelength (0.5 in y) over a side of 2
        data = dde.data.PDE(geom, pde, bc, num_domain=nx**2, num_boundary=4 * nx, num_test=900)
        net = dde.nn.FNN([2] + [150] * 3 + [1], "sin", "Glorot uniform")
        net.apply_output_transform(lambda x, y: (1 - x[:, 0:1] ** 2) * (1 - x[:, 1:2] ** 2) * y)
        model = dde.Model(data, net)
        model.compile("adam", lr=1e-3)
        model.train(iterations=5000, callbacks=[stop], display_every=10**9)
    else:
        raise ValueError(name)
    return lambda points: np.asarray(model.predict(points.astype(np.float32)))[:, 0].astype(np.float64)
