"""The CSG expression parser: structure, precedence, and a corpus of hostile strings."""

from __future__ import annotations

import time

import pytest

from hyperpino.errors import GeometryError
from hyperpino.pde.geometry import Difference, Disk, Intersection, Rectangle, Union, parse_csg

PRIMS = {
    "box": Rectangle("box", (-1, -1), (1, 1)),
    "corner": Rectangle("corner", (0, 0), (1, 1)),
    "hole": Disk("hole", (-0.5, -0.5), 0.25),
    "h2": Disk("h2", (0.5, -0.5), 0.25),
}


@pytest.mark.parametrize("text, expected", [
    ("box", "box"),
    ("box - corner", "(box - corner)"),
    ("box - corner - hole", "((box - corner) - hole)"),
    ("box - (corner | hole)", "(box - (corner | hole))"),
    ("box | corner - hole", "(box | (corner - hole))"),      # '-' binds tighter than '|'
    ("box - corner & hole", "((box - corner) & hole)"),      # ... and than '&'
    ("box & corner | hole", "((box & corner) | hole)"),      # '&' binds tighter than '|'
    ("  ((box))  -\thole ", "(box - hole)"),
])
def test_parse_structure_and_precedence(text, expected):
    g = parse_csg(text, PRIMS)
    assert (g.expression() if hasattr(g, "expression") else g.name) == expected


def test_parse_builds_csg_nodes_over_the_given_primitives():
    g = parse_csg("box - corner | hole & h2", PRIMS)
    assert isinstance(g, Union)
    assert isinstance(g.left, Difference) and isinstance(g.right, Intersection)
    assert g.left.left is PRIMS["box"]


BAD = [
    ("nope", "unknown primitive 'nope'"),
    ("box - nope", "unknown primitive 'nope'"),
    ("__import__('os')", "function calls"),
    ("__import__('os').system('echo hi')", "not allowed"),
    ("box.top", "attribute access"),
    ("box()", "function calls"),
    ("box + hole", "operator '+'"),
    ("box * hole", "operator '*'"),
    ("box ** hole", "operator '**'"),
    ("box ^ hole", "operator '^'"),
    ("1", "literals"),
    ("box - 2", "literals"),
    ("'box'", "literals"),
    ("-box", "unary operators"),
    ("~box", "unary operators"),
    ("box[0]", "subscripts"),
    ("box and hole", "'and'/'or'"),
    ("box < hole", "comparisons"),
    ("lambda: box", "lambdas"),
    ("[box]", "not allowed"),
    ("box if hole else corner", "not allowed"),
    ("box -", "not a valid CSG expression"),
    ("(box - hole", "not a valid CSG expression"),
    ("box\x00", "not a valid CSG expression"),
    ("box; hole", "not a valid CSG expression"),
    ("", "empty expression"),
    ("   ", "empty expression"),
    ("(" * 200 + "box" + ")" * 200, "nested too deeply"),
    ("[" * 5000 + "]" * 5000, "too long"),
    ("box - " * 300 + "box", "too many operators"),
    ("box" * 400_000, "too long"),
    ("x" * 1_000_000, "too long"),
]


@pytest.mark.parametrize("text, message", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_expressions_fail_fast_with_one_line(text, message):
    start = time.perf_counter()
    with pytest.raises(GeometryError) as info:
        parse_csg(text, PRIMS, where="geometry.csg")
    elapsed = time.perf_counter() - start
    assert elapsed < 0.05
    assert info.value.path == "geometry.csg"
    assert message in info.value.message
    assert "\n" not in str(info.value)


def test_non_string_and_custom_where():
    with pytest.raises(GeometryError, match="^spec.csg: expected a string"):
        parse_csg(["box"], PRIMS, where="spec.csg")  # type: ignore[arg-type]


def test_parser_source_never_evaluates_user_text():
    import inspect
    import re

    from hyperpino.pde.geometry import csg_parse

    source = inspect.getsource(csg_parse)
    assert not re.search(r"\b(eval|exec|compile)\s*\(", source)
