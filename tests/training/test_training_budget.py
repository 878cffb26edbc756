"""Time-budget training, warm starts, gradient accumulation and the validation's shipped references."""

from __future__ import annotations

import time

import pytest
import torch
from train_cases import tiny_trainer

from hyperpino.durations import parse_duration
from hyperpino.errors import CheckpointError, SpecError
from hyperpino.model import HyPINO
from hyperpino.model.checkpoint import read_metadata
from hyperpino.training.batch import TrainBatch
from hyperpino.training.clock import TrainClock
from hyperpino.training.config import EXAMPLES
from hyperpino.training.loop import Trainer


def _trainer(tmp_path, out: str, **overrides) -> Trainer:
    return tiny_trainer(tmp_path, out, **{"checkpoint_every": 1000, "validate_every": 1000, **overrides})


def test_parse_duration():
    assert parse_duration("90") == 90 and parse_duration("90s") == 90
    assert parse_duration("8m") == 480 and parse_duration("1.5h") == 5400
    for bad in ("", "m", "-3s", "0", "inf", "8 minutes"):
        with pytest.raises(SpecError, match="time-budget"):
            parse_duration(bad)


def test_clock_stops_before_the_reserve():
    clock = TrainClock(10.0, started=time.monotonic() - 7.0)
    clock.record_step(0.5)
    clock.validate_s, clock.save_s = 0.5, 0.2
    assert not clock.must_stop()  # 7 + 0.75 + 0.5 + 0.4 + 1 = 9.65 < 10
    clock.record_step(2.5)  # EMA 0.9 -> 7 + 1.35 + 1.9 > 10
    assert clock.must_stop()
    assert 0.69 < clock.progress() < 0.75 and TrainClock(None).progress() == 0.0


def test_time_budget_ends_inside_it_with_a_packed_model(tmp_path):
    torch.set_num_threads(1)
    budget = 12.0
    t0 = time.monotonic()
    t = _trainer(tmp_path, "tb", time_budget=budget)
    summary = t.run()
    assert time.monotonic() - t0 < budget
    assert summary["stopped"] == "time budget" and summary["step"] >= 2
    model = HyPINO.load(tmp_path / "tb" / "model.safetensors")
    assert next(iter(model.state_dict().values())).dtype == torch.float32  # loads back from fp16
    meta = read_metadata(tmp_path / "tb" / "model.safetensors")
    assert meta["provenance"]["stored_dtype"] == "float16"
    # The schedule followed the clock: warm-up, then decay, ending far below the peak.
    lrs = [e["lr"] for e in _log(tmp_path / "tb") if "lr" in e]
    assert max(lrs) == pytest.approx(t.cfg.lr, rel=0.2) and lrs[-1] < 0.5 * t.cfg.lr


def _log(out):
    import json

    return [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]


def test_warm_start_keeps_the_weights_and_counts_the_stages(tmp_path):
    first = _trainer(tmp_path, "a")
    first.run(max_steps=2)
    src = tmp_path / "a" / "last.safetensors"
    second = _trainer(tmp_path, "b", init=str(src), steps=1, lr=1e-12)
    second.run()
    before, after = HyPINO.load(src).state_dict(), second.model.state_dict()
    assert all(torch.allclose(before[k], after[k], atol=1e-6) for k in before)
    prov = read_metadata(tmp_path / "b" / "last.safetensors")["provenance"]
    assert [s["steps"] for s in prov["stages"]] == [2, 1]
    assert prov["cumulative_samples"] == 3 * 2 + 3 * 1
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        _trainer(tmp_path, "c", init=str(tmp_path / "missing.safetensors")).run()


def test_accumulation_equals_one_large_batch(tmp_path):
    torch.manual_seed(0)
    big = _trainer(tmp_path, "big", batch_size=6, refine_fraction=0.0)
    acc = _trainer(tmp_path, "acc", batch_size=3, accumulate=2, refine_fraction=0.0)
    acc.model.load_state_dict(big.model.state_dict())
    from hyperpino.training.data import StepBatches

    batch = next(iter(StepBatches(big.mms_cfg, seed=0, batch_size=6, start=0)))[1]
    grads = []
    for t in (big, acc):
        t.model.train(False)  # no stochastic depth: the same function twice
        loss, _, _ = t._step(t.model, batch)
        grads.append(torch.cat([p.grad.flatten() for p in t.model.parameters() if p.grad is not None]))
    assert torch.allclose(grads[0], grads[1], rtol=1e-4, atol=1e-6)
    assert len(batch.chunks(4)) == 2 and [len(c) for c in batch.chunks(4)] == [4, 2]
    assert isinstance(batch.chunks(6)[0], TrainBatch)


def test_zero_output_theta0():
    model = HyPINO.from_preset("small", embed_dim=8, depths=(1, 1), num_heads=(1, 1), grid=32)
    base = {k: v.detach() for k, v in model.base().items()}
    assert float(base["out.weight"].abs().max()) == 0.0 and float(base["out.bias"].abs().max()) == 0.0
    other = HyPINO.from_preset("small", embed_dim=8, depths=(1, 1), num_heads=(1, 1), grid=32,
                               zero_output=False)
    assert float(other.base()["out.weight"].detach().abs().max()) > 0.0


def test_shipped_references_match_the_examples():
    """Validation without the FEM solver: every benchmark's stored values belong to its spec."""
    from hyperpino.pde.problem import build_problem
    from hyperpino.pde.spec_io import spec_digest
    from hyperpino.training.validation import REFERENCES, _examples_dir, _shipped

    for name in EXAMPLES:
        digest = spec_digest(build_problem(_examples_dir() / f"{name}.toml").spec)
        found = _shipped(name, digest, REFERENCES)
        assert found is not None, f"{name}: shipped reference is stale (python tools/make_validation_refs.py)"
        pts, values = found
        assert pts.shape == (len(values), 2) and abs(pts).max() <= 1.0 + 1e-5
        assert _shipped(name, "0" * 64, REFERENCES) is None
