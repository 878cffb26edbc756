"""``hyperpino mms generate`` (HDF5 datasets), ``hyperpino mms sample`` (one spec file) and
``hyperpino mms stats`` (where example problems fall in the training distribution)."""

from __future__ import annotations

import argparse
from pathlib import Path

from hyperpino.argtypes import count, positive_int, seed
from hyperpino.errors import HyperpinoError


def _generate(args: argparse.Namespace) -> int:
    from hyperpino.mms.config import load_config
    from hyperpino.mms.hdf5 import generate_file

    cfg = load_config(args.config)
    if args.grid is not None:
        cfg = cfg.model_copy(update={"grid": args.grid})
    if args.n < 1 or args.workers < 1:
        raise HyperpinoError("mms generate: --n and --workers must be positive")
    from hyperpino.files import output_file

    output_file(args.out)  # before the generation (hours for a large set), not after it
    generate_file(args.out, args.n, cfg, seed=args.seed, workers=args.workers, shard_size=args.shard_size,
                  progress=not args.quiet)
    return 0


def _sample(args: argparse.Namespace) -> int:
    import tomli_w

    from hyperpino.mms.config import load_config
    from hyperpino.mms.generator import MMSGenerator
    from hyperpino.mms.to_spec import recipe_dict

    cfg = load_config(args.config)
    batch = MMSGenerator(cfg, args.seed).generate([args.index])
    data = recipe_dict(batch.recipes[0], batch.active[0])
    out = Path(args.out)
    if out.suffix.lower() != ".toml":
        raise HyperpinoError(f"mms sample: --out must end in .toml, got {out.name!r}")
    from hyperpino.files import write_text_atomic

    write_text_atomic(out, tomli_w.dumps(data))
    if not args.quiet:
        print(f"wrote {out} ({batch.recipes[0].kind})")
    return 0


def _stats(args: argparse.Namespace) -> int:
    import json

    from hyperpino.mms import stats
    from hyperpino.mms.config import load_config

    if args.n < 1 or args.grid < 8:
        raise HyperpinoError("mms stats: --n must be positive and --grid at least 8")
    paths = [] if args.no_benchmarks else stats.benchmark_paths()
    paths += [Path(p) for p in args.specs]
    if not paths:
        raise HyperpinoError("mms stats: no example specs (give paths or drop --no-benchmarks)")
    for p in paths:
        if not p.is_file():
            raise HyperpinoError(f"mms stats: no such file: {p}")
    cfg = load_config(args.config)
    examples = {}
    for p in paths:
        name = p.stem if p.stem not in examples else str(p)
        examples[name] = stats.example_features(p, grid=args.grid, reference=not args.no_reference)
    dist = stats.training_distribution(cfg, args.n, seed=args.seed, grid=args.grid)
    rep = stats.report(dist, examples)
    if not args.quiet:
        print(f"{rep['n']} training samples (seed {args.seed}, acceptance {rep['acceptance']:.3f}, "
              f"{100 * rep['zero_data']:.1f}% with zero boundary data); "
              "cells: value (percentile in the training distribution)")
        print(stats.table(rep))
    if args.json:
        print(json.dumps(rep, sort_keys=True))
    return 0


def register(sub) -> None:
    """Add ``mms`` with its subcommands to the main parser's subparsers ``sub``."""
    p = sub.add_parser("mms", help="manufactured problems: datasets and single spec files")
    ms = p.add_subparsers(dest="mms_command", metavar="SUBCOMMAND")
    ms.required = True
    g = ms.add_parser("generate", help="write N samples to an HDF5 file (resumable, sharded)")
    g.add_argument("--n", type=positive_int, required=True)
    g.add_argument("--grid", type=positive_int, default=None,
                   help="image size G (default from the config: 64)")
    g.add_argument("--out", required=True)
    g.add_argument("--workers", type=positive_int, default=1)
    g.add_argument("--seed", type=seed, default=0)
    g.add_argument("--config", default=None, help="TOML file of generator settings")
    g.add_argument("--shard-size", type=positive_int, default=64)
    g.add_argument("--quiet", action="store_true")
    g.set_defaults(func=_generate)
    s = ms.add_parser("sample", help="write one random problem (with its exact solution) as a spec file")
    s.add_argument("--seed", type=seed, default=0)
    s.add_argument("--index", type=count, default=0)
    s.add_argument("--out", required=True)
    s.add_argument("--config", default=None)
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(func=_sample)
    t = ms.add_parser("stats", help="where example problems fall in the training distribution")
    t.add_argument("specs", nargs="*", help="spec files, in addition to the seven HyPINO benchmarks")
    t.add_argument("--n", type=positive_int, default=300, help="training samples to draw (default 300)")
    t.add_argument("--seed", type=seed, default=0)
    t.add_argument("--grid", type=positive_int, default=64)
    t.add_argument("--config", default=None, help="TOML file of generator settings")
    t.add_argument("--no-benchmarks", action="store_true", help="only the specs given")
    t.add_argument("--no-reference", action="store_true",
                   help="no reference solves for specs without an exact solution (size: n/a)")
    t.add_argument("--json", action="store_true", help="print one JSON object on the last line")
    t.add_argument("--quiet", action="store_true", help="no table (with --json: only the JSON line)")
    t.set_defaults(func=_stats)
