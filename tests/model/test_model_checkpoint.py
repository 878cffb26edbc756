import json

import pytest
import torch
from hypino_inputs import random_inputs
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from hyperpino.errors import CheckpointError
from hyperpino.model import HyPINO, read_metadata


@pytest.fixture(scope="module")
def saved(tmp_path_factory, small):
    path = tmp_path_factory.mktemp("ckpt") / "small.safetensors"
    small.save(path, provenance={"run": "unit-test", "step": 0})
    return path


def test_round_trip_gives_identical_outputs(small, saved):
    loaded = HyPINO.load(saved).train(False)
    assert loaded.config == small.config and loaded.preset == "small"
    images, coeffs = random_inputs(2, small.config.grid, seed=3)
    with torch.no_grad():
        a, b = small(images, coeffs), loaded(images, coeffs)
    for name in small.spec.names:
        assert torch.equal(a[name], b[name]), name


def test_metadata(saved, small):
    meta = read_metadata(saved)
    assert meta["preset"] == "small"
    assert meta["config"] == json.loads(json.dumps(small.config.to_dict()))
    assert meta["provenance"] == {"run": "unit-test", "step": 0}
    assert meta["hyperpino_version"]


def _one_line(err: pytest.ExceptionInfo) -> str:
    msg = str(err.value)
    assert "\n" not in msg
    return msg


def test_other_architecture_is_rejected_naming_a_key(saved):
    with pytest.raises(CheckpointError) as err:
        HyPINO.load(saved, expect="paper")
    msg = _one_line(err)
    assert "shape mismatch" in msg and "in file vs" in msg
    assert "missing keys: encoder.stages.2.blocks.4" in msg  # paper has 10 blocks in stage 3


def test_removed_key_is_reported(saved, tmp_path):
    tensors = load_file(saved)
    meta = _raw_metadata(saved)  # keep the metadata: only the tensor is removed
    del tensors["decoder.pools.0.queries"]
    bad = tmp_path / "bad.safetensors"
    save_file(tensors, bad, metadata=meta)
    with pytest.raises(CheckpointError, match=r"missing keys: decoder\.pools\.0\.queries$") as err:
        HyPINO.load(bad)
    _one_line(err)


def test_wrong_shape_and_extra_key_are_reported(saved, tmp_path):
    tensors = load_file(saved)
    tensors["decoder.pools.1.queries"] = torch.zeros(3, 3)
    tensors["encoder.extra"] = torch.zeros(1)
    bad = tmp_path / "bad.safetensors"
    save_file(tensors, bad, metadata=_raw_metadata(saved))
    with pytest.raises(CheckpointError) as err:
        HyPINO.load(bad)
    msg = _one_line(err)
    assert "unexpected keys: encoder.extra" in msg
    assert "decoder.pools.1.queries [3, 3] in file vs [14, 96] in model" in msg


def test_not_a_checkpoint(tmp_path):
    plain = tmp_path / "plain.safetensors"
    save_file({"x": torch.zeros(1)}, plain)
    with pytest.raises(CheckpointError, match="not a HyPINO checkpoint"):
        HyPINO.load(plain)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not safetensors")
    with pytest.raises(CheckpointError, match="not a readable HyPINO checkpoint"):
        HyPINO.load(junk)


def _raw_metadata(path) -> dict[str, str]:
    with safe_open(str(path), framework="pt") as f:
        return f.metadata()


def test_pack_half_loads_and_predicts_like_the_original(small, saved, tmp_path):
    from hyperpino.model.checkpoint import pack

    dst = tmp_path / "half.safetensors"
    sizes = pack(saved, dst, note={"card": "x"})
    assert sizes["dst_bytes"] < 0.55 * sizes["src_bytes"]
    with safe_open(str(dst), framework="pt") as f:
        assert {f.get_slice(k).get_dtype() for k in f.keys()} == {"F16"}
    meta = read_metadata(dst)
    assert meta["provenance"]["card"] == "x" and meta["provenance"]["run"] == "unit-test"
    loaded = HyPINO.load(dst).train(False)
    assert all(p.dtype == torch.float32 for p in loaded.parameters())
    images, coeffs = random_inputs(2, small.config.grid, seed=4)
    with torch.no_grad():
        a, b = small(images, coeffs), loaded(images, coeffs)
    for name in small.spec.names:
        torch.testing.assert_close(b[name], a[name], rtol=2e-2, atol=2e-3)


def test_pack_refuses_values_beyond_half_range(saved, tmp_path):
    from hyperpino.model.checkpoint import pack

    tensors = load_file(str(saved))
    key = next(iter(tensors))
    tensors[key] = tensors[key] * 0 + 1e6
    big = tmp_path / "big.safetensors"
    with safe_open(str(saved), framework="pt") as f:
        save_file(tensors, str(big), metadata=f.metadata())
    with pytest.raises(CheckpointError, match="float16"):
        pack(big, tmp_path / "out.safetensors")
    assert not (tmp_path / "out.safetensors").exists()
