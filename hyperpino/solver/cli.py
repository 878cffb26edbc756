"""``hyperpino solve``: argument parsing and printing only.

Nothing heavy is imported until a command runs, so ``hyperpino --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEFAULT_EXAMPLE = "poisson_L.toml"
"""What ``hyperpino solve`` solves when no spec is given (from the bundled ``examples/``)."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def _cmd_solve(args: argparse.Namespace) -> int:
    from hyperpino.pde.spec_io import read_spec

    if args.spec is None:
        from hyperpino.examples import examples_dir

        path = examples_dir() / DEFAULT_EXAMPLE
        if not args.quiet:
            print(f"no spec given: solving the bundled example {path}", file=sys.stderr)
    else:
        path = Path(args.spec)
    spec = read_spec(path)  # schema errors before torch is imported
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    from hyperpino.solver.outputs import save_result
    from hyperpino.solver.pipeline import solve

    say = None if args.quiet else (lambda line: print(line, file=sys.stderr, flush=True))
    result = solve(spec, model=args.model, refine=args.refine, finetune_steps=args.finetune, tol=args.tol,
                   device=args.device, reference=not args.no_reference, progress=say)
    save_result(result, args.out, figure=not args.no_plot)
    if not args.quiet:
        print(result.summary())
    if args.json:
        print(json.dumps(result.to_dict(), sort_keys=True))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``solve`` to the ``hyperpino`` command's subparsers."""
    p = sub.add_parser("solve", help="solve a spec with HyPINO: HDF5 + PNG + summary",
                       description="Zero-shot HyPINO solution of a spec, optionally refined and fine-tuned. "
                       "Writes NAME.h5, NAME.png and NAME_pinn.safetensors into --out.")
    p.add_argument("spec", nargs="?", help=f"problem spec (default: examples/{DEFAULT_EXAMPLE})")
    p.add_argument("--model", metavar="PATH", help="HyPINO checkpoint (default: the bundled model)")
    p.add_argument("--refine", type=_positive_int, metavar="K",
                   help="refinement steps (default: the spec's run.refine, else 3)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--finetune", type=_positive_int, metavar="STEPS",
                       help="fine-tune for STEPS optimiser steps (90%% Adam, 10%% L-BFGS)")
    group.add_argument("--tol", type=_positive_float, metavar="TOL",
                       help="fine-tune until the relative L2 error against the reference is <= TOL")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), help="default: the spec's run.device (auto)")
    p.add_argument("--out", default="solve_out", help="output folder (default solve_out)")
    p.add_argument("--no-reference", action="store_true", help="skip the reference solution and errors")
    p.add_argument("--no-plot", action="store_true", help="do not draw the PNG")
    p.add_argument("--threads", type=_positive_int, default=1,
                   help="torch CPU threads (default 1: the small networks run fastest on one; 0 = torch's)")
    p.add_argument("--json", action="store_true", help="print a JSON summary on the last line")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_cmd_solve)
