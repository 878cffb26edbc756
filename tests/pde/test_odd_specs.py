"""Schema-valid but pathological specs, and data that is not finite (issue #14, items 2 and 3).

Every case exits 0, or 2 with one line that names the field and what is wrong: no traceback, no
raw control characters, and fast. The corpus is ``odd_specs/`` (one concept per file: ``p`` for
pathological numbers and text, ``n`` for non-finite data) plus files too large to keep, made here.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pytest

from hyperpino.cli import main
from hyperpino.pde import problem as _warm  # noqa: F401  (imports torch once, outside the timings)

ODD = Path(__file__).parent / "odd_specs"

EXPECT = {
    # pathological numbers and text: exit 2 naming the field, or exit 0 (None)
    "p01_disk_denormal_radius.json": "geometry.primitives.d.radius: too thin to resolve",
    "p02_disk_tiny_radius.json": "geometry.primitives.d.radius: too thin to resolve",
    "p03_box_at_1e16.json": "box[0]: bounds beyond",
    "p04_box_huge.json": "box[0]: bounds beyond",
    "p05_box_denormal_width.json": "box[0]: [0.0, 5e-324] is too narrow",
    "p06_sliver_1e-6.json": "geometry.primitives.s: too thin to resolve: 1e-06 across",
    "p07_sliver_by_csg.json": "geometry: the domain is too thin to resolve",
    "p08_hole_denormal.json": "geometry.primitives.h.radius: too thin to resolve",
    "p09_parameter_huge_int.toml": "invalid TOML: an integer with more than 4300 digits",
    "p10_box_bound_huge_int.json": "invalid JSON: an integer with more than 4300 digits",
    "p11_seed_huge_int.json": "run.seed:",
    "p12_ellipse_denormal_axis.json": "geometry.primitives.e.semi_axes: too thin to resolve",
    "p13_polygon_thin.json": "geometry.primitives.p: too thin to resolve",
    "p14_coefficient_key_newline.json": r"operator.coefficients['u\nzz\x1b[2J']: unknown term",
    "p15_parameter_key_ansi.yaml": r"parameters['k\x1b[31m\nx']:",
    "p16_description_ansi.json": None,
    "p17_radius_1e300.json": "geometry.primitives.d.radius: number '1e+300' is out of range",
    # data that is not finite somewhere on the domain
    "n01_source_log.json": "operator.source: not finite at (x, y) = (",
    "n02_source_sqrt.json": "operator.source: not finite at (x, y) = (",
    "n03_source_exp_overflow.json": "operator.source: not finite at (x, y) = (",
    "n04_bc_value_one_over_x.json": "bcs[0].value: not finite at (x, y) = (0, ",
    "n05_exact_log.json": "exact: not finite at",
    "n06_robin_a_one_over_y.json": "bcs[0].a: not finite at (x, y) = (",
    "n07_coefficient_log.json": "operator.expr (the coefficient of u): not finite",
    "n08_source_exp_float32.json": None,  # finite in float64; `solve` in float32 refuses it
    "n09_neumann_sqrt.json": "bcs[1].value: not finite",
    "n10_principal_coefficient_log.json": "operator.expr (the coefficient of uxx): not finite",
}

SQUARE = {"primitives": {"s": {"type": "rectangle", "min": [-1, -1], "max": [1, 1]}}}


def _spec(geometry: dict, **extra) -> dict:
    out = {"name": "odd", "box": [[-1, 1], [-1, 1]], "geometry": geometry,
           "operator": {"expr": "-uxx - uyy", "source": 1},
           "bcs": [{"type": "dirichlet", "on": "*", "value": 0}]}
    out.update(extra)
    return out


def _yaml(nesting: str) -> str:
    return ("name: odd\nbox: [[-1, 1], [-1, 1]]\n"
            "geometry: {primitives: {s: {type: rectangle, min: [-1, -1], max: [1, 1]}}}\n"
            "operator: {expr: '-uxx - uyy', source: 1}\n"
            "bcs: [{type: dirichlet, on: '*', value: 0}]\n" + nesting)


def _generated() -> dict[str, tuple[str, str, str | None, float]]:
    """name -> (file suffix, text, expected fragment or None for exit 0, time budget in s).

    The two valid geometries take about 2 s each on an idle core (the analysis of 256 edges or 64
    primitives); their budget leaves room for a loaded CI machine."""
    n = 256
    ring = [[round(0.9 * math.cos(2 * math.pi * k / n), 12), round(0.9 * math.sin(2 * math.pi * k / n), 12)]
            for k in range(n)]
    holes = dict(SQUARE["primitives"])
    for i in range(63):
        holes[f"h{i}"] = {"type": "disk", "center": [-0.875 + 0.25 * (i % 8), -0.875 + 0.25 * (i // 8)],
                          "radius": 0.01}
    csg = "s - (" + " | ".join(f"h{i}" for i in range(63)) + ")"
    bowtie = [[-1, -1], [1, 1], [1, -1], [-1, 1]] + [[-1 + 0.001 * k, 1.5] for k in range(252)]
    return {
        "g_polygon_256_vertices": (".json", json.dumps(_spec({"primitives": {"p": {
            "type": "polygon", "vertices": ring}}})), None, 15.0),
        "g_polygon_256_self_intersecting": (".json", json.dumps(_spec({"primitives": {"p": {
            "type": "polygon", "vertices": bowtie}}})), "geometry.primitives.p.vertices: edges", 2.0),
        "g_63_tiny_holes": (".json", json.dumps(_spec({"primitives": holes, "csg": csg})), None, 15.0),
        "g_yaml_flow_nested_10k": (".yaml", _yaml("x: " + "[" * 10_000 + "]" * 10_000 + "\n"),
                                   "nested too deeply", 2.0),
        "g_yaml_flow_nested_50k": (".yaml", _yaml("x: " + "[" * 50_000 + "]" * 50_000 + "\n"),
                                   "nested too deeply", 2.0),
        "g_yaml_block_nested_20k": (".yaml", _yaml("x:\n" + "- " * 20_000 + "1\n"),
                                    "nested too deeply", 2.0),
        "g_yaml_map_nested_20k": (".yaml", _yaml("x: " + "{a: " * 20_000 + "1" + "}" * 20_000 + "\n"),
                                  "nested too deeply", 2.0),
        "g_toml_nested_10k": (".toml", 'name = "odd"\nx = ' + "[" * 10_000 + "]" * 10_000 + "\n",
                              "", 2.0),
        "g_json_nested_50k": (".json", '{"name": "odd", "x": ' + "[" * 50_000 + "]" * 50_000 + "}",
                              "", 2.0),
        "g_yaml_integer_5000_digits": (".yaml", _yaml("parameters: {k: " + "7" * 5000 + "}\n"),
                                       "invalid YAML: an integer with more than 4300 digits", 2.0),
        "g_int_beyond_float": (".json", json.dumps(_spec(SQUARE, parameters={"k": 10**400})),
                               "parameters.k: number out of range", 2.0),
        "g_box_beyond_float": (".json", json.dumps(_spec(SQUARE, box=[[-(10**400), 1], [-1, 1]])),
                               "box[0]: bounds beyond", 2.0),
        "g_source_zoo_by_parameter": (".json", json.dumps(_spec(SQUARE, parameters={"w": 0}, operator={
            "expr": "-uxx - uyy", "source": "exp(-x**2/w)"})), "operator.source: constant is not real", 2.0),
    }


def _check(path: Path, capsys, *args: str) -> tuple[int, str, str, float]:
    t0 = time.perf_counter()
    rc = main(["check", str(path), *args])
    elapsed = time.perf_counter() - t0
    out = capsys.readouterr()
    return rc, out.out, out.err, elapsed


def _assert_clean(rc: int, out: str, err: str, fragment: str | None) -> None:
    """Exit 0 (fragment None) or 2 with one printable line naming the field; no traceback."""
    assert "Traceback" not in err
    assert all(c.isprintable() or c == "\n" for c in out + err), "raw control characters echoed"
    if fragment is None:
        assert rc == 0, err
        return
    lines = err.strip().splitlines()
    assert rc == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert fragment in lines[0], lines[0]


def test_corpus_is_complete():
    assert {p.name for p in ODD.iterdir()} == set(EXPECT)


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_odd_spec(name, capsys):
    rc, out, err, elapsed = _check(ODD / name, capsys)
    _assert_clean(rc, out, err, EXPECT[name])
    assert elapsed < 5.0, f"took {elapsed:.2f}s"


@pytest.mark.parametrize("name", sorted(_generated()))
def test_generated_odd_spec(name, tmp_path, capsys):
    suffix, text, fragment, budget = _generated()[name]
    path = tmp_path / f"{name}{suffix}"
    path.write_text(text)
    rc, out, err, elapsed = _check(path, capsys, "--quiet")
    _assert_clean(rc, out, err, fragment)
    assert elapsed < budget, f"took {elapsed:.2f}s (budget {budget:g}s)"


def test_description_is_escaped_in_the_summary(capsys):
    rc, out, err, _ = _check(ODD / "p16_description_ansi.json", capsys)
    assert rc == 0 and "\x1b" not in out and r"\x1b[31mALERT" in out


@pytest.mark.parametrize("name", sorted(n for n, frag in EXPECT.items() if n.startswith("n") and frag))
def test_solve_names_the_field(name, tmp_path, capsys):
    """`solve` refuses data that is not finite before generating anything: the same one line."""
    rc = main(["solve", str(ODD / name), "--out", str(tmp_path / "out"), "--no-reference", "--quiet",
               "--no-plot"])
    err = capsys.readouterr().err
    _assert_clean(rc, "", err, EXPECT[name])
    assert not (tmp_path / "out" / "odd.h5").exists()


def test_solve_names_a_float32_overflow(tmp_path, capsys):
    """exp(100 x) is finite in float64 (so `check` passes) but beyond float32 in the model's input."""
    rc = main(["solve", str(ODD / "n08_source_exp_float32.json"), "--out", str(tmp_path / "out"),
               "--no-reference", "--quiet", "--no-plot", "--refine", "0"])
    err = capsys.readouterr().err
    _assert_clean(rc, "", err, "operator.source: not finite at (x, y) = (")
    assert "float32" in err and not (tmp_path / "out" / "odd.h5").exists()


@pytest.mark.parametrize("name", ["n01_source_log.json", "n04_bc_value_one_over_x.json"])
def test_reference_names_the_field(name, tmp_path, capsys):
    """The reference solver names the data, not "singular (pure Neumann …)" of all-Dirichlet data."""
    rc = main(["reference", str(ODD / name), "--out", str(tmp_path / "r.h5"), "--no-cache"])
    err = capsys.readouterr().err
    _assert_clean(rc, "", err, EXPECT[name])
    assert "singular" not in err


def test_fem_evaluation_names_the_field():
    """Where the FEM evaluates an expression (quadrature points), a non-finite value is named."""
    import numpy as np
    import sympy

    from hyperpino.errors import SpecError
    from hyperpino.pde.expr import symbol
    from hyperpino.pde.reference.numeric import np_fn

    f = np_fn(sympy.log(symbol("x")), ("x", "y"), "operator.source")
    with pytest.raises(SpecError, match=r"^operator.source: not finite at \(x, y\) = \(-1, 0\): nan"):
        f(np.array([0.5, -1.0]), np.array([0.0, 0.0]))


def test_singular_system_with_dirichlet_data_is_not_blamed_on_neumann_data():
    import warnings

    import numpy as np
    import scipy.sparse as sp

    from hyperpino.errors import HyperpinoError
    from hyperpino.pde.reference.fem import _condensed_solve

    a = sp.csr_matrix(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 1.0, 1.0]]))
    with warnings.catch_warnings(), pytest.raises(HyperpinoError) as info:
        warnings.simplefilter("ignore")  # scipy's MatrixRankWarning
        _condensed_solve(a, np.ones(3), {0: 0.0})
    assert "singular" in str(info.value) and "Neumann" not in str(info.value)
    with pytest.raises(HyperpinoError, match="not finite"):
        _condensed_solve(a, np.array([1.0, np.inf, 1.0]), {0: 0.0})


_NUMBERS = [0, -0.0, 5e-324, 1e-300, 1e-7, 1e16, 1e300, -1e300, 10**30, 10**400, 2**63]
_EXPRESSIONS = ["log(x)", "sqrt(x)", "exp(1000*x)", "1/x", "1/y", "tan(pi*x/2)", "sqrt(-1-x**2)",
                "heaviside(x)/x", "1/sin(pi*x)", "log(abs(x))"]
_KEYS = ["a\nb", "\x1b[31m", "k\x00", "é", "x" * 200, "", " "]


def _mutated(seed: int) -> dict:
    """An example spec with one value replaced by a pathological number or expression, or one key
    renamed to hostile text."""
    import random

    import tomllib

    from hyperpino.examples import examples_dir

    rng = random.Random(seed)
    spec = tomllib.loads(rng.choice(sorted(examples_dir().glob("*.toml"))).read_text())
    slots = []

    def walk(node, path):
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            slots.append(path + [key])
            walk(value, path + [key])

    walk(spec, [])
    *parent_path, key = rng.choice(slots)
    parent = spec
    for k in parent_path:
        parent = parent[k]
    mode = seed % 3
    if mode == 0:
        parent[key] = rng.choice(_NUMBERS)
    elif mode == 1:
        parent[key] = rng.choice(_EXPRESSIONS)
    elif isinstance(parent, dict):
        parent[rng.choice(_KEYS)] = parent.pop(key)
    return spec


@pytest.mark.parametrize("seed", range(60))
def test_mutated_example(seed, tmp_path, capsys):
    """Not one file per case: a seeded sample of one-field mutations of the bundled examples (a run
    of 600 such mutations and 120 specs rescaled to extreme magnitudes all passed)."""
    path = tmp_path / "mutated.json"
    path.write_text(json.dumps(_mutated(seed)))
    rc, out, err, elapsed = _check(path, capsys, "--quiet")
    assert rc in (0, 2), err
    _assert_clean(rc, out, err, None if rc == 0 else "")
    assert elapsed < 5.0, f"took {elapsed:.2f}s"
