"""``hyperpino reference`` and ``hyperpino baseline``: the two yardsticks from the command line.

``reference SPEC [--h H] [--out ref.h5]`` solves a spec classically and writes the grid solution
(HDF5); ``baseline SPEC [--budget 600s] [--tol 1e-2]`` trains a PINN from scratch against that
reference and reports error against wall time (JSON + PNG). Bad input raises
:class:`~hyperpino.errors.HyperpinoError`, which the CLI turns into one line and exit code 2.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from hyperpino.errors import HyperpinoError


def parse_duration(text: str) -> float:
    """``"600s"``, ``"10m"``, ``"1h"`` or plain seconds -> seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([smh]?)\s*", str(text))
    if not m or float(m.group(1)) <= 0:
        raise HyperpinoError(f"--budget: expected a positive duration like 600s, 10m or 1h, got {text!r}")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def _positive(name: str, value: float | None) -> None:
    if value is not None and not value > 0:
        raise HyperpinoError(f"--{name}: must be positive, got {value}")


def _cmd_reference(args: argparse.Namespace) -> int:
    from hyperpino.pde.check import load_problem

    problem = load_problem(args.spec)
    _positive("h", args.h)
    from hyperpino.pde.reference import reference_solution

    sol = reference_solution(problem, args.h, cache=not args.no_cache)
    out = Path(args.out or f"{problem.name}_reference.h5")
    sol.save(out)
    info = sol.summary() | {"out": str(out)}
    if not args.quiet:
        print(f"{problem.name}: {sol.method}, h = {sol.h:.4g}, {sol.dofs} dofs, {sol.nodes} nodes, "
              f"{sol.elements} elements, solved in {sol.solve_time:.2f} s")
        print(f"  grid {info['grid']}×{info['grid']} ({info['inside']} points inside) -> {out}")
    if args.json:
        print(json.dumps(info, sort_keys=True))
    return 0


def _cmd_baseline(args: argparse.Namespace) -> int:
    from hyperpino.pde.check import load_problem

    problem = load_problem(args.spec)
    budget = parse_duration(args.budget)
    _positive("tol", args.tol)
    from hyperpino.pde.baseline import run_baseline

    result = run_baseline(problem, budget=budget, tol=args.tol, out_dir=Path(args.out or
                          f"baseline_out/{problem.name}"), seed=args.seed, device=args.device,
                          dtype=args.dtype, threads=args.threads, quiet=args.quiet)
    if args.json:
        print(json.dumps(result["summary"], sort_keys=True))
    return 0


def register(sub) -> None:
    """Add the ``reference`` and ``baseline`` subcommands to an argparse subparsers object."""
    p = sub.add_parser("reference", help="solve a spec with the classical reference solver (HDF5)")
    p.add_argument("spec", help="problem spec (.toml, .yaml, .json)")
    p.add_argument("--h", type=float, help="mesh size (default: sqrt(area)/64; (x,t): x-range/256)")
    p.add_argument("--out", help="output HDF5 file (default NAME_reference.h5)")
    p.add_argument("--no-cache", action="store_true", help="solve again even if a cached result exists")
    p.add_argument("--json", action="store_true", help="print a JSON summary on the last line")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_cmd_reference)

    p = sub.add_parser("baseline", help="train a PINN from scratch; error vs time against the reference")
    p.add_argument("spec", help="problem spec (.toml, .yaml, .json)")
    p.add_argument("--budget", default="600s", help="wall-time budget, e.g. 600s, 10m (default 600s)")
    p.add_argument("--tol", type=float, default=1e-2, help="stop at this relative L2 error (default 1e-2)")
    p.add_argument("--out", help="output folder (default baseline_out/NAME)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1: fastest "
                   "for a small PINN on shared cores; 0 keeps torch's default)")
    p.add_argument("--json", action="store_true", help="print a JSON summary on the last line")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_cmd_baseline)
