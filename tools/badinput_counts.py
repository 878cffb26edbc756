"""Count the bad-input corpora per class: cases tried and passed (for issue closing notes).

Runs the corpus tests of each class with pytest (one run, JUnit XML) and tallies the test cases
per class; ``--collect`` only counts them (no run). Prints a table, then one JSON object on the
last line. Extra classes: ``--class NAME=tests/a.py,tests/b.py`` (repeatable).

    python tools/badinput_counts.py              # run and count (about 5 minutes on 2 cores)
    python tools/badinput_counts.py --collect    # count the cases only
    python tools/badinput_counts.py --only interrupts
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CLASSES: dict[str, list[str]] = {
    "specs": ["tests/pde/test_bad_specs.py"],
    "odd specs (pathological, non-finite)": ["tests/pde/test_odd_specs.py"],
    "fresh process (< 2 s)": ["tests/pde/test_fresh_process.py"],
    "non-finite solutions": ["tests/solver/test_solve_nonfinite.py"],
    "checkpoints": ["tests/model/test_bad_checkpoints.py"],
    "training states": ["tests/training/test_bad_states.py"],
    "hdf5 train --data": ["tests/mms/test_bad_hdf5.py"],
    "hdf5 mixer": ["tests/mixer/test_bad_mixer_hdf5.py"],
    "mixer checkpoints": ["tests/mixer/test_bad_mixer_checkpoints.py"],
    "command lines": ["tests/test_bad_command_lines.py"],
    "--json outputs": ["tests/test_json_outputs.py"],
    "interrupts": ["tests/training/test_interrupts.py"],
}


def _class_of(file: str, classes: dict[str, list[str]]) -> str | None:
    for name, files in classes.items():
        if any(file.endswith(f) or f.endswith(file) for f in files):
            return name
    return None


def _files(classes: dict[str, list[str]]) -> list[str]:
    return list(dict.fromkeys(f for fs in classes.values() for f in fs if (ROOT / f).exists()))


def collect(classes: dict[str, list[str]]) -> dict[str, dict[str, int]]:
    files = _files(classes)
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          *files], cwd=ROOT, capture_output=True, text=True)
    counts = {name: {"tried": 0} for name in classes}
    for line in out.stdout.splitlines():
        if "::" in line:
            name = _class_of(line.split("::", 1)[0], classes)
            if name:
                counts[name]["tried"] += 1
    return counts


def run(classes: dict[str, list[str]]) -> dict[str, dict[str, int]]:
    files = _files(classes)
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "junit.xml"
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={xml}",
                        *files], cwd=ROOT, capture_output=True, text=True)
        tree = ET.parse(xml)
    counts = {name: {"tried": 0, "passed": 0, "failed": 0, "skipped": 0} for name in classes}
    for case in tree.iter("testcase"):
        module = case.get("classname", "").split(".")
        file = "/".join(module) + ".py"
        name = _class_of(file, classes) or _class_of(case.get("file", ""), classes)
        if name is None:
            continue
        c = counts[name]
        c["tried"] += 1
        if case.find("skipped") is not None:
            c["skipped"] += 1
        elif case.find("failure") is not None or case.find("error") is not None:
            c["failed"] += 1
        else:
            c["passed"] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collect", action="store_true", help="count the cases only; do not run them")
    parser.add_argument("--only", action="append", default=[], metavar="CLASS",
                        help="count only this class (repeatable)")
    parser.add_argument("--class", dest="extra", action="append", default=[], metavar="NAME=FILES",
                        help="another class: its name and comma-separated test files")
    args = parser.parse_args(argv)
    classes = dict(CLASSES)
    for item in args.extra:
        name, _, files = item.partition("=")
        classes[name] = [f.strip() for f in files.split(",") if f.strip()]
    if args.only:
        unknown = [c for c in args.only if c not in classes]
        if unknown:
            parser.error(f"unknown class {unknown[0]!r} (known: {', '.join(classes)})")
        classes = {c: classes[c] for c in args.only}
    counts = collect(classes) if args.collect else run(classes)
    width = max(len(n) for n in counts)
    for name, c in counts.items():
        cells = "  ".join(f"{k} {v:4d}" for k, v in c.items())
        print(f"{name:<{width}}  {cells}")
    print(json.dumps(counts, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
