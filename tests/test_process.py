"""process() on whole pages: bad input warns or fails with one line; units get canonical names."""

from __future__ import annotations

import pytest

from pipeline.process import DocumentError, process
from pipeline.records import RawDocument

PAGE = "<html><head><meta charset='utf-8'><title>{title}</title></head><body><div class='article'>{body}</div></body></html>"


def page(body: str, title: str = "某市2024年重点工作任务分工方案") -> bytes:
    return PAGE.format(title=title, body=body).encode("utf-8")


RAGGED_TABLE = (
    "<p>为推进重点工作，制定本方案。</p>"
    "<table><tr><td>序号</td><td>重点任务</td><td>牵头单位</td><td>配合单位</td><td>完成时限</td></tr>"
    "<tr><td>1</td><td>新建5G基站1000个。</td><td>市工业和信息化局</td><td>市通信发展管理办公室</td><td>2024年12月底前</td></tr>"
    "<tr><td>2</td><td>改造老旧小区50个。</td><td>市住房城乡建设局</td></tr>"
    "<tr><td>3</td><td>新增养老床位300张。</td><td>市民政局</td><td>市财政局</td><td>2024年10月底前</td><td>多余的格</td></tr>"
    "</table>"
)


def test_ragged_task_table_is_read_with_a_warning(rules):
    result = process(RawDocument("ragged.html", page(RAGGED_TABLE)), rules)
    assert [i.path for i in result.items] == ["1", "2", "3"]
    assert any("task table" in w for w in result.document.warnings)
    units = {(r.item_id.split(":")[-1], r.unit, r.role) for r in result.responsibilities}
    assert ("2", "市住房城乡建设局", "lead") in units


@pytest.mark.parametrize(
    "body,fragment",
    [
        ("<p>一、任务</p><p>1.推进改革（省财政厅牵头。</p><p>2.加强督查。（省政府办公厅牵头）</p>", "unbalanced"),
        ("<p>一、任务</p><p>1.推进改革。（" + "省财政厅、" * 420 + "省商务厅牵头）</p>", "characters ignored"),
        ("<p>一、任务</p><p>1.推进改革。</p><p>责任单位：</p>", "empty responsibility line"),
        ("<p>一、任务</p><p>1.甲项任务。（省财政厅牵头）</p><p>3.丙项任务。（省商务厅牵头）</p>", "gap"),
    ],
)
def test_bad_items_warn(rules, body, fragment):
    result = process(RawDocument("bad.html", page(body)), rules)
    assert result.items, "the items are still read"
    assert any(fragment in w for w in result.document.warnings), result.document.warnings


@pytest.mark.parametrize(
    "content,fragment",
    [(b"", "empty"), (bytes(range(256)) * 4, "binary"), (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF")],
)
def test_unreadable_documents_raise_one_line_reasons(rules, content, fragment):
    with pytest.raises(DocumentError) as err:
        process(RawDocument("x.html", content), rules)
    assert fragment.lower() in str(err.value).lower()
    assert "\n" not in str(err.value)


def test_offices_of_the_issuing_body_get_canonical_names(rules):
    body = "<p>一、任务</p><p>1.加快农村公路建设。（部公路局牵头，部规划研究院配合）</p><p>2.推进养护改革。（各省级交通运输主管部门负责）</p>"
    raw = PAGE.format(title="交通运输部关于推进农村公路高质量发展的通知", body=body).replace(
        "<head>", "<head><meta name='ContentSource' content='交通运输部'>"
    )
    result = process(RawDocument("moc.html", raw.encode("utf-8")), rules)
    names = {r.unit: r.unit_canonical for r in result.responsibilities}
    assert names["部公路局"] == "交通运输部公路局"
    assert names["部规划研究院"] == "交通运输部规划研究院"
    assert names["各省级交通运输主管部门"] == ""
