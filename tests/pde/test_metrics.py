"""Metrics on hand-made arrays: each formula checked by hand, masks respected."""

import numpy as np
import pytest

from hyperpino.pde.metrics import all_metrics, mae, max_abs, mse, rel_l2, smape

REF = np.array([[3.0, 4.0], [np.nan, 0.0]])
PRED = np.array([[3.0, 5.0], [100.0, 0.0]])
MASK = np.array([[True, True], [False, True]])


def test_hand_computed_values():
    # errors inside: 0, 1, 0 ; |ref| norm 5
    assert rel_l2(PRED, REF, MASK) == pytest.approx(1 / 5)
    assert mse(PRED, REF, MASK) == pytest.approx(1 / 3)
    assert mae(PRED, REF, MASK) == pytest.approx(1 / 3)
    assert max_abs(PRED, REF, MASK) == pytest.approx(1.0)
    # smape: 0, 2*1/(5+4), and 0 for the 0/0 point
    assert smape(PRED, REF, MASK) == pytest.approx((2 / 9) / 3)


def test_default_mask_is_finite_reference():
    assert all_metrics(PRED, REF) == all_metrics(PRED, REF, MASK)


def test_outside_points_do_not_count():
    wild = PRED.copy()
    wild[1, 0] = 1e9
    assert all_metrics(wild, REF, MASK) == all_metrics(PRED, REF, MASK)


def test_exact_prediction_is_zero_and_zero_reference():
    assert all(v == 0 for v in all_metrics(REF, REF, MASK).values())
    assert rel_l2(np.ones(3), np.zeros(3)) == float("inf")
    assert smape(-np.ones(2), np.ones(2)) == pytest.approx(2.0)


def test_bad_shapes_and_empty_mask():
    with pytest.raises(ValueError, match="shape"):
        mse(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="no points"):
        mse(np.zeros(3), np.zeros(3), np.zeros(3, bool))
