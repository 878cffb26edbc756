"""Bad mixer checkpoints through ``mixer eval`` and ``mixer adapt``: exit 2, one line naming the
file and what is wrong; sizes in ``state.json`` bounded and checked against the weights' header
before a model is built."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from safetensors.torch import save_file

from hyperpino.cli import main
from hyperpino.files import read_safetensors


def _state(change):
    def damage(ck: Path) -> None:
        st = json.loads((ck / "state.json").read_text())
        change(st)
        (ck / "state.json").write_text(json.dumps(st))

    return damage


def _text(text: str):
    return lambda ck: (ck / "state.json").write_text(text)


def _weights(change):
    def damage(ck: Path) -> None:
        tensors, meta = read_safetensors(ck / "model.safetensors")
        change(tensors)
        save_file(tensors, str(ck / "model.safetensors"), metadata=meta)

    return damage


def _nan(t: dict) -> None:
    k = sorted(k for k in t if t[k].is_floating_point())[0]
    t[k] = t[k].clone()
    t[k].view(-1)[0] = float("nan")


CASES = [
    ("state_not_json", _text("{dim: 2"), "state.json: not valid JSON"),
    ("state_a_list", _text("[1, 2]"), "state.json: expected a JSON object"),
    ("state_cut_short", lambda ck: (ck / "state.json").write_text((ck / "state.json").read_text()[:50]),
     "state.json: not valid JSON"),
    ("n_envs_huge", _state(lambda st: st.update(n_envs=10**12)), "n_envs = '1000000000000'"),
    ("dim_a_string", _state(lambda st: st.update(dim="2")), "dim = '2' is not a whole number"),
    ("width_huge", _state(lambda st: st["model"].update(width=2**40)), "width = '1099511627776'"),
    ("no_model_entry", _state(lambda st: st.pop("model")), "does not describe a model (KeyError"),
    ("unknown_expert", _state(lambda st: st["model"].update(expert="nope")), "does not describe a model"),
    ("width_lies", _state(lambda st: st["model"].update(width=16)), "does not fit the model state.json"),
    ("weights_missing", lambda ck: (ck / "model.safetensors").unlink(), "no such mixer model.safetensors"),
    ("weights_truncated", lambda ck: (ck / "model.safetensors").write_bytes(b"\x10\x00"),
     "not a readable mixer model.safetensors"),
    ("nan_weight", _weights(_nan), "holds NaN or infinite values"),
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("mixer_ck")
    data, ckpt = root / "lv.h5", root / "ck"
    assert main(["mixer", "data", "--suite", "lv", "--out", str(data), "--n-t", "5", "--horizon", "0.3",
                 "--quiet"]) == 0
    cfg = root / "run.toml"
    cfg.write_text(f'data = "{data}"\n[model]\nn_experts = 2\nwidth = 8\n[model.solver]\nsubsteps = 1\n'
                   "[train]\nouter_steps = 1\nctx_steps = 1\nmodel_steps = 1\n")
    assert main(["mixer", "train", "--config", str(cfg), "--out", str(ckpt), "--quiet",
                 "--no-diagnostics"]) == 0
    return data, ckpt


@pytest.mark.parametrize("name", [c[0] for c in CASES])
@pytest.mark.parametrize("command", ["eval", "adapt"])
def test_mixer_refuses_bad_checkpoint(trained, name, command, tmp_path, capsys):
    data, good = trained
    damage, expected = {c[0]: (c[1], c[2]) for c in CASES}[name]
    ck = tmp_path / "ck"
    shutil.copytree(good, ck)
    damage(ck)
    argv = ["mixer", command, "--ckpt", str(ck), "--data", str(data), "--quiet"]
    argv += ["--out", str(tmp_path / "ev"), "--adapt-steps", "1"] if command == "eval" else ["--steps", "1"]
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.count("\n") == 0 and str(ck) in err and expected in err, err
