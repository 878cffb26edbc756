"""``hyperpino mixer data | train | adapt | eval``: generate ODE families, train MixER (Nzoyem et al.
2025), adapt it to new environments and evaluate it (metrics JSON, routing heatmap, trajectories)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hyperpino.argtypes import count, int_in, positive_float, positive_int, seed
from hyperpino.errors import SpecError


def _device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return name


def _data(args: argparse.Namespace) -> int:
    import dataclasses

    from hyperpino.mixer.dataset import save
    from hyperpino.mixer.presets import odebench_variant, preset
    from hyperpino.mixer.suites import SuiteConfig, generate

    if args.variant and args.suite != "odebench10":
        raise SpecError("--variant", f"10A/10B are ODEBench-10 variants, not variants of {args.suite!r}")
    if args.variant:
        cfg = odebench_variant(args.variant)
    elif args.preset:
        cfg = preset(args.preset, args.suite).suite
    else:
        cfg = SuiteConfig(suite=args.suite)
    given = {"envs_per_family": args.envs_per_family, "n_t": args.n_t, "horizon": args.horizon,
             "n_val": args.n_val}
    cfg = dataclasses.replace(cfg, seed=args.seed, **{k: v for k, v in given.items() if v is not None})
    from hyperpino.files import output_file

    output_file(args.out)  # before the generation, not after it
    ds = generate(cfg, progress=not args.quiet)
    save(ds, args.out)
    if not args.quiet:
        sizes = ", ".join(f"{k} {v.X.shape}" for k, v in ds.splits.items())
        print(f"wrote {args.out}: {len(ds.families)} families; {sizes}")
    return 0


def _train(args: argparse.Namespace) -> int:
    import dataclasses

    import numpy as np
    import torch

    from hyperpino.mixer.alternating import Trainer, build_model
    from hyperpino.mixer.config import parse, read_values
    from hyperpino.mixer.dataset import load

    values = read_values(args.config)
    parse({k: v for k, v in values.items() if k != "preset"})  # bad keys fail before the data is read
    if args.preset:
        values["preset"] = args.preset
    data_path = args.data or values.get("data")
    if not data_path:
        raise SpecError("data", "no dataset: give --data or `data = ...` in the config")
    from hyperpino.files import output_folder

    output_folder(args.out)  # before the training, not after it
    ds = load(data_path)
    cfg = parse(values, suite=ds.suite)
    if args.steps is not None:
        cfg = dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, outer_steps=args.steps))
    torch.manual_seed(cfg.seed)
    model = build_model(cfg.model, ds["train"], seed=cfg.seed)
    train_cfg = dataclasses.replace(cfg.train, seed=cfg.seed)
    on_gate = None
    if not args.no_diagnostics:
        from hyperpino.files import write_text_atomic
        from hyperpino.mixer.metrics import purity
        from hyperpino.mixer.plots import gate_diagnostics

        diag = Path(args.out) / "gate"
        diag.mkdir(parents=True, exist_ok=True)
        family, trace = ds["train"].family, []

        def on_gate(stats: dict) -> None:
            plain = {k: (v.cpu().tolist() if hasattr(v, "cpu") else v) for k, v in stats.items()
                     if k != "centres"}
            plain["purity"] = purity(np.asarray(plain["routes"]), family)
            trace.append(plain)
            gate_diagnostics(plain, family, ds.families, diag / f"update_{stats['update']:05d}.png")
            write_text_atomic(diag / "trace.json", json.dumps(trace))

    trainer = Trainer(model, ds["train"], train_cfg, _device(cfg.device), ckpt_dir=args.out, on_gate=on_gate)
    trainer.run(progress=not args.quiet)
    trainer.save()
    if not args.quiet:
        print(f"checkpoint {args.out}: final loss {trainer.history[-1]['loss']:.3e}, "
              f"{trainer.train_seconds:.1f}s (gate update {trainer.gate_seconds:.1f}s)")
    return 0


def _adapt(args: argparse.Namespace) -> int:
    import dataclasses

    from safetensors.torch import save_file

    from hyperpino.files import write_atomic, write_text_atomic
    from hyperpino.mixer.adaptation import AdaptConfig, adapt
    from hyperpino.mixer.alternating import load_trained
    from hyperpino.mixer.dataset import load
    from hyperpino.mixer.presets import preset

    device = _device(args.device)
    model, _ = load_trained(args.ckpt, device)
    ds = load(args.data)
    base = AdaptConfig()
    if args.preset:
        base = preset(args.preset, ds.suite).adapt
    given = {k: getattr(args, k) for k in ("steps", "lr", "top_k", "method", "mode")}
    ac = dataclasses.replace(base, **{k: v for k, v in given.items() if v is not None})
    a = adapt(model, ds["adapt"], steps=ac.steps, lr=ac.lr, top_k=ac.top_k, device=device,
              progress=not args.quiet, method=ac.method, mode=ac.mode)
    out = Path(args.ckpt) / "adapted.safetensors"
    tensors = {"contexts": a.contexts.cpu().contiguous(), "routes": a.routes.cpu().contiguous()}
    write_atomic(out, lambda tmp: save_file(tensors, str(tmp)))
    write_text_atomic(Path(args.ckpt) / "adapted.json", json.dumps(
        {"data": str(args.data), **dataclasses.asdict(ac), "loss": a.loss.cpu().tolist(),
         "routes": a.routes.cpu().tolist()}, indent=1))
    if not args.quiet:
        print(f"adapted {ds['adapt'].n_envs} environments -> {out}; experts {a.routes.tolist()}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    import numpy as np

    from hyperpino.files import read_safetensors, write_text_atomic
    from hyperpino.mixer.adaptation import Adapted
    from hyperpino.mixer.alternating import load_trained
    from hyperpino.mixer.dataset import load
    from hyperpino.mixer.evaluation import evaluate
    from hyperpino.mixer.metrics import summary
    from hyperpino.mixer.plots import routing_heatmap, trajectories

    device = _device(args.device)
    ds = load(args.data)
    from hyperpino.files import output_folder

    out = output_folder(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runs = []
    for i, ckpt in enumerate(args.ckpt):
        model, state = load_trained(ckpt, device)
        if model.contexts.shape[0] != ds["train"].n_envs:
            raise SpecError(str(ckpt), f"trained on {model.contexts.shape[0]} environments, "
                            f"{args.data} has {ds['train'].n_envs}")
        adapted = None
        saved = Path(ckpt) / "adapted.safetensors"
        if saved.is_file() and "adapt" in ds.splits:
            t, _ = read_safetensors(saved, "adapted contexts")
            if t["contexts"].shape[0] == ds["adapt"].n_envs:
                ctx_t, routes_t = t["contexts"].to(device), t["routes"].to(device)
                adapted = Adapted(ctx_t, routes_t, ctx_t.new_zeros(0))
        ev = evaluate(model, ds, adapted, adapt_steps=args.adapt_steps, top_k=args.top_k, device=device,
                      progress=not args.quiet, keep_predictions=i == 0, adapt_method=args.adapt_method,
                      adapt_mode=args.adapt_mode)
        if i == 0:
            import torch

            gates = torch.softmax(model.logits(model.contexts.detach()), 1).cpu().numpy()
            if model.cfg.gate == "lsq":
                gates = np.eye(model.n_experts)[np.array(ev["routes"])]
            routing_heatmap(gates, ds["train"].family, ds.families, out / "routing.png")
            for split in ("test", "adapt_test"):
                if split in ev:
                    s = ds[split]
                    labels = [ds.families[f] if 0 <= f < len(ds.families) else f"env {e}"
                              for f, e in zip(s.family, s.env_id, strict=True)]
                    trajectories(s.t, s.X, ev[split].pop("_pred"), labels, out / f"trajectories_{split}.png")
        ev["checkpoint"] = str(ckpt)
        ev["train_seconds"] = state.get("train_seconds")
        runs.append(ev)
    metrics: dict = {"runs": runs}
    for split in ("val", "test", "adapt_test"):
        if split in runs[0]:
            metrics[split] = {k: summary([r[split][f"mean_{k}"] for r in runs]) for k in ("mse", "rel_mse")}
    metrics["purity"] = summary([r["purity"] for r in runs])
    write_text_atomic(out / "metrics.json", json.dumps(metrics, indent=1))
    line = {k: metrics[k] for k in ("val", "test", "adapt_test", "purity") if k in metrics}
    if not args.quiet:
        print(f"wrote {out / 'metrics.json'}, routing.png, trajectories_*.png")
    if args.json or not args.quiet:
        print(json.dumps(line))
    return 0


def register(sub) -> None:
    """Add ``mixer`` with its subcommands to the main parser's subparsers ``sub``."""
    from hyperpino.mixer.adaptation import METHODS, MODES
    from hyperpino.mixer.presets import ODEBENCH_VARIANTS, PRESETS
    from hyperpino.mixer.suites import SUITES

    p = sub.add_parser("mixer", help="MixER: mixture of expert reconstructors for ODE families")
    ms = p.add_subparsers(dest="mixer_command", metavar="SUBCOMMAND")
    ms.required = True

    d = ms.add_parser("data", help="generate a suite of ODE families as HDF5")
    d.add_argument("--suite", required=True, choices=SUITES)
    d.add_argument("--out", required=True)
    d.add_argument("--preset", choices=PRESETS, default=None,
                   help="sizes of the named preset's data (small: the benchmark's; paper: the published)")
    d.add_argument("--variant", choices=ODEBENCH_VARIANTS, default=None,
                   help="ODEBench-10A (5 environments per family) or 10B (16) at the published sizes")
    d.add_argument("--envs-per-family", type=positive_int, default=None, help="ODEBench only (default 5)")
    d.add_argument("--n-t", type=int_in(2), default=None, help="time points per trajectory (default 20)")
    d.add_argument("--horizon", type=positive_float, default=None, help="fraction of each family's T kept")
    d.add_argument("--n-val", type=count, default=None,
                   help="trajectories per training environment in a 'val' split (default 0: none)")
    d.add_argument("--seed", type=seed, default=0)
    d.add_argument("--quiet", action="store_true")
    d.set_defaults(func=_data)

    t = ms.add_parser("train", help="train a model; resumes from the checkpoint in --out")
    t.add_argument("--config", default=None, help="TOML/JSON run config (model, train, data)")
    t.add_argument("--preset", choices=PRESETS, default=None,
                   help="start from a named preset for the data's suite; the config's keys override it")
    t.add_argument("--data", default=None, help="dataset file (overrides the config's)")
    t.add_argument("--out", required=True, help="checkpoint folder")
    t.add_argument("--steps", type=positive_int, default=None, help="outer steps (overrides the config)")
    t.add_argument("--no-diagnostics", action="store_true",
                   help="skip the per-gate-update plots and trace (OUT/gate/update_*.png, trace.json)")
    t.add_argument("--quiet", action="store_true")
    t.set_defaults(func=_train)

    a = ms.add_parser("adapt", help="fit contexts of the adaptation environments (model frozen)")
    a.add_argument("--ckpt", required=True)
    a.add_argument("--data", required=True)
    a.add_argument("--preset", choices=PRESETS, default=None,
                   help="the named preset's adaptation settings for the data's suite (flags override)")
    a.add_argument("--steps", type=count, default=None, help="default 300")
    a.add_argument("--lr", type=positive_float, default=None, help="default 1e-2")
    a.add_argument("--top-k", type=positive_int, default=None,
                   help="candidate experts of method top_k (default 2)")
    a.add_argument("--method", choices=METHODS, default=None,
                   help="top_k (default): best of the top-k experts from their centroids; published: "
                        "contexts from zero, routes follow the gate")
    a.add_argument("--mode", choices=MODES, default=None,
                   help="bulk (default): all environments at once; sequential: one after another")
    a.add_argument("--device", default="cpu")
    a.add_argument("--quiet", action="store_true")
    a.set_defaults(func=_adapt)

    e = ms.add_parser("eval", help="metrics JSON, routing heatmap and trajectory plots")
    e.add_argument("--ckpt", required=True, nargs="+", help="one checkpoint per seed")
    e.add_argument("--data", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--adapt-steps", type=count, default=300, help="when no adapted.safetensors exists")
    e.add_argument("--adapt-method", choices=METHODS, default="top_k", help="see `mixer adapt --method`")
    e.add_argument("--adapt-mode", choices=MODES, default="bulk", help="see `mixer adapt --mode`")
    e.add_argument("--top-k", type=positive_int, default=2)
    e.add_argument("--device", default="cpu")
    e.add_argument("--json", action="store_true")
    e.add_argument("--quiet", action="store_true")
    e.set_defaults(func=_eval)
