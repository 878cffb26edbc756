"""``hyperpino reference``: solve a spec with the classical solver from the command line.

``reference SPEC [--h H] [--out ref.h5]`` solves a spec classically and writes the grid solution
(HDF5). Bad input raises
:class:`~hyperpino.errors.HyperpinoError`, which the CLI turns into one line and exit code 2.
"""

from __future__ import annotations

import argparse
import json

from hyperpino.argtypes import positive_float


def _cmd_reference(args: argparse.Namespace) -> int:
    from hyperpino.files import output_file
    from hyperpino.pde.spec_check import check_spec
    from hyperpino.pde.spec_io import read_spec

    checked = check_spec(read_spec(args.spec))
    from hyperpino.pde.problem import build_problem

    problem = build_problem(checked)  # every check of the spec, before torch is imported
    out = output_file(args.out or f"{problem.name}_reference.h5")  # before the solve, not after it
    from hyperpino.pde.reference import reference_solution

    sol = reference_solution(problem, args.h, cache=not args.no_cache)
    sol.save(out)
    info = sol.summary() | {"out": str(out)}
    if not args.quiet:
        print(f"{problem.name}: {sol.method}, h = {sol.h:.4g}, {sol.dofs} dofs, {sol.nodes} nodes, "
              f"{sol.elements} elements, solved in {sol.solve_time:.2f} s")
        print(f"  grid {info['grid']}×{info['grid']} ({info['inside']} points inside) -> {out}")
    if args.json:
        print(json.dumps(info, sort_keys=True))
    return 0


def register(sub) -> None:
    """Add the ``reference`` subcommand to an argparse subparsers object."""
    p = sub.add_parser("reference", help="solve a spec with the classical reference solver (HDF5)")
    p.add_argument("spec", help="problem spec (.toml, .yaml, .json)")
    p.add_argument("--h", type=positive_float, help="mesh size (default: sqrt(area)/64; (x,t): x-range/256)")
    p.add_argument("--out", help="output HDF5 file (default NAME_reference.h5)")
    p.add_argument("--no-cache", action="store_true", help="solve again even if a cached result exists")
    p.add_argument("--json", action="store_true", help="print a JSON summary on the last line")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_cmd_reference)
