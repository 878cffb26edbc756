"""Batched second-order jets of the solution grammar: u and its derivatives for many terms at once.

A term of :mod:`hyperpino.mms.grammar` is a tree of three node types, and the jet
``(u, u_x, u_y, u_xx, u_yy, u_xy)`` of each follows from its children's by the chain and product
rules (forward-mode differentiation truncated at order two, Griewank & Walther 2008, ch. 13):

- leaf ``f(a x + b y + c)``: ``(f, a f', b f', a² f'', b² f'', a b f'')``;
- composition ``f(w·v + c)``: with ``z = w·v + c``, ``(f, f' z_x, f' z_y, f'' z_x² + f' z_xx, …)``;
- product ``p·q``: Leibniz's rule.

So instead of one compiled expression per term *structure* (dozens of tiny torch calls each, as
HyPINO's autograd or a sympy-generated closure would need), all nodes of a whole batch are laid
out by height and atom, and each height costs a fixed handful of large tensor operations,
whatever the mix of structures. Jets are ``(nodes, K, points)`` with ``K = 6`` (to second order)
or ``K = 3`` (u and the gradient only); each sample's sum is contracted on the fly with its output
weights (the identity, or ``[u; L u]`` for an operator L), so a grid needs two numbers per point.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from hyperpino.mms import bubble
from hyperpino.mms.jet_program import COMP, GROUPS, LEAF, MUL, ROOT, Program, compile_terms

__all__ = ["Program", "batch_jets", "compile_batch", "compile_terms", "jets"]

_ALIGN = 64
"""Point counts are padded to a multiple of this, so every row is covered by the vectorised
kernels alone and a sample's values do not depend on where it sits in the batch."""


def atom(group: int, z: Tensor, f0: Tensor, f1: Tensor, f2: Tensor) -> None:
    """F0 = f(z), F1 = f'(z)/k1, F2 = f''(z)/k2 of one atom group (k1, k2:
    :data:`~hyperpino.mms.jet_program.K_CONST`), written into ``f0, f1, f2 (n, m)``."""
    name = GROUPS[group]
    if name == "sin":
        torch.sin(z, out=f0)
        torch.cos(z, out=f1)
        f2.copy_(f0)
    elif name == "tanh":
        torch.tanh(z, out=f0)
        torch.mul(f0, f0, out=f1).neg_().add_(1.0)  # 1 − t²
        torch.mul(f0, f1, out=f2)
    elif name == "gauss":
        torch.mul(z, z, out=f2).neg_()
        torch.exp(f2, out=f0)
        torch.mul(z, f0, out=f1)
        f2.add_(0.5).mul_(f0)  # (½ − z²)·e
    elif name == "rational":
        torch.mul(z, z, out=f2)
        torch.add(f2, 1.0, out=f0).reciprocal_()
        torch.mul(z, f0, out=f1).mul_(f0)  # z·r²
        f2.sub_(1.0 / 3.0).mul_(f0).mul_(f0).mul_(f0)  # (z² − ⅓)·r³
    elif name == "poly1":
        f0.copy_(z)
        f1.fill_(1.0)
        f2.fill_(0.0)
    elif name == "poly2":
        torch.mul(z, z, out=f0)
        f1.copy_(z)
        f2.fill_(1.0)
    else:  # poly3
        torch.mul(z, z, out=f1)
        torch.mul(f1, z, out=f0)
        f2.copy_(z)


class _Device:
    """A program's arrays as tensors on one device and dtype, with each root's output weights.

    A sample's outputs are ``W_b · Σ_terms jet`` with ``W_b (R, K)``; a root's contribution is
    ``amp · W_b · jet``, and for a leaf root ``jet = M · (F0, F1, F2)`` with ``M (K, 3)`` holding
    its ``a k1, b k1, a² k2, b² k2, a b k2``, so its weights on F0..F2 are ``amp · W_b · M (R, 3)``.
    """

    def __init__(self, prog: Program, kk: int, weights: np.ndarray | None, dtype: torch.dtype, device):
        t = lambda a, d=dtype: torch.as_tensor(np.ascontiguousarray(a), dtype=d, device=device)  # noqa: E731
        p, k = prog.p, prog.k
        self.p = t(p)
        self.sample = t(prog.sample, torch.long)
        self.left, self.right = t(prog.left, torch.long), t(prog.right, torch.long)
        a, b, k1, k2 = p[:, 0], p[:, 1], k[:, 0], k[:, 1]
        m = np.zeros((len(p), 6, 3))
        m[:, 0, 0], m[:, 1, 1], m[:, 2, 1] = 1.0, a * k1, b * k1
        m[:, 3, 2], m[:, 4, 2], m[:, 5, 2] = a * a * k2, b * b * k2, a * b * k2
        m = m[:, :kk]
        self.c12, self.c345 = t(m[:, 1:3, 1:2]), t(m[:, 3:6, 2:3])  # inner leaves' jets
        w = (np.broadcast_to(np.eye(kk), (prog.n_samples, kk, kk)) if weights is None else weights)
        leaf = np.flatnonzero(prog.op == ROOT)
        wl = prog.amp[leaf, None, None] * w[prog.sample[leaf]] @ m[leaf]  # (n, R, 3)
        self.leaf = (t(prog.sample[leaf], torch.long), t(wl[..., 0:1]), t(wl[..., 1:2]), t(wl[..., 2:3]))
        root = np.flatnonzero((prog.amp != 0) & (prog.op != ROOT))
        self.roots = (t(root, torch.long), t(prog.sample[root], torch.long),
                      t(prog.amp[root, None, None] * w[prog.sample[root]]), weights is None)
        self.k1, self.k2 = t(k[:, :1]), t(k[:, 1:])
        self.n_out = w.shape[1]


def jets(prog: Program, x: Tensor, y: Tensor, order: int = 2, operator: Tensor | None = None,
         chunk: int | None = None) -> Tensor:
    """Each sample's Σ of term jets at points ``x, y (B, N)`` (or ``(1, N)``, shared by all samples).

    Returns ``(B, K, N)``: u, u_x, u_y (``order=1``, K = 3) and u_xx, u_yy, u_xy (``order=2``,
    K = 6); with ``operator (B, 6)`` (implies ``order=2``) instead ``(B, 2, N)``: u and
    Σ_k operator[:, k]·D_k u. With bubble codes in ``prog`` the sum is multiplied by each sample's
    bubble B first (Leibniz's rule on the jets, then the operator): the same numbers up to
    round-off, bitwise different from the plain path, so :func:`batch_jets` keeps plain samples
    apart.
    """
    kk = 6 if order == 2 or operator is not None else 3
    b, n = prog.n_samples, x.shape[1]
    dev, dt = x.device, x.dtype
    weights = None
    if operator is not None and prog.bubble is None:
        weights = np.zeros((b, 2, 6))
        weights[:, 0, 0] = 1.0
        weights[:, 1] = operator.detach().cpu().double().numpy()
    d = _Device(prog, kk, weights, dt, dev)
    rows = max(len(prog.p), 1)
    if chunk is None:  # ~2^18 elements per tensor: large calls that still stay in cache
        chunk = max(_ALIGN, (2**18 // rows) // _ALIGN * _ALIGN)
    pad = -n % _ALIGN
    if pad:
        x, y = torch.nn.functional.pad(x, (0, pad)), torch.nn.functional.pad(y, (0, pad))
    out = x.new_empty(b, 2 if operator is not None else d.n_out, n + pad)
    shared = x.shape[0] == 1 and b != 1
    work = _Workspace(prog, d, kk, min(chunk, n + pad), x)
    codes = op = None
    if prog.bubble is not None:
        codes = torch.as_tensor(prog.bubble, device=dev)[:, None, None]
        op = None if operator is None else operator.to(device=dev, dtype=dt)[:, :, None]
    for c0 in range(0, n + pad, chunk):
        c1 = min(c0 + chunk, n + pad)
        acc = _chunk(prog, d, work, x[:, c0:c1], y[:, c0:c1], shared)
        if codes is not None:
            acc = _bubble(acc, codes, x[:, c0:c1], y[:, c0:c1], op)
        out[:, :, c0:c1] = acc
    return out[:, :, :n]


def _bubble(s: Tensor, codes: Tensor, x: Tensor, y: Tensor, op: Tensor | None) -> Tensor:
    """Jets ``s (B, K, m)`` of φ -> those of B·φ (each sample's bubble ``codes (B, 1, 1)``), or
    ``(B, 2, m)`` u and L u with ``op (B, 6, 1)``."""
    order = 1 if s.shape[1] == 3 else 2
    b = bubble.bubble_jet(bubble.NONE, x, y, order)
    for code in (bubble.BOX, bubble.X_ONLY):
        b = torch.where(codes == code, bubble.bubble_jet(code, x, y, order), b)
    u = bubble.apply(b, s)
    if op is None:
        return u
    return torch.stack([u[:, 0], (u * op).sum(1)], 1)


def compile_batch(terms: list[list], bubble_codes=None) -> list[tuple[np.ndarray, Program]]:
    """``terms`` of ``B`` samples with bubble codes ``(B,)`` as ``(sample indices, Program)`` parts
    for :func:`batch_jets`: samples without a bubble in one program, those with one in another, so
    a sample's numbers never depend on which others share its batch."""
    codes = np.zeros(len(terms), dtype=np.int64) if bubble_codes is None else np.asarray(bubble_codes)
    parts = [np.flatnonzero(codes == 0), np.flatnonzero(codes != 0)]
    return [(idx, compile_terms([terms[i] for i in idx], codes[idx])) for idx in parts if len(idx)]


def batch_jets(parts: list[tuple[np.ndarray, Program]], x: Tensor, y: Tensor, order: int = 2,
               operator: Tensor | None = None) -> Tensor:
    """:func:`jets` of the parts of :func:`compile_batch`, in sample order: ``(B, K, N)``."""
    if len(parts) == 1:
        return jets(parts[0][1], x, y, order, operator)
    b = sum(len(idx) for idx, _ in parts)
    shared = x.shape[0] == 1 and b != 1
    out = None
    for idx, prog in parts:
        t = torch.as_tensor(idx, device=x.device)
        xs, ys = (x, y) if shared else (x.index_select(0, t), y.index_select(0, t))
        op = None if operator is None else operator.index_select(0, t.to(operator.device))
        part = jets(prog, xs, ys, order, op)
        if out is None:
            out = x.new_empty(b, *part.shape[1:])
        out.index_copy_(0, t, part)
    return out


class _Workspace:
    """Scratch tensors of :func:`_chunk`, allocated once per call (fresh large allocations cost a
    page fault per 4 KiB on every use)."""

    def __init__(self, prog: Program, d: _Device, kk: int, chunk: int, like: Tensor):
        n = len(prog.p)
        widest = max([sum(r[3] - r[2] for r in level if r[0] == op)
                      for level in prog.levels for op in (ROOT, COMP, MUL)] + [len(d.roots[0]), 1])
        leaves = prog.levels[0][-1][3] if prog.levels else 1
        self.kk = kk
        self.jet = like.new_empty(n, kk, chunk)
        self.f1, self.f2 = like.new_empty(n, chunk), like.new_empty(n, chunk)
        self.xs, self.ys = like.new_empty(leaves, chunk), like.new_empty(leaves, chunk)
        self.z = like.new_empty(leaves, chunk)
        self.p, self.q = like.new_empty(widest, kk, chunk), like.new_empty(widest, kk, chunk)
        self.tmp = like.new_empty(widest, 2, chunk)
        self.acc = like.new_empty(prog.n_samples, d.n_out, chunk)
        self.contrib = like.new_empty(widest, d.n_out, chunk)


def _chunk(prog: Program, d: _Device, w: _Workspace, x: Tensor, y: Tensor, shared: bool) -> Tensor:
    """The weighted sums ``(B, R, m)`` of one chunk of ``m`` points (a view of the workspace)."""
    m, kk = x.shape[1], w.kk
    jet = w.jet[:, :, :m]
    f1, f2 = w.f1[:, :m], w.f2[:, :m]
    acc = w.acc[:, :, :m]
    acc.zero_()
    for h, runs in enumerate(prog.levels):
        if h == 0:
            _leaves(prog, d, w, runs, x, y, shared, acc)
            continue
        comp = [r for r in runs if r[0] == COMP]
        if comp:
            lo, hi = comp[0][2], comp[-1][3]
            zj = torch.index_select(jet, 0, d.left[lo:hi], out=w.p[: hi - lo, :, :m])
            zj.mul_(d.p[lo:hi, 0:1, None])  # z = w·v + c, componentwise
            zj[:, 0].add_(d.p[lo:hi, 1:2])
            for _, group, s, e in comp:
                atom(group, zj[s - lo : e - lo, 0], jet[s:e, 0], f1[s:e], f2[s:e])
            g1 = f1[lo:hi].mul_(d.k1[lo:hi])
            torch.mul(g1[:, None], zj[:, 1:], out=jet[lo:hi, 1:])
            if kk == 6:
                g2 = f2[lo:hi].mul_(d.k2[lo:hi])[:, None]
                sq = torch.mul(zj[:, 1:3], zj[:, 1:3], out=w.tmp[: hi - lo, :, :m])
                jet[lo:hi, 3:5].addcmul_(g2, sq)
                jet[lo:hi, 5].addcmul_(g2[:, 0], torch.mul(zj[:, 1], zj[:, 2], out=w.tmp[: hi - lo, 0, :m]))
        mul = [r for r in runs if r[0] == MUL]
        if mul:
            lo, hi = mul[0][2], mul[-1][3]
            pj = torch.index_select(jet, 0, d.left[lo:hi], out=w.p[: hi - lo, :, :m])
            qj = torch.index_select(jet, 0, d.right[lo:hi], out=w.q[: hi - lo, :, :m])
            torch.mul(pj, qj[:, 0:1], out=jet[lo:hi])
            jet[lo:hi, 1:].addcmul_(pj[:, 0:1], qj[:, 1:])
            if kk == 6:
                jet[lo:hi, 3:5].addcmul_(pj[:, 1:3], qj[:, 1:3], value=2.0)
                jet[lo:hi, 5].addcmul_(pj[:, 1], qj[:, 2]).addcmul_(pj[:, 2], qj[:, 1])
    index, sample, weight, plain = d.roots
    if len(index):
        r = torch.index_select(jet, 0, index, out=w.p[: len(index), :, :m])
        if plain:
            contrib = r.mul_(weight[:, 0:1, 0:1])  # amp·identity
        else:
            contrib = torch.mul(weight[:, :, 0:1], r[:, 0:1], out=w.contrib[: len(index), :, :m])
            for j in range(1, kk):
                contrib.addcmul_(weight[:, :, j : j + 1], r[:, j : j + 1])
        _accumulate(acc, sample, contrib)
    return acc


def _leaves(prog: Program, d: _Device, w: _Workspace, runs: list, x: Tensor, y: Tensor, shared: bool,
            acc: Tensor) -> None:
    """Height 0: f, f', f'' of every leaf; jets of inner leaves, weighted sums of leaf terms."""
    m, kk = x.shape[1], w.kk
    jet, f1, f2 = w.jet[:, :, :m], w.f1[:, :m], w.f2[:, :m]
    lo, hi = runs[0][2], runs[-1][3]
    if shared:
        xs, ys = x, y
    else:
        xs = torch.index_select(x, 0, d.sample[lo:hi], out=w.xs[: hi - lo, :m])
        ys = torch.index_select(y, 0, d.sample[lo:hi], out=w.ys[: hi - lo, :m])
    z = torch.addcmul(d.p[lo:hi, 2:3], d.p[lo:hi, 0:1], xs, out=w.z[: hi - lo, :m])
    z.addcmul_(d.p[lo:hi, 1:2], ys)
    for _, group, s, e in runs:
        atom(group, z[s - lo : e - lo], jet[s:e, 0], f1[s:e], f2[s:e])
    inner = [r for r in runs if r[0] == LEAF]
    if inner:
        a, b = inner[0][2], inner[-1][3]
        torch.mul(d.c12[a:b], f1[a:b, None], out=jet[a:b, 1:3])
        if kk == 6:
            torch.mul(d.c345[a:b], f2[a:b, None], out=jet[a:b, 3:6])
    roots = [r for r in runs if r[0] == ROOT]
    if roots:
        a, b = roots[0][2], roots[-1][3]
        sample, w0, w1, w2 = d.leaf
        c = torch.mul(w0, jet[a:b, 0:1], out=w.contrib[: b - a, :, :m])
        c.addcmul_(w1, f1[a:b, None]).addcmul_(w2, f2[a:b, None])
        _accumulate(acc, sample, c)


def _accumulate(acc: Tensor, sample: Tensor, rows: Tensor) -> None:
    """``acc[sample[i]] += rows[i]`` in the order of ``i`` (so each sample sums its terms in an
    order fixed by its own terms). ``index_put_`` with accumulation runs serially on the CPU;
    ``index_add_`` would open a thread team even for a few numbers, which on an oversubscribed
    machine costs milliseconds per call."""
    acc.index_put_((sample,), rows, accumulate=True)
