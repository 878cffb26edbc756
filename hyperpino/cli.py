"""The ``hyperpino`` command.

Subcommands delegate to the packages; this module only parses arguments, prints, and maps errors
to exit codes: a :class:`~hyperpino.errors.HyperpinoError` (bad input) prints one line on stderr and
exits 2; anything else is an internal failure and exits 1 with its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys

from hyperpino.argtypes import count
from hyperpino.errors import HyperpinoError, printable

_PACKAGE_COMMANDS = {
    "mms": "hyperpino.mms.cli",
    "reference": "hyperpino.pde.reference_cli",
    "baseline": "hyperpino.pinn.cli",
    "pack-model": "hyperpino.training.cli",
    "train": "hyperpino.training.cli",
    "continual": "hyperpino.continual.cli",
    "mixer": "hyperpino.mixer.cli",
    "solve": "hyperpino.solver.cli",
}
"""Subcommands that a package's cli module registers -> that module (in the order of ``--help``)."""

_CORE_COMMANDS = ("check", "schema", "demo", "bench")


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
    from hyperpino.files import output_folder

    out_dir = output_folder(args.out or f"bench_out/{args.name}")
    top = None if out_dir.exists() else out_dir  # the first folder this command makes
    while top is not None and not top.parent.exists():
        top = top.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        result = module.run(quick=args.quick, out_dir=out_dir, **options)
    except HyperpinoError:  # a benchmark's own option checks: refused, it leaves no empty folder
        if top is not None and not any(p.is_file() for p in top.rglob("*")):
            import shutil

            shutil.rmtree(top)
        raise
    print(json.dumps(result, sort_keys=True))
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from hyperpino.pde.spec_check import check_spec
    from hyperpino.pde.spec_io import read_spec

    spec = read_spec(args.spec)
    checked = check_spec(spec)  # expressions, operator, primitives, CSG, patterns
    from hyperpino.pde.problem import build_problem

    problem = build_problem(checked)  # geometry and data on the domain: all before torch is imported
    if args.plot:
        from hyperpino.files import output_file

        output_file(args.plot, "--plot")
    from hyperpino.pde.check import plot, summary

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
    from hyperpino.files import output_folder

    out = output_folder(args.out)  # before the imports of the demo: a file in the way fails at once
    from hyperpino.demo import run_demo

    run_demo(out, quiet=args.quiet, finetune=args.finetune)
    return 0


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``hyperpino`` parser; with ``command``, the package subcommands other than it are left out."""
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

    # Subcommands of the packages: each package's cli module adds its own parsers. Only the one
    # asked for is imported (some pull in numpy and scipy), so a bad spec fails in well under 2 s.
    for module in _package_modules(command):
        importlib.import_module(module).register(sub)
    if command in _PACKAGE_COMMANDS or command in ("check", "schema", "demo"):
        return parser

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
    p.add_argument("--only", help="hypino, frame: comma-separated example/problem names")
    p.add_argument("--budget", help="hypino: fine-tuning seconds per problem (default 60, quick 5); "
                   "frame: seconds per solve (default 30, quick 5)")
    p.add_argument("--threads", help="hypino: torch CPU threads (default 1; 0 = torch's default)")
    p.set_defaults(func=_cmd_bench)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hyperpino")
    except PackageNotFoundError:
        return "unknown"


def _package_modules(command: str) -> list[str]:
    """The cli modules to register for ``command``: its own, or all for None or a name that is none
    of ours (argparse then lists every choice)."""
    if command in _PACKAGE_COMMANDS:
        return [_PACKAGE_COMMANDS[command]]
    return [] if command in _CORE_COMMANDS else list(dict.fromkeys(_PACKAGE_COMMANDS.values()))


def _command(argv: list[str]) -> str | None:
    """The subcommand named in ``argv`` (its first word), or None (e.g. ``--help``)."""
    return argv[0] if argv and not argv[0].startswith("-") else None


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
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command(argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a bad option (one line already printed)
        return exit_.code if isinstance(exit_.code, int) else 0 if exit_.code is None else 2
    try:
        return int(args.func(args) or 0)
    except HyperpinoError as err:
        print(f"error: {printable(str(err))}", file=sys.stderr)
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
