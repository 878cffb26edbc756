"""The ``hyperpino`` command.

Subcommands delegate to the packages; this module only parses arguments, prints, and maps errors
to exit codes: a :class:`~hyperpino.errors.HyperpinoError` (bad input) prints one line on stderr and
exits 2; anything else is an internal failure and exits 1 with its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hyperpino.argtypes import count
from hyperpino.errors import HyperpinoError


class _Parser(argparse.ArgumentParser):
    """argparse with the project's error convention: one line on stderr, exit code 2 (argparse
    would print the usage block first)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        message = " ".join(message.split())
        print(f"error: {self.prog}: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(2)


_BENCH_OPTIONS = ("device", "presets", "batch_size", "workers", "model", "only", "budget", "threads")


def _cmd_bench(args: argparse.Namespace) -> int:
    from hyperpino import bench

    if args.name not in bench.BENCHMARKS:
        known = ", ".join(sorted(bench.BENCHMARKS))
        raise HyperpinoError(f"bench: unknown benchmark {args.name!r} (known: {known})")
    module = bench.load(args.name)
    # Options of single benchmarks, validated by the benchmark (one-line errors, exit code 2).
    options = {k: getattr(args, k) for k in _BENCH_OPTIONS if getattr(args, k) is not None}
    foreign = [k for k in options if k not in getattr(module, "OPTIONS", ())]
    if foreign:
        raise HyperpinoError(f"bench {args.name}: --{foreign[0].replace('_', '-')} is not an option "
                             "of this benchmark")
    out_dir = Path(args.out or f"bench_out/{args.name}")
    out_dir.mkdir(parents=True, exist_ok=True)
    result = module.run(quick=args.quick, out_dir=out_dir, **options)
    print(json.dumps(result, sort_keys=True))
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from hyperpino.pde.spec_io import read_spec

    spec = read_spec(args.spec)  # schema errors surface before torch is even imported
    from hyperpino.pde.check import plot, summary
    from hyperpino.pde.problem import build_problem

    problem = build_problem(spec)
    if not args.quiet:
        print(summary(problem))
    if args.plot:
        plot(problem, args.plot)
        if not args.quiet:
            print(f"  plot         {args.plot}")
    if args.json:
        print(
            json.dumps(
                {
                    "name": problem.name,
                    "kind": problem.kind,
                    "pieces": list(problem.domain.active_pieces),
                    "ok": True,
                }
            )
        )
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from hyperpino.pde.spec import Spec

    print(json.dumps(Spec.model_json_schema(), indent=2))
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from hyperpino.demo import run_demo

    run_demo(Path(args.out), quiet=args.quiet, finetune=args.finetune)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="hyperpino",
        description="Hypernetworks for scientific ML: solve PDEs from spec files, MixER, "
        "continual learning.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("check", help="validate a spec file and summarise the problem")
    p.add_argument("spec", help="problem spec (.toml, .yaml, .json)")
    p.add_argument("--plot", metavar="PNG", help="draw the domain, boundary pieces and normals")
    p.add_argument("--json", action="store_true", help="print a JSON summary on the last line")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("schema", help="print the JSON Schema of the spec format")
    p.set_defaults(func=_cmd_schema)

    p = sub.add_parser("demo", help="run the bundled demonstration (what `make demo` runs)")
    p.add_argument("--out", default="demo_out", help="output folder (default demo_out)")
    p.add_argument("--finetune", type=count, default=400, metavar="STEPS",
                   help="fine-tuning steps after refinement (default 400; 0 = zero-shot + refinement only)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_cmd_demo)

    # Subcommands of the packages: each package's cli module adds its own parsers.
    from hyperpino.mms.cli import register as register_mms

    register_mms(sub)
    from hyperpino.pde.reference_cli import register as register_reference

    register_reference(sub)
    from hyperpino.pinn.cli import register as register_baseline

    register_baseline(sub)
    from hyperpino.training.cli import register as register_train

    register_train(sub)
    # -- continual --
    from hyperpino.continual.cli import register as register_continual

    register_continual(sub)
    # -- mixer --
    from hyperpino.mixer.cli import register as register_mixer

    register_mixer(sub)
    # -- solve --
    from hyperpino.solver.cli import register as register_solve

    register_solve(sub)

    from hyperpino import bench

    p = sub.add_parser("bench", help="run a benchmark; prints one JSON object on the last line")
    p.add_argument("name", help="one of: " + ", ".join(sorted(bench.BENCHMARKS)))
    p.add_argument("--quick", action="store_true", help="a smaller, faster version")
    p.add_argument("--out", help="folder for figures (default bench_out/NAME)")
    # Values are checked by the benchmark, so that a bad one is a one-line error (exit code 2).
    p.add_argument("--device", help="train, hypino: auto (default), cpu or cuda")
    p.add_argument("--presets", help="train: comma-separated presets (default small; CUDA: small,paper)")
    p.add_argument("--batch-size", help="train: problems per step (default 8; on CUDA 512)")
    p.add_argument("--workers", help="train: data processes of the end-to-end run (default 1; on CUDA ≤ 16)")
    p.add_argument("--model", help="hypino: HyPINO checkpoint (default: the bundled model)")
    p.add_argument("--only", help="hypino: comma-separated example names (file stems)")
    p.add_argument("--budget", help="hypino: fine-tuning seconds per problem (default 60, quick 5)")
    p.add_argument("--threads", help="hypino: torch CPU threads (default 1; 0 = torch's default)")
    p.set_defaults(func=_cmd_bench)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hyperpino")
    except PackageNotFoundError:
        return "unknown"


def _leave_native_threads() -> None:
    """After Ctrl-C, a native call may still run in a background thread (see
    ``hyperpino.pde.reference.interruptible``); its library's exit handlers could crash under it,
    so the process ends here, at once, with the usual code 130."""
    import os
    import threading

    if any(t.name.startswith("hyperpino-") and t.is_alive() for t in threading.enumerate()):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a bad option (one line already printed)
        return exit_.code if isinstance(exit_.code, int) else 0 if exit_.code is None else 2
    try:
        return int(args.func(args) or 0)
    except HyperpinoError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        _leave_native_threads()
        return 130
    except BrokenPipeError:  # e.g. `hyperpino check ... | head`: the reader left, nothing to report
        sys.stderr.close()
        return 0
    except OSError as err:  # a path the user named that cannot be made or written (a file in the way)
        if err.filename is None or err.strerror is None:
            raise
        print(f"error: {err.filename}: {err.strerror}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
