"""HNET: task-conditioned hypernetworks (von Oswald, Henning, Sacramento & Grewe 2020, ICLR,
arXiv 1906.00695), with the generator the core provides:

* ``hnet``: an MLP hypernetwork with one linear output per target tensor;
* ``chunked``: the chunked generator of the paper's Fig. 1b (shared chunk embeddings);
* ``lstm``: the dependency-preserving LSTM hypernetwork (Chandra, Varshney, Srijith & Gupta 2023,
  WACV, arXiv 2209.07712), chunks generated in sequence through the core's LSTM head.

Each task ``t`` has a learned embedding ``e_t (E,)``; the target's weights are ``h(e_t, Θ_h)``.
While learning task ``T`` the loss is the task loss plus the output regulariser of
:mod:`hyperpino.continual.regulariser`, whose targets ``h(e_t, Θ_h*)`` are either stored after
each task (``online_targets=False``, memory ``T·P``) or recomputed from a frozen snapshot of the
hypernetwork (``True``, memory ``|Θ_h|``). ``lookahead``: the regulariser is evaluated at
``Θ_h + ΔΘ_h`` with ``ΔΘ_h = −lr·∇L_task`` (the SGD direction, hypercl's ``use_sgd_change``;
``lr`` is the optimiser's current learning rate), detached, so the regulariser's gradient is
taken at the point the task loss alone would move to.

Previous embeddings are frozen by default (as in hypercl and HINT): the regulariser then pins
exactly the weights each old task was evaluated with. ``train_prev_embeddings=True`` lets them
move (the hypnettorch example), the regulariser comparing ``h(e_t, Θ_h)`` with its stored target.
``init_prev_embedding=True`` starts task ``t``'s embedding at task ``t−1``'s (hypercl's
``init_with_prev_emb``), so a new task starts from a working network instead of a random one.

``mip=True`` uses the core's magnitude-invariant parametrisation (Ortiz, Guttag & Dalca 2023):
the embedding is squashed to (0, 1) by a sigmoid and cos/sin-encoded (constant norm), and the
weights are ``θ0 + Δθ`` with a named, learned residual base θ0 (part of Θ_h, so regularised too).
"""

from __future__ import annotations

import copy
import dataclasses

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call

from hyperpino.continual.features import UnitRMS
from hyperpino.continual.methods.base import Scenario, TaskConditioned
from hyperpino.continual.regulariser import output_regulariser, previous_tasks
from hyperpino.hypernet import FunctionalTarget, HyperNetConfig, HyperNetwork

GENERATORS: dict[str, HyperNetConfig] = {
    "hnet": HyperNetConfig(head="per_tensor", mip=False, encoding=None, trunk=(25, 25), head_hidden=(),
                           activation="relu"),
    "chunked": HyperNetConfig.preset("hnet", head_hidden=(64, 64), chunk_size=2000, chunk_emb_dim=16,
                                     activation="relu"),
    "lstm": HyperNetConfig.preset("dph", chunk_size=2000, chunk_emb_dim=16, lstm_hidden=64),
}
"""The default generator of each variant (CPU-sized; override with ``config=``)."""


class HNET(TaskConditioned):
    """``target``: the network generated for each task (its output width is ``C``).

    ``generator``: ``"hnet"``, ``"chunked"`` or ``"lstm"`` (see :data:`GENERATORS`), or ``config``.
    ``emb_dim``: E. ``beta``: β. ``reg_batch``: regularise this many random previous tasks per
    step (None: all). ``online_targets``, ``lookahead``, ``train_prev_embeddings``,
    ``init_prev_embedding``, ``mip``: above.
    """

    def __init__(
        self,
        target: nn.Module,
        n_tasks: int,
        classes_per_task: int,
        scenario: Scenario = "cl1",
        *,
        generator: str = "hnet",
        config: HyperNetConfig | None = None,
        emb_dim: int = 32,
        beta: float = 0.01,
        reg_batch: int | None = None,
        online_targets: bool = False,
        lookahead: bool = False,
        train_prev_embeddings: bool = False,
        init_prev_embedding: bool = False,
        mip: bool = False,
        unit_features: bool = False,
    ):
        super().__init__(n_tasks, classes_per_task, scenario)
        config = config or GENERATORS[generator]
        if mip:
            config = dataclasses.replace(config, mip=True, encoding="cos_sin")
        self.hnet = HyperNetwork.for_module(target, cond_dim=emb_dim, config=config)
        if unit_features:  # the head's input at mean square 1 for every task (features.py)
            trunk = self.hnet.trunk
            self.hnet.trunk = UnitRMS() if trunk is None else nn.Sequential(trunk, UnitRMS())
        self.f = FunctionalTarget(target, self.hnet.spec)
        self.embeddings = nn.ParameterList(nn.Parameter(torch.randn(emb_dim)) for _ in range(n_tasks))
        self.beta, self.reg_batch, self.lookahead = beta, reg_batch, lookahead
        self.online_targets, self.train_prev_embeddings = online_targets, train_prev_embeddings
        self.init_prev_embedding = init_prev_embedding
        self.snapshot: HyperNetwork | None = None
        if online_targets:
            self.snapshot = copy.deepcopy(self.hnet).requires_grad_(False)
        else:
            self.register_buffer("targets", torch.zeros(n_tasks, self.hnet.spec.numel))
        self.reg_gen = torch.Generator().manual_seed(0)  # reseeded from the run's seed by the runner

    def generators(self) -> dict[str, torch.Generator]:
        return {"reg": self.reg_gen}

    # ------------------------------------------------------------------------------- weights
    def cond(self, idx: Tensor) -> Tensor:
        """``idx (M,)`` task indices -> the hypernetwork's input ``(M, E)``."""
        e = torch.stack([self.embeddings[int(i)] for i in idx])
        return torch.sigmoid(e) if self.hnet.config.encoding is not None else e

    def weights(self, idx: Tensor) -> dict[str, Tensor]:
        """The target weights of tasks ``idx (M,)``: ``name -> (M, *shape)``."""
        return self.hnet(self.cond(idx))

    def logits(self, x: Tensor, n_seen: int) -> Tensor:
        return self.f(self.weights(torch.arange(n_seen)), x)

    # ------------------------------------------------------------------------------ training
    @torch.no_grad()
    def begin_task(self, t: int) -> None:
        if self.init_prev_embedding and t > 0:
            self.embeddings[t].copy_(self.embeddings[t - 1])

    def trainable(self, t: int) -> list[nn.Parameter]:
        first = 0 if self.train_prev_embeddings else t
        return [*self.hnet.parameters(), *(self.embeddings[i] for i in range(first, t + 1))]

    def regulariser(self, t: int, params: dict[str, Tensor] | None = None) -> Tensor:
        """β-weighted output regulariser while learning task ``t`` (0 for ``t = 0``); ``params``:
        evaluate the hypernetwork at these parameters instead (lookahead)."""
        if t == 0 or self.beta == 0:
            return torch.zeros(())
        idx = previous_tasks(t, self.reg_batch, self.reg_gen)
        cond = self.cond(idx)
        out = self.hnet(cond) if params is None else functional_call(self.hnet, params, (cond,))
        generated = self.hnet.spec.flatten(out)
        if self.snapshot is not None:
            with torch.no_grad():
                targets = self.hnet.spec.flatten(self.snapshot(cond))
        else:
            targets = self.targets[idx]
        return output_regulariser(generated, targets, self.beta)

    def loss(self, t: int, x: Tensor, y: Tensor, tasks: Tensor) -> Tensor:
        logits = self.f(self.weights(torch.tensor([t])), x)[0]
        return F.cross_entropy(logits, y) + self.regulariser(t)

    def train_step(self, t: int, x: Tensor, y: Tensor, tasks: Tensor, opt: torch.optim.Optimizer) -> float:
        if not self.lookahead or t == 0:
            return super().train_step(t, x, y, tasks, opt)
        opt.zero_grad(set_to_none=True)
        task_loss = F.cross_entropy(self.f(self.weights(torch.tensor([t])), x)[0], y)
        task_loss.backward()
        # ΔΘ_h is a constant (detached): the regulariser's gradient is taken at the lookahead point.
        lr = opt.param_groups[0]["lr"]
        ahead = {n: p - lr * p.grad if p.grad is not None else p
                 for n, p in self.hnet.named_parameters()}
        reg = self.regulariser(t, ahead)
        reg.backward()
        opt.step()
        return float(task_loss.detach() + reg.detach())

    @torch.no_grad()
    def end_task(self, t: int, x: Tensor, y: Tensor) -> None:
        super().end_task(t, x, y)
        if not self.train_prev_embeddings:
            self.embeddings[t].requires_grad_(False)
        if self.snapshot is not None:
            self.snapshot.load_state_dict(self.hnet.state_dict())
        else:
            idx = torch.arange(t + 1)
            self.targets[: t + 1] = self.hnet.spec.flatten(self.weights(idx))
