"""Training HyPINO (Bischof et al. 2025, arXiv 2509.05117) on manufactured problems, resumably.

One optimizer step: a batch of problems (:mod:`hyperpino.model.train_data`); a share of them
replaced by the error problem of the model's own current answer (the delta step refinement asks
for); normalisation by linearity; the mixed-supervision loss (:mod:`hyperpino.model.loss`); AdamW
with warm-up and cosine decay, gradient clipping. Under ``torchrun`` the model is wrapped in DDP and
every rank draws its own samples. The output folder holds:

- ``state.safetensors``: model + optimizer + step, written every ``checkpoint_every`` steps; a
  run started again with the same ``--out`` resumes from it and continues exactly;
- ``best.safetensors``: the model with the lowest validation error so far (``HyPINO.load``);
- ``last.safetensors``: the model at the last checkpoint; ``log.jsonl``: one JSON line per step
  and per validation.
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from hyperpino.errors import CheckpointError, HyperpinoError
from hyperpino.model.hypino import HyPINO
from hyperpino.model.loss import hypino_loss
from hyperpino.model.presets import HyPINOConfig
from hyperpino.model.train_batch import TrainBatch
from hyperpino.model.train_config import TrainConfig
from hyperpino.model.train_data import StepBatches, step_loader
from hyperpino.model.train_state import load_state, save_state
from hyperpino.pde.trainer import pick_device

# Settings that may change between a run and its resumption. All but `steps` leave what is computed
# unchanged; a new `steps` stretches the cosine schedule from the current step on (docs/training.md).
_RESUMABLE = {"steps", "validate_every", "checkpoint_every", "workers"}


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
                 log=print):
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
        self.model = HyPINO(HyPINOConfig.from_dict(arch), preset=cfg.preset).to(self.device)
        grid = self.model.config.grid
        mms = {"physics_fraction": cfg.physics_fraction, **self.mms_overrides, "grid": grid,
               "n_interior": cfg.n_interior, "n_boundary": cfg.n_boundary}
        self.mms_cfg = config_from_mapping(mms, where="mms")
        self.opt = torch.optim.AdamW(self.model.parameters(), lr=cfg.lr, betas=(0.9, 0.999),
                                     weight_decay=cfg.weight_decay)
        self.step, self.best, self.wall, self.last_saved = 0, math.inf, 0.0, None
        self.validator = None

    # ------------------------------------------------------------------------------- state
    def _meta(self) -> dict[str, Any]:
        return {"step": self.step, "best": self.best, "wall_time": self.wall, "world_size": self.world,
                "train": self.cfg.model_dump(mode="json"), "model": self.model_overrides,
                "mms": self.mms_overrides}

    def provenance(self) -> dict[str, Any]:
        return {"steps": self.step, "samples": self.step * self.cfg.batch_size * self.world,
                "wall_time_s": round(self.wall, 1), "hardware": _hardware(self.device),
                "processes": self.world, "torch": torch.__version__, "seed": self.cfg.seed,
                "best_validation_gmean_rel_l2": self.best, "train": self.cfg.model_dump(mode="json"),
                "mms": self.mms_cfg.model_dump(mode="json"),
                "date": time.strftime("%Y-%m-%d %H:%M:%S")}

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
        self.last_saved = self.step
        if self.rank == 0:
            _truncate_log(self.out / "log.jsonl", self.step)
        return True

    def _checkpoint(self) -> None:
        if self.rank == 0:
            save_state(self.out / "state.safetensors", self.model, self.opt, self._meta())
            self.model.save(self.out / "last.safetensors", provenance=self.provenance())
        self.last_saved = self.step

    def _write(self, entry: dict) -> None:
        if self.rank == 0:
            with open(self.out / "log.jsonl", "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")

    # -------------------------------------------------------------------------------- step
    def loss(self, net, batch: TrainBatch) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The loss of one batch; ``net`` is the model or its DDP wrapper."""
        model = self.model
        k = round(self.cfg.refine_fraction * len(batch)) if not self.cfg.data else 0
        if k:
            first, rest = batch.split(k)
            with torch.no_grad():
                # The answer refinement would see: inference mode (no stochastic depth).
                model.train(False)
                try:
                    theta, scale = model.predict(first.inputs)
                finally:
                    model.train(True)
                theta = {n: v.float() for n, v in theta.items()}

                def derivs(points, order):
                    return model.target.derivatives(theta, points, order=order, scale=scale)

                first = first.error_problem(derivs)
            self._check_finite(first.inputs.images.abs().amax(), "model's answer (refinement input)")
            batch = TrainBatch.cat([first, rest])
        images, coeffs, targets = batch.normalised()
        amp = self.cfg.amp and self.device.type == "cuda"
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
            theta = net(images, coeffs)
        return hypino_loss(theta, model.target, targets, self.cfg.weights.loss_weights())

    def _check_finite(self, value: torch.Tensor, what: str) -> None:
        bad = (~torch.isfinite(value)).float().reshape(1)
        if self.world > 1:  # every rank must stop together
            dist.all_reduce(bad)
        if bad.item() > 0:
            where = ("none (no checkpoint was written yet)" if self.last_saved is None
                     else f"{self.out / 'state.safetensors'} (step {self.last_saved})")
            raise TrainingDiverged(f"training diverged: the {what} is not finite at step {self.step}; "
                                   f"last good state: {where}; lower --lr or raise grad_clip's strictness")

    # --------------------------------------------------------------------------------- run
    def run(self, *, max_steps: int | None = None) -> dict[str, Any]:
        """Train until ``cfg.steps`` (or ``max_steps`` more steps); returns a summary."""
        from torch.nn.parallel import DistributedDataParallel as DDP

        from hyperpino.model.validation import Validator

        cfg = self.cfg
        self.out.mkdir(parents=True, exist_ok=True)
        resumed = self.resume()
        stop = cfg.steps if max_steps is None else min(cfg.steps, self.step + max_steps)
        if self.rank == 0 and cfg.validation:
            self.validator = Validator(cfg.validation, self.model.config.grid)
        net = self.model
        if self.world > 1:
            net = DDP(self.model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        self.model.train()
        batches = StepBatches(self.mms_cfg, seed=cfg.seed, batch_size=cfg.batch_size, start=self.step,
                              data=cfg.data)
        data = step_loader(batches, cfg.workers)
        bar = None
        if self.progress:
            from tqdm import tqdm

            bar = tqdm(total=cfg.steps, initial=self.step, desc="train", unit="step", dynamic_ncols=True)
        if resumed and self.rank == 0:
            self.log(f"resumed from {self.out / 'state.safetensors'} at step {self.step}")
        t_run = time.perf_counter()
        last_val: dict[str, float] | None = None
        try:
            while self.step < stop:
                t0 = time.perf_counter()
                step, batch = next(data)
                assert step == self.step, (step, self.step)
                t_data = time.perf_counter() - t0
                # Random draws of a step (stochastic depth) depend on (seed, step, rank) only, so a
                # resumed run draws what an uninterrupted one would.
                torch.manual_seed((cfg.seed * 1_000_003 + self.step) * 4099 + self.rank)
                lr = cfg.lr_at(self.step)
                for group in self.opt.param_groups:
                    group["lr"] = lr
                loss, parts = self.loss(net, batch.to(self.device))
                self._check_finite(loss.detach(), "loss")
                self.opt.zero_grad(set_to_none=True)
                loss.backward()
                gnorm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
                self._check_finite(gnorm.detach(), "gradient norm")
                self.opt.step()
                self.step += 1
                dt = time.perf_counter() - t0
                entry = {"step": self.step, "loss": loss.item(), "lr": lr, "grad_norm": gnorm.item(),
                         "time": round(self.wall + dt, 3), "data_s": round(t_data, 4),
                         "samples_per_s": cfg.batch_size * self.world / dt,
                         **{k: v.item() for k, v in parts.items()}}
                self._write(entry)
                if self.step % cfg.validate_every == 0 or self.step == stop:
                    last_val = self._validate()
                self.wall += time.perf_counter() - t0  # wall time includes validation, not checkpoints
                if self.step % cfg.checkpoint_every == 0 or self.step == stop:
                    self._checkpoint()
                if bar is not None:
                    bar.update(1)
                    post = {"loss": f"{entry['loss']:.3g}"}
                    if last_val:
                        post["val"] = f"{last_val['gmean']:.3g}"
                    bar.set_postfix(post)
        finally:
            if bar is not None:
                bar.close()
        best = self.best if math.isfinite(self.best) else None
        return {"step": self.step, "best": best, "last_validation": last_val,
                "wall_time_s": self.wall, "run_time_s": time.perf_counter() - t_run}

    def _validate(self) -> dict[str, float] | None:
        if self.validator is None:
            return None
        val = self.validator(self.model)
        improved = val["gmean"] < self.best
        if improved:
            self.best = val["gmean"]
            self.model.save(self.out / "best.safetensors", provenance=self.provenance())
        self._write({"step": self.step, "validation": val, "best": improved, "time": round(self.wall, 3)})
        return val


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
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(line + "\n" for line in keep), encoding="utf-8")
    os.replace(tmp, path)
