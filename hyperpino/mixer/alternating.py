"""Training: proximal alternating minimisation of contexts and model, with periodic gate updates.

NCF's scheme (Nzoyem et al. 2024), as MixER uses it (Nzoyem et al. 2025): each outer step
snapshots the contexts Ξ and the model θ, then takes ``ctx_steps`` Adam steps on
``L + β_ξ/2 · mean((Ξ − Ξ_old)²)`` and ``model_steps`` steps on ``L + β_θ/2 · mean((θ − θ_old)²)``.
``L`` is the mean over environments of each environment's MSE over (trajectories × times × dims).
The MixER gate (``gate="lsq"``) is refitted every ``gate_every`` inner steps by
:func:`~hyperpino.mixer.gate.gate_update`; the naive mixture (``gate="softmax"``) trains its gate
with the model and adds a Switch-style load-balancing loss ``M · Σ_j f_j P_j`` (Fedus et al. 2022).
``self_reweight`` weighs the environment losses by ``softmax(L_e)`` (the reference's LV/SM/GO runs).

``warmup``: for this fraction of the outer steps every environment is routed to expert 0 (one
meta-learner for all); then every expert is cloned from it and the gate updates start. The
reference gets the same effect by accident: its contexts start at zero, so K-means has empty
clusters and the update is skipped until the contexts have spread under the initial routing. Doing
it on purpose means the first K-means sees contexts that were all learnt by one network, in one
coordinate system, so clusters follow the dynamics instead of the random initial routing.
Full batch over environments (the suites are small). Interrupted runs resume from the last
checkpoint (RNG streams restart at the checkpointed step).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import Tensor

from hyperpino.errors import CheckpointError, SpecError
from hyperpino.mixer import checkpoint
from hyperpino.mixer.dataset import Split
from hyperpino.mixer.gate import gate_update
from hyperpino.mixer.metrics import mse_per_env, to_tensor
from hyperpino.mixer.mixture import MixER, MixERConfig


@dataclass(frozen=True)
class MixerTrainConfig:
    """Optimisation settings (defaults: small and CPU-friendly; the reference uses 1500 × (12, 12))."""

    outer_steps: int = 100
    ctx_steps: int = 12
    model_steps: int = 12
    lr_model: float = 1e-3
    lr_ctx: float = 1e-2
    prox_ctx: float = 10.0
    prox_model: float = 10.0
    lr_decay: bool = True
    """Model learning rate × 0.4 at 1/3 and at 2/3 of training (the reference's schedule)."""
    gate_every: int = 12
    gate_trajs: int = 1
    """Trajectories per environment in the gate update's expert × environment loss matrix."""
    gate_lambda: float = 1e-3
    gate_stay: float = 0.05
    """Hysteresis of the cluster -> expert assignment (relative cost advantage needed to switch)."""
    gate_restarts: int = 1
    """k-means++ seedings of the first (cold-start) K-means; the lowest inertia is kept."""
    balance_weight: float = 1e-2
    ctx_l1: float = 0.0
    self_reweight: bool = False
    warmup: float = 0.0
    """Fraction of outer steps with one shared expert before the gate updates start (see above)."""
    checkpoint_every: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("outer_steps", "gate_every", "gate_trajs", "gate_restarts", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise SpecError(f"train.{name}", f"must be >= 1, got {getattr(self, name)}")
        if self.ctx_steps < 0 or self.model_steps < 1:
            raise SpecError("train", "need ctx_steps >= 0 and model_steps >= 1")
        if not 0 <= self.warmup < 1:
            raise SpecError("train.warmup", f"must be in [0, 1), got {self.warmup}")


class Trainer:
    """Trains ``model`` on ``data`` (a training :class:`Split`); ``ckpt_dir``: checkpoints and resume."""

    def __init__(self, model: MixER, data: Split, cfg: MixerTrainConfig, device: str = "cpu",
                 ckpt_dir: str | Path | None = None, on_gate: Callable[[dict], None] | None = None):
        if model.contexts.shape[0] != data.n_envs:
            raise SpecError("train", f"model has {model.contexts.shape[0]} contexts, data {data.n_envs} envs")
        self.model, self.cfg, self.device = model.to(device), cfg, device
        self.ys = to_tensor(data.X, device)  # (E, N, T, d)
        self.y0 = self.ys[:, :, 0]
        self.tau = to_tensor(data.tau, device)
        self.span = to_tensor(data.span, device)
        self.ckpt_dir = Path(ckpt_dir) if ckpt_dir is not None else None
        self.opt_model = torch.optim.Adam(model.model_parameters(), lr=cfg.lr_model)
        self.opt_ctx = torch.optim.Adam([model.contexts], lr=cfg.lr_ctx)
        self.step = 0  # outer steps done
        self.inner = 0
        self.history: list[dict] = []
        self.gate_seconds = 0.0
        self.train_seconds = 0.0
        self.gate_updates = 0
        self.cloned = False
        self._kmeans_state: tuple = (None, None)  # previous centroids and their experts (warm start)
        self.on_gate = on_gate
        """Called after every gate update with its statistics (diagnostic plots, traces)."""

    @property
    def warming(self) -> bool:
        """True while every environment is routed to expert 0 (``cfg.warmup``, MixER only)."""
        return (self.model.cfg.gate == "lsq" and self.model.n_experts > 1
                and self.step < self.cfg.warmup * self.cfg.outer_steps)

    # ------------------------------------------------------------------------------------ loss
    def loss(self) -> tuple[Tensor, Tensor]:
        """Training objective and the per-environment MSE ``(E,)``."""
        m = self.model
        routes = self.ys.new_zeros(self.ys.shape[0], dtype=torch.long) if self.warming else None
        pred = m.simulate(m.contexts, self.y0, self.tau, self.span, routes=routes)
        per_env = mse_per_env(pred, self.ys)
        if self.cfg.self_reweight:  # no stop-gradient through the weights, as in the reference
            loss = (torch.softmax(per_env, 0) * per_env).sum()
        else:
            loss = per_env.mean()
        if self.cfg.ctx_l1:
            loss = loss + self.cfg.ctx_l1 * m.contexts.abs().mean()
        if m.cfg.gate == "softmax" and self.cfg.balance_weight:
            probs = torch.softmax(m.logits(m.contexts), dim=1)  # (E, M)
            frac = torch.bincount(probs.argmax(1), minlength=m.n_experts).to(probs) / probs.shape[0]
            loss = loss + self.cfg.balance_weight * m.n_experts * (frac * probs.mean(0)).sum()
        return loss, per_env.detach()

    @torch.no_grad()
    def _clone_expert0(self) -> None:
        """End of the warm-up: every expert (and its Adam moments, context chunk and shift) becomes a
        copy of expert 0."""
        m = self.model
        for p in m.experts.values():
            p.copy_(p[:1].expand_as(p))
            for v in self.opt_model.state.get(p, {}).values():
                if torch.is_tensor(v) and v.dim() and v.shape[0] == p.shape[0]:
                    v.copy_(v[:1].expand_as(v))
        if m.cfg.split_context:
            c = m.cfg.ctx_dim
            m.contexts.copy_(m.contexts[:, :c].repeat(1, m.n_experts))
            m.ctx_shift.fill_(float(m.ctx_shift[0]))
            for v in self.opt_ctx.state.get(m.contexts, {}).values():
                if torch.is_tensor(v) and v.shape == m.contexts.shape:
                    v.copy_(v[:, :c].repeat(1, m.n_experts))
        self.cloned = True

    def _gate(self) -> None:
        if self.model.cfg.gate != "lsq" or self.warming:
            return
        if self.cfg.warmup and not self.cloned and self.model.n_experts > 1:
            self._clone_expert0()
        n = self.cfg.gate_trajs
        gen = torch.Generator().manual_seed(self.cfg.seed * 1_000_003 + self.inner)
        stats = gate_update(self.model, self.model.contexts, self.y0[:, :n], self.ys[:, :n], self.tau,
                            self.span, self.cfg.gate_lambda, gen, *self._kmeans_state, self.cfg.gate_stay,
                            self.cfg.gate_restarts)
        self._kmeans_state = (stats["centres"], stats["expert_of_cluster"])
        self.gate_seconds += stats["seconds"]
        self.gate_updates += 1
        if self.on_gate is not None:
            self.on_gate({"update": self.gate_updates, "step": self.step, "inner": self.inner, **stats})

    def _inner(self, opt: torch.optim.Optimizer, params: list[Tensor], beta: float) -> float:
        old = [p.detach().clone() for p in params]
        total = sum(p.numel() for p in params)
        loss = torch.tensor(0.0)
        steps = self.cfg.ctx_steps if opt is self.opt_ctx else self.cfg.model_steps
        for _ in range(steps):
            if self.inner % self.cfg.gate_every == 0:
                self._gate()
            self.inner += 1
            opt.zero_grad(set_to_none=True)
            loss, _ = self.loss()
            prox = sum((p - o).pow(2).sum() for p, o in zip(params, old, strict=True)) / total
            (loss + 0.5 * beta * prox).backward()
            opt.step()
        return float(loss.detach())

    def _set_lr(self) -> None:
        frac = self.step / self.cfg.outer_steps
        factor = 0.4 ** ((frac >= 1 / 3) + (frac >= 2 / 3)) if self.cfg.lr_decay else 1.0
        for g in self.opt_model.param_groups:
            g["lr"] = self.cfg.lr_model * factor

    # ------------------------------------------------------------------------------------- run
    def run(self, progress: bool = True, until: int | None = None) -> list[dict]:
        """Train until ``outer_steps`` (or ``until`` outer steps, e.g. to split a run), resuming
        from ``ckpt_dir`` when it holds a checkpoint."""
        self.maybe_resume()
        stop = self.cfg.outer_steps if until is None else min(until, self.cfg.outer_steps)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=self.cfg.outer_steps, initial=self.step, desc="mixer train", unit="step")
        while self.step < stop:
            start = time.perf_counter()
            self._set_lr()
            ctx_loss = self._inner(self.opt_ctx, [self.model.contexts], self.cfg.prox_ctx)
            loss = self._inner(self.opt_model, self.model.model_parameters(), self.cfg.prox_model)
            self.train_seconds += time.perf_counter() - start
            self.step += 1
            self.history.append({"step": self.step, "loss": loss, "ctx_loss": ctx_loss})
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.2e}")
            if self.ckpt_dir is not None and (
                self.step % self.cfg.checkpoint_every == 0 or self.step == stop
            ):
                self.save()
        if bar is not None:
            bar.close()
        return self.history

    # ------------------------------------------------------------------------------ checkpoints
    def state(self) -> dict:
        return {
            "kind": "hyperpino.mixer.checkpoint/1",
            "model": self.model.cfg.to_dict(),
            "train": asdict(self.cfg),
            "dim": self.model.dim,
            "n_envs": int(self.model.contexts.shape[0]),
            "step": self.step,
            "inner": self.inner,
            "history": self.history,
            "train_seconds": self.train_seconds,
            "gate_seconds": self.gate_seconds,
            "gate_updates": self.gate_updates,
            "cloned": self.cloned,
            "kmeans": [None if v is None else v.cpu().tolist() for v in self._kmeans_state],
        }

    def save(self) -> None:
        assert self.ckpt_dir is not None
        opts = {"model": self.opt_model, "ctx": self.opt_ctx}
        checkpoint.save(self.ckpt_dir, self.model, self.state(), opts)

    def maybe_resume(self) -> bool:
        if self.ckpt_dir is None or not (self.ckpt_dir / "state.json").is_file():
            return False
        st = checkpoint.read_state(self.ckpt_dir)
        if st["model"] != self.model.cfg.to_dict() or st["n_envs"] != self.model.contexts.shape[0]:
            raise SpecError(str(self.ckpt_dir), "holds a checkpoint of a different model; use another --out")
        checkpoint.load_model(self.ckpt_dir, self.model)
        checkpoint.load_optimizers(self.ckpt_dir, {"model": self.opt_model, "ctx": self.opt_ctx})
        self.step, self.inner, self.history = st["step"], st["inner"], st["history"]
        self.train_seconds, self.gate_seconds = st["train_seconds"], st["gate_seconds"]
        self.gate_updates = st["gate_updates"]
        self.cloned = st.get("cloned", False)
        cents, experts = st.get("kmeans", [None, None])
        if cents is not None:
            self._kmeans_state = (torch.tensor(cents, device=self.device),
                                  torch.tensor(experts, dtype=torch.long, device=self.device))
        return True


def build_model(cfg: MixERConfig, data: Split, seed: int = 0) -> MixER:
    """A fresh model sized for ``data`` (state dimension and number of environments)."""
    return MixER(cfg, data.X.shape[-1], data.n_envs, seed=seed)


def load_trained(directory: str | Path, device: str = "cpu") -> tuple[MixER, dict]:
    """A trained model and its ``state.json`` from a checkpoint directory."""
    st = checkpoint.read_state(directory)
    where = Path(directory) / "state.json"
    try:
        cfg = MixERConfig.from_dict(st["model"])
        sizes = {"dim": st["dim"], "n_envs": st["n_envs"], **{k: getattr(cfg, k) for k in
                                                              ("n_experts", "ctx_dim", "width", "depth")}}
    except (KeyError, TypeError, ValueError, SpecError) as err:
        msg = " ".join(str(err).split())[:120]
        raise CheckpointError(f"{where}: does not describe a model ({type(err).__name__}: {msg})") from None
    checkpoint.check_sizes(directory, sizes)
    # Shapes from a model on the meta device (no memory), checked against the file's header first.
    with torch.device("meta"):
        expected = {k: tuple(v.shape) for k, v in MixER(cfg, st["dim"], st["n_envs"]).state_dict().items()}
    checkpoint.check_layout(directory, expected)
    model = MixER(cfg, st["dim"], st["n_envs"])
    checkpoint.load_model(directory, model)
    return model.to(device), st
