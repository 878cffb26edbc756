"""``hyperpino baseline``: a PINN trained from scratch, error against wall time.

``baseline SPEC [--budget 600s] [--tol 1e-2]`` trains a PINN from scratch against the classical
reference and reports error against wall time (JSON + PNG). Bad input raises
:class:`~hyperpino.errors.HyperpinoError`, which the CLI turns into one line and exit code 2.
"""

from __future__ import annotations

import argparse
import json

from hyperpino.argtypes import count, positive_float, seed
from hyperpino.durations import parse_duration
from hyperpino.errors import HyperpinoError
from hyperpino.files import output_folder


def _cmd_baseline(args: argparse.Namespace) -> int:
    from hyperpino.pde.spec_check import check_spec
    from hyperpino.pde.spec_io import read_spec

    checked = check_spec(read_spec(args.spec))  # with build_problem below: all before torch is imported
    budget = parse_duration(args.budget, "--budget")
    if args.tol is not None and not args.tol > 0:
        raise HyperpinoError(f"--tol: must be positive, got {args.tol}")
    from hyperpino.pde.problem import build_problem

    problem = build_problem(checked)
    out = output_folder(args.out or f"baseline_out/{problem.name}")  # before the training, not after
    from hyperpino.pinn.baseline import run_baseline

    result = run_baseline(problem, budget=budget, tol=args.tol, out_dir=out, seed=args.seed,
                          device=args.device, dtype=args.dtype, threads=args.threads, quiet=args.quiet)
    if args.json:
        print(json.dumps(result["summary"], sort_keys=True))
    return 0


def register(sub) -> None:
    """Add the ``baseline`` subcommand to an argparse subparsers object."""
    p = sub.add_parser("baseline", help="train a PINN from scratch; error vs time against the reference")
    p.add_argument("spec", help="problem spec (.toml, .yaml, .json)")
    p.add_argument("--budget", default="600s", help="wall-time budget, e.g. 600s, 10m (default 600s)")
    p.add_argument("--tol", type=positive_float, default=1e-2,
                   help="stop at this relative L2 error (default 1e-2)")
    p.add_argument("--out", help="output folder (default baseline_out/NAME)")
    p.add_argument("--seed", type=seed, default=0)
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    p.add_argument("--threads", type=count, default=1, help="torch CPU threads (default 1: fastest "
                   "for a small PINN on shared cores; 0 keeps torch's default)")
    p.add_argument("--json", action="store_true", help="print a JSON summary on the last line")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_cmd_baseline)
