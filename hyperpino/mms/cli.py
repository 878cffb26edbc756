"""``hyperpino mms generate`` (HDF5 datasets) and ``hyperpino mms sample`` (one spec file)."""

from __future__ import annotations

import argparse
from pathlib import Path

from hyperpino.errors import HyperpinoError


def _generate(args: argparse.Namespace) -> int:
    from hyperpino.mms.config import load_config
    from hyperpino.mms.hdf5 import generate_file

    cfg = load_config(args.config)
    if args.grid is not None:
        cfg = cfg.model_copy(update={"grid": args.grid})
    if args.n < 1 or args.workers < 1:
        raise HyperpinoError("mms generate: --n and --workers must be positive")
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
    out.write_text(tomli_w.dumps(data), encoding="utf-8")
    if not args.quiet:
        print(f"wrote {out} ({batch.recipes[0].kind})")
    return 0


def register(sub) -> None:
    """Add ``mms`` with its subcommands to the main parser's subparsers ``sub``."""
    p = sub.add_parser("mms", help="manufactured problems: datasets and single spec files")
    ms = p.add_subparsers(dest="mms_command", metavar="SUBCOMMAND")
    ms.required = True
    g = ms.add_parser("generate", help="write N samples to an HDF5 file (resumable, sharded)")
    g.add_argument("--n", type=int, required=True)
    g.add_argument("--grid", type=int, default=None, help="image size G (default from the config: 64)")
    g.add_argument("--out", required=True)
    g.add_argument("--workers", type=int, default=1)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--config", default=None, help="TOML file of generator settings")
    g.add_argument("--shard-size", type=int, default=64)
    g.add_argument("--quiet", action="store_true")
    g.set_defaults(func=_generate)
    s = ms.add_parser("sample", help="write one random problem (with its exact solution) as a spec file")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--index", type=int, default=0)
    s.add_argument("--out", required=True)
    s.add_argument("--config", default=None)
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(func=_sample)
