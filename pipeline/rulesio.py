"""Reading rule files (YAML, CSV, JSONL) with errors that name file and line.

Researchers edit rules/ by hand; a typo must point at the exact row, not end
in a KeyError deep inside a stage. Every loader here returns records paired
with their line number so that validators can say where a bad row is.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml


class RulesError(ValueError):
    """A rule file is missing or malformed; the message names file and line."""

    def __init__(self, path: Path | str, line: int | None, problem: str) -> None:
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {problem}")
        self.path = str(path)
        self.line = line
        self.problem = problem


class LineDict(dict[str, Any]):
    """A rule entry that remembers the line of each of its keys, for exact error lines."""

    lines: dict[str, int]


def _node_to_python(node: yaml.Node) -> Any:
    value = yaml.safe_load(yaml.serialize(node))
    if isinstance(node, yaml.MappingNode) and isinstance(value, dict):
        entry = LineDict(value)
        entry.lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
        return entry
    return value


def line_of(entry: Any, key: str, default: int) -> int:
    """The line of `key` in a YAML rule entry (the entry's own line when unknown)."""
    lines = getattr(entry, "lines", None)
    return lines.get(key, default) if isinstance(lines, dict) else default


def yaml_sections(path: Path) -> dict[str, list[tuple[int, Any]]]:
    """Load a YAML mapping of section -> list, keeping each entry's line.

    Returns {section: [(line, entry), ...]}; scalars and mappings at the top
    level are returned as a single-entry list.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesError(path, None, "rule file not found") from None
    except UnicodeDecodeError as exc:
        raise RulesError(path, None, f"not UTF-8 ({exc.reason})") from None
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise RulesError(path, line, f"invalid YAML: {getattr(exc, 'problem', exc)}") from None
    if root is None:
        return {}
    if not isinstance(root, yaml.MappingNode):
        raise RulesError(path, root.start_mark.line + 1, "expected a mapping of sections at the top level")
    out: dict[str, list[tuple[int, Any]]] = {}
    for key_node, value_node in root.value:
        key = str(key_node.value)
        if isinstance(value_node, yaml.SequenceNode):
            out[key] = [(child.start_mark.line + 1, _node_to_python(child)) for child in value_node.value]
        else:
            out[key] = [(value_node.start_mark.line + 1, _node_to_python(value_node))]
    return out


def csv_rows(path: Path, required: list[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line, row) from a UTF-8 CSV file, checking the header.

    Lines starting with '#' are comments, so that every row can say why it is there.
    """
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise RulesError(path, None, "rule file not found") from None
    with handle:
        lines = [(n, line) for n, line in enumerate(handle, start=1) if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise RulesError(path, None, "empty rule file (a header row is needed)")
    reader = csv.reader([line for _, line in lines])
    header = [h.strip() for h in next(reader)]
    missing = [c for c in required if c not in header]
    if missing:
        raise RulesError(path, lines[0][0], f"header lacks column(s) {', '.join(missing)}")
    for (lineno, _), cells in zip(lines[1:], reader, strict=False):
        if len(cells) != len(header):
            raise RulesError(path, lineno, f"expected {len(header)} cells, found {len(cells)}")
        yield lineno, {h: c.strip() for h, c in zip(header, cells, strict=True)}


def jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line, object) from a JSON Lines file; '#' lines are comments."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RulesError(path, None, "rule file not found") from None
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RulesError(path, lineno, f"invalid JSON: {exc.msg}") from None
        if not isinstance(obj, dict):
            raise RulesError(path, lineno, "expected a JSON object")
        yield lineno, obj


def require(entry: Any, keys: list[str], path: Path, line: int) -> dict[str, Any]:
    """Check that a rule entry is a mapping with the given keys."""
    if not isinstance(entry, dict):
        raise RulesError(path, line, f"expected a mapping with keys {', '.join(keys)}, found {type(entry).__name__}")
    missing = [k for k in keys if k not in entry or entry[k] in (None, "")]
    if missing:
        raise RulesError(path, line, f"missing {', '.join(missing)}")
    return entry


def compile_regex(pattern: Any, path: Path, line: int) -> re.Pattern[str]:
    if not isinstance(pattern, str) or not pattern:
        raise RulesError(path, line, "pattern must be a non-empty string")
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise RulesError(path, line, f"bad regular expression {pattern!r}: {exc}") from None
