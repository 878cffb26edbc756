"""HNET does not forget a tiny 3-task problem on which fine-tuning does; runs resume exactly."""

import json

import numpy as np
import torch
from torch import nn

from hyperpino.continual.config import ContinualTrainConfig
from hyperpino.continual.methods import build_method
from hyperpino.continual.runner import run

CFG = ContinualTrainConfig(steps_per_task=150, batch_size=32, lr=3e-3)


def tiny(outputs: int) -> nn.Module:
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, outputs))


def _acc(result):
    return np.array([[np.nan if v is None else v for v in row] for row in result["acc"]])


def test_hnet_keeps_old_tasks_while_finetuning_forgets(conflicting_tasks):
    b = conflicting_tasks
    torch.manual_seed(0)
    hnet = build_method("chunked", tiny, 3, 2, "cl1", emb_dim=8, beta=0.05)
    r_hnet = _acc(run(hnet, b, CFG, progress=False))
    torch.manual_seed(0)
    # One shared head (CL2) cannot hold w_0 and w_1 = −w_0 at once: fine-tuning must forget.
    fine = build_method("finetune", tiny, 3, 2, "cl2")
    r_fine = _acc(run(fine, b, CFG, progress=False))
    assert np.diag(r_hnet).min() > 0.9
    assert r_hnet[:, -1].min() > 0.9 and abs(r_hnet[0, -1] - r_hnet[0, 0]) < 0.05
    assert r_fine[0, 0] > 0.9 and r_fine[0, 0] - r_fine[0, 1] > 0.4  # forgotten right after task 1


def test_resume_continues_like_an_uninterrupted_run(conflicting_tasks, tmp_path):
    b = conflicting_tasks
    cfg = ContinualTrainConfig(steps_per_task=40, batch_size=32, lr=3e-3)

    def fresh():
        torch.manual_seed(0)
        return build_method("hnet", tiny, 3, 2, "cl1", emb_dim=4)

    full = run(fresh(), b, cfg, seed=1, progress=False, out_dir=tmp_path / "a", meta={"m": "hnet"})
    short = type(b)(b.name, b.tasks[:2], 2)
    # a run stopped after two tasks, then resumed with all three
    run(fresh(), short, cfg, seed=1, progress=False, out_dir=tmp_path / "b", meta={"m": "hnet"})
    saved = json.loads((tmp_path / "b" / "state.json").read_text())
    saved["acc"] = [row + [None] for row in saved["acc"]] + [[None, None, None]]
    (tmp_path / "b" / "state.json").write_text(json.dumps(saved))
    resumed = run(fresh(), b, cfg, seed=1, progress=False, out_dir=tmp_path / "b", meta={"m": "hnet"})
    assert np.allclose(_acc(resumed), _acc(full), equal_nan=True, atol=1e-6)
