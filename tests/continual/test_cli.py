"""``hyperpino continual run`` end to end on the tiny shipped digits, and its one-line errors."""

import json

from hyperpino.cli import main


def test_run_writes_results_and_heatmap(tmp_path, capsys):
    out = tmp_path / "run"
    args = ["continual", "run", "--benchmark", "split-digits", "--method", "chunked", "--scenario", "cl3",
            "--seeds", "1", "--tasks", "2", "--steps", "5", "--hidden", "16", "--out", str(out),
            "--quiet", "--json"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["summary"]
    assert set(summary) == {"final_average", "backward_transfer", "forgetting"}
    result = json.loads((out / "results.json").read_text())
    assert len(result["runs"][0]["acc"]) == 2
    assert (out / "accuracy.png").is_file() and (out / "seed0" / "state.safetensors").is_file()
    assert main(args) == 0  # resumes: both tasks done, nothing retrained


def test_bad_flags_exit_2_with_one_line(capsys):
    assert main(["continual", "run", "--method", "nope", "--benchmark", "split-digits", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --method") and "\n" not in err
    assert main(["continual", "run", "--benchmark", "split-fashion", "--quiet"]) == 2
    assert "--data-dir" in capsys.readouterr().err


def test_unset_options_come_from_the_benchmarks_preset(tmp_path, capsys):
    from hyperpino.continual.presets import preset

    out = tmp_path / "perm"
    assert main(["continual", "run", "--benchmark", "permuted-mnist", "--tasks", "2", "--steps", "1",
                 "--option", "reg_batch=1", "--out", str(out), "--quiet"]) == 0
    result = json.loads((out / "results.json").read_text())
    chosen = preset("permuted-mnist")
    assert result["preset"] == "permuted-mnist" and result["hidden"] == list(chosen.hidden) == [300, 300]
    assert result["options"] == {**chosen.options("hnet"), "reg_batch": 1}
    assert result["options"]["beta"] == 0.05
    train = json.loads((out / "seed0" / "state.json").read_text())["meta"]["train"]
    assert train == {**chosen.train.__dict__, "steps_per_task": 1}
    assert (train["batch_size"], train["schedule"], train["augment_shift"]) == (128, "cosine", 1)


def test_unknown_preset_is_a_one_line_error(capsys):
    assert main(["continual", "run", "--benchmark", "split-digits", "--preset", "nope", "--quiet"]) == 2
    assert capsys.readouterr().err.strip().startswith("error: --preset")


def test_evaluate_rescores_a_cl1_run_in_cl3(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["continual", "run", "--benchmark", "split-digits", "--tasks", "3", "--steps", "30",
                 "--seeds", "2", "--out", str(out), "--quiet", "--json"]) == 0
    cl1 = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["summary"]["final_average"]["mean"]
    assert main(["continual", "evaluate", str(out), "--scenario", "cl1"]) == 0
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert abs(again["mean"] - cl1) < 1e-9 and len(again["seeds"]) == 2
    assert main(["continual", "evaluate", str(out), "--scenario", "cl3"]) == 0
    ppca = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["mean"]
    assert main(["continual", "evaluate", str(out), "--inference", "entropy"]) == 0
    entropy = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["mean"]
    assert 0 < entropy < ppca <= 1
    assert main(["continual", "evaluate", str(tmp_path / "nothing")]) == 2


def test_validation_scores_on_held_out_training_images(tmp_path, capsys):
    out = tmp_path / "val"
    assert main(["continual", "run", "--benchmark", "split-digits", "--tasks", "2", "--steps", "2",
                 "--validation", "--out", str(out), "--quiet"]) == 0
    result = json.loads((out / "results.json").read_text())
    assert result["validation"] is True
    assert main(["continual", "evaluate", str(out), "--scenario", "cl1"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["seeds"][0] == result["runs"][0][
        "final_average"]


def test_seeds_run_apart_are_picked_up_by_a_later_run(tmp_path, capsys):
    common = ["continual", "run", "--benchmark", "split-digits", "--tasks", "2", "--steps", "3",
              "--out", str(tmp_path / "r"), "--quiet"]
    assert main([*common, "--first-seed", "1"]) == 0
    alone = json.loads((tmp_path / "r" / "results.json").read_text())["runs"][0]["acc"]
    assert main([*common, "--seeds", "2"]) == 0  # trains seed 0, loads the finished seed 1
    runs = json.loads((tmp_path / "r" / "results.json").read_text())["runs"]
    assert runs[1]["acc"] == alone and len(runs) == 2
