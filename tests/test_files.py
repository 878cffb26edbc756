"""The atomic writer and the strict safetensors reader."""

from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from hyperpino.errors import CheckpointError, HyperpinoError
from hyperpino.files import output_file, output_folder, read_safetensors, write_atomic, write_text_atomic


def test_write_atomic_replaces_whole_file(tmp_path: Path):
    target = tmp_path / "sub" / "a.txt"
    write_text_atomic(target, "one")
    write_text_atomic(target, "two")
    assert target.read_text() == "two"
    assert oct(target.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in target.parent.iterdir()] == ["a.txt"]


def test_write_atomic_keeps_old_file_when_writer_fails(tmp_path: Path):
    target = tmp_path / "a.txt"
    write_text_atomic(target, "old")

    def broken(tmp: Path) -> None:
        tmp.write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, broken)
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_read_safetensors_round_trip_and_header_only(tmp_path: Path):
    path = tmp_path / "w.safetensors"
    save_file({"a": torch.ones(2)}, str(path), metadata={"k": "v"})
    tensors, meta = read_safetensors(path)
    assert torch.equal(tensors["a"], torch.ones(2)) and meta == {"k": "v"}
    assert read_safetensors(path, tensors=False) == ({}, {"k": "v"})


@pytest.mark.parametrize("content", [b"", b"not safetensors at all", b"\xff" * 8 + b"{"])
def test_read_safetensors_damaged_is_one_error(tmp_path: Path, content: bytes):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="bad.safetensors: not a readable weights file"):
        read_safetensors(path, "weights file")


def test_read_safetensors_truncated_and_missing(tmp_path: Path):
    path = tmp_path / "t.safetensors"
    save_file({"a": torch.ones(100)}, str(path))
    path.write_bytes(path.read_bytes()[:-50])
    with pytest.raises(CheckpointError, match="not a readable"):
        read_safetensors(path)
    with pytest.raises(CheckpointError, match="no such"):
        read_safetensors(tmp_path / "none.safetensors")


def test_output_folder_checks_without_creating_and_refuses_a_file_in_the_way(tmp_path: Path):
    assert output_folder(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    assert not (tmp_path / "a").exists()  # a command refused later leaves no empty folder
    assert output_folder(tmp_path) == tmp_path  # an existing folder is fine
    (tmp_path / "f").write_text("keep me")
    with pytest.raises(HyperpinoError, match=r"^--out .*f: exists and is not a folder$"):
        output_folder(tmp_path / "f")
    with pytest.raises(HyperpinoError, match=r"^--dir .*f/sub/x: .*f is not a folder$"):
        output_folder(tmp_path / "f" / "sub" / "x", "--dir")
    assert (tmp_path / "f").read_text() == "keep me"


def test_output_file_refuses_a_folder_and_a_file_in_the_way(tmp_path: Path):
    assert output_file(tmp_path / "new" / "r.h5") == tmp_path / "new" / "r.h5"
    assert not (tmp_path / "new").exists()
    with pytest.raises(HyperpinoError, match=r"^--out .*: is a folder, not a file name$"):
        output_file(tmp_path)
    (tmp_path / "f").write_text("keep me")
    in_the_way = r"^dst .*f/p\.st: cannot write here \(.*f: exists and is not a folder\)$"
    with pytest.raises(HyperpinoError, match=in_the_way):
        output_file(tmp_path / "f" / "p.st", "dst")
    assert (tmp_path / "f").read_text() == "keep me"
