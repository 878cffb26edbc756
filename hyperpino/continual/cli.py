"""``hyperpino continual run``: one continual-learning experiment, over one or more seeds.

Writes, under ``--out`` (default ``continual_out/BENCH-METHOD-SCENARIO``): per seed a folder with
the resumable state (``state.safetensors`` + ``state.json``), and ``results.json`` (accuracy
matrices, final average accuracy, backward transfer, forgetting, mean ± std over seeds) and
``accuracy.png`` (the mean accuracy matrix). ``--json`` prints the summary as one JSON line.

Settings not given on the command line come from the benchmark's preset
(:mod:`hyperpino.continual.presets`, the ones behind the README's table), so
``hyperpino continual run --benchmark permuted-mnist --method hnet --seeds 3`` reruns a README row.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import warnings

import numpy as np

from hyperpino.argtypes import count, positive_float, positive_int
from hyperpino.files import output_folder


def register(sub: argparse._SubParsersAction) -> None:
    # Names are validated when the run starts (one-line errors listing the known ones); importing
    # the lists here would load torch for every `hyperpino` command.
    cont = sub.add_parser("continual", help="continual learning with hypernetworks")
    csub = cont.add_subparsers(dest="continual_command", metavar="ACTION")
    csub.required = True
    p = csub.add_parser("run", help="learn a benchmark's tasks in order; accuracy matrix, forgetting, plot")
    p.add_argument("--benchmark", default="split-mnist",
                   help="split-mnist, permuted-mnist, split-digits, permuted-digits, or with "
                   "--data-dir: split-mnist-full, permuted-mnist-full, split-fashion, "
                   "split-cifar10, split-cifar100")
    p.add_argument("--method", default="hnet",
                   help="hnet, chunked, lstm, interval, ewc, si, finetune, separate, joint")
    p.add_argument("--scenario", default="cl1",
                   help="cl1 (task-incremental), cl2 (domain), cl3 (class-incremental)")
    p.add_argument("--seeds", type=positive_int, default=1, help="number of seeds (0..K-1)")
    p.add_argument("--first-seed", type=count, default=0,
                   help="start the seeds here (S..S+K-1): seeds of one --out can run in parallel "
                   "processes, and a later --seeds run picks their checkpoints up")
    p.add_argument("--tasks", type=positive_int, help="number of tasks (default: the benchmark's)")
    p.add_argument("--data-dir", help="folder with MNIST/Fashion IDX files or CIFAR python batches")
    p.add_argument("--validation", action="store_true",
                   help="score on 10%% of each task's training images held out (for choosing settings; "
                   "the test split is not used)")
    p.add_argument("--preset", help="named settings (default: the benchmark's own, the README's; see "
                   "hyperpino/continual/presets.py); the options below override single ones")
    p.add_argument("--target", default="mlp", choices=["mlp", "cnn"], help="the network learnt per task")
    p.add_argument("--hidden", help="MLP hidden widths (preset: 100,100 Split, 300,300 Permuted)")
    p.add_argument("--steps", type=positive_int, help="Adam steps per task (preset: 200 Split, 500 Permuted)")
    p.add_argument("--batch-size", type=positive_int, help="preset: 64 Split, 128 Permuted")
    p.add_argument("--lr", type=positive_float, help="preset: 1e-3")
    p.add_argument("--schedule", help="constant or cosine per task (preset: cosine)")
    p.add_argument("--shift", type=count, help="random ±K-pixel shifts of training digits (preset: 1)")
    p.add_argument("--beta", type=float, help="output-regulariser strength (hypernetworks; preset 0.05)")
    p.add_argument("--mip", action="store_true", help="magnitude-invariant parametrisation (θ0 + encoding)")
    p.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="further method option, e.g. lam=1e4, eps=2, nested=true, reg_batch=4")
    p.add_argument("--out", help="output folder")
    p.add_argument("--json", action="store_true", help="print the summary as JSON on the last line")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_cmd_run)
    e = csub.add_parser("evaluate", help="score a run's checkpoints again (another scenario or inference)")
    e.add_argument("out", help="the run's output folder (with seed*/state.json)")
    e.add_argument("--scenario", default="cl3", help="cl1, cl2 or cl3 (default cl3)")
    e.add_argument("--inference", choices=["ppca", "entropy"], help="task inference (default: the run's)")
    e.add_argument("--data-dir", help="the run's --data-dir, if it had one")
    e.set_defaults(func=_cmd_evaluate)


def _options(args: argparse.Namespace, defaults: dict) -> dict:
    """The method's options: the preset's, then ``--beta``/``--mip``/``--option`` on top."""
    from hyperpino.errors import HyperpinoError

    opts: dict = dict(defaults)
    if args.beta is not None:
        opts["beta"] = args.beta
    if args.mip:
        opts["mip"] = True
    for item in args.option:
        key, sep, value = item.partition("=")
        if not sep or not key.isidentifier():
            raise HyperpinoError(f"--option: expected KEY=VALUE, got {item!r}")
        lowered = value.lower()
        if lowered in ("true", "false"):
            opts[key] = lowered == "true"
        else:
            try:
                opts[key] = int(value) if value.lstrip("-").isdigit() else float(value)
            except ValueError:
                opts[key] = value
    return opts


def _cmd_run(args: argparse.Namespace) -> int:
    import torch

    from hyperpino.continual import targets
    from hyperpino.continual.benchmarks import build
    from hyperpino.continual.data import holdout
    from hyperpino.continual.methods import build_method
    from hyperpino.continual.methods.base import check_scenario
    from hyperpino.continual.metrics import summary
    from hyperpino.continual.plot import heatmap
    from hyperpino.continual.presets import preset
    from hyperpino.continual.runner import run
    from hyperpino.errors import HyperpinoError

    check_scenario(args.scenario)
    if args.seeds < 1 or args.first_seed < 0:
        raise HyperpinoError(f"--seeds: must be >= 1 and --first-seed >= 0, got {args.seeds}, "
                             f"{args.first_seed}")
    chosen = preset(args.preset or args.benchmark)
    try:
        hidden = tuple(int(w) for w in args.hidden.split(",")) if args.hidden else chosen.hidden
    except ValueError:
        raise HyperpinoError(f"--hidden: expected comma-separated widths, got {args.hidden!r}") from None
    bench = build(args.benchmark, n_tasks=args.tasks, data_dir=args.data_dir)
    if args.validation:
        bench = holdout(bench)
    opts = _options(args, chosen.options(args.method))
    given = {"steps_per_task": args.steps, "batch_size": args.batch_size, "lr": args.lr,
             "schedule": args.schedule, "augment_shift": args.shift}
    cfg = dataclasses.replace(chosen.train, **{k: v for k, v in given.items() if v is not None})
    out = output_folder(args.out or f"continual_out/{args.benchmark}-{args.method}-{args.scenario}")

    def make_target(outputs: int) -> torch.nn.Module:
        if args.target == "cnn":
            return targets.small_cnn(bench.input_shape, outputs=outputs)
        return targets.mlp(bench.input_shape, hidden, outputs)

    meta = {"benchmark": args.benchmark, "preset": chosen.name, "method": args.method,
            "scenario": args.scenario, "tasks": bench.n_tasks, "target": args.target,
            "hidden": list(hidden), "options": opts}
    if args.validation:
        meta["validation"] = True
    runs = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        torch.manual_seed(seed)
        try:
            method = build_method(args.method, make_target, bench.n_tasks, bench.classes_per_task,
                                  args.scenario, input_shape=bench.input_shape, **opts)
        except TypeError as err:  # an --option the method does not take
            raise HyperpinoError(f"--option: {err}") from None
        if not args.quiet:
            print(f"seed {seed}: {args.method} on {args.benchmark} ({args.scenario})")
        runs.append(run(method, bench, cfg, seed=seed, out_dir=out / f"seed{seed}", meta=meta,
                        progress=not args.quiet))
    mats = np.array([[[np.nan if v is None else v for v in row] for row in r["acc"]] for r in runs])
    with warnings.catch_warnings():  # tasks not yet seen are NaN in every seed: NaN is the answer
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(mats, axis=0) if mats.shape[0] > 1 else mats[0]
    agg = {k: {"mean": float(np.mean([r[k] for r in runs])), "std": float(np.std([r[k] for r in runs]))}
           for k in summary(mats[0])}
    result = {**meta, "seeds": args.seeds, "first_seed": args.first_seed, "runs": runs, "summary": agg}
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result, indent=1))
    heatmap(mean, out / "accuracy.png", f"{args.method} on {args.benchmark} ({args.scenario.upper()}), "
            f"mean of {args.seeds} seed(s)")
    if not args.quiet:
        for k, v in agg.items():
            print(f"  {k:18s} {100 * v['mean']:7.2f} ± {100 * v['std']:.2f} %")
        print(f"  results          {out / 'results.json'}, {out / 'accuracy.png'}")
    if args.json:
        print(json.dumps({"summary": agg, "out": str(out)}))
    return 0


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from hyperpino.continual.methods.base import check_scenario
    from hyperpino.continual.rescore import rescore

    check_scenario(args.scenario)
    r = rescore(args.out, args.scenario, args.inference, args.data_dir)
    per_seed = ", ".join(f"{100 * a:.2f}" for a in r["seeds"])
    print(f"{args.scenario} ({args.inference or 'as run'}): {100 * r['mean']:.2f} ± {100 * r['std']:.2f} % "
          f"(seeds: {per_seed})")
    print(json.dumps(r))
    return 0
