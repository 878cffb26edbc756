"""``hyperpino solve``: argument parsing and printing only.

Nothing heavy is imported until a command runs, so ``hyperpino --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from hyperpino.argtypes import count, positive_float

_LOADED = time.time()

TOL_BUDGET = 300.0  # hyperpino.solver.options.TOL_BUDGET, not imported: --help stays light

DEFAULT_EXAMPLE = "poisson_L.toml"
"""What ``hyperpino solve`` solves when no spec is given (from the bundled ``examples/``)."""


def _process_start() -> float:
    """``time.time()`` when this process started (Linux: from /proc; else when this module loaded)."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        import os

        return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return _LOADED


def _cmd_solve(args: argparse.Namespace) -> int:
    from hyperpino.durations import parse_duration
    from hyperpino.files import output_folder
    from hyperpino.pde.spec_check import check_spec
    from hyperpino.pde.spec_io import read_spec

    if args.spec is None:
        from hyperpino.examples import examples_dir

        path = examples_dir() / DEFAULT_EXAMPLE
        if not args.quiet:
            print(f"no spec given: solving the bundled example {path}", file=sys.stderr)
    else:
        path = Path(args.spec)
    spec = read_spec(path)  # the one parse
    checked = check_spec(spec)  # the checks that need no geometry, then those that do: all before
    budget = None if args.time_budget is None else parse_duration(args.time_budget, "--time-budget")
    from hyperpino.pde.problem import build_problem

    problem = build_problem(checked)  # torch is imported after it, so a bad spec fails in < 2 s
    output_folder(args.out)  # a wrong --out fails now, not after the solve (a refused spec creates none)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    from hyperpino.solver.options import SolveOptions
    from hyperpino.solver.outputs import save_result
    from hyperpino.solver.pipeline import solve

    # The one place where the command line overrides the spec's [run] table (None keeps the spec's).
    options = SolveOptions.resolve(problem.spec.run, refine=args.refine, finetune_steps=args.finetune,
                                   time_budget=budget, tol_residual=args.tol_residual,
                                   tol_boundary=args.tol_boundary, tol=args.tol,
                                   from_scratch=args.from_scratch or None, device=args.device,
                                   dtype=args.dtype)
    say = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    result = solve(problem, model=args.model, options=options, reference=not args.no_reference,
                   progress=say)
    t = time.perf_counter()
    save_result(result, args.out, figure=not args.no_plot)
    result.timings["write"] = time.perf_counter() - t
    result.timings["total"] = time.time() - _process_start()  # the user's wait: start-up and imports too
    if not args.quiet:
        print(result.summary())
    if args.json:
        print(json.dumps(result.to_dict(), sort_keys=True))
    if result.interrupted:
        print("interrupted: the kept state so far was written", file=sys.stderr)
        return 130
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``solve`` to the ``hyperpino`` command's subparsers."""
    p = sub.add_parser("solve", help="solve a spec with HyPINO: HDF5 + PNG + summary",
                       description="Zero-shot HyPINO solution of a spec, optionally refined and fine-tuned. "
                       "Writes NAME.h5, NAME.png and NAME_pinn.safetensors into --out.")
    p.add_argument("spec", nargs="?", help=f"problem spec (default: examples/{DEFAULT_EXAMPLE})")
    p.add_argument("--model", metavar="PATH", help="HyPINO checkpoint (default: the bundled model)")
    p.add_argument("--refine", type=count, metavar="K",
                   help="refinement steps (default: the spec's run.refine, else 3)")
    p.add_argument("--finetune", type=count, metavar="STEPS",
                   help="fine-tune for at most STEPS optimiser steps (90%% Adam, 10%% L-BFGS)")
    p.add_argument("--time-budget", metavar="TIME",
                   help="fine-tune (or train from scratch) for at most this wall time, e.g. 90s, 5m")
    p.add_argument("--tol-residual", type=positive_float, metavar="R",
                   help="fine-tune until the relative PDE residual, RMS(Lu - f) / RMS(|f| + sum of "
                   "|terms of Lu|), and the boundary residual relative to the solution's size are <= R "
                   f"(within --finetune / --time-budget, else {TOL_BUDGET:g} s)")
    p.add_argument("--tol-boundary", type=positive_float, metavar="B",
                   help="fine-tune until the boundary residual RMS is <= B (with --tol-residual: both)")
    p.add_argument("--tol", type=positive_float, metavar="TOL",
                   help="benchmarking: fine-tune until the relative L2 error against the reference "
                   "solution is <= TOL (a user with the reference needs no PINN; see --tol-residual)")
    p.add_argument("--from-scratch", action="store_true",
                   help="train a PINN from random weights instead of starting from the model (always so "
                   "for specs outside its family, e.g. variable coefficients)")
    p.add_argument("--dtype", choices=("float32", "float64"),
                   help="of fine-tuning (default: the spec's run.dtype, float32); float64 to go below ~1e-4")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), help="default: the spec's run.device (auto)")
    p.add_argument("--out", default="solve_out", help="output folder (default solve_out)")
    p.add_argument("--no-reference", action="store_true", help="skip the reference solution and errors")
    p.add_argument("--no-plot", action="store_true", help="do not draw the PNG")
    p.add_argument("--threads", type=count, default=1,
                   help="torch CPU threads (default 1: the small networks run fastest on one; 0 = torch's)")
    p.add_argument("--json", action="store_true", help="print a JSON summary on the last line")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_cmd_solve)
