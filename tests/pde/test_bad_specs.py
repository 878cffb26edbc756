"""A corpus of bad spec files: malformed, malicious, inconsistent.

Each must give exit code 2 and one line that names the problem, execute nothing, and return fast.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hyperpino.cli import main
from hyperpino.pde import problem as _warm  # noqa: F401  (imports torch once, outside the timings)

BAD = Path(__file__).parent / "bad_specs"

EXPECT = {
    # malformed
    "m01_toml_syntax.toml": "invalid TOML",
    "m02_yaml_syntax.yaml": "invalid YAML",
    "m03_json_syntax.json": "invalid JSON",
    "m04_json_toplevel_list.json": "a spec must be a table",
    "m05_unknown_extension.txt": "unknown file type '.txt'",
    "m06_not_utf8.toml": "not UTF-8",
    "m07_missing_geometry.toml": "geometry: required field is missing",
    "m08_unknown_top_key.toml": "unknown key 'solver'",
    "m09_unknown_bc_key.toml": "bcs[0]: unknown key 'side'",
    "m10_box_string.json": "box:",
    "m11_box_bool.yaml": "box[0][1]: expected a number",
    "m12_bc_type_unknown.toml": "bcs[0].type: unknown type 'periodic'",
    "m13_primitive_type_unknown.toml": "geometry.primitives.corner.type: unknown type 'hexagon'",
    "m14_coords_unknown.toml": "coords[1]",
    "m15_grid_too_small.toml": "evaluation.grid",
    "m16_empty_bcs.toml": "bcs: list should have at least 1 item",
    "m17_name_spaces.toml": "name:",
    # malicious
    "x01_import_os.toml": "operator.source",
    "x02_dunder_attribute.toml": "operator.source",
    "x03_lambda.toml": "operator.source",
    "x04_comprehension.toml": "operator.source",
    "x05_fstring.toml": "operator.source",
    "x06_power_tower.toml": "operator.source",
    "x07_keyword_arg.toml": "operator.source",
    "x08_subscript.toml": "operator.source",
    "x09_csg_call.toml": "geometry.csg",
    "x10_exec_in_operator.toml": "operator.expr",
    "x11_yaml_billion_laughs.yaml": "anchors and aliases are not supported",
    "x12_yaml_python_tag.yaml": "invalid YAML",
    "x13_walrus.toml": "operator.source",
    "x14_huge_literal.toml": "operator.source",
    "x15_caret_power.toml": "**",
    "x16_division_by_zero.toml": "operator.source",
    # inconsistent
    "i01_pattern_matches_nothing.toml": "bcs[0].on[1]: no boundary piece matches 'hole*'",
    "i02_piece_without_condition.toml": "bcs: boundary piece 'corner.left' has no condition",
    "i03_piece_two_conditions.toml": "bcs[1].on: piece 'corner.left' already has a condition (bcs[0])",
    "i04_pattern_only_hidden_pieces.toml": "not on the domain's boundary (corner.top)",
    "i05_empty_intersection.toml": "geometry",
    "i06_rectangle_degenerate.toml": "geometry.primitives.corner",
    "i07_disk_negative_radius.toml": "geometry.primitives.corner.radius",
    "i08_polygon_self_intersecting.toml": "geometry.primitives.corner",
    "i09_third_order.toml": "above second order",
    "i10_nonlinear.toml": "not linear in u",
    "i11_term_without_u.toml": "does not contain u",
    "i12_no_derivatives.toml": "no derivative terms",
    "i13_heat_missing_initial.toml": "needs initial_value on 'box.bottom'",
    "i14_wave_missing_rate.toml": "needs initial_rate on 'box.bottom'",
    "i15_initial_in_xy_problem.toml": "bcs[1].type: initial_value needs coords",
    "i16_condition_on_final_edge.toml": "'box.top' lies on the final edge",
    "i17_geometry_outside_box.toml": "outside the box",
    "i18_unknown_name.toml": "unknown name 'z'",
    "i19_unknown_function.toml": "foo",
    "i20_parameter_clash.toml": "parameters.sin: clashes",
    "i21_csg_unknown_primitive.toml": "hole",
    "i22_two_primitives_no_csg.toml": "geometry.csg: required when there is more than one primitive",
    "i23_robin_b_zero.toml": "bcs[1].b: must not be 0",
    "i24_elliptic_in_xt.toml": "elliptic in (x, t)",
    "i25_expr_and_coefficients.toml": "exactly one of 'expr' and 'coefficients'",
    "i26_unknown_coefficient_term.toml": "operator.coefficients.uzz: unknown term",
    "i27_rate_for_parabolic.toml": "takes initial_value only",
    "i28_lone_piece_without_condition.toml": "bcs: boundary piece 'box.bottom' has no condition",
    "i29_lone_piece_two_conditions.toml": "bcs[1].on: piece 'box.top' already has a condition (bcs[0])",
}

VALID = (BAD.parent.parents[1] / "examples" / "poisson_L.toml").read_text()


def _generated(tmp: Path) -> dict[str, tuple[Path, str]]:
    """Bad files too large to keep in the repository, made on the fly."""
    out = {}
    big = tmp / "g_one_megabyte.toml"
    big.write_text(VALID + "\n# " + "x" * 1_100_000)
    out["g_one_megabyte"] = (big, "larger than")
    deep = tmp / "g_deep_json.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    out["g_deep_json"] = (deep, "")
    parens = tmp / "g_nested_parens.toml"
    parens.write_text(
        VALID.replace("source = 1", 'source = "' + "(" * 1500 + "x" + ")" * 1500 + '"')
    )
    out["g_nested_parens"] = (parens, "operator.source")
    long_expr = tmp / "g_long_expression.json"
    spec = json.loads(
        json.dumps(
            {
                "name": "bad",
                "box": [[-1, 1], [-1, 1]],
                "geometry": {"primitives": {"d": {"type": "disk", "center": [0, 0], "radius": 1}}},
                "operator": {"expr": "-uxx-uyy", "source": "x+" * 400_000 + "x"},
                "bcs": [{"type": "dirichlet", "on": "d", "value": 0}],
            }
        )
    )
    long_expr.write_text(json.dumps(spec))
    out["g_long_expression"] = (long_expr, "operator.source")
    return out


def _run(path: Path, capsys) -> tuple[int, str, float]:
    t0 = time.perf_counter()
    rc = main(["check", str(path)])
    elapsed = time.perf_counter() - t0
    return rc, capsys.readouterr().err, elapsed


def _assert_clean_failure(rc, err, elapsed, fragment, cwd: Path):
    lines = err.strip().splitlines()
    assert rc == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert fragment in lines[0], lines[0]
    assert elapsed < 2.0, f"took {elapsed:.2f}s"
    assert not (cwd / "MARKER").exists(), "a payload was executed"


def test_corpus_is_complete():
    files = {p.name for p in BAD.iterdir()}
    assert files == set(EXPECT), files ^ set(EXPECT)
    assert len(files) + 4 >= 40


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_bad_spec(name, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # a payload that ran would leave MARKER here
    rc, err, elapsed = _run(BAD / name, capsys)
    _assert_clean_failure(rc, err, elapsed, EXPECT[name], tmp_path)


@pytest.mark.parametrize(
    "name", ["g_one_megabyte", "g_deep_json", "g_nested_parens", "g_long_expression"]
)
def test_generated_bad_spec(name, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    path, fragment = _generated(tmp_path)[name]
    rc, err, elapsed = _run(path, capsys)
    _assert_clean_failure(rc, err, elapsed, fragment, tmp_path)


def test_real_process_exit_code(tmp_path):
    """The installed command itself: exit status 2, one line on stderr, no traceback."""
    for name in ("x01_import_os.toml", "i01_pattern_matches_nothing.toml"):
        proc = subprocess.run(
            [sys.executable, "-m", "hyperpino", "check", str(BAD / name)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
        )
        assert proc.returncode == 2
        assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
        assert not (tmp_path / "MARKER").exists()
