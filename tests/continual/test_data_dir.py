"""``--data-dir``: MNIST-format IDX files (gz or raw) read, validated and run end to end; a bad
file is a one-line error with exit code 2. The files are synthetic, written here."""

import gzip
import struct

import numpy as np
import pytest

from hyperpino.cli import main

STEMS = {"train-images-idx3-ubyte": "xtr", "train-labels-idx1-ubyte": "ytr",
         "t10k-images-idx3-ubyte": "xte", "t10k-labels-idx1-ubyte": "yte"}


def idx_bytes(a: np.ndarray) -> bytes:
    return struct.pack(">BBBB", 0, 0, 8, a.ndim) + struct.pack(f">{a.ndim}I", *a.shape) + a.tobytes()


def write_mnist(folder, gz=("train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"), n=(60, 20)):
    """Tiny MNIST look-alike: class c is a bright c-th column block (learnable), 28×28."""
    rng = np.random.default_rng(0)
    arrays = {}
    for split, count in zip(("tr", "te"), n, strict=True):
        y = np.arange(count) % 10
        x = rng.integers(0, 30, (count, 28, 28)).astype(np.uint8)
        for i, c in enumerate(y):
            x[i, :, 2 * c + 4 : 2 * c + 6] = 255
        arrays["x" + split], arrays["y" + split] = x, y.astype(np.uint8)
    folder.mkdir(exist_ok=True)
    for stem, key in STEMS.items():
        raw = idx_bytes(arrays[key])
        if stem in gz:
            with gzip.open(folder / f"{stem}.gz", "wb") as fh:
                fh.write(raw)
        else:
            (folder / stem).write_bytes(raw)
    return folder


def run_cli(folder, out, capsys):
    code = main(["continual", "run", "--benchmark", "split-mnist-full", "--data-dir", str(folder),
                 "--tasks", "2", "--steps", "3", "--hidden", "8", "--out", str(out), "--quiet"])
    return code, capsys.readouterr().err.strip()


def test_idx_folder_runs_end_to_end(tmp_path, capsys):
    from hyperpino.continual.benchmarks import build

    folder = write_mnist(tmp_path / "mnist")
    bench = build("split-mnist-full", data_dir=folder)
    assert bench.n_tasks == 5 and bench.input_shape == (1, 28, 28)
    assert len(bench.tasks[0].y_train) == 12 and len(bench.tasks[0].y_test) == 4
    assert run_cli(folder, tmp_path / "out", capsys) == (0, "")


@pytest.mark.parametrize("damage, message", [
    (lambda raw: b"\x00\x00\x09\x03" + raw[4:], "not an unsigned-byte IDX file"),     # bad magic
    (lambda raw: raw[:-5], "holds 47035 bytes of data, its header says (60, 28, 28)"),  # truncated
    (lambda raw: raw + b"\x00", "holds 47041 bytes"),                                    # too long
    (lambda raw: raw[:9], "ends inside its IDX header"),
])
def test_bad_idx_file_is_a_one_line_error_exit_2(tmp_path, capsys, damage, message):
    folder = write_mnist(tmp_path / "mnist", gz=())
    path = folder / "train-images-idx3-ubyte"
    path.write_bytes(damage(path.read_bytes()))
    code, err = run_cli(folder, tmp_path / "out", capsys)
    assert code == 2 and "\n" not in err and err.startswith("error: data:") and message in err


def test_labels_that_do_not_fit_the_images_are_refused(tmp_path, capsys):
    folder = write_mnist(tmp_path / "mnist", gz=())
    (folder / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(19, dtype=np.uint8)))
    code, err = run_cli(folder, tmp_path / "out", capsys)
    assert code == 2 and "expected (20,)" in err and "\n" not in err
    (folder / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.full(20, 11, dtype=np.uint8)))
    code, err = run_cli(folder, tmp_path / "out", capsys)
    assert code == 2 and "label 11" in err


def test_damaged_gzip_and_missing_folder(tmp_path, capsys):
    folder = write_mnist(tmp_path / "mnist")
    gz = folder / "train-images-idx3-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[:100])
    code, err = run_cli(folder, tmp_path / "out", capsys)
    assert code == 2 and "cannot be read" in err and "\n" not in err
    code, err = run_cli(tmp_path / "nowhere", tmp_path / "out", capsys)
    assert code == 2 and "is not a folder" in err
