"""Rules are validated on load: a bad row gives an error naming its file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.rules import load_rules
from pipeline.rulesio import RulesError

ROOT = Path(__file__).resolve().parent.parent

# (file, text to replace, replacement, expected fragment of the message)
BREAKAGES = [
    ("numbering.yaml", "numeral: chinese", "numeral: roman", "numeral must be"),
    ("numbering.yaml", "pattern: '^(?P<n>[①", "pattern: '^(?P<n[①", "bad regular expression"),
    ("roles.yaml", "  - {label: 牵头单位, role: lead}", "  - {label: 牵头单位, role: boss}", "role must be one of"),
    ("targets.yaml", "  - {word: 不少于, op: '>='}", "  - {word: 不少于, op: 'more'}", "comparators_before"),
    ("non_targets.yaml", "    pattern: '三省一市", "    pattern: '(三省一市", "bad regular expression"),
    ("targets.yaml", "  万亿: 1000000000000", "  万亿: -1", "positive whole multiplier"),
    ("roles.yaml", "  - 牵头负责\n", "\t- 牵头负责\n", "invalid YAML"),
]


@pytest.mark.parametrize("name,old,new,fragment", BREAKAGES, ids=[f"{b[0]}:{b[3]}" for b in BREAKAGES])
def test_bad_rule_names_file_and_line(tmp_path, name, old, new, fragment):
    rules_dir = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules_dir)
    path = rules_dir / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"the test's anchor is gone from {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    line = text[: text.index(old)].count("\n") + 1
    with pytest.raises(RulesError) as err:
        load_rules(rules_dir)
    message = str(err.value)
    assert name in message and fragment in message
    assert err.value.line is not None and err.value.line == line, message


def test_missing_rules_dir(tmp_path):
    with pytest.raises(RulesError, match="not found"):
        load_rules(tmp_path / "nope")


def test_fingerprint_changes_with_rules(tmp_path):
    rules_dir = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", rules_dir)
    first = load_rules(rules_dir).fingerprint
    with (rules_dir / "roles.yaml").open("a", encoding="utf-8") as f:
        f.write("\n# a comment changes the fingerprint too\n")
    assert load_rules(rules_dir).fingerprint != first
