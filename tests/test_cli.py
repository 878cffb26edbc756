"""The `hyperpino` command's own behaviour: schema, exit codes."""

import json

from hyperpino.cli import main


def test_schema_is_json_schema(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "Spec"
    assert {"name", "box", "geometry", "operator", "bcs"} <= set(schema["required"])
    assert "RobinSpec" in schema["$defs"]


def test_unknown_benchmark_is_a_user_error(capsys):
    assert main(["bench", "no-such-bench"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: bench: unknown benchmark") and "\n" not in err


def test_missing_file_is_a_user_error(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nope.toml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_building_the_parser_imports_no_heavy_package():
    """``hyperpino --help`` must start fast: no timm, sympy or scikit-fem before a command runs."""
    import subprocess
    import sys

    code = ("import sys; from hyperpino.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('timm', 'sympy', 'skfem') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
