"""Table-driven numbering cases: a body (one block per line) and the items it must give."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.structure import build_items, load_numbering_rules, numeral_value

ROOT = Path(__file__).resolve().parent.parent
RULES = load_numbering_rules(ROOT / "rules")

CASES = [
    (
        "sections-and-items",
        "前言段落。\n一、总体要求\n1.加强领导。（省委牵头）\n2.压实责任。（省政府牵头）\n二、重点任务\n3.推进改革。（省发展改革委牵头）",
        [("一/1", "加强领导"), ("一/2", "压实责任"), ("二/3", "推进改革")],
    ),
    (
        "three-levels-mixed-leaves",
        "一、重点任务\n（一）推进数字政府。\n1.建设平台。（市数据局牵头）\n2.整合系统。（市数据局牵头）\n（二）加强安全保障，完善制度。（市委网信办牵头）",
        [("一/一/1", "建设平台"), ("一/一/2", "整合系统"), ("一/二", "加强安全保障")],
    ),
    (
        "full-width-digits-and-brackets",
        "一、任务\n１．第一项任务。\n２．第二项任务：\n（１）下一层。",
        [("一/1", "第一项任务"), ("一/2/1", "下一层")],
    ),
    (
        "regulation-articles",
        "第一章 总则\n第一条 为了规范管理，制定本办法。\n第二条 本办法适用于全省。\n第二章 附则\n第三条 本办法自公布之日起施行。",
        [("一/一", "为了规范管理"), ("一/二", "本办法适用于全省"), ("二/三", "本办法自公布之日起施行")],
    ),
    (
        "multi-paragraph-item",
        "一、任务\n1.推进改革，\n完善制度。（省财政厅牵头）\n2.加强督查。\n督查结果纳入考核。（省政府办公厅牵头）",
        [("一/1", "推进改革，完善制度"), ("一/2", "加强督查。\n督查结果纳入考核")],
    ),
    (
        "closing-paragraph-not-item",
        "一、任务\n1.推进改革。（省财政厅牵头）\n各地各部门要高度重视，抓好落实。",
        [("一/1", "推进改革")],
    ),
    (
        "parts-and-chinese-numerals-with-a-point",
        "第一部分 总体要求\n一．指导思想。坚持稳中求进。\n第二部分 重点任务\n一．推进改革。（省财政厅牵头）\n二．扩大开放。（省商务厅牵头）",
        [("一/一", "指导思想"), ("二/一", "推进改革"), ("二/二", "扩大开放")],
    ),
    (
        "half-bracket-labels",
        "一、任务\n1)推进改革。（省财政厅牵头）\n2)扩大开放。（省商务厅牵头）",
        [("一/1", "推进改革"), ("一/2", "扩大开放")],
    ),
    (
        "numbers-that-are-not-labels",
        "一、任务\n1.新建5G基站2.5万个。\n2021年是开局之年。\n1.5万户完成改造。",
        [("一/1", "新建5G基站2.5万个")],
    ),
    (
        "circled-sub-points-sharing-one-clause-are-one-item",
        "（一）总体要求\n（1）推进社区服务：\n①建设服务站。\n②培育服务组织。（市民政局牵头）",
        [("一/1", "推进社区服务：\n①建设服务站。\n②培育服务组织。")],
    ),
    (
        "circled-sub-points-with-own-clauses-are-items",
        "（一）总体要求\n（1）推进社区服务：\n①建设服务站。（市民政局牵头）\n②培育服务组织。（市商务局牵头）",
        [("一/1/①", "建设服务站"), ("一/1/②", "培育服务组织")],
    ),
]


@pytest.mark.parametrize("name,body,expected", CASES, ids=[c[0] for c in CASES])
def test_items(name, body, expected):
    items, _ = build_items("d", body, RULES)
    assert [(i.path, i.text[: len(t)]) for i, (_, t) in zip(items, expected, strict=False)] == expected
    assert len(items) == len(expected)


@pytest.mark.parametrize(
    "body,fragment",
    [
        ("一、任务\n1.甲。\n3.丙。", "gap"),
        ("一、任务\n1.甲。\n1.乙。", "duplicate"),
        ("一、任务\n2.甲。", "expected 1"),
    ],
)
def test_numbering_problems_are_warnings(body, fragment):
    items, warnings = build_items("d", body, RULES)
    assert items, "labels are never dropped or renumbered"
    assert any(fragment in w for w in warnings), warnings


@pytest.mark.parametrize(
    "label,numeral,value",
    [
        ("十二", "chinese", 12),
        ("二十", "chinese", 20),
        ("一百零三", "chinese", 103),
        ("③", "circled", 3),
        ("17", "arabic", 17),
    ],
)
def test_numeral_value(label, numeral, value):
    assert numeral_value(label, numeral) == value
