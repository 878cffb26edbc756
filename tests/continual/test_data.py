"""Offline benchmarks and file readers."""

import gzip
import struct

import numpy as np
import pytest
import torch

from hyperpino.continual.benchmarks import build
from hyperpino.continual.files import load_idx_dir, read_idx
from hyperpino.errors import HyperpinoError


def test_split_and_permuted_digits():
    split = build("split-digits")
    assert split.n_tasks == 5 and split.classes_per_task == 2 and split.input_shape == (1, 8, 8)
    assert all(set(t.y_train.tolist()) == {0, 1} for t in split.tasks)
    perm = build("permuted-digits", n_tasks=3)
    a, b = perm.tasks[0].x_train, perm.tasks[1].x_train
    assert torch.equal(a.flatten(1).sort(1).values, b.flatten(1).sort(1).values)  # same pixels, moved
    assert not torch.equal(a, b)


def test_idx_round_trip(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    raw = struct.pack(">BBBBIII", 0, 0, 8, 3, 2, 3, 4) + images.tobytes()
    with gzip.open(tmp_path / "x.gz", "wb") as fh:
        fh.write(raw)
    assert np.array_equal(read_idx(tmp_path / "x.gz"), images)


def test_missing_files_are_one_line_errors(tmp_path):
    with pytest.raises(HyperpinoError, match="train-images-idx3-ubyte") as err:
        load_idx_dir(tmp_path)
    assert "\n" not in str(err.value)
    with pytest.raises(HyperpinoError, match="--data-dir"):
        build("split-cifar10")
