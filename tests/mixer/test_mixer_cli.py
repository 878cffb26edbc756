"""``hyperpino mixer data/train/adapt/eval`` end to end on a tiny problem, and its error messages."""

import json

from hyperpino.cli import main


def test_data_train_adapt_eval(tmp_path, capsys):
    data, ckpt, out = tmp_path / "lv.h5", tmp_path / "ck", tmp_path / "ev"
    assert main(["mixer", "data", "--suite", "lv", "--out", str(data), "--n-t", "5", "--horizon", "0.3",
                 "--quiet"]) == 0
    cfg = tmp_path / "run.toml"
    cfg.write_text(f'data = "{data}"\n[model]\nn_experts = 2\nwidth = 8\n[model.solver]\nsubsteps = 1\n'
                   "[train]\nouter_steps = 2\nctx_steps = 1\nmodel_steps = 1\n")
    assert main(["mixer", "train", "--config", str(cfg), "--out", str(ckpt), "--quiet"]) == 0
    assert (ckpt / "model.safetensors").is_file() and (ckpt / "state.json").is_file()
    trace = json.loads((ckpt / "gate" / "trace.json").read_text())  # one diagnostic per gate update
    assert trace and len(list((ckpt / "gate").glob("update_*.png"))) == len(trace)
    assert {"routes", "losses", "purity", "margins"} <= set(trace[0])
    assert main(["mixer", "adapt", "--ckpt", str(ckpt), "--data", str(data), "--steps", "2", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["mixer", "eval", "--ckpt", str(ckpt), "--data", str(data), "--out", str(out), "--quiet",
                 "--json"]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(line) == {"test", "adapt_test", "purity"}
    metrics = json.loads((out / "metrics.json").read_text())
    assert len(metrics["runs"][0]["test"]["mse"]) == 9
    assert (out / "routing.png").is_file() and (out / "trajectories_adapt_test.png").is_file()


def test_user_errors_exit_2_with_one_line(tmp_path, capsys):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[model]\nn_expert = 2\n")
    assert main(["mixer", "train", "--config", str(cfg), "--data", "x.h5", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: model.n_expert: unknown key") and "\n" not in err
    assert main(["mixer", "eval", "--ckpt", str(tmp_path), "--data", str(tmp_path / "none.h5"),
                 "--out", str(tmp_path / "o")]) == 2
    assert "no such data file" in capsys.readouterr().err


def test_presets_val_split_and_published_sequential_adaptation(tmp_path, capsys):
    data, ckpt, out = tmp_path / "lv.h5", tmp_path / "ck", tmp_path / "ev"
    assert main(["mixer", "data", "--suite", "lv", "--preset", "small", "--out", str(data), "--n-t", "5",
                 "--horizon", "0.3", "--quiet"]) == 0
    assert main(["mixer", "train", "--preset", "small", "--data", str(data), "--out", str(ckpt),
                 "--steps", "1", "--no-diagnostics", "--quiet"]) == 0
    state = json.loads((ckpt / "state.json").read_text())
    assert state["model"]["width"] == 32 and state["train"]["warmup"] == 0.5  # the small preset's
    assert main(["mixer", "adapt", "--ckpt", str(ckpt), "--data", str(data), "--preset", "small", "--method",
                 "published", "--mode", "sequential", "--steps", "2", "--quiet"]) == 0
    adapted = json.loads((ckpt / "adapted.json").read_text())
    got = (adapted["method"], adapted["mode"], adapted["steps"], adapted["lr"])
    assert got == ("published", "sequential", 2, 1e-2)
    capsys.readouterr()
    assert main(["mixer", "eval", "--ckpt", str(ckpt), "--data", str(data), "--out", str(out), "--quiet",
                 "--json"]) == 0
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(line) == {"val", "test", "adapt_test", "purity"}
    assert main(["mixer", "data", "--suite", "lv", "--variant", "10A", "--out", str(data)]) == 2
