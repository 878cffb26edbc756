"""HNET's regulariser options: online targets, the lookahead step, previous-embedding init."""

import torch
import torch.nn.functional as F
from torch.func import functional_call

from hyperpino.continual import targets
from hyperpino.continual.methods import HNET


def _hnet(**options) -> HNET:
    torch.manual_seed(0)
    return HNET(targets.mlp((5,), (8,), 2), 4, 2, "cl1", emb_dim=4, beta=0.5, **options)


@torch.no_grad()
def _perturb(method: HNET, seed: int) -> None:
    gen = torch.Generator().manual_seed(seed)
    for p in method.hnet.parameters():
        p.add_(0.1 * torch.randn(p.shape, generator=gen))


def test_online_targets_equal_precomputed_targets():
    x, y = torch.randn(6, 5), torch.zeros(6, dtype=torch.long)
    for reg_batch in (None, 1):
        stored, online = _hnet(reg_batch=reg_batch), _hnet(reg_batch=reg_batch, online_targets=True)
        assert online.snapshot is not None and not hasattr(online, "targets")
        for t in range(2):  # as if tasks 0 and 1 were trained: the hypernetwork moves in between
            for m in (stored, online):
                _perturb(m, seed=t)
                m.end_task(t, x, y)
        # nothing changed since the last task: no penalty with either kind of target
        assert float(stored.regulariser(2).detach()) < 1e-9 and float(online.regulariser(2).detach()) < 1e-9
        for m in (stored, online):
            _perturb(m, seed=7)
        r_stored, r_online = stored.regulariser(2), online.regulariser(2)
        assert float(r_stored.detach()) > 1e-3
        assert torch.allclose(r_stored, r_online, rtol=1e-5)


def test_lookahead_takes_the_regulariser_gradient_at_the_sgd_step():
    method, lr = _hnet(lookahead=True), 0.05
    x, y = torch.randn(8, 5), torch.randint(0, 2, (8,))
    method.end_task(0, x, y)
    _perturb(method, seed=3)  # so the regulariser of task 0 is not at its minimum
    names = [n for n, _ in method.hnet.named_parameters()]
    theta = {n: p.detach().clone().requires_grad_(True) for n, p in method.hnet.named_parameters()}
    emb1 = method.embeddings[1].detach().clone().requires_grad_(True)

    def task_loss(params, e):
        return F.cross_entropy(method.f(functional_call(method.hnet, params, (e[None],)), x)[0], y)

    def reg(params):  # β · ‖h(e_0; Θ') − h(e_0; Θ*)‖², by hand
        out = method.hnet.spec.flatten(functional_call(method.hnet, params, (method.embeddings[0][None],)))
        return 0.5 * (out - method.targets[:1]).pow(2).sum()

    g_task = torch.autograd.grad(task_loss(theta, emb1), [*theta.values(), emb1])
    ahead = {n: (theta[n] - lr * g).detach().requires_grad_(True)
             for n, g in zip(names, g_task[:-1], strict=True)}
    g_ahead = torch.autograd.grad(reg(ahead), list(ahead.values()))
    g_here = torch.autograd.grad(reg(theta), list(theta.values()))

    opt = torch.optim.SGD(method.trainable(1), lr=lr)
    method.train_step(1, x, y, torch.ones(8, dtype=torch.long), opt)
    for n, gt, ga in zip(names, g_task[:-1], g_ahead, strict=True):
        expected = theta[n] - lr * (gt + ga)
        assert torch.allclose(dict(method.hnet.named_parameters())[n], expected, atol=1e-6), n
    assert torch.allclose(method.embeddings[1], emb1 - lr * g_task[-1], atol=1e-6)
    # the lookahead point matters: the plain step (gradient at Θ) would land elsewhere
    assert any(not torch.allclose(ga, gh, atol=1e-4) for ga, gh in zip(g_ahead, g_here, strict=True))


def test_new_embedding_can_start_from_the_previous_one():
    method = _hnet(init_prev_embedding=True)
    assert not torch.equal(method.embeddings[1], method.embeddings[0])
    method.end_task(0, torch.randn(2, 5), torch.zeros(2, dtype=torch.long))
    method.begin_task(1)
    assert torch.equal(method.embeddings[1], method.embeddings[0])
    assert method.embeddings[1].requires_grad and not method.embeddings[0].requires_grad
