"""Bad checkpoints through every command that loads a model: exit 2, one line naming the file
and what is wrong, no traceback, nothing allocated from a size the metadata claims."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from bad_checkpoints import CASES, TINY

from hyperpino.cli import main
from hyperpino.examples import examples_dir
from hyperpino.model import HyPINO, HyPINOConfig

SPEC = str(examples_dir() / "poisson_C.toml")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Path]:
    """``name -> path`` of every bad file, plus ``good`` (tiny) and ``small``."""
    root = tmp_path_factory.mktemp("bad_ckpt")
    torch.manual_seed(0)
    good, small = root / "good.safetensors", root / "small.safetensors"
    HyPINO(HyPINOConfig.preset("small", **{k: tuple(v) if isinstance(v, list) else v
                                           for k, v in TINY.items()})).save(good)
    HyPINO.from_preset("small").save(small)
    paths = {"good": good, "small": small}
    for name, damage, _ in CASES:
        dst = root / f"{name}.safetensors"
        damage(good, small, dst)
        paths[name] = dst
    return paths


def _one_line_error(capsys, argv: list[str], path: Path, expected: str) -> None:
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert "\n" not in err and "Traceback" not in err, err
    assert str(path) in err and expected in err, err


def test_good_files_load(corpus):
    assert HyPINO.load(corpus["good"]).config.embed_dim == 8
    assert HyPINO.load(corpus["small"]).preset == "small"


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_solve_refuses_bad_checkpoint(corpus, name, capsys, tmp_path):
    expected = {c[0]: c[2] for c in CASES}[name]
    _one_line_error(capsys, ["solve", SPEC, "--model", str(corpus[name]), "--no-reference", "--no-plot",
                             "--quiet", "--out", str(tmp_path)], corpus[name], expected)
    assert not list(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("name", [c[0] for c in CASES])
def test_pack_model_refuses_bad_checkpoint(corpus, name, capsys, tmp_path):
    expected = {c[0]: c[2] for c in CASES}[name]
    dst = tmp_path / "packed.safetensors"
    _one_line_error(capsys, ["pack-model", str(corpus[name]), str(dst)], corpus[name], expected)
    assert not dst.exists()


@pytest.mark.parametrize("name", ["embed_dim_2_20", "nan_weight", "fp16_relabelled_bf16",
                                  "paper_label_on_small", "truncated_half", "config_5000_digits"])
def test_train_init_refuses_bad_checkpoint(corpus, name, capsys, tmp_path):
    expected = {c[0]: c[2] for c in CASES}[name]
    toml = tmp_path / "tiny.toml"
    model = "\n".join(f"{k} = {v}" for k, v in TINY.items())
    toml.write_text(f"[train]\nvalidation = []\nheldout = 0\n[model]\n{model}\n")
    _one_line_error(capsys, ["train", "--config", str(toml), "--init", str(corpus[name]), "--steps", "1",
                             "--workers", "0", "--quiet", "--out", str(tmp_path / "run")], corpus[name],
                    expected)


@pytest.mark.parametrize("name", ["embed_dim_2_20", "inf_weight", "small_label_on_tiny"])
def test_bench_hypino_refuses_bad_checkpoint(corpus, name, capsys, tmp_path):
    expected = {c[0]: c[2] for c in CASES}[name]
    _one_line_error(capsys, ["bench", "hypino", "--quick", "--model", str(corpus[name]), "--out",
                             str(tmp_path / "bench")], corpus[name], expected)


def test_real_process_prints_one_line(corpus, tmp_path):
    """The same through a fresh interpreter: stderr is the one line, no traceback."""
    for name in ("embed_dim_2_20", "nan_weight"):
        out = subprocess.run([sys.executable, "-m", "hyperpino", "solve", SPEC, "--model", str(corpus[name]),
                              "--no-reference", "--no-plot", "--quiet", "--out", str(tmp_path)],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 2, out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and str(corpus[name]) in lines[0], out.stderr
