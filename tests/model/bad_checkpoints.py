"""A corpus of bad HyPINO checkpoints, made from good ones by one damage each.

Each case is ``(name, damage, expected)``: ``damage(good, small, dst)`` writes the bad file
``dst`` from the good tiny checkpoint ``good`` (or the ``small`` one); ``expected`` is a piece of
the one-line error every command that loads a model must print. (A uniquely named module rather
than ``conftest``, as ``hypino_inputs``.)
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path

import torch
from safetensors.torch import save_file

from hyperpino.files import read_safetensors

TINY = {"grid": 32, "embed_dim": 8, "depths": [1, 1], "num_heads": [1, 1]}
"""A model small enough to write dozens of times (the ``small`` preset with these overrides)."""


def split(path: Path) -> tuple[dict, bytes]:
    """A safetensors file's header (JSON) and its data bytes."""
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8 : 8 + n]), raw[8 + n :]


def join(header: dict, data: bytes, dst: Path) -> None:
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    dst.write_bytes(struct.pack("<Q", len(text)) + text + data)


def _edit_header(edit: Callable[[dict], None]):
    def damage(good: Path, small: Path, dst: Path) -> None:
        header, data = split(good)
        edit(header)
        join(header, data, dst)

    return damage


def _meta(key: str, value: str):
    def edit(header: dict) -> None:
        if value is None:
            del header["__metadata__"][key]
        else:
            header["__metadata__"][key] = value

    return _edit_header(edit)


def _config(**changes):
    def edit(header: dict) -> None:
        cfg = json.loads(header["__metadata__"]["config"])
        for k, v in changes.items():
            if k.startswith("pinn_"):
                cfg["pinn"][k[5:]] = v
            else:
                cfg[k] = v
        header["__metadata__"]["config"] = json.dumps(cfg)

    return _edit_header(edit)


def _raw_config(text: str):
    return _meta("config", text)


def _tensors(change: Callable[[dict], None], source: str = "good"):
    def damage(good: Path, small: Path, dst: Path) -> None:
        src = good if source == "good" else small
        tensors, meta = read_safetensors(src)
        change(tensors)
        save_file(tensors, str(dst), metadata=meta)

    return damage


def _first_weight(fill: float):
    def change(t: dict) -> None:
        k = sorted(t)[0]
        t[k] = t[k].clone()
        t[k].view(-1)[0] = fill

    return change


def _relabel(old: str, new: str):
    """Half-precision data with its dtype label changed (the bytes stay)."""

    def damage(good: Path, small: Path, dst: Path) -> None:
        from hyperpino.model.checkpoint import pack

        half = dst.with_name(dst.name + ".half")
        pack(good, half)
        header, data = split(half)
        for k, v in header.items():
            if k != "__metadata__" and v["dtype"] == old:
                v["dtype"] = new
        join(header, data, dst)
        half.unlink()

    return damage


def _bytes(content: bytes):
    def damage(good: Path, small: Path, dst: Path) -> None:
        dst.write_bytes(content)

    return damage


def _truncate(fraction: float):
    def damage(good: Path, small: Path, dst: Path) -> None:
        raw = good.read_bytes()
        dst.write_bytes(raw[: int(len(raw) * fraction)])

    return damage


def _label_paper_on_small(good: Path, small: Path, dst: Path) -> None:
    header, data = split(small)
    header["__metadata__"]["preset"] = json.dumps("paper")
    join(header, data, dst)


def _offsets_past_end(header: dict) -> None:
    k = sorted(k for k in header if k != "__metadata__")[0]
    a, b = header[k]["data_offsets"]
    header[k]["data_offsets"] = [a, b + 10**9]


def _no_format(good: Path, small: Path, dst: Path) -> None:
    save_file({"x": torch.zeros(1)}, str(dst))


def _directory(good: Path, small: Path, dst: Path) -> None:
    dst.mkdir()


def _missing(good: Path, small: Path, dst: Path) -> None:
    pass


def _int_tensor(t: dict) -> None:
    k = sorted(t)[0]
    t[k] = t[k].to(torch.int32)


def _drop_key(t: dict) -> None:
    del t[sorted(t)[-1]]


def _extra_key(t: dict) -> None:
    t["encoder.extra"] = torch.zeros(2)


def _wrong_shape(t: dict) -> None:
    k = sorted(t)[0]
    t[k] = torch.zeros(*t[k].shape, 2)


CASES: list[tuple[str, Callable, str]] = [
    ("empty", _bytes(b""), "not a readable HyPINO checkpoint"),
    ("junk", _bytes(b"this is not a checkpoint at all"), "not a readable HyPINO checkpoint"),
    ("huge_header_length", _bytes(b"\xff" * 8 + b"{}"), "not a readable HyPINO checkpoint"),
    ("header_not_json", _bytes(struct.pack("<Q", 8) + b"{{{{{{{{"), "not a readable HyPINO checkpoint"),
    ("truncated_half", _truncate(0.5), "not a readable"),
    ("truncated_header", _truncate(0.001), "not a readable"),
    ("offsets_past_end", _edit_header(_offsets_past_end), "not a readable"),
    ("missing_file", _missing, "no such"),
    ("directory", _directory, "no such"),
    ("no_format", _no_format, "not a HyPINO checkpoint"),
    ("other_format", _meta("format", "hyperpino.solver.PINNEnsemble/1"), "not a HyPINO checkpoint"),
    ("format_with_escapes", _meta("format", "x\n\x1b[31mred"), "not a HyPINO checkpoint"),
    ("config_missing", _meta("config", None), "'config' is missing"),
    ("config_not_json", _raw_config("{grid: 64"), "'config' is not JSON"),
    ("config_a_list", _raw_config("[1, 2]"), "'config' has the wrong type"),
    ("config_5000_digits", _raw_config('{"grid": ' + "9" * 5000 + "}"), "'config' is not JSON"),
    ("config_nested_deep", _raw_config("[" * 100_000 + "]" * 100_000), "'config' is not JSON"),
    ("embed_dim_2_20", _config(embed_dim=2**20), "config.embed_dim"),
    ("embed_dim_negative", _config(embed_dim=-8), "config.embed_dim"),
    ("grid_2_30", _config(grid=2**30), "config.grid"),
    ("grid_a_string", _config(grid="32"), "config.grid"),
    ("grid_true", _config(grid=True), "config.grid"),
    ("depths_million", _config(depths=[10**6, 1]), "config.depths[0]"),
    ("depths_100_stages", _config(depths=[1] * 100, num_heads=[1] * 100), "config.depths"),
    ("depths_a_number", _config(depths=3), "config.depths"),
    ("heads_zero", _config(num_heads=[0, 1]), "config.num_heads[0]"),
    ("mlp_ratio_inf", _config(mlp_ratio=1e300), "config.mlp_ratio"),
    ("head_hidden_huge", _config(head_hidden_max=2**40), "config.head_hidden_max"),
    ("pinn_width_2_30", _config(pinn_width=2**30), "config.pinn.width"),
    ("pinn_width_zero", _config(pinn_width=0), "config.pinn.width"),
    ("pinn_a_list", _config(pinn=[1]), "config.pinn"),
    ("config_unknown_field", _config(colour="red"), "stored config is not valid"),
    ("heads_do_not_divide", _config(num_heads=[3, 1]), "stored config is not valid"),
    ("config_lies_embed_dim", _config(embed_dim=16, num_heads=[1, 2]), "does not fit the model"),
    ("config_lies_pinn_width", _config(pinn_width=64), "does not fit the model"),
    ("paper_label_on_small", _label_paper_on_small, "metadata says preset 'paper'"),
    ("small_label_on_tiny", _meta("preset", '"small"'), "metadata says preset 'small'"),
    ("unknown_preset", _meta("preset", '"huge"'), "not a known preset"),
    ("preset_a_number", _meta("preset", "5"), "'preset' has the wrong type"),
    ("nan_weight", _tensors(_first_weight(float("nan"))), "NaN or infinite"),
    ("inf_weight", _tensors(_first_weight(float("inf"))), "NaN or infinite"),
    ("fp16_relabelled_bf16", _relabel("F16", "BF16"), "stored as BF16 but the metadata declares F16"),
    ("int_weight", _tensors(_int_tensor), "stored as I32"),
    ("dtype_declared_unknown", _meta("dtype", "float17"), "unknown dtype"),
    ("dtype_declared_wrong", _meta("dtype", "float16"), "stored as F32 but the metadata declares F16"),
    ("missing_key", _tensors(_drop_key), "missing keys"),
    ("extra_key", _tensors(_extra_key), "unexpected keys: encoder.extra"),
    ("wrong_shape", _tensors(_wrong_shape), "shape mismatch"),
]
