"""Bad HDF5 data through ``train --data``: exit 2, one line naming the file (and dataset) and what
is wrong, no traceback; checked up front, before the model trains on anything."""

from __future__ import annotations

import pytest
from bad_hdf5 import CASES

from hyperpino.cli import main
from hyperpino.errors import DataError
from hyperpino.mms import H5Dataset, MMSConfig

TOML = """
[train]
validation = []
heldout = 0
batch_size = 2
refine_fraction = 0.0
[model]
grid = 16
embed_dim = 8
depths = [1, 1]
num_heads = [1, 1]
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from hyperpino.mms.hdf5 import generate_file

    root = tmp_path_factory.mktemp("bad_h5")
    good = generate_file(root / "good.h5", 3, MMSConfig(grid=16, n_interior=24, n_boundary=24), seed=1,
                         shard_size=3, progress=False)
    paths = {"good": good}
    for name, damage, _ in CASES:
        paths[name] = root / f"{name}.h5"
        damage(good, paths[name])
    toml = root / "tiny.toml"
    toml.write_text(TOML)
    return paths, toml


def _train(corpus, name, tmp_path, capsys, workers="0"):
    paths, toml = corpus
    code = main(["train", "--config", str(toml), "--data", str(paths[name]), "--steps", "2", "--workers",
                 workers, "--quiet", "--out", str(tmp_path / "run")])
    return code, capsys.readouterr().err.strip()


def test_good_file_trains(corpus, tmp_path, capsys):
    code, err = _train(corpus, "good", tmp_path, capsys)
    assert code == 0, err


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_train_refuses_bad_data(corpus, name, tmp_path, capsys):
    expected = {c[0]: c[2] for c in CASES}[name]
    code, err = _train(corpus, name, tmp_path, capsys)
    assert code == 2, err
    assert err.count("\n") == 0 and "Traceback" not in err, err
    assert str(corpus[0][name]) in err and expected in err, err


@pytest.mark.parametrize("name", ["nan_source", "truncated_60"])
def test_bad_data_from_a_worker_is_one_line(corpus, name, tmp_path, capsys):
    code, err = _train(corpus, name, tmp_path, capsys, workers="1")
    assert code == 2 and err.count("\n") == 0 and str(corpus[0][name]) in err, err


def test_reader_names_the_problem_directly(corpus):
    paths, _ = corpus
    assert len(H5Dataset([paths["good"], paths["good"]])) == 6
    with pytest.raises(DataError, match="dataset 'labels' is missing"):
        H5Dataset([paths["good"], paths["missing_labels"]])
