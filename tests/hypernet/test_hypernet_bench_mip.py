"""Smoke test of the MIP bench's pieces (the full bench is `hyperpino bench mip`)."""

from hyperpino.bench import mip


def test_bench_pieces_run(tmp_path):
    setup = mip.Setup(steps=3, seeds=1, eval_every=1, models_per_step=2, points_per_step=8)
    for mode in mip.MODES:
        steps, losses = mip.train(mode, 0, setup)
        assert steps == [0, 1, 2, 3] and len(losses) == 4
    assert mip.first_below([0, 5, 10], [1.0, 0.5, 0.1], 0.6) == 5
    assert mip.first_below([0, 5], [1.0, 0.9], 0.1) is None
    png = tmp_path / "c.png"
    mip._plot(steps, {"mip": [losses, losses], "plain": [losses, losses]}, 0.01, png)
    assert png.stat().st_size > 0
