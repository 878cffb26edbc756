"""Interval bound propagation (IBP; Gowal et al. 2018) through a hypernetwork and an MLP target, as
HyperInterval needs (Krukowski, Bielawska, Książek, Wawrzyński, Batorski & Spurek 2024).

Intervals are (mid, rad) pairs. A linear layer with point weights maps ``(μ, r) -> (Wμ + b, |W| r)``
(exact); a monotone activation φ maps the box ``[μ−r, μ+r]`` to ``[φ(μ−r), φ(μ+r)]``. With interval
weights ``W_m ± W_r`` (the hypernetwork's output) and inputs ``x_m ± x_r`` the enclosure is
``W_m x_m + b_m ± (|W_m| x_r + W_r |x_m| + W_r x_r + b_r)``, which is sound (every product of
points in the boxes lies inside). HINT's CNN path (three forward passes with lower, middle and
upper weights) is not a bound, so only MLP targets are supported here.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from hyperpino.errors import HyperpinoError
from hyperpino.hypernet import MLP, ChunkedHead, HyperNetwork, PerTensorHead
from hyperpino.hypernet.spec import module_key

_MONOTONE = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.ELU)

Box = tuple[Tensor, Tensor]


def monotone(act: nn.Module, mid: Tensor, rad: Tensor) -> Box:
    """A non-decreasing activation applied to a box."""
    if not isinstance(act, _MONOTONE):
        raise HyperpinoError(f"interval: {type(act).__name__} is not a supported monotone activation")
    lo, hi = act(mid - rad), act(mid + rad)
    return 0.5 * (lo + hi), 0.5 * (hi - lo)


def mlp_box(mlp: MLP, mid: Tensor, rad: Tensor) -> Box:
    """IBP through the core's :class:`~hyperpino.hypernet.MLP` (point weights),
    ``(..., in) -> (..., out)``."""
    n = len(mlp.layers)
    for i, layer in enumerate(mlp.layers):
        mid, rad = layer(mid), rad @ layer.weight.abs().T
        if mlp.activate_last or i < n - 1:
            mid, rad = monotone(mlp.act, mid, rad)
    return mid, rad


def hypernet_box(
    hnet: HyperNetwork, lo: Tensor, hi: Tensor
) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """Bounds on the weights generated for every conditioning vector in ``[lo, hi] (M, E)``:
    ``(mid, rad)``, each ``name -> (M, *shape)``. Supports per-tensor and chunked heads, no or
    cos/sin encoding (sigmoid-squashed embeddings, as :class:`HNET` feeds them) and MIP's θ0."""
    cfg = hnet.config
    if cfg.encoding == "cos_sin":
        # σ, cos(πγ/2) and sin(πγ/2) are monotone on [0, 1]: the bounds are the images of the ends.
        g_lo, g_hi = torch.sigmoid(lo), torch.sigmoid(hi)
        lo = torch.cat([torch.cos(0.5 * math.pi * g_hi), torch.sin(0.5 * math.pi * g_lo)], dim=-1)
        hi = torch.cat([torch.cos(0.5 * math.pi * g_lo), torch.sin(0.5 * math.pi * g_hi)], dim=-1)
    elif cfg.encoding is not None:
        raise HyperpinoError(f"interval: encoding {cfg.encoding!r} is not supported")
    mid, rad = 0.5 * (lo + hi), 0.5 * (hi - lo)
    if hnet.trunk is not None:
        mid, rad = mlp_box(hnet.trunk, mid, rad)
    head, spec, m = hnet.head, hnet.spec, mid.shape[0]
    if isinstance(head, PerTensorHead):
        out_mid, out_rad = {}, {}
        for e in spec:
            om, orad = mlp_box(head.heads[module_key(e.name)], mid, rad)
            out_mid[e.name], out_rad[e.name] = om.reshape(m, *e.shape), orad.reshape(m, *e.shape)
    elif isinstance(head, ChunkedHead):
        k = head.n_chunks
        emb = head.chunk_emb[None].expand(m, -1, -1)
        cm = torch.cat([mid[:, None].expand(m, k, -1), emb], dim=-1)
        cr = torch.cat([rad[:, None].expand(m, k, -1), torch.zeros_like(emb)], dim=-1)
        cm, cr = mlp_box(head.generator, cm, cr)
        out_mid = spec.unflatten(cm.reshape(m, -1)[:, : spec.numel])
        out_rad = spec.unflatten(cr.reshape(m, -1)[:, : spec.numel])
    else:
        raise HyperpinoError(
            f"interval: the {type(head).__name__} is not supported (use per_tensor or chunked)"
        )
    if hnet.base is not None:
        theta0 = hnet.base()
        out_mid = {n: theta0[n] + v for n, v in out_mid.items()}
    else:
        out_mid = {e.name: out_mid[e.name] + 1.0 if e.role == "norm" else out_mid[e.name] for e in spec}
    return out_mid, out_rad


def check_mlp_target(target: nn.Module) -> None:
    """Raise unless ``target`` is a ``Sequential`` of Flatten, Linear and monotone activations."""
    if not isinstance(target, nn.Sequential):
        raise HyperpinoError("interval: the target must be an nn.Sequential MLP "
                             "(Flatten, Linear, activations)")
    for name, layer in target.named_children():
        if not isinstance(layer, (nn.Flatten, nn.Linear, *_MONOTONE)):
            raise HyperpinoError(f"interval: target layer {name} ({type(layer).__name__}) is not supported; "
                                 "IBP needs Flatten, Linear and monotone activations")


def target_box(target: nn.Sequential, mid: dict[str, Tensor], rad: dict[str, Tensor], x: Tensor) -> Box:
    """Output bounds of the MLP ``target`` for interval weights ``mid ± rad`` (``name -> (M, *shape)``)
    on point inputs ``x (N, ...)``: ``(mid, rad)`` each ``(M, N, out)``."""
    m = next(iter(mid.values())).shape[0]
    xm = x[None].expand(m, *x.shape)
    xr = torch.zeros_like(xm)
    for name, layer in target.named_children():
        if isinstance(layer, nn.Flatten):
            xm, xr = xm.flatten(2), xr.flatten(2)
        elif isinstance(layer, nn.Linear):
            wm, wr = mid[f"{name}.weight"], rad[f"{name}.weight"]
            ym = xm @ wm.transpose(1, 2)
            yr = xr @ wm.abs().transpose(1, 2) + xm.abs() @ wr.transpose(1, 2) + xr @ wr.transpose(1, 2)
            if layer.bias is not None:
                ym, yr = ym + mid[f"{name}.bias"][:, None], yr + rad[f"{name}.bias"][:, None]
            xm, xr = ym, yr
        else:
            xm, xr = monotone(layer, xm, xr)
    return xm, xr
