"""``hyperpino bench continual``: the presets it runs under, ``--only``, and its one-line errors."""

import json

from hyperpino.bench import continual
from hyperpino.cli import main
from hyperpino.continual.presets import preset


def test_bench_runs_the_clis_presets():
    assert {s.benchmark: s.preset for s in continual.FULL} == {
        "split-mnist": preset("split-mnist"), "permuted-mnist": preset("permuted-mnist")}


def test_quick_bench_of_one_method(tmp_path, capsys):
    assert main(["bench", "continual", "--quick", "--only", "hnet", "--out", str(tmp_path)]) == 0
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    row = figures["results"]["split-digits"]["hnet"]
    assert set(figures["results"]["split-digits"]) == {"hnet"} and 50 < row["cl1"]["mean"] <= 100
    assert "\n| HNET | " in (tmp_path / "table.md").read_text()


def test_unknown_method_in_only_is_a_one_line_error(capsys):
    assert main(["bench", "continual", "--quick", "--only", "hnet,nope"]) == 2
    assert "--only" in capsys.readouterr().err
