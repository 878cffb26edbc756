"""Every ``--json`` output is one JSON object on the last line, on a fresh computation and when the
result comes from the cache (a fresh (x, t) reference once printed NumPy int32s, which json
refuses). Each case runs the command twice with a private, empty cache: fresh, then cached."""

from __future__ import annotations

import json

import pytest

from hyperpino.cli import main
from hyperpino.examples import examples_dir

EX = examples_dir()


@pytest.fixture(autouse=True)
def _private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def _last_json(capsys, argv: list[str]) -> dict:
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out.strip().splitlines()[-1])


CASES = {
    "reference_xt": lambda t: ["reference", str(EX / "heat.toml"), "--h", "0.05", "--out", str(t / "r.h5"),
                               "--json", "--quiet"],
    "reference_steady": lambda t: ["reference", str(EX / "poisson_L.toml"), "--h", "0.2", "--out",
                                   str(t / "r.h5"), "--json", "--quiet"],
    "reference_json_spec": lambda t: ["reference", str(EX / "heat_box.json"), "--h", "0.1", "--out",
                                      str(t / "r.h5"), "--json", "--quiet"],
    "solve_fem_reference": lambda t: ["solve", str(EX / "poisson_C.toml"), "--refine", "0", "--finetune", "0",
                                      "--no-plot", "--out", str(t / "s"), "--json", "--quiet"],
    "solve_xt": lambda t: ["solve", str(EX / "heat.toml"), "--refine", "1", "--finetune", "0", "--no-plot",
                           "--out", str(t / "s"), "--json", "--quiet"],
    "check": lambda t: ["check", str(EX / "poisson_G.toml"), "--json", "--quiet"],
    "mms_stats": lambda t: ["mms", "stats", str(EX / "poisson_C.toml"), "--no-benchmarks", "--n", "4",
                            "--grid", "16", "--json", "--quiet"],
    "baseline": lambda t: ["baseline", str(EX / "poisson_C.toml"), "--budget", "1s", "--out", str(t / "b"),
                           "--json", "--quiet"],
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_json_fresh_and_cached(name, tmp_path, capsys):
    argv = CASES[name](tmp_path)
    runs = [argv, argv]  # the first fills the cache, the second reads it
    if name.startswith("reference"):
        runs.insert(0, [*argv, "--no-cache"])  # fresh, and nothing cached
    outs = [_last_json(capsys, a) for a in runs]
    fresh, cached = outs[0], outs[-1]
    assert all(set(o) == set(fresh) for o in outs)
    for key in fresh:
        assert type(fresh[key]) is type(cached[key]) or None in (fresh[key], cached[key]), key


def test_mixer_eval_json_fresh_and_adapted(tmp_path, capsys):
    """``mixer eval --json`` adapting on the fly (fresh) and from ``mixer adapt``'s saved contexts."""
    data, ckpt = tmp_path / "lv.h5", tmp_path / "ck"
    assert main(["mixer", "data", "--suite", "lv", "--out", str(data), "--n-t", "5", "--horizon", "0.3",
                 "--quiet"]) == 0
    cfg = tmp_path / "run.toml"
    cfg.write_text(f'data = "{data}"\n[model]\nn_experts = 2\nwidth = 8\n[model.solver]\nsubsteps = 1\n'
                   "[train]\nouter_steps = 1\nctx_steps = 1\nmodel_steps = 1\n")
    assert main(["mixer", "train", "--config", str(cfg), "--out", str(ckpt), "--quiet",
                 "--no-diagnostics"]) == 0
    argv = ["mixer", "eval", "--ckpt", str(ckpt), "--data", str(data), "--out", str(tmp_path / "ev"),
            "--quiet", "--json", "--adapt-steps", "2"]
    fresh = _last_json(capsys, argv)
    assert main(["mixer", "adapt", "--ckpt", str(ckpt), "--data", str(data), "--steps", "2", "--quiet"]) == 0
    cached = _last_json(capsys, argv)
    assert set(fresh) == set(cached) and json.dumps(cached)


def test_continual_run_json_fresh_and_resumed(tmp_path, capsys):
    """``continual run --json`` training (fresh) and loading its finished checkpoints (second run)."""
    argv = ["continual", "run", "--benchmark", "split-digits", "--method", "hnet", "--tasks", "2",
            "--steps", "2", "--out", str(tmp_path / "c"), "--json", "--quiet"]
    fresh = _last_json(capsys, argv)
    resumed = _last_json(capsys, argv)
    assert set(fresh) == set(resumed)
    for key in fresh:
        assert type(fresh[key]) is type(resumed[key]), key
    assert json.dumps(resumed) == json.dumps(fresh)  # nothing retrained: the same accuracies
