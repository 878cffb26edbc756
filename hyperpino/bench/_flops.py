"""Model FLOPs of whatever runs inside a context, by torch's per-operator formulas.

``torch.utils.flop_counter.FlopCounterMode`` attributes FLOPs to modules through a
``ModuleTracker``, which hooks every module call and registers gradient hooks on its inputs. Under
``torch.no_grad()`` a view of a parameter (``queries[None].expand(...)``, as HyPINO's attention
pooling makes) requires grad yet has no gradient function, and the tracker fails with "Expected
gradient function to be set" (PyTorch 2.4+, CPU and CUDA alike). HyPINO's training step has such a
no-grad forward (the refinement-style share of the batch), so this counter keeps only the part of
``FlopCounterMode`` that counts: a dispatch mode applying ``flop_registry`` (matrix products,
convolutions, attention kernels; elementwise operations count zero), with no module tracking.
"""

from __future__ import annotations

from collections import Counter

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry


class FlopCount(TorchDispatchMode):
    """``with FlopCount() as c: ...`` then ``c.total`` (FLOPs) and ``c.by_op`` (per operator name).

    Forward, backward and ``no_grad`` regions alike; inside ``torch.func`` transforms it sees the
    batched operators that actually run.
    """

    def __init__(self):
        super().__init__()
        self.by_op: Counter[str] = Counter()

    @property
    def total(self) -> int:
        return sum(self.by_op.values())

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if isinstance(func, torch._ops.HigherOrderOperator):
            return NotImplemented
        packet = func._overloadpacket
        formula = flop_registry.get(packet)
        if formula is None and func is not torch.ops.prim.device.default:
            # An operator without a formula may decompose into ones that have one (as in FlopCounterMode).
            with self:
                out = func.decompose(*args, **kwargs)
            if out is not NotImplemented:
                return out
        out = func(*args, **kwargs)
        if formula is not None:
            self.by_op[str(packet).removeprefix("aten.")] += int(formula(*args, **kwargs, out_val=out))
        return out
