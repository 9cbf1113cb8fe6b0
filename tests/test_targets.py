"""Table-driven target cases (tests/cases/targets.yaml): a clause and the records it must give.

Optional keys absent from an expected record are not asserted; a case marked
`xfail` is a known gap (strict: it must fail, so a fix is noticed); a case
marked `crash_only` asserts only that extraction does not crash.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from pipeline.targets import TargetExtractor, load_target_rules
from pipeline.textnorm import compact

ROOT = Path(__file__).resolve().parent.parent
CASES = yaml.safe_load((ROOT / "tests" / "cases" / "targets.yaml").read_text(encoding="utf-8"))["cases"]
EXTRACTOR = TargetExtractor(load_target_rules(ROOT / "rules"))
KNOWN_GAPS = yaml.safe_load((ROOT / "tests" / "cases" / "targets_known_gaps.yaml").read_text(encoding="utf-8"))["gaps"]


def _params():
    ids = {c["id"] for c in CASES}
    assert set(KNOWN_GAPS) <= ids, f"known gaps name unknown cases: {sorted(set(KNOWN_GAPS) - ids)}"
    for case in CASES:
        marks = []
        reason = case.get("xfail") or KNOWN_GAPS.get(case["id"])
        if reason:
            marks.append(pytest.mark.xfail(reason=reason, strict=True))
        yield pytest.param(case, id=case["id"], marks=marks)


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)


def describe(targets) -> list[str]:
    return [
        f"{t.raw} v={t.value} max={t.value_max} u={t.unit} {t.comparator} ind={t.indicator} act={t.action} dl={t.deadline} mod={t.modality} kind={t.kind}"
        for t in targets
    ]


@pytest.mark.parametrize("case", list(_params()))
def test_target_case(case):
    got = EXTRACTOR.extract("case", case["text"])
    if case.get("crash_only"):
        return
    expected = case["targets"] or []
    assert len(got) == len(expected), describe(got)
    for t, e in zip(got, expected, strict=True):
        where = describe([t])[0]
        assert t.raw == e["raw"], where
        assert case["text"][t.start : t.end] == t.raw, "offsets must index the text"
        assert _close(t.value, e["value"]), where
        assert _close(t.value_max, e.get("value_max")), where
        assert t.unit == str(e.get("unit", "") or ""), where
        assert t.comparator == e["comparator"], where
        if "indicator" in e:
            alts = e["indicator"] if isinstance(e["indicator"], list) else [e["indicator"]]
            assert compact(t.indicator) in {compact(str(a)) for a in alts}, where
        for key in ("action", "deadline", "modality", "kind"):
            if key in e:
                assert getattr(t, key) == str(e[key] or ""), f"{key}: {where}"
