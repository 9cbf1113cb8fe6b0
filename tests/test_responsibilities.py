"""Table-driven responsibility cases (tests/cases/responsibilities.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.records import Item
from pipeline.responsibilities import ResponsibilityParser, load_role_rules

ROOT = Path(__file__).resolve().parent.parent
CASES = yaml.safe_load((ROOT / "tests" / "cases" / "responsibilities.yaml").read_text(encoding="utf-8"))["cases"]
PARSER = ResponsibilityParser(load_role_rules(ROOT / "rules"))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_responsibility_case(case):
    item = Item(item_id="d:1", seq=1, path="1", number="1", level=1, section_title="", text=case["text"])
    units, raw, deadline, _warnings = PARSER.parse_item(item)
    got = [[u.unit, u.role, u.etc] for u in units]
    expected = [row[:3] for row in case["units"]]
    assert got == expected
    for unit, row in zip(units, case["units"], strict=True):
        if len(row) > 3:
            assert unit.clause == row[3]
            assert unit.deadline == row[4]
    if "deadline" in case:
        assert deadline == case["deadline"]
    if case["units"]:
        assert raw, "responsibility_raw must hold the clause"


@pytest.mark.parametrize(
    "text",
    [
        "推进改革（省财政厅牵头",  # unbalanced
        "推进改革。（" + "省财政厅、" * 400 + "省商务厅牵头）",  # 2,000+ characters
        "推进改革。\n责任单位：",  # empty responsibility line
        ")))（（（",
    ],
)
def test_bad_input_gives_warning_not_crash(text):
    item = Item(item_id="d:1", seq=1, path="1", number="1", level=1, section_title="", text=text)
    _units, _raw, _deadline, warnings = PARSER.parse_item(item)
    assert warnings
