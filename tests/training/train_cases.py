"""A tiny training setup shared by the trainer tests (a plain module, as tests/solver/solve_cases.py)."""

from __future__ import annotations

from pathlib import Path

from hyperpino.training.config import read_train_toml, train_config
from hyperpino.training.loop import Trainer

TINY = """
[train]
batch_size = 3
n_interior = 48
n_boundary = 48
refine_fraction = 0.34
validation = []
heldout = 0
checkpoint_every = 2
validate_every = 2
workers = 0
steps = 4
[model]
grid = 32
embed_dim = 8
depths = [1, 1]
num_heads = [1, 1]
drop_path = 0.2  # random per step: resume must reproduce the draws
[mms]
n_holes = [0, 2]
"""


def tiny_trainer(tmp_path: Path, out: str, **overrides) -> Trainer:
    """A CPU trainer of the tiny config in ``tmp_path / out``; ``overrides`` are [train] fields."""
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    tables = read_train_toml(path)
    cfg = train_config(tables["train"], **overrides)
    return Trainer(cfg, tmp_path / out, model_overrides=tables["model"], mms_overrides=tables["mms"],
                   device="cpu", progress=False, log=lambda *_: None)
