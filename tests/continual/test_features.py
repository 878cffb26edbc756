"""Unit-RMS trunk features: every task's generated weights start at the hyperfan-in scale."""

import torch
from torch import nn

from hyperpino.continual.features import UnitRMS
from hyperpino.continual.methods import build_method
from hyperpino.hypernet import hyperfan_in_std


def _ratios(unit: bool) -> torch.Tensor:
    out = []
    for seed in range(5):
        torch.manual_seed(seed)
        m = build_method("hnet", lambda o: nn.Sequential(nn.Linear(400, 200), nn.ReLU(), nn.Linear(200, o)),
                         8, 2, "cl1", unit_features=unit)
        name = m.hnet.spec.names[0]
        with torch.no_grad():
            w = m.weights(torch.arange(8))[name]
        out.append(w.flatten(1).std(dim=1) / hyperfan_in_std(m.hnet.spec)[name])
    return torch.cat(out)


def test_unit_features_put_every_task_at_the_hyperfan_in_scale():
    plain, unit = _ratios(False), _ratios(True)
    assert (unit - 1).abs().max() < 0.02
    assert plain.std() > 10 * unit.std()  # the narrow ReLU trunk spreads tasks' scales widely


def test_unit_rms_has_mean_square_one():
    h = UnitRMS()(torch.randn(3, 7, 25) * 5)
    assert torch.allclose(h.pow(2).mean(-1), torch.ones(3, 7), atol=1e-5)
