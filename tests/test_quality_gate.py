"""The quality gate: per-field figures on the annotated corpus must not fall below their floors.

Floors live in tests/quality_floors.json. Raise a floor when a change
improves a figure; never lower one without saying why in the commit.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.evaluate import check_floors, evaluate_corpus, figures, format_report

ROOT = Path(__file__).resolve().parent.parent
FLOORS = ROOT / "tests" / "quality_floors.json"


@pytest.fixture(scope="module")
def reports(rules):
    return evaluate_corpus(ROOT / "corpus", rules)


def test_every_field_at_or_above_its_floor(reports):
    figs = figures(reports)
    problems = check_floors(figs, FLOORS)
    assert not problems, "\n".join(problems) + "\n\n" + format_report(reports)


def test_floors_cover_every_field():
    floors = json.loads(FLOORS.read_text(encoding="utf-8"))["floors"]
    for name in (
        "items_f1",
        "units_role_f1",
        "targets_vuc_f1",
        "targets_indicator_f1",
        "metadata_f1",
        "body_kept",
        "body_leaked",
    ):
        assert name in floors


def test_reference_document_figures(reports):
    """The reference document (issue 2): all items, every unit's role, targets F1 >= 0.95."""
    seed = [r for r in reports if r.page.startswith(("ah-gov-2021", "ahnews-2021"))]
    assert len(seed) == 2
    for r in seed:
        assert not r.error, r.error
        assert r.scores["items"].f1 == 1.0, r.missed["items"] + r.extra["items"]
        assert r.scores["units_role"].f1 == 1.0, r.missed["units_role"] + r.extra["units_role"]
        assert r.scores["targets_vuc"].f1 >= 0.95, r.missed["targets_vuc"] + r.extra["targets_vuc"]
