"""Damaged training states in ``--out``: resuming says what is wrong with the file in one line
(exit 2) instead of a traceback or a run that trains on from garbage."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from safetensors.torch import save_file
from train_cases import TINY, tiny_trainer

from hyperpino.cli import main
from hyperpino.files import read_safetensors


def _rewrite(change):
    def damage(src, dst):
        tensors, meta = read_safetensors(src)
        change(tensors, meta)
        save_file(tensors, str(dst), metadata=meta)

    return damage


def _truncate(src, dst):
    dst.write_bytes(src.read_bytes()[:1000])


def _nan(t, m):
    k = sorted(k for k in t if k.startswith("model."))[0]
    t[k] = t[k].clone()
    t[k].view(-1)[0] = float("nan")


def _opt_shape(t, m):
    k = sorted(k for k in t if k.startswith("opt.") and t[k].ndim)[0]
    t[k] = torch.zeros(3, 3)


CASES = [
    ("truncated", _truncate, "not a readable training state"),
    ("other_format", _rewrite(lambda t, m: m.update(format="x")), "not a hyperpino training state"),
    ("nan_weight", _rewrite(_nan), "NaN or infinite"),
    ("meta_not_json", _rewrite(lambda t, m: m.update(meta="{step")),
     "damaged training state (JSONDecodeError"),
    ("meta_without_step", _rewrite(lambda t, m: m.update(meta=json.dumps({"best": 1}))),
     "metadata lacks or garbles step"),
    ("param_groups_missing", _rewrite(lambda t, m: m.pop("param_groups")),
     "damaged training state (KeyError"),
    ("optimizer_shape", _rewrite(_opt_shape), "not its parameter's"),
    ("model_key_missing", _rewrite(lambda t, m: t.pop(sorted(k for k in t if k.startswith("model."))[0])),
     "does not fit this model"),
]


@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("states")
    tiny_trainer(root, "good").run(max_steps=2)
    return root


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_resume_refuses_a_damaged_state(good_run, name, tmp_path, capsys):
    damage, expected = {c[0]: (c[1], c[2]) for c in CASES}[name]
    out = tmp_path / "run"
    shutil.copytree(good_run / "good", out)
    state = out / "state.safetensors"
    damage(good_run / "good" / "state.safetensors", state)
    toml = tmp_path / "tiny.toml"
    toml.write_text(TINY)
    code = main(["train", "--config", str(toml), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.count("\n") == 0 and str(state) in err and expected in err, err
