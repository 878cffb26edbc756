"""Bad primitive parameters raise GeometryError located at the offending field."""

from __future__ import annotations

import pytest

from hyperpino.errors import GeometryError, SpecError
from hyperpino.pde.geometry import Disk, Ellipse, Polygon, Rectangle, Triangle

NAN, INF = float("nan"), float("inf")

CORPUS = [
    (lambda: Rectangle("r", (1, 0), (0, 1)), "geometry.primitives.r.max", "must exceed min"),
    (lambda: Rectangle("r", (0, 1), (1, 1)), "geometry.primitives.r.max", "must exceed min"),
    (lambda: Rectangle("r", (0, NAN), (1, 1)), "geometry.primitives.r.min[1]", "finite"),
    (lambda: Rectangle("r", (0, 0, 0), (1, 1)), "geometry.primitives.r.min", "two numbers"),
    (lambda: Rectangle("r", "00", (1, 1)), "geometry.primitives.r.min", "two numbers"),
    (lambda: Disk("d", (0, 0), 0.0), "geometry.primitives.d.radius", "positive"),
    (lambda: Disk("d", (0, 0), -1), "geometry.primitives.d.radius", "positive"),
    (lambda: Disk("d", (0, 0), INF), "geometry.primitives.d.radius", "finite"),
    (lambda: Disk("d", (INF, 0), 1), "geometry.primitives.d.center[0]", "finite"),
    (lambda: Disk("d", (0, 0), "1"), "geometry.primitives.d.radius", "number"),
    (lambda: Disk("d", (0, True), 1), "geometry.primitives.d.center[1]", "number"),
    (lambda: Ellipse("e", (0, 0), (1, 0)), "geometry.primitives.e.semi_axes[1]", "positive"),
    (lambda: Ellipse("e", (0, 0), (1, 1), NAN), "geometry.primitives.e.angle", "finite"),
    (lambda: Polygon("p", [(0, 0), (1, 0)]), "geometry.primitives.p.vertices", "at least 3"),
    (lambda: Polygon("p", [(0, 0), (1, 1), (1, 0), (0, 1)]), "geometry.primitives.p.vertices",
     "intersect"),
    (lambda: Polygon("p", [(0, 0), (2, 0), (2, 2), (1, -1), (0, 2)]),
     "geometry.primitives.p.vertices", "intersect"),
    (lambda: Polygon("p", [(0, 0), (1, 0), (2, 0), (3, 0)]), "geometry.primitives.p.vertices",
     "intersect"),
    (lambda: Polygon("p", [(0, 0), (1, 0), (1, 0), (0, 1)]), "geometry.primitives.p.vertices",
     "coincide"),
    (lambda: Polygon("p", [(0, 0), (1, 0), (1, 1), (0, 1), (0, 0.5), (0, 0.8)]),
     "geometry.primitives.p.vertices", "intersect"),
    (lambda: Polygon("p", [(0, 0), (1, "x"), (0, 1)]), "geometry.primitives.p.vertices[1][1]",
     "number"),
    (lambda: Polygon("p", "abc"), "geometry.primitives.p.vertices", "list of points"),
    (lambda: Triangle("t", [(0, 0), (1, 1), (2, 2)]), "geometry.primitives.t.vertices",
     "zero area"),
    (lambda: Triangle("t", [(0, 0), (1, 0), (1, 1), (0, 1)]), "geometry.primitives.t.vertices",
     "exactly 3"),
    (lambda: Disk("a.b", (0, 0), 1), "geometry.primitives", "invalid primitive name"),
    (lambda: Disk("", (0, 0), 1), "geometry.primitives", "invalid primitive name"),
    (lambda: Rectangle(3, (0, 0), (1, 1)), "geometry.primitives", "invalid primitive name"),
]


@pytest.mark.parametrize("make, path, message", CORPUS,
                         ids=[f"{i}-{c[2].replace(' ', '_')}" for i, c in enumerate(CORPUS)])
def test_bad_primitive_raises_located_error(make, path, message):
    with pytest.raises(GeometryError) as info:
        make()
    err = info.value
    assert isinstance(err, SpecError)
    assert err.path == path
    assert message in err.message
    assert "\n" not in str(err)


def test_good_primitives_accept_sequences_arrays_and_ints():
    import numpy as np
    import torch

    Rectangle("r", [0, 0], np.array([1.0, 2.0]))
    Disk("d", torch.tensor([0.5, 0.5]), 1)
    Polygon("p", np.array([[0, 0], [1, 0], [1, 1]]))
    Polygon("p", [(0, 0), (1, 0), (2, 0), (2, 1)])  # collinear neighbours are allowed
