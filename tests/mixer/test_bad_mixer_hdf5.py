"""Bad trajectory files through ``mixer train --data``: exit 2, one line naming the file and the
dataset and what is wrong, no traceback. Each case damages a good generated file once."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest

from hyperpino.cli import main


def _bytes(content: bytes):
    return lambda good, dst: dst.write_bytes(content)


def _truncate(fraction: float):
    def damage(good: Path, dst: Path) -> None:
        raw = good.read_bytes()
        dst.write_bytes(raw[: int(len(raw) * fraction)])

    return damage


def _edit(edit: Callable[[h5py.File], None]):
    def damage(good: Path, dst: Path) -> None:
        shutil.copy(good, dst)
        with h5py.File(dst, "r+") as f:
            edit(f)

    return damage


def _replace(key: str, make: Callable[[np.ndarray], object]):
    """Dataset ``key`` (e.g. ``train/X``) replaced by ``make(old)``; None deletes it."""

    def edit(f: h5py.File) -> None:
        old = f[key][()]
        del f[key]
        new = make(old)
        if new is not None:
            f.create_dataset(key, data=new)

    return _edit(edit)


def _group_instead(key: str):
    def edit(f: h5py.File) -> None:
        del f[key]
        f.create_group(key)

    return _edit(edit)


def _attr(name: str, value):
    def edit(f: h5py.File) -> None:
        f.attrs[name] = value

    return _edit(edit)


def _train_a_dataset(f: h5py.File) -> None:
    del f["train"]
    f.create_dataset("train", data=np.zeros(3))


def _nan(a: np.ndarray) -> np.ndarray:
    a = a.astype(np.float64)
    a.reshape(-1)[-1] = np.nan
    return a


CASES: list[tuple[str, Callable, str]] = [
    ("empty", _bytes(b""), "not a readable HDF5 file (empty file)"),
    ("bad_magic", _bytes(b"\x89HDF\r\n\x1a\x0b" + b"\0" * 300), "not a readable HDF5 file"),
    ("csv", _bytes(b"t,x\n0,1\n"), "not a readable HDF5 file"),
    ("truncated_30", _truncate(0.3), "not a readable HDF5 file"),
    ("truncated_90", _truncate(0.9), ""),
    ("no_train", _edit(lambda f: f.__delitem__("train")), "has no 'train' group"),
    ("train_a_dataset", _edit(_train_a_dataset), "has no 'train' group"),
    ("missing_X", _replace("train/X", lambda a: None), "missing dataset 'X'"),
    ("missing_t", _replace("train/t", lambda a: None), "missing dataset 't'"),
    ("X_a_group", _group_instead("train/X"), "train/X: is not a dataset"),
    ("X_strings", _replace("train/X", lambda a: a.astype("S8")), "train/X: has dtype"),
    ("t_strings", _replace("train/t", lambda a: a.astype("S8")), "train/t: has dtype"),
    ("family_float", _replace("train/family", lambda a: a.astype(np.float32) + 0.5),
     "train/family: has dtype"),
    ("family_out_of_range", _replace("train/family", lambda a: a + 100), "train/family: indices must be"),
    ("X_3d", _replace("train/X", lambda a: a[..., 0]), "expected shape (E, N, T, d)"),
    ("X_scalar", _replace("train/X", lambda a: np.float32(1)), "expected shape (E, N, T, d)"),
    ("zero_envs", _replace("train/X", lambda a: a[:0]), "needs E, N, d >= 1"),
    ("zero_trajectories", _replace("train/X", lambda a: a[:, :0]), "needs E, N, d >= 1"),
    ("one_time_point", _replace("train/X", lambda a: a[:, :, :1]), "T >= 2"),
    ("t_wrong_shape", _replace("train/t", lambda a: a[:, :-1]), "train/t: expected shape"),
    ("t_1d", _replace("train/t", lambda a: a[0]), "train/t: expected shape"),
    ("t_decreasing", _replace("train/t", lambda a: a[:, ::-1]), "strictly increasing"),
    ("nan_X", _replace("train/X", _nan), "NaN or infinite"),
    ("nan_t", _replace("train/t", _nan), "strictly increasing"),
    ("family_wrong_length", _replace("train/family", lambda a: a[:-1]), "train/family: expected shape"),
    ("params_wrong_rows", _replace("train/params", lambda a: a[:-1]), "train/params: expected"),
    ("test_dim_differs", _replace("test/X", lambda a: a[..., :1]), "state dimensions differ"),
    ("families_not_json", _attr("families", "[lv"), "families: attribute must be a JSON list"),
    ("families_a_dict", _attr("families", json.dumps({"a": 1})), "families: attribute must be a JSON list"),
]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad_mixer")
    good = root / "good.h5"
    assert main(["mixer", "data", "--suite", "lv", "--out", str(good), "--n-t", "5", "--horizon", "0.3",
                 "--quiet"]) == 0
    paths = {"good": good}
    for name, damage, _ in CASES:
        paths[name] = root / f"{name}.h5"
        damage(good, paths[name])
    cfg = root / "run.toml"
    cfg.write_text('[model]\nn_experts = 2\nwidth = 8\n[model.solver]\nsubsteps = 1\n'
                   "[train]\nouter_steps = 1\nctx_steps = 1\nmodel_steps = 1\n")
    return paths, cfg


def test_good_file_trains(corpus, tmp_path, capsys):
    paths, cfg = corpus
    code = main(["mixer", "train", "--config", str(cfg), "--data", str(paths["good"]), "--out",
                 str(tmp_path / "o"), "--quiet", "--no-diagnostics"])
    assert code == 0, capsys.readouterr().err


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_mixer_train_refuses_bad_data(corpus, name, tmp_path, capsys):
    paths, cfg = corpus
    expected = {c[0]: c[2] for c in CASES}[name]
    code = main(["mixer", "train", "--config", str(cfg), "--data", str(paths[name]), "--out",
                 str(tmp_path / "o"), "--quiet", "--no-diagnostics"])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.count("\n") == 0 and "Traceback" not in err, err
    assert paths[name].name in err and expected in err, err
