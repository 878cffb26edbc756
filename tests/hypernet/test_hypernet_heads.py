"""Output heads: shapes, chunk layout, and which outputs depend on which inputs."""

import pytest
import torch
from torch import nn

from hyperpino.errors import SpecError
from hyperpino.hypernet import ChunkedHead, LSTMHead, ParamSpec, PerTensorHead


def spec():
    # P = 32 + 16 + 16 + 1 = 65: not a multiple of the chunk size
    return ParamSpec.from_module(nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1)))


@pytest.mark.parametrize("make", [
    lambda s: ChunkedHead(s, 5, chunk_size=10, chunk_emb_dim=3, hidden=(12,)),
    lambda s: LSTMHead(s, 5, chunk_size=10, chunk_emb_dim=3, hidden_size=12),
])
@pytest.mark.parametrize("m", [1, 4])
def test_chunk_heads_shapes(make, m):
    head = make(spec())
    assert head.n_chunks == 7
    z = torch.randn(m, 5)
    assert head.chunks(z).shape == (m, 7, 10)
    out = head(z)
    assert {n: tuple(v.shape) for n, v in out.items()} == {
        "0.weight": (m, 16, 2), "0.bias": (m, 16), "2.weight": (m, 1, 16), "2.bias": (m, 1)
    }
    # the flat output is the chunks concatenated and cut to P
    torch.testing.assert_close(spec().flatten(out), head.chunks(z).reshape(m, -1)[:, :65])
    with pytest.raises(SpecError, match=r"cond: .* expects features \(M, 5\)"):
        head(torch.randn(m, 4))


def grad_of_last_chunk_wrt_chunk_embeddings(head):
    z = torch.randn(3, 5)
    (g,) = torch.autograd.grad(head.chunks(z)[:, -1].sum(), head.chunk_emb)
    return g.abs().sum(dim=1)  # (K,): how much the last chunk depends on each step's input


def test_lstm_later_chunks_depend_on_earlier_steps():
    torch.manual_seed(0)
    dep = grad_of_last_chunk_wrt_chunk_embeddings(LSTMHead(spec(), 5, chunk_size=10))
    assert (dep > 0).all()  # step 0's input reaches chunk K-1 through the hidden state
    # and causality: the first chunk does not depend on later steps
    head = LSTMHead(spec(), 5, chunk_size=10)
    (g,) = torch.autograd.grad(head.chunks(torch.randn(2, 5))[:, 0].sum(), head.chunk_emb)
    assert g[0].abs().sum() > 0 and g[1:].abs().sum() == 0


def test_chunked_chunks_are_independent():
    torch.manual_seed(0)
    dep = grad_of_last_chunk_wrt_chunk_embeddings(ChunkedHead(spec(), 5, chunk_size=10))
    assert dep[-1] > 0 and dep[:-1].sum() == 0


def test_per_tensor_shared_input_and_tokens():
    s = spec()
    shared = PerTensorHead(s, 6, hidden=(8,))
    assert shared(torch.randn(1, 6))["0.weight"].shape == (1, 16, 2)
    tok = PerTensorHead(s, 6, hidden=lambda e: (max(4, e.numel // 4),), tokens=True)
    assert tok.heads["0:weight"].layers[0].out_features == 8
    h = torch.randn(2, 4, 6, requires_grad=True)
    out = tok(h)
    (g,) = torch.autograd.grad(out["2.weight"].sum(), h)
    # tensor t is generated from token t only
    assert g[:, 2].abs().sum() > 0 and g[:, [0, 1, 3]].abs().sum() == 0
    with pytest.raises(SpecError, match=r"expects features \(M, 4, 6\)"):
        tok(torch.randn(2, 3, 6))


def test_mip_heads_have_no_output_bias():
    head = PerTensorHead(spec(), 6, hidden=(), out_bias=False)
    assert all(h.last.bias is None for h in head.heads.values())
