"""Validate several HyPINO checkpoints on the same problems in one process; print one JSON line.

    python tools/compare_models.py bundled runs/x/model.safetensors [--heldout 256] [--device cuda]

Each model gets the benchmark examples' zero-shot relative L2 (shipped references) and the median
on held-out generated problems (hyperpino.training.validation), so the figures are directly comparable.
"""

import argparse
import json

import torch

from hyperpino.model.hypino import BUNDLED, HyPINO
from hyperpino.training.config import EXAMPLES
from hyperpino.training.validation import Validator


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("models", nargs="+", help="'bundled' or checkpoint paths")
    p.add_argument("--heldout", type=int, default=256)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = p.parse_args()
    out, validator = {}, None
    for name in args.models:
        model = HyPINO.pretrained(BUNDLED if name == "bundled" else name, device=args.device)
        if validator is None:
            validator = Validator(EXAMPLES, model.config.grid, heldout=args.heldout)
        out[name] = validator(model)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
