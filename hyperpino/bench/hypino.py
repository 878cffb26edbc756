"""``hyperpino bench hypino``: HyPINO on the seven benchmarks of the paper and the other examples.

For each problem (Bischof et al. 2025, HyPINO, arXiv 2509.05117, §5 of the brief): the error of
the zero-shot PINN; after k = 1, 3, 10 refinement steps (one run, stopping early when a step no
longer lowers the physics loss, so later columns repeat the last kept step); after fine-tuning the
generated PINN (its own output layer, as ``hyperpino solve`` does) for a fixed wall-time budget;
and the error of a PINN trained from scratch for the same total wall time (generation +
fine-tuning), with the same trainer settings. Also the time each path needs to reach a relative
L2 error of 1e-2: HyPINO along zero-shot → fine-tuning, the PINN from its first step. Errors are
against the exact solution where the spec has one, else the FEM reference; times are training wall
time (evaluation excluded).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable
from pathlib import Path

import torch

from hyperpino.devices import pick_device
from hyperpino.errors import HyperpinoError
from hyperpino.files import write_text_atomic
from hyperpino.model.hypino import BUNDLED, HyPINO
from hyperpino.pde.frame import balanced, model_frame
from hyperpino.pinn.fit import fit_pinn, scratch_config
from hyperpino.pinn.history import StopReason
from hyperpino.solver.finetune import WARMUP, finetune_run
from hyperpino.solver.generation import generate
from hyperpino.solver.pipeline import reference_evaluator
from hyperpino.solver.problems import check_in_family, reference_for
from hyperpino.solver.refinement import refine_many

OPTIONS = ("device", "model", "only", "budget", "threads")
"""The options of ``hyperpino bench`` this benchmark takes (as keyword arguments of :func:`run`)."""
HYPINO_BENCHMARKS = ("heat", "helmholtz", "helmholtz_G", "poisson_C", "poisson_G", "poisson_L", "wave")
KS = (1, 3, 10)
TOL = 1e-2


def _examples() -> list[Path]:
    from hyperpino.examples import examples_dir

    d = examples_dir()
    first = [d / f"{n}.toml" for n in HYPINO_BENCHMARKS]
    specs = (".toml", ".yaml", ".yml", ".json")
    rest = sorted(p for p in d.iterdir() if p.suffix in specs and p not in first)
    return first + rest


def _first_below(path: list[tuple[float, float | None]], tol: float) -> float | None:
    return next((t for t, e in path if e is not None and e <= tol), None)


def bench_problem(model, problem, *, kmax: int, budget: float, device, seed: int = 0,
                  eval_every: int = 100, say: Callable[[str], None] = lambda s: None) -> dict:
    """One row of the table (see the module docstring); raises HyperpinoError when it cannot run."""
    user, problem = problem, model_frame(problem)  # the frames of `solve` (hyperpino.pde.frame)
    ref = reference_for(problem)
    if ref is None:
        raise HyperpinoError("no reference solution available")
    row: dict = {"name": problem.name, "reference": "exact" if ref.method == "exact" else ref.method}

    t = time.perf_counter()
    ens = generate(model, problem)
    t_gen = time.perf_counter() - t

    evaluate = reference_evaluator(problem, ref, device, model.target.config)
    (refined,) = refine_many(model, [problem], [ens], kmax, evaluate=evaluate, seed=seed)
    hist = [dataclasses.replace(e, time=e.time + t_gen) for e in refined.history]
    row["zero_shot"] = _pick(hist[0])
    row["zero_shot"]["time"] = t_gen
    for k in KS:
        if k <= kmax:
            e = hist[min(k, len(hist) - 1)]
            row[f"k{k}"] = {**_pick(e), "steps_kept": e.step}
    row["refine_stopped"] = refined.stopped.code
    say(f"{problem.name}: zero-shot rel L2 {hist[0].rel_l2:.3e}; refinement kept {len(hist) - 1} of "
        f"{kmax} steps, rel L2 {hist[-1].rel_l2:.3e}")

    # Fine-tuning starts from the generated PINN with its own output layer, as the pipeline does
    # (see solver/pipeline.py: the least-squares layer's large coefficients destabilise Adam).
    t = time.perf_counter()
    raw = generate(model, problem, solve_output=False)
    start_time = t_gen + time.perf_counter() - t
    path = [(hist[0].time, hist[0].rel_l2)]
    cfg = scratch_config(budget, warmup=WARMUP, eval_every=eval_every, device=device.type, seed=seed)
    tuned = finetune_run(problem, raw, config=cfg, reference=ref)
    last = tuned.best or tuned.history[-1]
    total = start_time + tuned.train_time
    path += [(start_time + e.time, e.rel_l2) for e in tuned.history]
    row["finetuned"] = {**_pick(last), "time": total, "from_members": 1, "stopped": tuned.stopped.code}
    row["hypino_time_to_tol"] = _first_below(path, TOL)
    say(f"{problem.name}: fine-tuned {tuned.train_time:.1f} s -> rel L2 {last.rel_l2:.3e}; "
        f"PINN from scratch for {total:.1f} s ...")

    # the scratch PINN of `hyperpino solve --from-scratch` and `hyperpino baseline`: one trainer, one config
    cfg = scratch_config(total, eval_every=eval_every, device=device.type, seed=seed)
    scratch = fit_pinn(balanced(user), None, cfg, reference=ref, scale=tuned.scale)
    last = scratch.best or scratch.history[-1]
    row["scratch"] = {**_pick(last), "time": scratch.train_time}
    row["scratch_time_to_tol"] = _first_below([(e.time, e.rel_l2) for e in scratch.history], TOL)
    say(f"{problem.name}: from scratch rel L2 {last.rel_l2:.3e}")
    return row


def _pick(e) -> dict:
    return {"rel_l2": e.rel_l2, "mse": e.mse, "time": e.time}


def run_benchmark(*, model=None, quick: bool = False, out_dir: Path = Path("bench_out/hypino"),
                  device: str = "auto", only: list[str] | None = None, finetune_budget: float | None = None,
                  threads: int | None = 1, seed: int = 0,
                  progress: Callable[[str], None] | None = None) -> dict:
    """Run the table; writes ``benchmark.md`` and ``benchmark.json`` to ``out_dir``; returns the
    JSON document with the markdown under ``"markdown"``."""
    from hyperpino.pde.problem import build_problem

    say = progress or (lambda s: None)
    if threads:
        torch.set_num_threads(int(threads))
    dev = pick_device(device)
    source = BUNDLED if model is None else model
    if isinstance(source, (str, Path)):
        model = HyPINO.pretrained(source, device=dev)
    else:
        model = source.to(dev).train(False)
    kmax = 3 if quick else max(KS)
    budget = finetune_budget or (5.0 if quick else 60.0)
    paths = _examples()
    if only:
        known = {p.stem: p for p in paths}
        missing = [n for n in only if n not in known]
        if missing:
            raise HyperpinoError(f"bench hypino: --only: unknown example(s) {', '.join(missing)} "
                                 f"(known: {', '.join(known)})")
        paths = [known[n] for n in only]
    elif quick:
        paths = paths[: len(HYPINO_BENCHMARKS)]
    notes = []
    if quick:
        notes.append(f"--quick: refinement up to k = {kmax} (no k = 10), fine-tuning budget {budget:g} s, "
                     + ("the seven HyPINO benchmarks only" if not only else "selected examples"))
    rows, skipped = [], []
    t0 = time.perf_counter()
    for i, path in enumerate(paths, 1):
        say(f"[{i}/{len(paths)}] {path.name} ({time.perf_counter() - t0:.0f} s elapsed)")
        try:
            problem = build_problem(path)
            check_in_family(problem)
            rows.append(bench_problem(model, problem, kmax=kmax, budget=budget, device=dev, seed=seed,
                                      eval_every=50 if quick else 100, say=say))
        except HyperpinoError as err:
            skipped.append({"name": path.stem, "reason": str(err)})
            say(f"{path.stem}: skipped ({err})")
    settings = {"model": str(source) if not hasattr(source, "config") else "(in memory)",
                "device": str(dev), "threads": torch.get_num_threads(), "quick": quick, "kmax": kmax,
                "finetune_budget_s": budget, "finetune_from": "generated output layer", "tol": TOL,
                "seed": seed,
                "wall_time_s": time.perf_counter() - t0}
    doc = {"settings": settings, "rows": rows, "skipped": skipped, "notes": notes}
    doc["markdown"] = markdown(doc)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    body = {k: v for k, v in doc.items() if k != "markdown"}
    write_text_atomic(out / "benchmark.json", json.dumps(body, indent=1, default=_json_default))
    write_text_atomic(out / "benchmark.md", doc["markdown"] + "\n")
    say(f"wrote {out / 'benchmark.md'} and {out / 'benchmark.json'}")
    return doc


def markdown(doc: dict) -> str:
    """The tables: relative L2, MSE, and times."""
    s, rows = doc["settings"], doc["rows"]
    ks = [k for k in KS if k <= s["kmax"]]
    head = ["problem", "zero-shot", *[f"k = {k}" for k in ks],
            f"fine-tuned ({s['finetune_budget_s']:g} s)", "PINN from scratch (same time)"]
    out = [f"HyPINO benchmark — model {s['model']}, {s['device']}, {s['threads']} thread(s), "
           f"{s['wall_time_s']:.0f} s", ""]
    for metric, title in (("rel_l2", "Relative L2 error"), ("mse", "MSE")):
        out += [f"**{title}** against the reference (exact where the spec has one, else FEM)", "",
                "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in rows:
            cells = [r["name"], _f(r["zero_shot"].get(metric))]
            cells += [_f(r[f"k{k}"].get(metric)) for k in ks]
            cells += [_f(r["finetuned"].get(metric)), _f(r["scratch"].get(metric))]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    out += [f"**Time** (training wall time, evaluation excluded) and time to relative L2 ≤ {TOL:g}", "",
            "| problem | HyPINO total | HyPINO to tol | scratch to tol | refinement steps kept |",
            "|---|---|---|---|---|"]
    for r in rows:
        kept = max(r[f"k{k}"]["steps_kept"] for k in ks) if ks else 0
        why = " (then no gain)" if r["refine_stopped"] == StopReason.NO_GAIN.code else ""
        out.append(f"| {r['name']} | {r['finetuned']['time']:.1f} s | {_t(r['hypino_time_to_tol'])} | "
                   f"{_t(r['scratch_time_to_tol'])} | {kept} of {s['kmax']}{why} |")
    out.append("")
    out.append("Zero-shot and refinement use the least-squares output layer; fine-tuning starts from the "
               "generated PINN with its own output layer; the PINN from scratch gets the HyPINO path's total "
               "time with the same trainer settings.")
    for note in doc["notes"]:
        out.append(f"Note: {note}")
    for sk in doc["skipped"]:
        out.append(f"Skipped {sk['name']}: {sk['reason']}")
    return "\n".join(out)


def _f(v) -> str:
    return "–" if v is None or not math.isfinite(v) else f"{v:.2e}"


def _t(v) -> str:
    return "not reached" if v is None else f"{v:.1f} s"


def _json_default(v):
    return float(v) if hasattr(v, "__float__") else str(v)


def _number(text: str | float | None, option: str, cast: type, minimum: float) -> float | int | None:
    if text is None:
        return None
    try:
        value = cast(text)
    except ValueError:
        raise HyperpinoError(f"bench hypino: {option} must be a number, got {text!r}") from None
    if not (math.isfinite(value) and value >= minimum):
        raise HyperpinoError(f"bench hypino: {option} must be at least {minimum:g}, got {text!r}")
    return value


def run(quick: bool, out_dir: Path, *, device: str | None = None, model: str | None = None,
        only: str | None = None, budget: str | None = None, threads: str | None = None) -> dict:
    """``hyperpino bench hypino``: the table as markdown on stderr, the figures as the returned dict
    (the CLI prints it as the last line); ``benchmark.md`` and ``benchmark.json`` in ``out_dir``.

    Options are command-line strings: ``--model PATH``, ``--only a,b`` (example file stems),
    ``--budget SECONDS`` of fine-tuning per problem, ``--threads N`` (0 keeps torch's default).
    """
    import sys

    from hyperpino.bench._timing import bench_device

    device = bench_device("hypino", device)
    if model is not None and not Path(model).is_file():
        raise HyperpinoError(f"bench hypino: --model: no such file {model}")
    names = [n.strip() for n in only.split(",") if n.strip()] if only else None
    say = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    doc = run_benchmark(model=model, quick=quick, out_dir=out_dir, device=device, only=names,
                        finetune_budget=_number(budget, "--budget", float, 1e-3),
                        threads=_number(threads, "--threads", int, 0) if threads is not None else 1,
                        progress=say)
    say(doc["markdown"])
    return json.loads(json.dumps({k: v for k, v in doc.items() if k != "markdown"}, default=_json_default))
