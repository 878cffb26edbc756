"""The hypernetwork examples run as programs, and docs/hypernet.md shows them as they are."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "hypernet.md"
EXAMPLES = [ROOT / "examples" / "hypernet_quickstart.py", ROOT / "examples" / "hypernet_task_embeddings.py"]


def _code(path: Path) -> str:
    """The example without its module docstring (what the doc shows)."""
    text = path.read_text(encoding="utf-8")
    return text.split('"""\n\n', 1)[1] if text.startswith('"""') else text


def test_doc_shows_the_examples_verbatim():
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert blocks == [_code(p) for p in EXAMPLES]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path):
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
