"""Local dataset files: CIFAR python batches load as data and can run no code."""

import os
import pickle

import numpy as np
import pytest

from hyperpino.continual.files import _unpickle
from hyperpino.errors import HyperpinoError


def test_cifar_batch_loads(tmp_path):
    batch = {b"data": np.arange(2 * 3072, dtype=np.uint8).reshape(2, 3072), b"labels": [3, 7],
             b"batch_label": b"training batch 1 of 5"}
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps(batch, protocol=2))
    out = _unpickle(path)
    assert out[b"labels"] == [3, 7] and np.array_equal(out[b"data"], batch[b"data"])


class _Payload:
    def __reduce__(self):
        return (os.system, ("touch MARKER",))


def test_tampered_pickle_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "data_batch_1"
    path.write_bytes(pickle.dumps({b"data": _Payload()}))
    with pytest.raises(HyperpinoError, match="refusing to load"):
        _unpickle(path)
    assert not (tmp_path / "MARKER").exists()
