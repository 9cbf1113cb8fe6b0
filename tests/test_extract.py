"""Extract stage: bytes of one page → Page. Cases are data; each table says what it exercises."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pipeline.extract import ExtractError, ExtractRules, extract_page, load_extract_rules
from pipeline.extract.bench import lines_kept, lines_leaked, load_gold, meta_right
from pipeline.records import Page
from pipeline.rulesio import RulesError

ROOT = Path(__file__).resolve().parent.parent
PARA = "为深入推进工作，持续提升服务水平，保障群众安全便捷出行，制定本方案。"


@pytest.fixture(scope="module")
def rules() -> ExtractRules:
    return load_extract_rules(ROOT / "rules")


def html(body: str, head: str = "", charset: str | None = "utf-8") -> str:
    """A minimal page; charset=None leaves the page without any declaration."""
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">' if charset else ""
    return f"<html><head>{meta}{head}</head><body>{body}</body></html>"


def article(*paragraphs: str) -> str:
    """Paragraphs inside a TRS body container, with the usual page furniture around it."""
    inner = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        '<div class="nav"><a href="/">首页</a><a href="/a">政务公开</a><a href="/b">政务服务</a></div>'
        f'<div class="TRS_Editor">{inner}</div>'
        '<div class="footer">版权所有：某某省人民政府 网站标识码：3600000046</div>'
    )


def no_replacement_char(page: Page) -> bool:
    texts = [page.title, page.issuer, page.body, *(a.name for a in page.attachments)]
    return all("\ufffd" not in t for t in texts)


# ---------------------------------------------------------------- encodings

GBK_TEXT = "关于印发——实施方案的通知·2021年"  # — and · are GBK, not GB2312
ENCODING_CASES = [
    # (case, raw bytes, http charset, encoding used, text that must come through, warning fragment or "")
    ("gb2312 declared, GBK-only characters", html(f"<p>{GBK_TEXT}{PARA}</p>", charset="gb2312").encode("gbk"),
     None, "gb18030", GBK_TEXT, ""),
    ("no declaration, GB18030 bytes", html(f"<p>支持㮾下村发展乡村旅游，{PARA}</p>", charset=None).encode("gb18030"),
     None, "gb18030", "支持㮾下村发展乡村旅游", ""),
    ("no declaration, short GBK page", html("<p>关于印发—通知</p>", charset=None).encode("gbk"),
     None, "gb18030", "关于印发—通知", ""),
    ("no declaration, UTF-8", html(f"<p>{PARA}</p>", charset=None).encode("utf-8"), None, "utf-8", PARA, ""),
    ("utf-8 declared, GBK bytes", html(f"<p>{PARA}</p>", charset="utf-8").encode("gbk"),
     None, "gb18030", PARA, "not valid"),
    ("gb2312 declared, UTF-8 bytes", html(f"<p>{PARA}</p>", charset="gb2312").encode("utf-8"),
     None, "utf-8", PARA, "bytes are UTF-8"),
    ("HTTP gbk beats a wrong meta utf-8", html(f"<p>{PARA}</p>", charset="utf-8").encode("gbk"),
     "gbk", "gb18030", PARA, ""),
    ("HTTP iso-8859-1 default is ignored", html(f"<p>{PARA}</p>", charset="gb2312").encode("gbk"),
     "ISO-8859-1", "gb18030", PARA, "cannot hold"),
    ("UTF-8 BOM", b"\xef\xbb\xbf" + html(f"<p>{PARA}</p>", charset=None).encode("utf-8"), None, "utf-8", PARA, ""),
    ("truncated inside a character", html(f"<p>{PARA}</p>", charset="gbk").encode("gbk") + "通".encode("gbk")[:1],
     None, "gb18030", PARA, "truncated"),
    ("undecodable bytes", html(f"<p>{PARA}</p>", charset="utf-8").encode("utf-8").replace(b"</p>", b"\xff\xfe</p>"),
     None, "utf-8", PARA, "dropped"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "http_charset", "encoding", "text", "warning"),
    [case[1:] for case in ENCODING_CASES],
    ids=[case[0] for case in ENCODING_CASES],
)
def test_decoding(raw: bytes, http_charset: str | None, encoding: str, text: str, warning: str) -> None:
    page = extract_page(raw, http_charset=http_charset)
    assert page.encoding == encoding
    assert text in page.body
    assert no_replacement_char(page)
    if warning:
        assert any(warning in w for w in page.warnings), page.warnings
    else:
        assert page.warnings == []


# ---------------------------------------------------------------- metadata trust order

SOURCES = {
    "government": '<meta name="ArticleTitle" content="甲标题"><meta name="PubDate" content="2021-01-01 09:00">'
    '<meta name="ContentSource" content="甲机构"><meta name="SiteName" content="甲网站">',
    "other": '<meta property="og:title" content="丁标题"><meta property="article:published_time" '
    'content="2021-04-04T10:00:00+08:00"><meta name="author" content="丁机构"><meta property="og:site_name" '
    'content="丁网站">',
}
DISCLOSURE = (
    "<table><tr><td>索引号：</td><td>001/2021-1</td><td>发布机构：</td><td>乙机构</td></tr>"
    "<tr><td>文　　号：</td><td>乙政〔2021〕2号</td><td>成文日期：</td><td>2021年02月01日</td></tr>"
    "<tr><td>标　　题：</td><td>乙标题</td><td>发布日期：</td><td>2021年02月02日</td></tr></table>"
)
INFO = '<div class="info">发布时间：2021-03-03 10:00　来源：丙机构</div>'


def layered_page(layers: set[str]) -> bytes:
    head = "<title>戊标题_栏目_戊网站</title>"
    head += SOURCES["government"] if "government" in layers else ""
    head += SOURCES["other"] if "other" in layers else ""
    body = DISCLOSURE if "disclosure" in layers else ""
    body += "<h1>标题</h1>" + (INFO if "info" in layers else "")
    body += article(PARA, PARA)
    return html(body, head).encode("utf-8")


ALL = {"government", "disclosure", "info", "other"}
TRUST_CASES = [
    # (sources on the page, expected title, publish_date, issuer, site_name)
    # the issuer is the one exception: the 信息公开 table's 发布机构 (乙) names the publishing
    # body and beats the ContentSource meta tag, which often names the drafting office
    (ALL, "甲标题", "2021-01-01", "乙机构", "甲网站"),
    (ALL - {"disclosure"}, "甲标题", "2021-01-01", "甲机构", "甲网站"),
    (ALL - {"government"}, "乙标题", "2021-02-02", "乙机构", "丁网站"),
    ({"info", "other"}, "丁标题", "2021-03-03", "丙机构", "丁网站"),
    ({"other"}, "丁标题", "2021-04-04", "丁机构", "丁网站"),
    (set(), "戊标题", "", "", "戊网站"),
]


@pytest.mark.parametrize(("layers", "title", "date", "issuer", "site"), TRUST_CASES)
def test_metadata_trust_order(rules: ExtractRules, layers: set[str], title: str, date: str, issuer: str, site: str) -> None:
    page = extract_page(layered_page(layers), rules=rules)
    assert (page.title, page.publish_date, page.issuer, page.site_name) == (title, date, issuer, site)


def test_disclosure_table_fields_and_not_in_body(rules: ExtractRules) -> None:
    page = extract_page(layered_page({"disclosure"}), rules=rules)
    assert (page.doc_number, page.written_date) == ("乙政〔2021〕2号", "2021-02-01")
    assert "索引号" not in page.body and "001/2021-1" not in page.body


def test_document_date_beats_sidebar_dates(rules: ExtractRules) -> None:
    sidebar = '<ul class="list"><li>发布时间：2019-09-09 <a href="/x">旧闻一</a></li></ul>'
    body = sidebar + "<h1>某市实施方案</h1><div>2021-11-12 09:30　来源：某市政府</div>" + article(PARA, PARA)
    body += '<div class="side">发布时间：2018-01-01 <a href="/y">旧闻二</a> <a href="/z">旧闻三</a></div>'
    page = extract_page(html(body, "<title>某市实施方案_某市政府</title>").encode(), rules=rules)
    assert (page.publish_date, page.issuer) == ("2021-11-12", "某市政府")


TITLE_CASES = [
    # (<title>, page heading, expected title, expected site name)
    ("某省实施方案_政府文件_某省人民政府", "", "某省实施方案", "某省人民政府"),
    ("某省实施方案 - 政府信息公开 - 某某部", "", "某省实施方案", "某某部"),
    ("某省实施方案|某省人民政府", "", "某省实施方案", "某省人民政府"),
    ("某省实施方案--某市人民政府", "", "某省实施方案", "某市人民政府"),
    ("某省实施方案-中安在线", "", "某省实施方案", "中安在线"),
    ("某省2021-2025年行动计划_某省人民政府", "", "某省2021-2025年行动计划", "某省人民政府"),
    # with no site in <title>, the footer's 版权所有 line names the site
    ("某省2021－2025年行动计划", "", "某省2021－2025年行动计划", "某某省人民政府"),
    ("关于某事－某项的通知_某局", "关于某事－某项的通知", "关于某事－某项的通知", "某局"),
    ("某省实施方案", "", "某省实施方案", "某某省人民政府"),
    ("某省实施方案_政府信息公开专栏", "", "某省实施方案", "某某省人民政府"),
]


@pytest.mark.parametrize(("tag", "heading", "title", "site"), TITLE_CASES)
def test_title_suffix_removal(rules: ExtractRules, tag: str, heading: str, title: str, site: str) -> None:
    body = (f"<h1>{heading}</h1>" if heading else "") + article(PARA)
    page = extract_page(html(body, f"<title>{tag}</title>").encode(), rules=rules)
    assert (page.title, page.site_name) == (title, site)


DOC_NUMBER_CASES = [
    # (first body line, expected doc_number)
    ("皖政〔2021〕16号", "皖政〔2021〕16号"),
    ("赣府厅字[2022]21号", "赣府厅字[2022]21号"),
    ("浙政办发（2024）15号", "浙政办发（2024）15号"),
    ("2021年是开局之年。", ""),
]


@pytest.mark.parametrize(("line", "expected"), DOC_NUMBER_CASES)
def test_doc_number_from_body(rules: ExtractRules, line: str, expected: str) -> None:
    page = extract_page(html(article(line, PARA, PARA)).encode(), rules=rules)
    assert page.doc_number == expected


# ---------------------------------------------------------------- body: boilerplate

BOILERPLATE_LINES = [
    # (boilerplate inside the body container, a fragment that must not survive)
    ("[责任编辑：刘洋]", "责任编辑"),
    ("（责任编辑：赵阳）", "责任编辑"),
    ("【我要纠错】　责任编辑：刘洋", "纠错"),
    ("字号：大 中 小 打印 关闭", "字号"),
    ("【打印本页】【关闭窗口】", "打印本页"),
    ("分享到：微信 微博", "分享到"),
    ("版权所有：某某省人民政府办公厅", "版权所有"),
    ("Copyright © 2021 某某网", "Copyright"),
    ("皖ICP备05008613号 皖公网安备34010402700215号", "ICP备"),
    ("您当前的位置：首页 > 政务公开", "当前的位置"),
    ("上一篇：某某通知", "上一篇"),
    ("来源：某某日报", "来源"),
    ("发布时间：2021-11-12 09:30", "发布时间"),
    ("2021-11-12 09:30　来源：国务院", "09:30"),
    ("长按识别二维码关注某某发布", "二维码"),
]


@pytest.mark.parametrize(("line", "fragment"), BOILERPLATE_LINES)
def test_boilerplate_lines_removed(rules: ExtractRules, line: str, fragment: str) -> None:
    page = extract_page(html(article(PARA, "1.推进某项工作。（省发展改革委牵头）", line)).encode(), rules=rules)
    assert fragment not in page.body
    assert "1.推进某项工作。（省发展改革委牵头）" in page.body.splitlines()


CONTENT_LOOKALIKES = [
    # lines that resemble boilerplate but are content, in the middle of the body
    "时间：2022年5月10日至6月30日。",
    "资金来源：省级财政专项资金。",
    "附件：1.任务分工表",
    "2021年11月12日",
]


@pytest.mark.parametrize("line", CONTENT_LOOKALIKES)
def test_content_lookalikes_kept(rules: ExtractRules, line: str) -> None:
    paragraphs = [PARA] * 7 + [line] + [PARA] * 7
    page = extract_page(html(article(*paragraphs)).encode(), rules=rules)
    assert line in page.body.splitlines()


FURNITURE = [
    # (page furniture placed inside a generic container, a fragment that must not survive)
    ('<div class="share">分享到：<a href="#">微信</a><a href="#">微博</a></div>', "微博"),
    ('<div class="related"><h3>相关阅读</h3><ul><li><a href="/1">关于某事的通知</a></li>'
     '<li><a href="/2">关于另一事的通知</a></li></ul></div>', "另一事"),
    ('<ul><li><a href="/1">全省新增就业12.3万人</a></li><li><a href="/2">1-10月进出口增长9.8%</a></li>'
     '<li><a href="/3">前三季度GDP增长10.2%</a></li></ul>', "12.3万人"),
    ('<div style="display: none">隐藏的统计代码</div>', "隐藏"),
    ('<table><tr><td>索引号：</td><td>001/2021-1</td></tr><tr><td>发布机构：</td><td>某机构</td></tr>'
     '<tr><td>成文日期：</td><td>2021-01-01</td></tr></table>', "索引号"),
]  # fmt: skip


@pytest.mark.parametrize(("furniture", "fragment"), FURNITURE)
def test_furniture_elements_removed(rules: ExtractRules, furniture: str, fragment: str) -> None:
    body = f'<div class="article"><p>{PARA}</p>{furniture}<p>{PARA}</p><p>1.推进某项工作。</p></div>'
    page = extract_page(html(body).encode(), rules=rules)
    assert fragment not in page.body
    assert "1.推进某项工作。" in page.body


def test_density_fallback_on_legacy_table_layout(rules: ExtractRules) -> None:
    nav = "".join(f'<tr><td><a href="/{i}">栏目{i}</a></td></tr>' for i in range(8))
    text = "<br>".join(f"　　{i}.推进第{i}项重点工作，确保按期完成。（市发改委牵头）" for i in range(1, 6))
    body = (
        f'<table><tr><td><table>{nav}</table></td><td><table><tr><td class="x">标题</td></tr>'
        f"<tr><td>　　{PARA}<br>{text}</td></tr></table></td></tr>"
        "<tr><td colspan=2>版权所有 某市人民政府 赣ICP备05003398号</td></tr></table>"
    )
    page = extract_page(html(body).encode(), rules=rules)
    lines = page.body.splitlines()
    assert lines[0] == PARA and lines[-1] == "5.推进第5项重点工作，确保按期完成。（市发改委牵头）"
    assert "栏目" not in page.body and "版权所有" not in page.body


# ---------------------------------------------------------------- body: <br>, spans, characters

BR_CASES = [
    # (inner HTML of a <br> body, expected lines)
    ("1.加快5G网络规模化部署，全年新建5G基站<br>1.5万个以上。（省通信管理局牵头）",
     ["1.加快5G网络规模化部署，全年新建5G基站1.5万个以上。（省通信管理局牵头）"]),
    ("（省工业和信息化厅、<br>省科技厅按职责分工负责）", ["（省工业和信息化厅、省科技厅按职责分工负责）"]),
    ("1.推进某项工作，形成一批成果。<br>2.推进另一项工作，形成一批成果。",
     ["1.推进某项工作，形成一批成果。", "2.推进另一项工作，形成一批成果。"]),
    ("1.推进某项工作（省发展改革委牵头）<br>加强统筹协调，形成工作合力，确保取得实效",
     ["1.推进某项工作（省发展改革委牵头）", "加强统筹协调，形成工作合力，确保取得实效"]),
    ("推进某项工作，形成一批可复制可推广的经验做法<br>（二）加强统筹协调，形成合力",
     ["推进某项工作，形成一批可复制可推广的经验做法", "（二）加强统筹协调，形成合力"]),
    ("推进某项工作，形成一批可复制可推广的经验做法<br>第二条 本办法适用于全省",
     ["推进某项工作，形成一批可复制可推广的经验做法", "第二条 本办法适用于全省"]),
    ("推进某项工作，形成一批可复制可推广的经验做法<br>①加强统筹协调", ["推进某项工作，形成一批可复制可推广的经验做法", "①加强统筹协调"]),
    ("推进某项工作，形成一批可复制可推广的经验做法<br>　　加强统筹协调，形成合力",
     ["推进某项工作，形成一批可复制可推广的经验做法", "加强统筹协调，形成合力"]),
    ("推进某项工作，形成一批可复制可推广的经验做法<br><br>加强统筹协调，形成合力",
     ["推进某项工作，形成一批可复制可推广的经验做法", "加强统筹协调，形成合力"]),
    ("一、总体要求<br>到2025年，全市数字经济规模显著扩大。", ["一、总体要求", "到2025年，全市数字经济规模显著扩大。"]),
    ("推进某项工作，形成一批可复制可推广的经验做法<br>附件：任务分工表",
     ["推进某项工作，形成一批可复制可推广的经验做法", "附件：任务分工表"]),
]  # fmt: skip


@pytest.mark.parametrize(("inner", "expected"), BR_CASES)
def test_br_lines(rules: ExtractRules, inner: str, expected: list[str]) -> None:
    page = extract_page(html(f'<div class="TRS_Editor">{inner}</div>').encode(), rules=rules)
    assert page.body.splitlines() == expected


INLINE_CASES = [
    # (inner HTML of one paragraph, expected line)
    ("<span>2</span><span>0</span><span>21年</span>全年新增<span>1</span><span>.5万个</span>", "2021年全年新增1.5万个"),
    ("培育首<span>店品牌</span><span>200</span>个以上", "培育首店品牌200个以上"),
    ("<span lang=EN-US>1</span>\n<span>．推进工作</span>", "1．推进工作"),
    ("推进数字\n经济发展", "推进数字经济发展"),
    ("VR and\nAR devices", "VR and AR devices"),
    ("甲&nbsp;乙&nbsp;&nbsp;丙", "甲 乙  丙"),
    ("\u200b\u3000\u3000推进工作\u200b", "推进工作"),
    ("推进\u200b工作", "推进\u200b工作"),  # zero-width inside a block is the page's own character
    ("（一）<font color=red><b>加强</b></font>统筹（省财政厅牵头）", "（一）加强统筹（省财政厅牵头）"),
    ("<section><span>一、</span><span>总体要求</span></section>", "一、总体要求"),
]


@pytest.mark.parametrize(("inner", "expected"), INLINE_CASES)
def test_inline_text(rules: ExtractRules, inner: str, expected: str) -> None:
    page = extract_page(html(f'<div class="TRS_Editor"><p>{inner}</p></div>').encode(), rules=rules)
    assert page.body == expected


def test_full_width_punctuation_kept(rules: ExtractRules) -> None:
    text = "（１）全年新增３万个，增长１５％。（省商务厅牵头）"
    page = extract_page(html(article(text)).encode(), rules=rules)
    assert page.body == text


# ---------------------------------------------------------------- body: tables

TASK_TABLE = (
    '<div class="article-content"><p>现将重点任务分工如下。</p><table>'
    "<tr><th>序号</th><th>重点任务</th><th>牵头单位</th><th>配合单位</th><th>完成时限</th></tr>"
    '<tr><td colspan="5">一、夯实数字基础</td></tr>'
    '<tr><td>1</td><td>新建5G基站2000个。</td><td rowspan="2">市工信局</td><td>市通管办</td>'
    '<td rowspan="2">2023年底前</td></tr>'
    "<tr><td>2</td><td>新增二级节点2个。</td><td>市发改委</td></tr>"
    "</table></div>"
)
TABLE_CASES = [
    # (what, expected)
    ("grid", [
        ["序号", "重点任务", "牵头单位", "配合单位", "完成时限"],
        ["一、夯实数字基础"] * 5,
        ["1", "新建5G基站2000个。", "市工信局", "市通管办", "2023年底前"],
        ["2", "新增二级节点2个。", "市工信局", "市发改委", "2023年底前"],
    ]),
    ("lines", [
        "现将重点任务分工如下。",
        "序号 | 重点任务 | 牵头单位 | 配合单位 | 完成时限",
        "一、夯实数字基础",
        "1 | 新建5G基站2000个。 | 市工信局 | 市通管办 | 2023年底前",
        "2 | 新增二级节点2个。 | 市工信局 | 市发改委 | 2023年底前",
    ]),
]  # fmt: skip


@pytest.mark.parametrize(("what", "expected"), TABLE_CASES)
def test_task_table_spans(rules: ExtractRules, what: str, expected: list) -> None:
    page = extract_page(html(TASK_TABLE).encode(), rules=rules)
    assert (page.tables[0] if what == "grid" else page.body.splitlines()) == expected


def test_layout_table_is_not_a_data_table(rules: ExtractRules) -> None:
    body = f'<table><tr><td><a href="/">首页</a></td><td><p>{PARA}</p><p>{PARA}</p><p>1.推进工作。</p></td></tr></table>'
    page = extract_page(html(body).encode(), rules=rules)
    assert page.tables == [] and page.body.splitlines()[-1] == "1.推进工作。"


def test_attachments_absolute_and_named(rules: ExtractRules) -> None:
    head = '<meta name="Url" content="http://www.example.gov.cn/art/2023/4/12/art_1.html">'
    body = (
        '<div class="TRS_Editor"><p>附件：</p><p><a href="./P1.pdf">1.工作计划.pdf</a></p>'
        '<p><a href="/files/P2.xlsx" title="任务清单.xlsx">下载</a></p><p><a href="/other.html">相关</a></p></div>'
    )
    page = extract_page(html(body, head).encode(), rules=rules)
    assert [(a.name, a.url) for a in page.attachments] == [
        ("1.工作计划.pdf", "http://www.example.gov.cn/art/2023/4/12/P1.pdf"),
        ("任务清单.xlsx", "http://www.example.gov.cn/files/P2.xlsx"),
    ]
    assert page.body.splitlines()[0] == "附件："


# ---------------------------------------------------------------- bad input

BAD_INPUT = [
    # (case, raw bytes, error fragment)
    ("PDF named .html", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj", "PDF"),
    ("empty file", b"  \n", "empty"),
    ("PNG image", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "PNG"),
    ("docx", b"PK\x03\x04" + b"\x00" * 64, "ZIP"),
    ("binary", b"\x00\x01\x02\x03" * 200, "binary"),
]


@pytest.mark.parametrize(("raw", "fragment"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT])
def test_not_html_is_refused_with_a_reason(rules: ExtractRules, raw: bytes, fragment: str) -> None:
    with pytest.raises(ExtractError, match=fragment):
        extract_page(raw, rules=rules)


def test_truncated_page(rules: ExtractRules) -> None:
    raw = html(article(PARA, "1.推进第一项工作。（市发改委牵头）", "2.推进第二项工作")).encode("utf-8")
    cut = raw[: raw.index("第二项".encode()) + 4]  # ends inside a UTF-8 character
    page = extract_page(cut, rules=rules)
    assert "1.推进第一项工作。（市发改委牵头）" in page.body.splitlines()
    assert no_replacement_char(page)


def test_deeply_nested_page(rules: ExtractRules) -> None:
    body = "<div>" * 10000 + f"<p>{PARA}</p>" + "</div>" * 10000 + "<p>1.推进最后一项工作。</p>"
    page = extract_page(html(body).encode(), rules=rules)
    assert PARA in page.body and "1.推进最后一项工作。" in page.body
    assert any("nested" in w for w in page.warnings)


def test_large_page_is_fast(rules: ExtractRules) -> None:
    paragraphs = "".join(f"<p>{i}.推进第{i}项工作，{PARA}（市发改委牵头）</p>" for i in range(70000))
    raw = html(f'<div class="TRS_Editor">{paragraphs}</div>').encode("utf-8")
    assert len(raw) > 10_000_000
    start = time.perf_counter()
    page = extract_page(raw, rules=rules)
    assert time.perf_counter() - start < 30
    assert page.body.count("\n") == 69999


# ---------------------------------------------------------------- rules file

RULES_ERRORS = [
    # (yaml text replacing one section, fragment of the error)
    ("boilerplate_lines:\n  - pattern: '责任编辑'\n", "missing why"),
    ("boilerplate_lines:\n  - {pattern: '([', why: broken}\n", "bad regular expression"),
    ("boilerplate_lines:\n  - {pattern: 'x', why: y, where: middle}\n", "where must be one of"),
    ("government_meta:\n  - {field: titel, names: [ArticleTitle]}\n", "unknown field 'titel'"),
    ("containers:\n  - 'div > p'\n", "is not tag, .class, #id"),
    ("edge_lines: -1\n", "positive integer"),
]


@pytest.mark.parametrize(("section", "fragment"), RULES_ERRORS)
def test_rules_errors_name_file_and_line(tmp_path: Path, section: str, fragment: str) -> None:
    original = (ROOT / "rules" / "extract.yaml").read_text(encoding="utf-8")
    name = section.split(":", 1)[0]
    kept = _drop_section(original, name)
    (tmp_path / "extract.yaml").write_text(kept + "\n" + section, encoding="utf-8")
    with pytest.raises(RulesError, match=fragment) as info:
        load_extract_rules(tmp_path)
    assert "extract.yaml:" in str(info.value)


def _drop_section(text: str, name: str) -> str:
    """The YAML text without one top-level section (so that the test can put a broken one in)."""
    out, skipping = [], False
    for line in text.splitlines():
        if line and not line[0].isspace() and not line.startswith("#"):
            skipping = line.startswith(f"{name}:")
        if not skipping:
            out.append(line)
    return "\n".join(out)


def test_rules_file_missing(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="not found"):
        load_extract_rules(tmp_path)


# ---------------------------------------------------------------- the corpus

CORPUS = load_gold(ROOT / "corpus")


@pytest.mark.parametrize("gold", CORPUS, ids=[g.path.name for g in CORPUS])
def test_corpus_page(rules: ExtractRules, gold) -> None:  # type: ignore[no-untyped-def]
    page = extract_page(gold.path.read_bytes(), source=str(gold.path), rules=rules)
    meta = {f: getattr(page, f) for f in ("title", "publish_date", "issuer", "doc_number", "written_date", "site_name")}
    assert meta_right(meta, gold.metadata)[2] == [], meta
    lines = page.body.splitlines()
    if gold.body.get("first"):  # the body's first sentence starts so
        assert lines[0].startswith(str(gold.body["first"])), lines[0]
    if gold.body.get("last"):  # the body's last sentence ends so (a parenthetical may follow it)
        assert str(gold.body["last"]) in lines[-1], lines[-1]
    assert lines_kept(page.body, gold.body.get("must_contain") or []) == []
    assert lines_leaked(page.body, gold.body.get("must_not_contain") or []) == []
    assert no_replacement_char(page)


def test_corpus_has_the_issue_3_pages() -> None:
    ours = sorted(p.name for p in (ROOT / "corpus" / "pages").glob("x-*.html"))
    assert len(ours) >= 10
    assert {g.path.name for g in CORPUS} >= set(ours)
