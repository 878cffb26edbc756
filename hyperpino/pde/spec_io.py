"""Reading spec files (TOML, YAML, JSON) into a validated :class:`~hyperpino.pde.spec.Spec`.

Hostile files fail fast and say why on one line: the size is capped before parsing, YAML aliases
(the "billion laughs" expansion) are refused before anything is built, and nesting that would
exhaust the parser's recursion is reported as such. Schema errors name the field path
(``bcs[2].on``) of the first problem.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomllib
import yaml
from pydantic import ValidationError

from hyperpino.errors import SpecError
from hyperpino.pde.spec import Spec

MAX_FILE_BYTES = 1_000_000
MAX_NESTING = 64
"""Deepest nesting of tables and lists (a spec needs 5); deeper files are refused while parsing."""
FORMATS = {".toml": "toml", ".yaml": "yaml", ".yml": "yaml", ".json": "json"}


def read_spec(path: str | Path) -> Spec:
    """Read and validate a spec file; the format follows the extension (.toml, .yaml/.yml, .json)."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SpecError(str(path), f"unknown file type {path.suffix!r} (use .toml, .yaml or .json)")
    if not path.is_file():
        raise SpecError(str(path), "no such file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise SpecError(str(path), f"file is larger than {MAX_FILE_BYTES // 1000} kB")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise SpecError(str(path), f"not UTF-8 text (byte {err.start})") from None
    return spec_from_mapping(_parse(text, fmt, str(path)))


def _parse(text: str, fmt: str, where: str) -> Any:
    try:
        if fmt == "toml":
            return tomllib.loads(text)
        if fmt == "json":
            return json.loads(text)
        return _load_yaml(text, where)
    except RecursionError:
        raise SpecError(where, "nested too deeply") from None
    except tomllib.TOMLDecodeError as err:
        raise SpecError(where, f"invalid TOML: {err}") from None
    except json.JSONDecodeError as err:
        raise SpecError(where, f"invalid JSON: {err.msg} (line {err.lineno})") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(err, "problem", None) or "syntax error"
        raise SpecError(where, f"invalid YAML: {problem}{line}") from None
    except ValueError as err:  # Python's limit on integer literals: 4300 digits
        if "digits" not in str(err):
            raise
        kind = {"toml": "TOML", "json": "JSON", "yaml": "YAML"}[fmt]
        raise SpecError(where, f"invalid {kind}: an integer with more than "
                        f"{sys.get_int_max_str_digits()} digits") from None


class _Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false.

    YAML 1.1 reads ``on``, ``off``, ``yes`` and ``no`` as booleans, which would turn the ``on:`` key of
    every boundary condition into ``True``.
    """


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


_OPEN = (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken, yaml.BlockSequenceStartToken,
         yaml.BlockMappingStartToken)
_CLOSE = (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken, yaml.BlockEndToken)


def _load_yaml(text: str, where: str = "") -> Any:
    # Aliases let a few hundred bytes expand to gigabytes; a spec never needs them. Deep nesting
    # is refused while scanning: PyYAML's scanner slows down quadratically with the depth of
    # flow collections (20,000 brackets took 20 s) before its parser runs out of recursion.
    depth = 0
    for token in yaml.scan(text, Loader=_Yaml12Loader):
        if isinstance(token, (yaml.AliasToken, yaml.AnchorToken)):
            raise SpecError(where, "YAML anchors and aliases are not supported in spec files")
        if isinstance(token, _OPEN):
            depth += 1
            if depth > MAX_NESTING:
                line = token.start_mark.line + 1
                raise SpecError(where, f"nested too deeply (more than {MAX_NESTING} levels, line {line})")
        elif isinstance(token, _CLOSE):
            depth -= 1
    return yaml.load(text, Loader=_Yaml12Loader)  # noqa: S506 - a SafeLoader subclass


def spec_from_mapping(data: Any) -> Spec:
    """Validate a parsed document (a mapping) into a :class:`Spec`."""
    if not isinstance(data, Mapping):
        raise SpecError("", f"a spec must be a table of fields, not {type(data).__name__}")
    try:
        return Spec.model_validate(dict(data))
    except ValidationError as err:
        raise _one_line(err) from None
    except RecursionError:
        raise SpecError("", "nested too deeply") from None


_TAGS = {
    "rectangle",
    "disk",
    "ellipse",
    "polygon",
    "triangle",
    "dirichlet",
    "neumann",
    "robin",
    "initial_value",
    "initial_rate",
}
_ARMS = {"int", "float", "str", "constrained-str", "none", "list[constrained-str]"}


def _path(loc: tuple) -> str:
    """``('bcs', 0, 'dirichlet', 'value', 'float')`` -> ``bcs[0].value`` (no union tags or arms)."""
    parts = []
    for i, part in enumerate(loc):
        after_item = i >= 1 and (
            isinstance(loc[i - 1], int) or (i >= 2 and loc[i - 2] == "primitives")
        )
        if part in _TAGS and after_item:
            continue  # the discriminator's value, which pydantic inserts after the item
        if (
            isinstance(part, str)
            and (part in _ARMS or part.startswith("function-"))
            and i == len(loc) - 1
        ):
            continue  # which arm of a union failed; the user only cares about the field
        parts.append(part)
    path = ""
    for part in parts:
        if part == "[key]":
            continue  # pydantic's marker of a dict key that failed; the key itself is the last part
        if isinstance(part, int):
            path += f"[{part}]"
        elif _FIELD.match(str(part)):
            path += f".{part}" if path else str(part)
        else:  # a key as written in the file: quoted, so a newline or escape cannot reach the terminal
            path += f"[{str(part)!r}]"
    return path


_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _one_line(err: ValidationError) -> SpecError:
    """The first schema error as ``SpecError(path, message)``; the number of others is appended."""
    errors = err.errors(include_url=False)
    first = errors[0]
    path = _path(first["loc"])
    kind, msg = first["type"], first["msg"]
    same_field = [e for e in errors if _path(e["loc"]) == path]
    more = len({_path(e["loc"]) for e in errors}) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
    if kind == "extra_forbidden":
        parent, _, key = path.rpartition(".")
        return SpecError(parent, f"unknown key {key!r}{suffix}")
    if kind == "missing":
        return SpecError(path, f"required field is missing{suffix}")
    if kind == "union_tag_invalid":
        ctx = first.get("ctx", {})
        return SpecError(
            f"{path}.type",
            f"unknown type {ctx.get('tag')!r} "
            f"(expected one of: {ctx.get('expected_tags')}){suffix}",
        )
    if kind == "string_pattern_mismatch":
        return SpecError(
            path,
            f"{first['input']!r} is not allowed here: use letters, digits and _ "
            f"(patterns may add . * ? [ ] ! -){suffix}",
        )
    if kind == "union_tag_not_found":
        return SpecError(f"{path}.type", f"required field is missing{suffix}")
    if len(same_field) > 1 and kind in ("int_type", "float_type", "string_type"):
        wants_str = any(e["type"] == "string_type" for e in same_field)
        msg = "expected a number or an expression string" if wants_str else "expected a number"
    return SpecError(path, f"{msg[0].lower()}{msg[1:]}{suffix}")


def spec_json(spec) -> str:
    """The spec as canonical JSON (sorted keys): the same content gives the same text."""
    return json.dumps(spec.model_dump(mode="json"), sort_keys=True)


def spec_digest(spec) -> str:
    """Hex digest of a spec's canonical JSON without its ``run`` options (they change how HyPINO
    runs, not the solution): a problem's identity for cached and shipped reference solutions."""
    import hashlib

    content = json.dumps(spec.model_dump(mode="json", exclude={"run"}), sort_keys=True)
    return hashlib.sha256(content.encode()).hexdigest()
