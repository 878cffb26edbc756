"""``hyperpino bench mixer``: option validation, the table, and (slow) a quick run of one suite."""

import pytest

from hyperpino.bench import mixer
from hyperpino.errors import SpecError


def test_options_are_validated_before_any_work(tmp_path):
    with pytest.raises(SpecError, match="--presets"):
        mixer.run(quick=True, out_dir=tmp_path, presets="huge")
    with pytest.raises(SpecError, match="--only"):
        mixer.run(quick=True, out_dir=tmp_path, only="selkov")


def test_table_has_a_row_per_suite_and_model():
    cell = {"mean": 0.5, "std": 0.1}
    row = {k: cell for k in ("train_loss", "val_rel", "test_mse", "test_rel", "adapt_mse", "adapt_rel",
                             "train_s", "gate_share", "purity")}
    text = mixer.table({"odebench10": {"mixer_m1": row, "naive_m3": row}, "lv": {"mixer_m10": row}})
    lines = text.splitlines()
    assert len(lines) == 5 and lines[2].startswith("| odebench10 | mixer_m1 |") and "| – |" in lines[3]


@pytest.mark.slow
def test_quick_run_on_lv(tmp_path):
    res = mixer.run(quick=True, out_dir=tmp_path, only="lv")
    assert set(res["lv"]) == {"mixer_m1", "mixer_m3", "naive_m3"} and res["preset"] == "small"
    assert res["lv"]["mixer_m3"]["train_s"]["mean"] > 0
    assert (tmp_path / "lv_mixer_m3_routing.png").is_file()
