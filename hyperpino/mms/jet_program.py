"""The terms of a batch of manufactured solutions laid out for batched jet evaluation.

Every term of every sample becomes a few nodes (leaves, compositions, products; see
:mod:`hyperpino.mms.grammar`), sorted by height, op and atom so that :func:`hyperpino.mms.jets.jets`
evaluates each height with a handful of large tensor calls. A term structure's node plan is built
once per process; laying out a batch is a few numpy calls per distinct structure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

GROUPS = ("sin", "tanh", "gauss", "rational", "poly1", "poly2", "poly3")
"""Atom groups; ``cos`` is ``sin`` shifted by π/2, so one group serves both."""
_GROUP = {**{g: i for i, g in enumerate(GROUPS)}, "cos": 0}
K_CONST = {"sin": (1.0, -1.0), "tanh": (1.0, -2.0), "gauss": (-2.0, -4.0), "rational": (-2.0, 6.0),
           "poly1": (1.0, 0.0), "poly2": (2.0, 2.0), "poly3": (3.0, 6.0)}
"""Per group, constants k1, k2 with f' = k1·F1 and f'' = k2·F2 for the F1, F2 that
:func:`hyperpino.mms.jets.atom` computes (the constants ride on multiplications the jet rules do
anyway)."""
LEAF, ROOT, COMP, MUL = 0, 1, 2, 3
"""Node ops: an inner leaf, a leaf that is a whole term (most terms: its jet is never built, its
f, f', f'' go straight into the sums), a composition, a product."""


@cache
def _plan(structure: tuple) -> tuple:
    """Nodes of a term structure in post-order: ``(op, group, param indices, children, height)``."""
    nodes: list[tuple] = []
    counter = [1]  # parameter 0 is the amplitude

    def take(k: int) -> tuple[int, ...]:
        out = tuple(range(counter[0], counter[0] + k))
        counter[0] += k
        return out

    def visit(n: tuple) -> int:
        if n[0] == "atom":
            nodes.append((LEAF, n[1], take(3), (), 0))
        elif n[0] == "comp":
            pw = take(2)
            child = visit(n[2])
            nodes.append((COMP, n[1], pw, (child,), nodes[child][4] + 1))
        else:
            left, right = visit(n[1]), visit(n[2])
            nodes.append((MUL, "", (), (left, right), max(nodes[left][4], nodes[right][4]) + 1))
        return len(nodes) - 1

    visit(structure[1])
    if len(nodes) == 1:
        nodes[0] = (ROOT, *nodes[0][1:])
    return tuple(nodes)


@dataclass(frozen=True)
class Program:
    """The nodes of a batch's terms, sorted by (height, op, group, slot).

    Per node ``(n,)``: ``op``, ``group``, ``sample``, parameters ``p (n, 3)`` (leaf: a, b, c;
    composition: w, c), children ``left, right`` (−1: none), ``k (n, 2)`` (see :data:`K_CONST`), ``amp``
    (the term's amplitude at its root, else 0); ``levels`` lists per height the
    ``(op, group, start, stop)`` runs. The slot (term position in its sample) as last sort key
    fixes the order in which a sample's terms are summed, whatever else is in the batch.
    """

    n_samples: int
    op: np.ndarray
    sample: np.ndarray
    p: np.ndarray
    k: np.ndarray
    left: np.ndarray
    right: np.ndarray
    amp: np.ndarray
    levels: list[list[tuple[int, int, int, int]]]
    bubble: np.ndarray | None = None
    """Per sample, the bubble code (:mod:`hyperpino.mms.bubble`) that multiplies its sum; ``None``:
    no bubbles in this program."""


def compile_terms(terms: list[list], bubble=None) -> Program:
    """Lay out ``terms[b]`` (lists of ``(structure, params)``) of ``B`` samples for :func:`jets`;
    ``bubble (B,)`` (optional) bubble codes, see :mod:`hyperpino.mms.bubble`."""
    codes = None if bubble is None else np.asarray(bubble, dtype=np.int64).reshape(len(terms))
    if codes is not None and not codes.any():
        codes = None
    by_structure: dict[tuple, list] = {}
    for b, sample in enumerate(terms):
        for t, (structure, params) in enumerate(sample):
            by_structure.setdefault(structure, []).append((b, t, params))
    cols: dict[str, list] = {k: [] for k in ("op", "group", "height", "slot", "sample", "p", "left", "right",
                                              "amp")}
    count = 0
    for structure, inst in by_structure.items():
        n = len(inst)
        smp, slot = np.array([b for b, _, _ in inst]), np.array([t for _, t, _ in inst])
        par = np.stack([np.asarray(p, dtype=np.float64) for _, _, p in inst])
        plan = _plan(structure)
        ids = []
        for j, (op, name, pidx, children, height) in enumerate(plan):
            ids.append(np.arange(count, count + n))
            count += n
            p = np.zeros((n, 3))
            p[:, : len(pidx)] = par[:, list(pidx)]
            if name == "cos":  # cos z = sin(z + π/2): shift the constant of the argument
                p[:, len(pidx) - 1] += math.pi / 2
            for key, val in (("op", op), ("group", _GROUP.get(name, -1)), ("height", height)):
                cols[key].append(np.full(n, val))
            cols["slot"].append(slot)
            cols["sample"].append(smp)
            cols["p"].append(p)
            cols["left"].append(ids[children[0]] if children else np.full(n, -1))
            cols["right"].append(ids[children[1]] if len(children) > 1 else np.full(n, -1))
            cols["amp"].append(par[:, 0] if j == len(plan) - 1 else np.zeros(n))
    if not count:
        z = np.zeros(0)
        e = z.astype(np.int64)
        return Program(len(terms), e, e, np.zeros((0, 3)), np.zeros((0, 2)), e, e, z, [], codes)
    cat = {k: np.concatenate(v) for k, v in cols.items()}
    order = np.lexsort((cat["slot"], cat["group"], cat["op"], cat["height"]))
    where = np.empty_like(order)
    where[order] = np.arange(len(order))
    remap = lambda ix: np.where(ix >= 0, where[np.maximum(ix, 0)], -1)  # noqa: E731
    op, group, height = cat["op"][order], cat["group"][order], cat["height"][order]
    k = np.array([(0.0, 0.0)] + [K_CONST[g] for g in GROUPS])[group + 1]
    key = np.stack([height, op, group])
    cut = np.flatnonzero((key[:, 1:] != key[:, :-1]).any(0)) + 1
    bounds = np.concatenate([[0], cut, [len(order)]]).astype(np.int64)
    levels: list[list] = [[] for _ in range(int(height.max()) + 1)]
    for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
        levels[height[start]].append((int(op[start]), int(group[start]), int(start), int(stop)))
    return Program(len(terms), op, cat["sample"][order], cat["p"][order], k, remap(cat["left"][order]),
                   remap(cat["right"][order]), cat["amp"][order], levels, codes)
