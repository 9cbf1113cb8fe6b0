"""The parsed page and its text as a reader sees it: blocks, one per line.

Both the body and the metadata need the page as lines (a paragraph, a
heading, a table row, a <br>-separated line) that remember where in the
document they came from, so this module owns parsing, per-element text
measurements and the renderer. Everything is iterative: pages nest layout
tables and spans thousands deep, and Python's recursion limit must not
decide whether a page can be read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import lxml.etree
import lxml.html
from lxml.html import HtmlElement

# Tags that start and end a block of text when rendered.
BLOCK_TAGS = frozenset(
    "p div section article main header footer nav aside h1 h2 h3 h4 h5 h6 li ul ol dl dt dd "
    "blockquote pre center table tr td th tbody thead tfoot caption form fieldset address hr "
    "figure figcaption details summary body html option legend".split()
)
HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
VOID_TAGS = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# Characters counted as evidence of prose: sentence and clause punctuation.
# Colons are left out on purpose: labels (来源：) and footers use them too.
PROSE_PUNCT = frozenset("，。；、！？,;")
_ASCII_WS = re.compile(r"[ \t\r\n\f]+")
_EDGE_JUNK = " \t\r\n\f\u00a0\u3000\u2002\u2003\u2009\u200b\u200c\u200d\u2060\ufeff"
_INDENT = ("\u3000", "\u00a0", "\u2002", "\u2003")
_TAG = re.compile(r"<(/?)([A-Za-z][\w:-]*)[^>]*?(/?)>")
_MAX_DEPTH = 1000
_CAMEL = re.compile(r"([a-z])([A-Z])")
_NON_WORD = re.compile(r"[^A-Za-z0-9]+")
_MAX_SPAN = 200


class ExtractError(ValueError):
    """The input cannot be read as an HTML page; the message says why."""


def _is_cjk(ch: str) -> bool:
    """CJK ideographs, CJK punctuation and full-width forms: no spaces between them in print."""
    return ord(ch) >= 0x2E80


def clean_inline(raw: str) -> str:
    """Collapse source whitespace as a browser would; keep the page's own characters.

    A newline in the HTML source between two CJK characters renders as
    nothing in Chinese typesetting (CSS Text segment-break rule), so it is
    removed; other runs of ASCII whitespace become one space. &nbsp; becomes
    a plain space. Edge spaces and zero-width characters are stripped, and
    U+FFFD never survives.
    """

    def repl(match: re.Match[str]) -> str:
        run = match.group(0)
        if "\n" in run or "\r" in run:
            before = match.string[match.start() - 1] if match.start() > 0 else ""
            after = match.string[match.end()] if match.end() < len(match.string) else ""
            if (before and _is_cjk(before)) or (after and _is_cjk(after)):
                return ""
        return " "

    text = _ASCII_WS.sub(repl, raw).replace("\u00a0", " ").replace("\ufffd", "")
    return text.strip(_EDGE_JUNK)


def compact(text: str) -> str:
    """Text without any whitespace, for comparing titles and labels (索 引 号 = 索引号)."""
    return "".join(ch for ch in text if not ch.isspace() and ch not in _EDGE_JUNK)


def flatten_deep_markup(text: str, max_depth: int = _MAX_DEPTH) -> str:
    """Drop tags nested deeper than max_depth, keeping all text.

    libxml2 stops reading at depth 2048 and silently loses the rest of the
    page; a page with thousands of nested tags is readable once its
    innermost wrappers are gone.
    """
    depth = 0
    out: list[str] = []
    last = 0
    for match in _TAG.finditer(text):
        closing, name, selfclosing = match.group(1), match.group(2).lower(), match.group(3)
        if name in VOID_TAGS or selfclosing:
            continue
        if closing:
            drop = depth > max_depth
            depth = max(depth - 1, 0)
        else:
            depth += 1
            drop = depth > max_depth
        if drop:
            out.append(text[last : match.start()])
            last = match.end()
    out.append(text[last:])
    return "".join(out)


def parse_html(text: str, warnings: list[str]) -> HtmlElement:
    """Parse decoded text with lxml; recover from depth overflow instead of losing the page."""
    parser = lxml.html.HTMLParser(encoding="utf-8", huge_tree=True, remove_comments=True, remove_pis=True)
    data = text.encode("utf-8")
    try:
        root = lxml.html.document_fromstring(data, parser=parser)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ExtractError(f"not parseable as HTML ({exc})") from None
    if any("Excessive depth" in entry.message for entry in parser.error_log):
        warnings.append(f"markup nested deeper than the parser allows; tags below depth {_MAX_DEPTH} flattened")
        root = lxml.html.document_fromstring(flatten_deep_markup(text).encode("utf-8"), parser=parser)
    return root


def tag_of(el: HtmlElement) -> str:
    """Lower-case tag name, "" for comments and other non-elements."""
    tag = el.tag
    return tag.lower() if isinstance(tag, str) else ""


def class_words(el: HtmlElement) -> set[str]:
    """Words of the class and id attributes: split on - _ space and camelCase, lower-cased."""
    cls, ident = el.get("class"), el.get("id")
    if not cls and not ident:
        return set()
    raw = _CAMEL.sub(r"\1 \2", f"{cls or ''} {ident or ''}")
    return {w for w in _NON_WORD.split(raw.lower()) if w}


def remove_elements(root: HtmlElement, drop: Callable[[HtmlElement], bool]) -> None:
    """Remove every element for which drop() is true, keeping its tail text in place."""
    doomed = [el for el in root.iter() if isinstance(el.tag, str) and drop(el)]
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()


@dataclass
class Stats:
    """Text measurements of one element and all it contains."""

    chars: int = 0  # visible characters, whitespace excluded
    link_chars: int = 0  # of which inside <a>
    punct: int = 0  # prose punctuation outside links
    links: int = 0
    attachment_links: int = 0


def _count(text: str | None) -> tuple[int, int]:
    """(non-space characters, prose punctuation) of a text fragment."""
    if not text:
        return 0, 0
    chars = len("".join(text.split()))  # C-speed: a 30 MB page is measured in well under a second
    punct = sum(text.count(mark) for mark in PROSE_PUNCT)
    return chars, punct


def measure(root: HtmlElement, is_attachment: Callable[[str], bool]) -> dict[HtmlElement, Stats]:
    """Stats for every element under root, computed children-first in one pass."""
    stats: dict[HtmlElement, Stats] = {}
    elements = [el for el in root.iter() if isinstance(el.tag, str)]
    for el in reversed(elements):
        own = Stats()
        in_link = tag_of(el) == "a"
        chars, punct = _count(el.text)
        own.chars += chars
        own.punct += 0 if in_link else punct
        for child in el:
            if isinstance(child.tag, str):
                sub = stats[child]
                own.chars += sub.chars
                own.link_chars += sub.link_chars
                own.punct += sub.punct
                own.links += sub.links
                own.attachment_links += sub.attachment_links
            chars, punct = _count(child.tail)
            own.chars += chars
            own.punct += 0 if in_link else punct
        if in_link:
            own.link_chars = own.chars
            own.links += 1
            if is_attachment(el.get("href", "")):
                own.attachment_links += 1
        stats[el] = own
    return stats


@dataclass
class Line:
    """One rendered block: its text and the document-order index of the element it came from."""

    text: str
    order: int
    tag: str = ""


@dataclass
class _Segment:
    raw: list[str] = field(default_factory=list)


@dataclass
class RenderOptions:
    """What the renderer must know beyond the tree: skipped elements, continuation rules, tables."""

    skip: frozenset[HtmlElement] = frozenset()
    order: dict[HtmlElement, int] = field(default_factory=dict)
    line_start_label: re.Pattern[str] = re.compile(r"(?!)")
    line_end_punctuation: str = "。；：！？"
    line_open_punctuation: str = "，、"
    data_tables: set[HtmlElement] | None = None  # filled with the data tables met, in order
    table_grids: list[list[list[str]]] | None = None


def _is_heading_like(text: str, label: re.Pattern[str]) -> bool:
    """A short line without sentence punctuation: a heading, after which a new block starts."""
    if any(ch in text for ch in "，。；,;"):
        return False
    return len(text) <= 15 or (bool(label.match(text)) and len(text) <= 40)


def _continues(prev: str, nxt: str, indented: bool, opts: RenderOptions, indent_marks_paragraphs: bool = False) -> bool:
    """Does a <br>-separated line continue the line before it (an editor's hard break)?

    It does when it is not indented, does not start with a numbering label,
    and the previous line neither ends a sentence or parenthetical nor is a
    heading (a line ending in 、 or ， is no heading): the structure stage
    must see each numbered item start a line, and must not see one item cut
    in two.
    """
    if not prev or not nxt or opts.line_start_label.match(nxt):
        return False
    if prev[-1] in opts.line_open_punctuation:
        return True  # a sentence cut after ， or 、 goes on, indented or not
    if indented:
        return False
    if indent_marks_paragraphs and not _is_heading_like(prev, opts.line_start_label):
        # where every paragraph opens indented, a flush-left line goes on the one before,
        # even after a ；: 全年改造老旧小区35个；<br>新建改造城市道路8条…
        return True
    if prev[-1] in opts.line_end_punctuation:
        return False
    if prev[-1] in opts.line_open_punctuation:
        return True
    return not _is_heading_like(prev, opts.line_start_label)


def _join(prev: str, nxt: str) -> str:
    """Join a continued line: no space between CJK text, one between Latin words."""
    if prev and nxt and not _is_cjk(prev[-1]) and not _is_cjk(nxt[0]) and prev[-1].isalnum() and nxt[0].isalnum():
        return f"{prev} {nxt}"
    return prev + nxt


def merge_segments(segments: list[str], opts: RenderOptions) -> list[str]:
    """Turn the <br>-separated raw segments of one block into lines."""
    lines: list[str] = []
    blank_before = False
    texts = [raw for raw in segments if clean_inline(raw)]
    indents = [raw.lstrip(" \t\r\n\f").startswith(_INDENT) for raw in texts]
    # paragraphs are marked by indentation when most lines carry it (and there are enough lines to tell)
    marks = len(texts) >= 6 and sum(indents) >= 0.6 * len(texts)
    for raw in segments:
        text = clean_inline(raw)
        if not text:
            blank_before = True
            continue
        indented = raw.lstrip(" \t\r\n\f").startswith(_INDENT)
        if lines and not blank_before and _continues(lines[-1], text, indented, opts, marks):
            lines[-1] = _join(lines[-1], text)
        else:
            lines.append(text)
        blank_before = False
    return lines


def _span(value: str | None) -> int:
    """A rowspan/colspan value, clamped: malformed pages write rowspan=9999 or rowspan=\"\"."""
    try:
        return min(max(int(str(value).strip() or "1"), 1), _MAX_SPAN)
    except ValueError:
        return 1


def table_rows(table: HtmlElement) -> list[HtmlElement]:
    """The table's own rows (not those of nested tables), through thead/tbody/tfoot."""
    return [el for el in table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr") if isinstance(el, HtmlElement)]


def row_cells(row: HtmlElement) -> list[HtmlElement]:
    return [el for el in row if tag_of(el) in ("td", "th")]


def is_data_table(table: HtmlElement, stats: dict[HtmlElement, Stats]) -> bool:
    """A table of data (task division, list of items) rather than page layout.

    Layout tables nest other tables or put a whole article in one cell; data
    tables have several rows, several columns and no dominating cell.
    """
    if any(True for _ in table.iterdescendants("table")):
        return False
    rows = table_rows(table)
    if len(rows) < 2 or max((len(row_cells(r)) for r in rows), default=0) < 2:
        return False
    total = stats[table].chars if table in stats else 0
    biggest = max((stats[c].chars for r in rows for c in row_cells(r) if c in stats), default=0)
    return biggest <= 800 and not (total > 300 and biggest > 0.7 * total)


def span_layout(rows: list[list[tuple[int, int]]]) -> list[list[int]]:
    """Rows of (rowspan, colspan) per cell → for each row, the index of the cell filling each column.

    Cells are numbered in reading order over the whole table; a cell spanning
    rows or columns appears in every position it covers, as a reader sees it.
    """
    layout: list[list[int]] = []
    pending: dict[tuple[int, int], int] = {}
    cell_id = 0
    for r, cells in enumerate(rows):
        out: list[int] = []
        col = 0
        for rowspan, colspan in cells:
            while (r, col) in pending:
                out.append(pending.pop((r, col)))
                col += 1
            for _ in range(colspan):
                out.append(cell_id)
                for dr in range(1, min(rowspan, len(rows) - r)):
                    pending[(r + dr, col)] = cell_id
                col += 1
            cell_id += 1
        while (r, col) in pending:
            out.append(pending.pop((r, col)))
            col += 1
        layout.append(out)
    return layout


def _row_line(ids: list[int], texts: list[str]) -> str:
    """One body line per row: spanned cells as the reader sees them, a colspan printed once, empty cells left out.

    A rowspan (one 牵头单位 for two tasks) is repeated on every row it
    covers, so that each row line says whole who does what.
    """
    printed: list[str] = []
    previous = -1
    for cell in ids:
        if cell != previous and texts[cell]:
            printed.append(texts[cell])
        previous = cell
    return " | ".join(printed)


def _render_table(table: HtmlElement, opts: RenderOptions, out: list[Line]) -> None:
    """A data table: one line per row, cells joined by " | "; the expanded grid goes to opts."""
    order = opts.order.get(table, 0)
    for caption in table.xpath("./caption"):
        text = " ".join(line.text for line in render(caption, opts))
        if text:
            out.append(Line(text, order, "caption"))
    rows = [row for row in table_rows(table) if row not in opts.skip]
    texts: list[str] = []
    spans: list[list[tuple[int, int]]] = []
    for row in rows:
        cells = row_cells(row)
        texts.extend("" if c in opts.skip else " ".join(line.text for line in render(c, opts)) for c in cells)
        spans.append([(_span(c.get("rowspan")), _span(c.get("colspan"))) for c in cells])
    layout = span_layout(spans)
    for row, ids in zip(rows, layout, strict=True):
        line = _row_line(ids, texts)
        if line:
            out.append(Line(line, opts.order.get(row, order), "tr"))
    if opts.table_grids is not None:
        opts.table_grids.append([[texts[i] for i in ids] for ids in layout])


def render(root: HtmlElement, opts: RenderOptions) -> list[Line]:
    """Render an element to lines: one per block, <br> lines merged when they continue.

    Iterative, so that depth is no limit. Elements in opts.skip vanish but
    their tail text (which belongs to the parent) stays.
    """
    out: list[Line] = []
    segments: list[str] = []
    fragments: list[str] = []
    current_order = [opts.order.get(root, 0)]
    current_tag = [tag_of(root)]

    def flush_segment() -> None:
        segments.append("".join(fragments))
        fragments.clear()

    def flush_block(next_order: int, next_tag: str) -> None:
        flush_segment()
        for text in merge_segments(segments, opts):
            out.append(Line(text, current_order[0], current_tag[0]))
        segments.clear()
        current_order[0], current_tag[0] = next_order, next_tag

    stack: list[tuple[str, object]] = [("open", root)]
    while stack:
        kind, payload = stack.pop()
        if kind == "text":
            fragments.append(str(payload))
            continue
        el = payload
        assert isinstance(el, HtmlElement)
        tag = tag_of(el)
        if kind == "close":
            if tag in BLOCK_TAGS:
                flush_block(opts.order.get(el, 0), tag)
            continue
        if el.tail and el is not root:
            stack.append(("text", el.tail))
        if el in opts.skip or not tag:
            continue
        if tag == "br":
            flush_segment()
            continue
        if tag == "table" and opts.data_tables is not None and el in opts.data_tables:
            flush_block(opts.order.get(el, 0), tag)
            _render_table(el, opts, out)
            continue
        if tag in BLOCK_TAGS:
            flush_block(opts.order.get(el, 0), tag)
        stack.append(("close", el))
        for child in reversed(el):
            stack.append(("open", child))
        if el.text:
            stack.append(("text", el.text))
    flush_block(0, "")
    return out


def document_order(root: HtmlElement) -> dict[HtmlElement, int]:
    """Each element's index in document order, to tell what comes before what."""
    return {el: i for i, el in enumerate(root.iter()) if isinstance(el.tag, str)}


def last_descendant_order(el: HtmlElement, order: dict[HtmlElement, int]) -> int:
    """The order index of the last element inside el (el's own index if it is empty)."""
    last = order.get(el, 0)
    for last_el in el.iterdescendants():
        if isinstance(last_el.tag, str):
            last = max(last, order.get(last_el, last))
    return last


def texts(elements: Iterable[HtmlElement]) -> list[str]:
    """Whitespace-cleaned text of each element."""
    return [clean_inline(el.text_content()) for el in elements]
