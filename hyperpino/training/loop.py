"""Training HyPINO (Bischof et al. 2025, arXiv 2509.05117) on manufactured problems, resumably.

One optimizer step: ``accumulate`` micro-batches of problems (:mod:`hyperpino.training.data`);
a share of each replaced by the error problem of the model's own current answer (the delta step
refinement asks for); normalisation by linearity; the mixed-supervision loss
(:mod:`hyperpino.training.loss`); AdamW (fused on CUDA) with warm-up and cosine decay over the steps
or, with ``time_budget``, over elapsed time (:mod:`hyperpino.training.clock`); gradient
clipping. ``init`` warm-starts from other weights. Under ``torchrun`` the model is wrapped in DDP
and every rank draws its own samples. The output folder holds:

- ``state.safetensors``: model + optimizer + step, written every ``checkpoint_every`` steps and
  whenever ``checkpoint_seconds`` of wall time passed since the last one (so a ``kill -9`` loses at
  most that); a run started again with the same ``--out`` resumes from it and continues exactly;
- ``best.safetensors``: the model with the lowest validation error so far (``HyPINO.load``);
- ``last.safetensors``: the model at the last checkpoint; ``model.safetensors``: the best (else
  last) weights packed to float16 when the run ends; ``log.jsonl``: one JSON line per step and
  per validation.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from hyperpino.devices import pick_device
from hyperpino.errors import CheckpointError, HyperpinoError
from hyperpino.files import write_text_atomic
from hyperpino.model.checkpoint import preset_differences
from hyperpino.model.hypino import HyPINO
from hyperpino.model.presets import HyPINOConfig
from hyperpino.training.batch import TrainBatch
from hyperpino.training.clock import TrainClock
from hyperpino.training.config import TrainConfig
from hyperpino.training.data import StepBatches, step_loader
from hyperpino.training.loss import hypino_loss
from hyperpino.training.state import load_state, save_state

# Settings that may change between a run and its resumption. All but `steps` leave what is computed
# unchanged; a new `steps` stretches the cosine schedule from the current step on (docs/training.md).
_RESUMABLE = {"steps", "validate_every", "checkpoint_every", "workers", "time_budget", "checkpoint_seconds",
              "log_every", "init"}


class TrainingDiverged(HyperpinoError):
    """The loss or the gradient became NaN/Inf; the message names the last good state."""


def _hardware(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"


class Trainer:
    """``Trainer(cfg, out, model_overrides, mms_overrides).run()``; see the module docstring."""

    def __init__(self, cfg: TrainConfig, out: str | Path, *, model_overrides: dict | None = None,
                 mms_overrides: dict | None = None, device: str = "auto", progress: bool = True,
                 log=print, started: float | None = None):
        from hyperpino.mms.config import config_from_mapping

        self.cfg, self.out = cfg, Path(out)
        self.model_overrides, self.mms_overrides = dict(model_overrides or {}), dict(mms_overrides or {})
        self.rank, self.world = int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))
        self.device = pick_device(device)
        if self.world > 1 and self.device.type == "cuda":
            self.device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        self.progress, self.log = progress and self.rank == 0, log
        torch.manual_seed(cfg.seed)
        arch = {**HyPINOConfig.preset(cfg.preset).to_dict(), **self.model_overrides}
        config = HyPINOConfig.from_dict(arch)
        # The preset label is a claim about the architecture that loading checks: [model] overrides
        # that change a shape make a custom architecture (no label).
        label = None if preset_differences(cfg.preset, config) else cfg.preset
        self.model = HyPINO(config, preset=label).to(self.device)
        grid = self.model.config.grid
        mms = {"physics_fraction": cfg.physics_fraction, **self.mms_overrides, "grid": grid,
               "n_interior": cfg.n_interior, "n_boundary": cfg.n_boundary}
        self.mms_cfg = config_from_mapping(mms, where="mms")
        cuda = self.device.type == "cuda"
        if cuda:  # the PINN derivatives are float32 matrix products of width 32: TF32 is plenty
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr, betas=(0.9, 0.999),
                                     weight_decay=cfg.weight_decay, fused=cuda or None)
        self.step, self.best, self.wall, self.last_saved = 0, math.inf, 0.0, None
        self.elapsed, self.wall_saved, self.last_validated, self.last_loss = 0.0, 0.0, None, math.nan
        self.stages: list[dict[str, Any]] = []  # earlier training stages of the warm-start weights
        self.clock = TrainClock(cfg.time_budget, started)
        self.saved_at = time.monotonic()  # wall clock of the last checkpoint (or of the start)
        self.validator = None

    # ------------------------------------------------------------------------------- state
    def _meta(self) -> dict[str, Any]:
        return {"step": self.step, "best": self.best, "wall_time": self.wall, "world_size": self.world,
                "elapsed": self.clock.elapsed(), "stages": self.stages,
                "train": self.cfg.model_dump(mode="json"), "model": self.model_overrides,
                "mms": self.mms_overrides}

    def provenance(self) -> dict[str, Any]:
        """What a checkpoint records of its training: this stage and, for a warm start, the stages
        of the weights it started from (``stages``; samples add up in ``cumulative_samples``)."""
        samples = self.step * self.cfg.samples_per_step * self.world
        stage = {"steps": self.step, "samples": samples, "wall_time_s": round(self.wall, 1),
                 "hardware": _hardware(self.device), "processes": self.world, "init": self.cfg.init,
                 "best_validation_gmean_rel_l2": self.best if math.isfinite(self.best) else None,
                 "date": time.strftime("%Y-%m-%d %H:%M:%S")}
        return {**stage, "torch": torch.__version__, "seed": self.cfg.seed,
                "train": self.cfg.model_dump(mode="json"), "mms": self.mms_cfg.model_dump(mode="json"),
                "stages": [*self.stages, stage],
                "cumulative_samples": sum(s.get("samples", 0) for s in self.stages) + samples}

    def _warm_start(self, init: str) -> None:
        """Load the weights of ``init`` (``bundled`` or a checkpoint path); the optimizer stays fresh."""
        from hyperpino.model.checkpoint import read_metadata
        from hyperpino.model.hypino import BUNDLED

        path = BUNDLED if init == "bundled" else Path(init)
        if not path.is_file():
            raise CheckpointError(f"--init {init}: no such checkpoint")
        self.model.load_weights(path)
        prov = read_metadata(path).get("provenance") or {}
        earlier = prov.get("stages")
        if not earlier:  # a checkpoint from before stages were recorded: it is one stage
            earlier = [{k: prov.get(k) for k in ("steps", "samples", "wall_time_s", "hardware", "processes",
                                                  "best_validation_gmean_rel_l2", "date")}]
        self.stages = list(earlier)
        if self.rank == 0:
            self.log(f"warm start from {path} ({sum(s.get('samples') or 0 for s in earlier):,} samples "
                     "seen before)")

    def resume(self) -> bool:
        """Load ``out/state.safetensors`` if present; True when a run was resumed."""
        path = self.out / "state.safetensors"
        if not path.exists():
            return False
        meta = load_state(path, self.model, self.opt)
        old, new = meta["train"], self.cfg.model_dump(mode="json")
        changed = sorted(k for k in new if k not in _RESUMABLE and not _same(old.get(k), new[k]))
        if changed or meta["model"] != self.model_overrides or meta["mms"] != self.mms_overrides:
            what = ", ".join(changed) or "model/mms settings"
            raise CheckpointError(f"{path}: this run was started with other settings ({what}); "
                                  "resume with the same settings or use another --out")
        if meta["world_size"] != self.world:
            raise CheckpointError(f"{path}: started with {meta['world_size']} processes, now {self.world}")
        self.step, self.best, self.wall = meta["step"], meta["best"], meta["wall_time"]
        self.elapsed, self.stages = meta.get("elapsed", self.wall), meta.get("stages", [])
        self.last_saved, self.wall_saved = self.step, self.wall
        if self.rank == 0:
            _truncate_log(self.out / "log.jsonl", self.step)
            for tmp in self.out.glob(".*.tmp"):  # write_atomic's temporaries of a killed save
                tmp.unlink(missing_ok=True)
        return True

    def _checkpoint(self) -> None:
        t0 = time.monotonic()
        # Never overwrite the last good state with bad weights (the loss is read back only once per
        # log line, so check the weights themselves here; all ranks, as the check all-reduces).
        self._check_finite(torch.stack([p.detach().abs().amax() for p in self.model.parameters()]),
                           "model's weights")
        if self.rank == 0:
            save_state(self.out / "state.safetensors", self.model, self.opt, self._meta())
            self.model.save(self.out / "last.safetensors", provenance=self.provenance())
        self.last_saved, self.wall_saved = self.step, self.wall
        self.saved_at = time.monotonic()
        self.clock.save_s = self.saved_at - t0

    def _validate(self) -> dict[str, float] | None:
        if self.validator is None:
            return None
        t0 = time.monotonic()
        val = self.validator(self.model)
        self.last_validated = self.step
        improved = "gmean" in val and val["gmean"] < self.best
        if improved:
            self.best = val["gmean"]
            self.model.save(self.out / "best.safetensors", provenance=self.provenance())
        self._write({"step": self.step, "validation": val, "best": improved,
                     "time": round(self.clock.elapsed(), 3)})
        self.clock.validate_s = time.monotonic() - t0
        return val

    def _pack(self) -> Path | None:
        """``model.safetensors``: the best validated weights (else the last) in float16."""
        from hyperpino.model.checkpoint import pack

        if self.rank != 0:
            return None
        src = self.out / "best.safetensors"
        src = src if src.exists() else self.out / "last.safetensors"
        dst = self.out / "model.safetensors"
        pack(src, dst, note={"packed_from": src.name})
        return dst

    def _write(self, entry: dict) -> None:
        if self.rank == 0:
            with open(self.out / "log.jsonl", "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")

    # -------------------------------------------------------------------------------- step
    def loss(self, net, batch: TrainBatch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The loss of one (micro-)batch; ``net`` is the model or its DDP wrapper."""
        model = self.model
        k = round(self.cfg.refine_fraction * len(batch)) if not self.cfg.data else 0
        if k:
            first, rest = batch.split(k)
            with torch.no_grad():
                # The answer refinement would see: inference mode (no stochastic depth).
                model.train(False)
                try:
                    theta, scale = model.predict(first.inputs, check=False)
                finally:
                    model.train(True)
                theta = {n: v.float() for n, v in theta.items()}

                def derivs(points, order):
                    return model.target.derivatives(theta, points, order=order, scale=scale)

                first = first.error_problem(derivs)
            batch = TrainBatch.cat([first, rest])
        images, coeffs, targets = batch.normalised()
        amp = self.cfg.amp and self.device.type == "cuda"
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
            theta = net(images, coeffs, check=False)
        return hypino_loss(theta, model.target, targets, self.cfg.weights.loss_weights())

    def _check_finite(self, value: torch.Tensor, what: str) -> None:
        bad = (~torch.isfinite(value)).float().reshape(-1).amax().reshape(1)
        if self.world > 1:  # every rank must stop together
            dist.all_reduce(bad)
        if bad.item() > 0:
            where = ("none (no checkpoint was written yet)" if self.last_saved is None
                     else f"{self.out / 'state.safetensors'} (step {self.last_saved})")
            raise TrainingDiverged(f"training diverged: the {what} is not finite at step {self.step}; "
                                   f"last good state: {where}; lower --lr or raise grad_clip's strictness")

    def _step(self, net, batch: TrainBatch) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """One optimizer step over ``cfg.accumulate`` micro-batches; values stay on the device."""
        cfg = self.cfg
        self.opt.zero_grad(set_to_none=True)
        micro = batch.chunks(cfg.batch_size)
        total, parts = 0.0, {}
        for i, mb in enumerate(micro):
            # DDP: all-reduce the gradients once, after the last micro-batch.
            sync = nullcontext() if i == len(micro) - 1 or self.world == 1 else net.no_sync()
            with sync:
                loss, terms = self.loss(net, mb)
                (loss * (len(mb) / len(batch))).backward()
            total = total + loss.detach() * (len(mb) / len(batch))
            for k, v in terms.items():
                parts[k] = parts.get(k, 0.0) + v * (len(mb) / len(batch))
        gnorm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
        self.opt.step()
        return total, gnorm.detach(), parts

    # --------------------------------------------------------------------------------- run
    def run(self, *, max_steps: int | None = None) -> dict[str, Any]:
        """Train until ``cfg.steps`` (or, with ``cfg.time_budget``, until the budget is nearly
        used), or ``max_steps`` more steps; then validate, checkpoint and pack ``model.safetensors``
        (float16). Returns a summary."""
        from torch.nn.parallel import DistributedDataParallel as DDP

        from hyperpino.training.validation import Validator

        cfg = self.cfg
        self.out.mkdir(parents=True, exist_ok=True)
        resumed = self.resume()
        if not resumed and cfg.init:
            self._warm_start(cfg.init)
        self.clock.elapsed_before = self.elapsed
        budgeted = cfg.time_budget is not None
        stop = (10**12 if budgeted else cfg.steps) if max_steps is None else self.step + max_steps
        if not budgeted:
            stop = min(stop, cfg.steps)
        if self.rank == 0 and (cfg.validation or cfg.heldout):
            self.validator = Validator(cfg.validation, self.model.config.grid, heldout=cfg.heldout)
        net = self.model
        if self.world > 1:
            net = DDP(self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        self.model.train()
        batches = StepBatches(self.mms_cfg, seed=cfg.seed, batch_size=cfg.samples_per_step, start=self.step,
                              data=cfg.data)
        data = step_loader(batches, cfg.workers, pin_memory=self.device.type == "cuda")
        bar = self._bar(budgeted)
        if resumed and self.rank == 0:
            self.log(f"resumed from {self.out / 'state.safetensors'} at step {self.step}")
        t_run = time.perf_counter()
        self.saved_at = time.monotonic()
        last_val: dict[str, float] | None = None
        if self.step == 0 and self.validator is not None:
            last_val = self._validate()  # the starting point (and the time a validation takes)
        window: list[tuple] = []
        t_log = time.perf_counter()
        stopped = "steps"
        try:
            while self.step < stop:
                if self._sync_flag(self.clock.must_stop()):
                    stopped = "time budget"
                    break
                t0 = time.perf_counter()
                step, batch = next(data)
                assert step == self.step, (step, self.step)
                t_data = time.perf_counter() - t0
                # Random draws of a step (stochastic depth) depend on (seed, step, rank) only, so a
                # resumed run draws what an uninterrupted one would.
                torch.manual_seed((cfg.seed * 1_000_003 + self.step) * 4099 + self.rank)
                frac = self.clock.progress() if budgeted else None
                lr = cfg.lr_at_fraction(frac) if budgeted else cfg.lr_at(self.step)
                for group in self.opt.param_groups:
                    group["lr"] = lr
                loss, gnorm, parts = self._step(net, batch.to(self.device, non_blocking=True))
                self.step += 1
                window.append((loss, gnorm, parts, lr, t_data))
                if len(window) >= cfg.log_every or self.step == stop:
                    # The only read-back from the device between validations (CUDA: one sync per log line).
                    self._log_window(window, time.perf_counter() - t_log)
                    window, t_log = [], time.perf_counter()
                dt = time.perf_counter() - t0
                # A session's first wait for data includes starting the workers: not a step's cost.
                self.clock.record_step(dt - t_data if self.clock.step_s is None else dt)
                self.wall += dt
                if self.step % cfg.validate_every == 0:
                    last_val = self._validate()
                # Wall time, validations included: what a kill would lose (agreed by all ranks).
                due = time.monotonic() - self.saved_at >= cfg.checkpoint_seconds
                if self.step % cfg.checkpoint_every == 0 or self._sync_flag(due):
                    self._checkpoint()
                if bar is not None:
                    bar.update(self.clock.progress() * 100 - bar.n if budgeted else 1)
                    post = {"step": self.step, "loss": f"{self.last_loss:.3g}"} if budgeted else \
                        {"loss": f"{self.last_loss:.3g}"}
                    if last_val and "gmean" in last_val:
                        post["val"] = f"{last_val['gmean']:.3g}"
                    bar.set_postfix(post)
            if window:
                self._log_window(window, time.perf_counter() - t_log)
            if self.validator is not None and self.last_validated != self.step:
                last_val = self._validate()
            if self.last_saved != self.step:
                self._checkpoint()
            packed = self._pack()
        finally:
            if bar is not None:
                bar.close()
        best = self.best if math.isfinite(self.best) else None
        return {"step": self.step, "stopped": stopped, "best": best, "last_validation": last_val,
                "samples": self.step * cfg.samples_per_step * self.world, "wall_time_s": self.wall,
                "run_time_s": time.perf_counter() - t_run, "elapsed_s": self.clock.elapsed(),
                "model": str(packed) if packed else None}

    def _bar(self, budgeted: bool):
        if not self.progress:
            return None
        from tqdm import tqdm

        if budgeted:
            return tqdm(total=100, initial=round(self.clock.progress() * 100), desc="train",
                        unit="% of budget", dynamic_ncols=True,
                        bar_format="{l_bar}{bar}| {n:.0f}/100% [{elapsed}<{remaining}{postfix}]")
        return tqdm(total=self.cfg.steps, initial=self.step, desc="train", unit="step", dynamic_ncols=True)

    def _sync_flag(self, flag: bool) -> bool:
        """``flag`` agreed by all ranks (any rank's True wins), so they stop at the same step."""
        if self.world == 1:
            return flag
        t = torch.tensor([float(flag)], device=self.device if self.device.type == "cuda" else "cpu")
        dist.all_reduce(t)
        return bool(t.item() > 0)

    def _log_window(self, window: list[tuple], seconds: float) -> None:
        """Check and write the log lines of the steps in ``window`` (one device read-back)."""
        losses = torch.stack([w[0] for w in window])
        gnorms = torch.stack([w[1] for w in window])
        names = list(window[0][2])
        parts = torch.stack([torch.stack([w[2][k] for k in names]) for w in window])
        self._check_finite(torch.cat([losses, gnorms]), "loss or gradient norm")
        losses, gnorms, parts = losses.tolist(), gnorms.tolist(), parts.tolist()
        first = self.step - len(window) + 1
        rate = len(window) * self.cfg.samples_per_step * self.world / max(seconds, 1e-9)
        for i, (_, _, _, lr, t_data) in enumerate(window):
            self._write({"step": first + i, "loss": losses[i], "lr": lr, "grad_norm": gnorms[i],
                         "time": round(self.clock.elapsed(), 3), "data_s": round(t_data, 4),
                         "samples_per_s": rate, **dict(zip(names, parts[i], strict=True))})
        self.last_loss = losses[-1]


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _truncate_log(path: Path, step: int) -> None:
    """Drop log lines past ``step`` (written after the state being resumed was saved)."""
    if not path.exists():
        return
    keep = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:  # the line a kill cut short
            continue
        if entry.get("step", 0) <= step:
            keep.append(line)
    write_text_atomic(path, "".join(line + "\n" for line in keep))
