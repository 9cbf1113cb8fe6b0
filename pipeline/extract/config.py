"""The extract stage's rules (rules/extract.yaml), validated once at load time.

Everything a researcher may want to tune without touching code lives in the
YAML: which containers hold an article, which lines are boilerplate, which
meta tags and labels carry which field, how <title> suffixes are separated.
A typo there must fail loudly at load time with file and line, not silently
yield empty bodies, so every entry is checked here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.rulesio import RulesError, compile_regex, require, yaml_sections

FIELDS = ("title", "publish_date", "issuer", "doc_number", "written_date", "site_name", "url")
_SELECTOR = re.compile(r"^(?P<tag>[a-zA-Z][a-zA-Z0-9]*)?(?:(?P<dot>\.)(?P<cls>[\w-]+)|#(?P<id>[\w-]+))?$")
_WHERE = ("anywhere", "edge")


@dataclass(frozen=True)
class Selector:
    """One container selector (tag, .class, #id, tag.class, tag#id) and its XPath."""

    text: str
    xpath: str


@dataclass(frozen=True)
class LinePattern:
    """A boilerplate line pattern; `edge` ones apply only near the body's start and end."""

    pattern: re.Pattern[str]
    where: str
    why: str


@dataclass
class ExtractRules:
    """Everything rules/extract.yaml says, compiled."""

    containers: list[Selector] = field(default_factory=list)
    drop_tags: frozenset[str] = frozenset()
    drop_class_words: frozenset[str] = frozenset()
    boilerplate: list[LinePattern] = field(default_factory=list)
    boilerplate_max_chars: int = 200
    edge_lines: int = 6
    government_meta: dict[str, list[str]] = field(default_factory=dict)
    disclosure_labels: dict[str, list[str]] = field(default_factory=dict)
    info_labels: dict[str, list[str]] = field(default_factory=dict)
    other_meta: dict[str, list[str]] = field(default_factory=dict)
    title_separators: list[re.Pattern[str]] = field(default_factory=list)
    attachment_extensions: frozenset[str] = frozenset()
    line_start_label: re.Pattern[str] = re.compile(r"(?!)")
    line_end_punctuation: str = "。；：！？"
    line_open_punctuation: str = "，、"
    doc_number: re.Pattern[str] = re.compile(r"(?!)")
    generic_link_names: frozenset[str] = frozenset()
    tail_markers: list[re.Pattern[str]] = field(default_factory=list)


def _lower(expr: str) -> str:
    """XPath 1.0 has no lower-case(): translate() ASCII capitals instead."""
    return f"translate({expr}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"


def selector_xpath(text: str, path: Path, line: int) -> Selector:
    """Turn `tag`, `.cls`, `#id`, `tag.cls` or `tag#id` into an XPath over descendants."""
    match = _SELECTOR.match(text.strip()) if isinstance(text, str) else None
    if not match or not (match.group("tag") or match.group("cls") or match.group("id")):
        raise RulesError(path, line, f"container {text!r} is not tag, .class, #id, tag.class or tag#id")
    tag = (match.group("tag") or "*").lower()
    # Class and id compare case-insensitively: templates write id="Zoom" as often as id="zoom".
    if match.group("cls"):
        cls = match.group("cls").lower()
        cond = f"[contains(concat(' ', normalize-space({_lower('@class')}), ' '), ' {cls} ')]"
    elif match.group("id"):
        cond = f"[{_lower('@id')}='{match.group('id').lower()}']"
    else:
        cond = ""
    return Selector(text.strip(), f"//{tag}{cond}")


def _strings(entry: Any, path: Path, line: int, what: str) -> list[str]:
    """A non-empty list of non-empty strings, or a RulesError saying which entry is wrong."""
    if not isinstance(entry, list) or not entry or not all(isinstance(s, str) and s for s in entry):
        raise RulesError(path, line, f"{what} must be a non-empty list of strings")
    return list(entry)


def _field_lists(section: list[tuple[int, Any]], key: str, path: Path) -> dict[str, list[str]]:
    """Entries {field: F, KEY: [..]} → {F: [..]} in file order, fields checked."""
    out: dict[str, list[str]] = {}
    for line, entry in section:
        item = require(entry, ["field", key], path, line)
        name = item["field"]
        if name not in FIELDS:
            raise RulesError(path, line, f"unknown field {name!r} (expected one of {', '.join(FIELDS)})")
        out.setdefault(name, []).extend(_strings(item[key], path, line, key))
    return out


def _scalar(sections: dict[str, list[tuple[int, Any]]], name: str, path: Path) -> tuple[int, Any]:
    if name not in sections or not sections[name]:
        raise RulesError(path, None, f"missing section {name!r}")
    return sections[name][0]


def _boilerplate(section: list[tuple[int, Any]], path: Path) -> list[LinePattern]:
    """Each boilerplate pattern must say why it is there, so that nobody deletes body text blindly."""
    out: list[LinePattern] = []
    for line, entry in section:
        item = require(entry, ["pattern", "why"], path, line)
        where = item.get("where", "anywhere")
        if where not in _WHERE:
            raise RulesError(path, line, f"where must be one of {', '.join(_WHERE)}, found {where!r}")
        out.append(LinePattern(compile_regex(item["pattern"], path, line), where, str(item["why"])))
    return out


def _int(sections: dict[str, list[tuple[int, Any]]], name: str, path: Path) -> int:
    line, value = _scalar(sections, name, path)
    if not isinstance(value, int) or value <= 0:
        raise RulesError(path, line, f"{name} must be a positive integer")
    return value


def _string_section(sections: dict[str, list[tuple[int, Any]]], name: str, path: Path) -> list[str]:
    """A section that is a list of non-empty strings."""
    entries = sections.get(name, [])
    if not entries:
        raise RulesError(path, None, f"missing section {name!r}")
    for line, value in entries:
        if not isinstance(value, str) or not value:
            raise RulesError(path, line, f"{name} entries must be non-empty strings")
    return [str(value) for _, value in entries]


def _nonempty_string(sections: dict[str, list[tuple[int, Any]]], name: str, path: Path) -> str:
    line, value = _scalar(sections, name, path)
    if not isinstance(value, str) or not value:
        raise RulesError(path, line, f"{name} must be a non-empty string")
    return value


def _pattern(sections: dict[str, list[tuple[int, Any]]], name: str, path: Path) -> re.Pattern[str]:
    line, value = _scalar(sections, name, path)
    return compile_regex(value, path, line)


def load_extract_rules(rules_dir: Path) -> ExtractRules:
    """Load rules_dir/extract.yaml; every problem raises RulesError with file and line."""
    path = Path(rules_dir) / "extract.yaml"
    sections = yaml_sections(path)
    end_punct = _nonempty_string(sections, "line_end_punctuation", path)
    return ExtractRules(
        containers=[selector_xpath(text, path, line) for line, text in sections.get("containers", [])],
        drop_tags=frozenset(t.lower() for t in _string_section(sections, "drop_tags", path)),
        drop_class_words=frozenset(w.lower() for w in _string_section(sections, "drop_class_words", path)),
        boilerplate=_boilerplate(sections.get("boilerplate_lines", []), path),
        boilerplate_max_chars=_int(sections, "boilerplate_max_chars", path),
        edge_lines=_int(sections, "edge_lines", path),
        government_meta=_field_lists(sections.get("government_meta", []), "names", path),
        disclosure_labels=_field_lists(sections.get("disclosure_labels", []), "labels", path),
        info_labels=_field_lists(sections.get("info_labels", []), "labels", path),
        other_meta=_field_lists(sections.get("other_meta", []), "names", path),
        title_separators=[compile_regex(p, path, line) for line, p in sections.get("title_separators", [])],
        attachment_extensions=frozenset(e.lower().lstrip(".") for e in _string_section(sections, "attachment_extensions", path)),
        line_start_label=_pattern(sections, "line_start_label", path),
        line_end_punctuation=end_punct,
        line_open_punctuation=_nonempty_string(sections, "line_open_punctuation", path),
        doc_number=_pattern(sections, "doc_number", path),
        generic_link_names=frozenset(_string_section(sections, "generic_link_names", path)),
        tail_markers=[compile_regex(p, path, line) for line, p in sections.get("tail_markers", [])],
    )
