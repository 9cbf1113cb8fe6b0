"""Metadata of a policy page, taken from its sources in order of trust.

1. the meta tags of the 政府网站发展指引 (ArticleTitle, PubDate, ContentSource, SiteName …),
2. the 信息公开 header table (索引号, 发布机构, 文号, 成文日期, 发布日期),
3. visible info lines next to the title (发布时间：… 来源：…),
4. Open Graph and other meta tags,
5. the <title>, with its column and site suffixes removed.

Each field takes the first source that has it. Government meta tags are
filled by the CMS from the document record, so they beat anything printed;
info lines are only read between the title and the body (or at the body's
edges), so that dates and sources of sidebar headlines never leak in.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from lxml.html import HtmlElement

from pipeline.extract.config import ExtractRules
from pipeline.extract.dates import find_dates, is_date_line, parse_date
from pipeline.extract.dom import Line, RenderOptions, Stats, class_words, clean_inline, compact, render, tag_of
from pipeline.records import Attachment

# Labels that are not fields but end the value before them (主题分类 after 索引号 …).
_STOP_LABELS = (
    "索引号", "主题分类", "主题词", "体裁分类", "组配分类", "服务对象", "有效性", "生效日期", "废止日期",
    "公开方式", "公开范围", "公开时限", "信息分类", "所属主题", "字号", "浏览次数", "点击数", "访问量",
    "阅读次数", "分享", "打印", "责任编辑", "编辑", "审核",
)  # fmt: skip
_VALUE_END = re.compile(r"[【\[|]|\s{2,}|\u3000")
# A date in a page URL: TRS's t20211112_123.html, or /2021-11/12/ and /20211112/ paths.
_URL_DATE = re.compile(r"(?:/t|/|_)((?:19|20)\d\d)[-/]?([01]\d)[-/]?([0-3]\d)(?:[_/.]|$)")
_TIME = re.compile(r"\d{1,2}:\d{2}")
_HEADER_LINES = 8  # lines before the body searched when the title is not found on the page
_SHORT_LINE = 80
_DATE_LINE_MAX = 24  # 二〇二一年十二月三十一日 with spaces around it
_DISCLOSURE_MAX_CHARS = 1500  # a 信息公开 table is short; a page section holding one is not it
_DISCLOSURE_MIN_LABELS = 3


def meta_tags(page: HtmlElement) -> dict[str, str]:
    """<meta name|property|itemprop=… content=…>, names lower-cased, first occurrence wins."""
    found: dict[str, str] = {}
    for meta in page.iter("meta"):
        name = meta.get("name") or meta.get("property") or meta.get("itemprop") or ""
        content = clean_inline(meta.get("content") or "")
        if name and content:
            found.setdefault(name.strip().lower(), content)
    return found


def from_meta(tags: dict[str, str], names: dict[str, list[str]]) -> dict[str, str]:
    """Field values from meta tags, trying each field's names in order."""
    out: dict[str, str] = {}
    for name_field, names_for_field in names.items():
        for name in names_for_field:
            value = tags.get(name.lower(), "")
            if value:
                out[name_field] = value
                break
    return out


def label_pairs(text: str, labels: list[str]) -> list[tuple[str, str]]:
    """(label, value) for each `label：value` in a line; a value runs to the next label."""
    alternation = "|".join(re.escape(label) for label in sorted(set(labels), key=len, reverse=True))
    pattern = re.compile(rf"({alternation})\s*[:：]")
    hits = list(pattern.finditer(text))
    pairs: list[tuple[str, str]] = []
    for i, hit in enumerate(hits):
        end = hits[i + 1].start() if i + 1 < len(hits) else len(text)
        value = _VALUE_END.split(text[hit.end() : end], maxsplit=1)[0].strip(" ：:")
        pairs.append((hit.group(1), value))
    return pairs


def _assign(pairs: list[tuple[str, str]], labels: dict[str, list[str]], out: dict[str, str]) -> None:
    """Give each field the value of its highest-priority label present (earlier labels win)."""
    for name, names in labels.items():
        if name in out:
            continue
        for label in names:
            value = next((v for lab, v in pairs if lab == label and v), "")
            if value:
                out[name] = value
                break


def disclosure_values(page: HtmlElement, rules: ExtractRules, stats: dict[HtmlElement, Stats]) -> dict[str, str]:
    """Fields of the 信息公开 header table, read by label cell → value cell or `label：value`.

    The innermost element holding three or more labels is the table itself;
    its ancestors hold the same labels plus the rest of the page.
    """
    field_labels = [label for names in rules.disclosure_labels.values() for label in names]
    every = field_labels + list(_STOP_LABELS)
    candidates = []
    for el in page.iter("table", "ul", "dl", "div"):
        if el in stats and stats[el].chars <= _DISCLOSURE_MAX_CHARS:
            text = compact(el.text_content())
            if sum(1 for label in [*field_labels, "索引号"] if label in text) >= _DISCLOSURE_MIN_LABELS:
                candidates.append(el)
    chosen = set(candidates)
    innermost = [el for el in candidates if not any(d in chosen for d in el.iterdescendants())]
    out: dict[str, str] = {}
    for el in innermost:
        tables = {t for t in el.iter("table") if not any(True for _ in t.iterdescendants("table"))}
        pairs: list[tuple[str, str]] = []
        for line in render(el, RenderOptions(data_tables=tables)):
            pairs.extend(_cell_pairs(line.text.split(" | "), every))
        _assign(pairs, rules.disclosure_labels, out)
    return out


def _cell_pairs(cells: list[str], labels: list[str]) -> list[tuple[str, str]]:
    """Pairs from one table row: a cell that is just a label takes the next cell as its value."""
    pairs: list[tuple[str, str]] = []
    known = set(labels)
    i = 0
    while i < len(cells):
        bare = compact(cells[i]).rstrip(":：")
        if bare in known:
            nxt = cells[i + 1] if i + 1 < len(cells) else ""
            if compact(nxt).rstrip(":：") not in known:
                pairs.append((bare, nxt.strip()))
                i += 2
                continue
            i += 1
            continue
        pairs.extend(label_pairs(cells[i], labels))
        i += 1
    return pairs


def split_title(raw: str, rules: ExtractRules) -> list[str]:
    """<title> cut at the site/column separators, empty pieces dropped."""
    pieces = [raw]
    for sep in rules.title_separators:
        pieces = [part for piece in pieces for part in sep.split(piece)]
    return [clean_inline(p) for p in pieces if clean_inline(p)]


def _headings(page: HtmlElement) -> list[str]:
    """Texts of the page's headings and title-classed elements, to recognise the title in <title>."""
    found = []
    for el in page.iter():
        if not isinstance(el.tag, str):
            continue
        if tag_of(el) in ("h1", "h2", "h3") or class_words(el) & {"title", "bt", "tit", "biaoti"}:
            text = clean_inline(el.text_content())
            if 4 <= len(text) <= 200:
                found.append(text)
    return found


def title_from_tag(page: HtmlElement, rules: ExtractRules) -> tuple[str, str]:
    """(title, site) from <title>.

    The title is the page heading that <title> starts with (so a title that
    itself holds a separator survives), else its first piece; the site is the
    last piece.
    """
    title_el = next(iter(page.iter("title")), None)
    raw = clean_inline(title_el.text_content()) if title_el is not None else ""
    if not raw:
        return "", ""
    pieces = split_title(raw, rules)
    if not pieces:
        return "", ""
    site = pieces[-1] if len(pieces) >= 2 else ""
    if _COLUMN.search(site):
        site = ""  # 政府信息公开专栏, 政策文件栏目: a column of the site, not the site
    best = pieces[0]
    for heading in _headings(page):
        if raw.startswith(heading) and len(heading) > len(best):
            best = heading
    return best, site


def _title_index(lines: list[Line], title: str, before: int) -> int:
    """Index of the last line before the body that is (or holds) the title; -1 if none."""
    wanted = compact(title)
    if not wanted:
        return -1
    hit = -1
    for i, line in enumerate(lines):
        if line.order >= before:
            break
        text = compact(line.text)
        if text == wanted or (len(text) <= 2 * len(wanted) and wanted in text):
            hit = i
    return hit


def header_lines(lines: list[Line], title: str, body_start: int, body_end: int, edge: int) -> tuple[list[Line], list[Line]]:
    """(lines between the title and the body, lines at the body's edges).

    These are where a page prints this document's own info line; sidebars
    and footers lie elsewhere.
    """
    start = _title_index(lines, title, body_start)
    before = [line for line in lines if line.order < body_start]
    if start >= 0:
        header = [line for line in lines[start + 1 :] if line.order < body_start]
    else:
        header = before[-_HEADER_LINES:]
    inside = [line for line in lines if body_start <= line.order <= body_end]
    return header, inside[:edge] + inside[-edge:]


def info_values(header: list[Line], edges: list[Line], rules: ExtractRules) -> dict[str, str]:
    """Fields from visible info lines; a bare date next to the title counts as the publish date."""
    labels = [label for names in rules.info_labels.values() for label in names] + list(_STOP_LABELS)
    out: dict[str, str] = {}
    for group in (header, edges):
        pairs = [pair for line in group for pair in label_pairs(line.text, labels)]
        _assign(pairs, rules.info_labels, out)
    if "publish_date" not in out:
        out_date = _bare_date(header, edges, labels)
        if out_date:
            out["publish_date"] = out_date
    for key in ("publish_date", "written_date"):
        if key in out:
            out[key] = parse_date(out[key])
    return {k: v for k, v in out.items() if v}


def _bare_date(header: list[Line], edges: list[Line], labels: list[str]) -> str:
    """A date without a label: in a short line under the title, or an info-like line at the body's edge."""
    for line in header:
        if len(line.text) <= _SHORT_LINE:
            dates = find_dates(line.text)
            if dates:
                return dates[0].iso
    for line in edges:
        if len(line.text) <= _SHORT_LINE and (_TIME.search(line.text) or label_pairs(line.text, labels)):
            dates = find_dates(line.text)
            if dates:
                return dates[0].iso
    return ""


def url_date(url: str) -> str:
    """The date a CMS writes into an article URL (…/t20211112_554108373.html), or ""."""
    match = _URL_DATE.search(urlsplit(url).path) if url else None
    return parse_date(f"{match.group(1)}-{match.group(2)}-{match.group(3)}") if match else ""


def base_url(page: HtmlElement, tags: dict[str, str], rules: ExtractRules, source: str) -> str:
    """The URL relative links resolve against: <base>, the Url meta, og:url, canonical, then the source."""
    for base in page.iter("base"):
        if base.get("href"):
            return str(base.get("href"))
    meta_url = from_meta(tags, rules.government_meta).get("url") or from_meta(tags, rules.other_meta).get("url")
    if meta_url:
        return meta_url
    for link in page.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            return str(link.get("href"))
    return source if source.startswith(("http://", "https://")) else ""


def is_attachment_href(href: str, extensions: frozenset[str]) -> bool:
    """Does a link point at a document file (.pdf .doc .docx .wps .xls .xlsx .zip …)?"""
    if not href:
        return False
    parts = urlsplit(href.strip())
    for candidate in (parts.path, parts.query):
        suffix = candidate.rsplit(".", 1)[-1].lower() if "." in candidate else ""
        if suffix in extensions:
            return True
    return False


def attachments(roots: list[HtmlElement], base: str, rules: ExtractRules) -> list[Attachment]:
    """Linked files inside the body, with absolute URLs, in page order, each once."""
    out: list[Attachment] = []
    seen: set[str] = set()
    for root in roots:
        for link in root.iter("a"):
            href = (link.get("href") or "").strip()
            if not is_attachment_href(href, rules.attachment_extensions):
                continue
            url = urljoin(base, href) if base else href
            if url in seen:
                continue
            seen.add(url)
            name = clean_inline(link.text_content())
            if not name or name in rules.generic_link_names:
                name = clean_inline(link.get("title") or "") or urlsplit(url).path.rsplit("/", 1)[-1]
            out.append(Attachment(name=name, url=url))
    return out


_COLUMN = re.compile(r"(?:专栏|栏目|频道|专题|子站)$")
_SCRIPT_DATE = re.compile(r"""\b(?:createTime|publish_time|publishTime|pubDate|pubdate|pubtime)\s*=\s*["']([^"']{8,30})["']""")
_COPYRIGHT = re.compile(r"版权所有\s*[:：]?\s*[©(（]?\s*([\u4e00-\u9fff]{3,20}?)(?:\s|[|｜，,。]|$)")
_ADOPTED = re.compile(r"^[（(]\s*((?:19|20)\d{2}年\d{1,2}月\d{1,2}日)[^）)]{0,60}(?:通过|批准|公布|发布)[^）)]{0,20}[）)]$")


def script_values(page: HtmlElement) -> dict[str, str]:
    """publish_date from a script variable (WeChat's createTime), for pages that fill the date by script."""
    for script in page.iter("script"):
        m = _SCRIPT_DATE.search(script.text or "")
        if m:
            return {"publish_date": m.group(1)}
    return {}


def footer_site(page: HtmlElement) -> dict[str, str]:
    """site_name from the 版权所有 line of the footer, when the <title> names no site."""
    m = _COPYRIGHT.search(clean_inline(page.text_content()))
    return {"site_name": m.group(1)} if m else {}


def body_fallbacks(lines: list[str], rules: ExtractRules) -> dict[str, str]:
    """doc_number from a 文号 line near the top of the body; written_date from its first date-only line."""
    out: dict[str, str] = {}
    for text in lines[: rules.edge_lines + 2]:
        if rules.doc_number.match(text):
            out["doc_number"] = text.strip()
            break
    for text in lines:
        if len(text) <= _DATE_LINE_MAX and is_date_line(text):
            out["written_date"] = parse_date(text)
            break
        adopted = _ADOPTED.match(text.strip())
        if adopted:
            # a regulation's adoption note: （2022年11月25日…常务委员会第三十六次会议通过）
            out["written_date"] = parse_date(adopted.group(1))
            break
    return out


def merge_in_order(*sources: dict[str, str]) -> dict[str, str]:
    """Each field from the first source that has a non-empty value for it."""
    out: dict[str, str] = {}
    for source in sources:
        for key, value in source.items():
            if value and key not in out:
                out[key] = value
    return out


def normalise_dates(values: dict[str, str]) -> dict[str, str]:
    """Dates to YYYY-MM-DD; a date field that does not parse is dropped rather than kept raw."""
    out = dict(values)
    for key in ("publish_date", "written_date"):
        if key in out:
            out[key] = parse_date(out[key])
    return {k: v for k, v in out.items() if v}
