"""``hyperpino train``: train a HyPINO model (also as ``torchrun --nproc_per_node K -m hyperpino train``)."""

from __future__ import annotations

import argparse
import json
import os

from hyperpino.argtypes import count, positive_float, positive_int, seed


def _cmd_train(args: argparse.Namespace) -> int:
    from hyperpino.durations import parse_duration
    from hyperpino.training.clock import process_started
    from hyperpino.training.config import read_train_toml, train_config

    started = process_started()
    tables = read_train_toml(args.config)
    where = f"{os.path.basename(args.config)}.train" if args.config else "train"
    budget = parse_duration(args.time_budget) if args.time_budget is not None else None
    every = (parse_duration(args.checkpoint_interval, "--checkpoint-interval")
             if args.checkpoint_interval is not None else None)
    cfg = train_config(tables["train"], where, preset=args.preset, steps=args.steps,
                       batch_size=args.batch_size, lr=args.lr, workers=args.workers, seed=args.seed,
                       data=tuple(args.data) if args.data else None, time_budget=budget,
                       accumulate=args.accumulate, init=args.init, checkpoint_seconds=every)
    if cfg.init and cfg.init != "bundled" and not os.path.isfile(cfg.init):
        from hyperpino.errors import CheckpointError

        raise CheckpointError(f"--init {cfg.init}: no such checkpoint")
    from hyperpino.files import output_folder

    output_folder(args.out)  # before torch and the model: a file in the way fails in a second
    import torch

    from hyperpino.training.loop import Trainer

    if args.threads:
        torch.set_num_threads(args.threads)
    world = int(os.environ.get("WORLD_SIZE", 1))
    if world > 1:
        import torch.distributed as dist

        backend = "nccl" if args.device != "cpu" and torch.cuda.is_available() else "gloo"
        if backend == "nccl":  # before the group: NCCL binds each rank to the current device
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
        dist.init_process_group(backend)
    try:
        trainer = Trainer(cfg, args.out, model_overrides=tables["model"], mms_overrides=tables["mms"],
                          device=args.device, progress=not args.quiet, started=started)
        if trainer.rank == 0 and not args.quiet:
            n = sum(p.numel() for p in trainer.model.parameters())
            length = f"{cfg.time_budget:g} s budget" if cfg.time_budget else f"{cfg.steps} steps"
            print(f"HyPINO {cfg.preset}: {n:,} parameters, grid {trainer.model.config.grid}, device "
                  f"{trainer.device}, {world} process(es), {cfg.samples_per_step} problems/step/process "
                  f"(batch {cfg.batch_size} x {cfg.accumulate}), {length} -> {args.out}")
        summary = trainer.run(max_steps=args.max_steps)
        if trainer.rank == 0:
            print(json.dumps({k: v for k, v in summary.items()}, default=float))
    finally:
        if world > 1:
            import torch.distributed as dist

            dist.destroy_process_group()
    return 0


def _cmd_pack(args: argparse.Namespace) -> int:
    from hyperpino.errors import CheckpointError
    from hyperpino.files import output_file

    if not os.path.isfile(args.src):  # before torch is imported: a typo is refused at once
        raise CheckpointError(f"{args.src}: no such HyPINO checkpoint file")
    output_file(args.dst, "dst")
    from hyperpino.model.checkpoint import pack
    from hyperpino.model.hypino import HyPINO

    HyPINO.load(args.src)  # every check of loading: a file that does not load is not packed
    sizes = pack(args.src, args.dst, half=not args.keep_dtype)
    print(f"{args.dst}: {sizes['dst_bytes'] / 1e6:.1f} MB (from {sizes['src_bytes'] / 1e6:.1f} MB)")
    return 0


def register(sub) -> None:
    p = sub.add_parser("pack-model", help="rewrite a HyPINO checkpoint for shipping (float16 by default)")
    p.add_argument("src", help="checkpoint written by `hyperpino train` (best.safetensors)")
    p.add_argument("dst", help="output .safetensors; loads with HyPINO.load / `hyperpino solve --model`")
    p.add_argument("--keep-dtype", action="store_true", help="keep the stored precision (no float16)")
    p.set_defaults(func=_cmd_pack)
    p = sub.add_parser("train", help="train the HyPINO hypernetwork on generated problems (resumable)")
    p.add_argument("--preset", default=None, help="architecture: small (CPU) or paper (default: small)")
    p.add_argument("--config", default=None, help="TOML with [train], [model], [mms] tables")
    p.add_argument("--steps", type=positive_int, default=None, help="total optimizer steps of the run")
    p.add_argument("--max-steps", type=count, default=None,
                   help="stop after this many more steps (resume later)")
    p.add_argument("--batch-size", type=positive_int, default=None,
                   help="problems per micro-batch and process")
    p.add_argument("--accumulate", type=positive_int, default=None,
                   help="micro-batches per optimizer step (effective batch = batch size x this)")
    p.add_argument("--time-budget", default=None, metavar="DURATION",
                   help="train for this long (e.g. 60s, 8m, 1.5h; start-up and final save included): "
                        "the schedule follows elapsed time and the run ends with a packed model")
    p.add_argument("--checkpoint-interval", default=None, metavar="DURATION",
                   help="also write the resumable state when this much wall time passed since the last "
                        "(default 60s): a kill loses at most this much")
    p.add_argument("--init", default=None, metavar="MODEL",
                   help="start from these weights ('bundled' or a checkpoint), fresh optimizer")
    p.add_argument("--lr", type=positive_float, default=None, help="peak learning rate")
    p.add_argument("--workers", type=count, default=None, help="data-generating processes per process")
    p.add_argument("--seed", type=seed, default=None)
    p.add_argument("--data", nargs="+", default=None, help="HDF5 files (default: generate on the fly)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda")
    p.add_argument("--threads", type=count, default=None, help="torch CPU threads of each process")
    p.add_argument("--out", default="runs/hypino", help="output folder; an existing run there is resumed")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=_cmd_train)
