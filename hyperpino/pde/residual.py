"""Batched derivatives and PDE/boundary residuals for M networks at once, with ``torch.func``.

A network is given as a pure :data:`PointFn` ``u(params, x)`` for ONE model and ONE point
``x (2,)``; :func:`derivatives` returns ``u``, ``∇u`` and the Hessian at N points for all M models
(parameters stacked along a leading axis, as a hypernetwork emits them). Everything stays
differentiable, so a loss on a residual backpropagates into the parameters or the hypernetwork.

How (the composition of the torch.func docs, reference notes mip-and-style.md Part C):
``vmap`` over models of a per-model block function; inside it the point function is ``vmap``-ed
over a block of points, which makes the block pointwise by construction, so the gradient of the
*sum* over the block is the per-point gradient (exact, no cross-point terms). The Hessian rows are
the gradients of ``∇u · e`` for e = e_x, e_y (reverse-over-reverse, ``vmap``-ed over the two
directions, so u and ∇u are computed once); ``method="fwd-rev"`` takes a ``jvp`` of ∇u instead.

Measured on the 2-core CPU (M = 64 models × N = 4096 points, the 5,409-parameter HyPINO PINN,
float32): reverse-over-reverse on blocks was the fastest general method, about 1.1–1.2× faster
than forward-over-reverse (PyTorch's eager forward mode is less tuned than its double backward),
per-point ``vmap(jacfwd(jacrev))`` ~1.1× slower than that, and nested forward-mode ``jvp``
(forward-over-forward) 3–7× slower; ``torch.compile`` falls back to eager on these nested
transforms (PyTorch 2.15). Blocks of about 2^14 model-point pairs keep intermediates
cache-sized; one block of 64 × 4096 was ~2× slower. All of these do the same arithmetic as the
loop below, which already vectorises over the points of one model, so on a CPU the engine only
saves the loop's per-model overhead: with 2 threads it matched the loop at N = 4096 (1.06×
forward, 0.98× forward+backward) and was 3.3× faster at N = 256 points per model
(``hyperpino bench residual``). GPUs, where the loop is bound by kernel launches, were not measured.

:func:`loop_derivatives` is the reference the HyPINO code uses (Bischof et al. 2025, arXiv
2509.05117, ``HyPINO._step``): a Python loop over models, ``torch.autograd.grad`` with
``create_graph=True`` for the gradient and again for each Hessian row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import torch
from torch import Tensor, nn
from torch.func import functional_call, grad, jvp, vmap

from hyperpino.pde.terms import N_TERMS

PointFn = Callable[[Mapping[str, Tensor], Tensor], Tensor]
"""``u(params of ONE model, x (2,)) -> u ()``; pure (no in-place state, no randomness)."""

METHODS = ("rev-rev", "fwd-rev")
"""Hessian methods: reverse-over-reverse (default, fastest measured) and forward-over-reverse."""

CPU_BLOCK = 1 << 14
"""Model-point pairs per block on the CPU when ``chunk_size`` is None (cache-sized blocks)."""


def module_point_fn(module: nn.Module) -> PointFn:
    """The :data:`PointFn` of a module mapping points ``(B, 2) -> (B, 1)``.

    ``u(params, x) = functional_call(module, params, x[None])[0, 0]``; buffers (e.g. Fourier
    frequencies) are taken from the module, so ``params`` holds exactly its parameters.
    """

    def u(params: Mapping[str, Tensor], x: Tensor) -> Tensor:
        buffers = dict(module.named_buffers())
        return functional_call(module, (dict(params), buffers), (x[None],), strict=True)[0, 0]

    return u


@dataclass(frozen=True)
class Derivatives:
    """Values and derivatives of M models at N points.

    ``u (M, N)``, ``grad (M, N, 2)`` with ``grad[..., i] = ∂_i u``, and ``hess (M, N, 2, 2)`` with
    ``hess[..., i, j] = ∂_i ∂_j u`` (symmetric), or None when only first derivatives were asked for.
    """

    u: Tensor
    grad: Tensor
    hess: Tensor | None

    @property
    def ux(self) -> Tensor:
        return self.grad[..., 0]

    @property
    def uy(self) -> Tensor:
        return self.grad[..., 1]

    @property
    def uxx(self) -> Tensor:
        return self._hess()[..., 0, 0]

    @property
    def uyy(self) -> Tensor:
        return self._hess()[..., 1, 1]

    @property
    def uxy(self) -> Tensor:
        return self._hess()[..., 0, 1]

    def terms(self) -> Tensor:
        """``(M, N, 6)``: u, u_x, u_y, u_xx, u_yy, u_xy in the order of ``terms.TERMS``."""
        return torch.stack([self.u, self.ux, self.uy, self.uxx, self.uyy, self.uxy], dim=-1)

    def _hess(self) -> Tensor:
        if self.hess is None:
            raise ValueError("Derivatives: second derivatives were not computed (order=1)")
        return self.hess


def derivatives(fn: PointFn, params: Mapping[str, Tensor], points: Tensor, *, order: int = 2,
                chunk_size: int | None = None, method: str = "rev-rev") -> Derivatives:
    """u, ∇u and (for ``order=2``) the Hessian of M models at N points.

    ``params``: name -> ``(M, *shape)``, the leading model axis always present (also M = 1).
    ``points``: ``(N, 2)`` shared by all models, or ``(M, N, 2)`` per model; same dtype as params.
    ``chunk_size``: points per block (bounds the memory of a pass without autograd). None picks
    blocks of about :data:`CPU_BLOCK` model-point pairs on the CPU and one block elsewhere.
    ``method``: ``"rev-rev"`` (reverse-over-reverse) or ``"fwd-rev"`` (forward-over-reverse).
    Returns :class:`Derivatives` with shapes ``(M, N)``, ``(M, N, 2)``, ``(M, N, 2, 2)``.
    """
    n_models = _n_models(params)
    if points.dim() not in (2, 3) or points.shape[-1] != 2 or (
            points.dim() == 3 and points.shape[0] != n_models):
        raise ValueError(f"derivatives: points must be (N, 2) or (M={n_models}, N, 2), "
                         f"got {tuple(points.shape)}")
    dtype = next(iter(params.values())).dtype
    if points.dtype != dtype:
        raise ValueError(f"derivatives: points are {points.dtype} but the parameters {dtype}")
    if order not in (1, 2):
        raise ValueError(f"derivatives: order must be 1 or 2, got {order}")
    if method not in METHODS:
        raise ValueError(f"derivatives: method must be one of {METHODS}, got {method!r}")
    if chunk_size is None:
        chunk_size = max(1, CPU_BLOCK // n_models) if points.device.type == "cpu" else None
    elif chunk_size < 1:
        raise ValueError(f"derivatives: chunk_size must be >= 1, got {chunk_size}")

    points_axis = 0 if points.dim() == 3 else None
    per_model = vmap(partial(_one_model, fn, order, method), in_dims=(0, points_axis))
    blocks = points.split(chunk_size, dim=-2) if chunk_size else (points,)
    parts = [per_model(dict(params), block) for block in blocks]
    u, g = torch.cat([p[0] for p in parts], 1), torch.cat([p[1] for p in parts], 1)
    hess = torch.cat([p[2] for p in parts], 1) if order == 2 else None
    return Derivatives(u, g, hess)


def _one_model(fn: PointFn, order: int, method: str, params: Mapping[str, Tensor], x: Tensor
               ) -> tuple[Tensor, ...]:
    """One model, a block of points ``x (n, 2)`` -> ``u (n,)``, ``∇u (n, 2)`` [, ``H (n, 2, 2)``]."""

    def total(x: Tensor) -> tuple[Tensor, Tensor]:
        u = vmap(fn, in_dims=(None, 0))(params, x)
        return u.sum(), u

    def first(x: Tensor) -> tuple[Tensor, Tensor]:
        # pointwise by construction (vmap over points), so ∇ of the sum is the per-point gradient
        return grad(total, has_aux=True)(x)

    if order == 1:
        g, u = first(x)
        return u, g

    def column(e: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """``u, ∇u`` and ``H e`` at every point of the block for the direction ``e (2,)``."""
        if method == "fwd-rev":
            (g, u), (h_e, _) = jvp(first, (x,), (e.expand_as(x),))
            return u, g, h_e

        def along(x: Tensor) -> tuple[Tensor, tuple[Tensor, Tensor]]:
            g, u = first(x)
            return (g @ e).sum(), (u, g)

        h_e, (u, g) = grad(along, has_aux=True)(x)
        return u, g, h_e

    # u and ∇u do not depend on the direction: vmap computes them once and returns expanded views
    # (out_dims=None would be cleaner but is refused under an outer vmap, PyTorch 2.x)
    basis = torch.eye(2, dtype=x.dtype, device=x.device)
    u, g, h = vmap(column)(basis)
    return u[0], g[0], h.movedim(0, -2)


def _n_models(params: Mapping[str, Tensor]) -> int:
    sizes = {name: p.shape[0] if p.dim() else None for name, p in params.items()}
    if not sizes or None in sizes.values() or len(set(sizes.values())) != 1:
        raise ValueError("derivatives: params must be a non-empty dict of (M, *shape) tensors with "
                         f"one M; got leading sizes {sizes}")
    return next(iter(sizes.values()))


def operator_residual(d: Derivatives, coeffs: Tensor, source: Tensor | float) -> Tensor:
    """``L u − f`` with ``L u = Σ_k coeffs[k] · terms[k]`` (``terms.TERMS`` order), ``(M, N)``.

    ``coeffs``: ``(6,)`` for all models and points, ``(M, 6)`` per model, or ``(M or 1, N, 6)``
    per model and point (variable coefficients). ``source``: broadcastable to ``(M, N)``.
    Other shapes raise ValueError rather than broadcast in a way that could mix up M and N.
    """
    return (d.terms() * _coeff_field(d, coeffs)).sum(-1) - _field("source", source, d)


def _coeff_field(d: Derivatives, coeffs: Tensor) -> Tensor:
    m, n = d.u.shape
    shape = tuple(coeffs.shape)
    if shape == (N_TERMS,):
        return coeffs
    if shape == (m, N_TERMS):
        return coeffs[:, None, :]
    if len(shape) == 3 and shape[0] in (1, m) and shape[1:] == (n, N_TERMS):
        return coeffs
    raise ValueError(f"operator_residual: coeffs must be ({N_TERMS},), (M={m}, {N_TERMS}) or "
                     f"(M={m} or 1, N={n}, {N_TERMS}), got {shape}")


def relative_residual(d: Derivatives, coeffs: Tensor, source: Tensor | float) -> Tensor:
    """The PDE residual relative to the size of what it balances, ``(M,)``:

        RMS(L u − f) / RMS(|f| + Σ_k |c_k T_k[u]|)   over the N points.

    A pointwise backward error (Oettli & Prager 1964, "Compatibility of approximate solution of
    linear equations with given error bounds for coefficients and right-hand sides"): 1e-3 means the
    terms of the equation cancel to 0.1 % of their size. Unlike a residual relative to the source
    alone, it is defined and scale-free for f ≡ 0 (Laplace, heat, wave). 0 where every term and the
    source vanish (the equation then holds exactly). Arguments as :func:`operator_residual`.
    """
    r = operator_residual(d, coeffs, source)
    return _ratio(r.square().mean(-1).sqrt(), residual_size(d, coeffs, source))


def residual_size(d: Derivatives, coeffs: Tensor, source: Tensor | float) -> Tensor:
    """``RMS(|f| + Σ_k |c_k T_k[u]|)`` over the N points, ``(M,)``: the denominator of
    :func:`relative_residual`."""
    parts = d.terms() * _coeff_field(d, coeffs)
    return (parts.abs().sum(-1) + _field("source", source, d).abs()).square().mean(-1).sqrt()


def _ratio(num: Tensor, den: Tensor) -> Tensor:
    return torch.where(num > 0, num / den.clamp_min(torch.finfo(den.dtype).tiny), torch.zeros_like(num))


def dirichlet_residual(d: Derivatives, g: Tensor | float) -> Tensor:
    """``u − g``, ``(M, N)``; ``g`` broadcastable to ``(M, N)``."""
    return d.u - _field("g", g, d)


def flux_residual(d: Derivatives, direction: Tensor, g: Tensor | float) -> Tensor:
    """``∇u · direction − g``, ``(M, N)``.

    ``direction``: ``(N, 2)`` or ``(M, N, 2)``, not necessarily unit: outward normals for Neumann
    conditions, ``(0, 1)`` for an initial rate u_t in (x, t) problems. ``g`` broadcastable to (M, N).
    """
    return _flux(d, direction) - _field("g", g, d)


def robin_residual(d: Derivatives, direction: Tensor, a: Tensor | float, b: Tensor | float,
                   g: Tensor | float) -> Tensor:
    """``a·u + b·(∇u · direction) − g``, ``(M, N)``; ``a``, ``b``, ``g`` broadcastable to (M, N),
    ``direction`` as in :func:`flux_residual`."""
    return _field("a", a, d) * d.u + _field("b", b, d) * _flux(d, direction) - _field("g", g, d)


def relative_boundary_residual(edge: Derivatives, direction: Tensor, a: Tensor | float, b: Tensor | float,
                               g: Tensor | float, interior: Derivatives) -> Tensor:
    """The boundary residual relative to the size of what the conditions compare, ``(M,)``:

        RMS(a u + b ∇u·d − g) / RMS(|a|·U + |b|·|d|·G + |g|)   over the boundary rows,

    with U = RMS(u) and G = RMS(|∇u|) over the ``interior`` points (the solution's own size: a
    pointwise ratio would be 1 wherever the data are zero, e.g. u = 0 on an edge). The companion of
    :func:`relative_residual`; ``edge`` needs first derivatives at the rows, the other arguments
    are as in :func:`robin_residual`. 0 where the conditions hold exactly.
    """
    r = robin_residual(edge, direction, a, b, g)
    return _ratio(r.square().mean(-1).sqrt(), boundary_size(edge, direction, a, b, g, interior))


def boundary_size(edge: Derivatives, direction: Tensor, a: Tensor | float, b: Tensor | float,
                  g: Tensor | float, interior: Derivatives) -> Tensor:
    """``RMS(|a|·U + |b|·|d|·G + |g|)`` over the boundary rows, ``(M,)``: the denominator of
    :func:`relative_boundary_residual`."""
    size_u = interior.u.square().mean(-1).sqrt()[:, None]
    size_grad = interior.grad.square().sum(-1).mean(-1).sqrt()[:, None]
    size = (_field("a", a, edge).abs() * size_u
            + _field("b", b, edge).abs() * direction.norm(dim=-1) * size_grad + _field("g", g, edge).abs())
    return size.square().mean(-1).sqrt()


def _flux(d: Derivatives, direction: Tensor) -> Tensor:
    m, n = d.u.shape
    if tuple(direction.shape) not in ((n, 2), (m, n, 2)):
        raise ValueError(f"direction must be (N={n}, 2) or (M={m}, N={n}, 2), "
                         f"got {tuple(direction.shape)}")
    return (d.grad * direction).sum(-1)


def _field(name: str, value: Tensor | float, d: Derivatives) -> Tensor:
    value = torch.as_tensor(value, dtype=d.u.dtype, device=d.u.device)
    try:
        ok = torch.broadcast_shapes(value.shape, d.u.shape) == d.u.shape
    except RuntimeError:
        ok = False
    if not ok:
        raise ValueError(f"{name} must broadcast to (M, N) = {tuple(d.u.shape)}, "
                         f"got {tuple(value.shape)}")
    return value


def loop_derivatives(module: nn.Module, params: Mapping[str, Tensor], points: Tensor,
                     order: int = 2) -> Derivatives:
    """Reference: the per-model ``torch.autograd.grad`` loop of the HyPINO code.

    Same inputs and outputs as :func:`derivatives` for a pointwise ``module`` ``(N, 2) -> (N, 1)``
    (the gradient of ``u.sum()`` is then the per-point gradient). Kept for tests and benchmarks.
    """
    n_models = _n_models(params)
    buffers = dict(module.named_buffers())
    us, gs, hs = [], [], []
    with torch.enable_grad():
        for m in range(n_models):
            x = (points[m] if points.dim() == 3 else points).detach().requires_grad_()
            p = {name: value[m] for name, value in params.items()}
            u = functional_call(module, (p, buffers), (x,), strict=True)[:, 0]
            (g,) = torch.autograd.grad(u.sum(), x, create_graph=True)
            us.append(u)
            gs.append(g)
            if order >= 2:
                rows = [torch.autograd.grad(g[:, i].sum(), x, create_graph=True)[0]
                        for i in range(2)]
                hs.append(torch.stack(rows, dim=-2))
    return Derivatives(torch.stack(us), torch.stack(gs), torch.stack(hs) if hs else None)
