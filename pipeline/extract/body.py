"""The article body: find it, strip the page furniture, render it one block per line.

Known containers (rules/extract.yaml) are tried first because CMS
conventions are exact where they apply. Otherwise the body is found by where
the prose is: the deepest element that still holds nearly all of the page's
sentence punctuation outside links. Navigation, sidebars of headlines and
footers carry little such punctuation, so they fall outside; what remains
inside is removed by element (class/id words, link density, the 信息公开
table) and by line (boilerplate patterns that each say why).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lxml.html import HtmlElement

from pipeline.extract.config import ExtractRules
from pipeline.extract.dom import (
    Line,
    RenderOptions,
    Stats,
    class_words,
    compact,
    is_data_table,
    render,
    tag_of,
)

# Share of the page's prose that an element must hold to be the body.
_DESCEND_SHARE = 0.85
# Share that a rule container must hold to be trusted (a stray .content in a sidebar is not the body).
_CONTAINER_SHARE = 0.5
# Below this much prose punctuation a page has no prose to locate: attachment-only pages.
_MIN_PROSE = 5
# Elements whose links hold this share of their text are link lists (navigation, related news).
_LINK_DENSITY = 0.6
# How far after the body to look for a detached attachment block (附件：…).
_SIBLINGS_AFTER = 4
_DISCLOSURE_MIN_LABELS = 3


@dataclass
class Body:
    """The body as found: its lines, its tables, and the elements it was read from."""

    lines: list[Line] = field(default_factory=list)
    raw_lines: list[Line] = field(default_factory=list)  # before boilerplate removal: info lines live there
    tables: list[list[list[str]]] = field(default_factory=list)
    roots: list[HtmlElement] = field(default_factory=list)
    method: str = ""


def _prose(el: HtmlElement, stats: dict[HtmlElement, Stats]) -> int:
    return stats[el].punct if el in stats else 0


def _best_match(matches: list[HtmlElement], stats: dict[HtmlElement, Stats]) -> HtmlElement | None:
    """Of several elements matching one selector, the one with the most prose; the tightest among near-ties."""
    if not matches:
        return None
    most = max(_prose(el, stats) for el in matches)
    near = [el for el in matches if _prose(el, stats) >= 0.95 * most]
    return min(near, key=lambda el: stats[el].chars if el in stats else 0)


def find_container(page: HtmlElement, rules: ExtractRules, stats: dict[HtmlElement, Stats]) -> HtmlElement | None:
    """The first rule container holding at least half the page's prose (or, on a page without prose, any text)."""
    total = _prose(page, stats)
    for selector in rules.containers:
        found = [el for el in page.xpath(selector.xpath) if isinstance(el, HtmlElement)]
        best = _best_match(found, stats)
        if best is None:
            continue
        s = stats[best]
        if total >= _MIN_PROSE and s.punct >= _CONTAINER_SHARE * total:
            return best
        if total < _MIN_PROSE and (s.chars > s.link_chars or s.attachment_links):
            return best
    return None


def find_by_density(page: HtmlElement, stats: dict[HtmlElement, Stats], data_tables: set[HtmlElement]) -> HtmlElement:
    """Descend from <body> while one child holds nearly all of the prose.

    Data tables are never descended into: the body is the text around them
    too. On a page without prose (only attachments), the element holding all
    attachment links is taken instead.
    """
    key: Callable[[HtmlElement], int] = lambda el: _prose(el, stats)  # noqa: E731
    if _prose(page, stats) < _MIN_PROSE:
        key = lambda el: stats[el].attachment_links if el in stats else 0  # noqa: E731
    node = page
    total = key(node)
    if total == 0:
        return node
    while True:
        if tag_of(node) == "table" and node in data_tables:
            return node
        children = [c for c in node if isinstance(c.tag, str)]
        heavy = [c for c in children if key(c) >= _DESCEND_SHARE * total]
        if not heavy or (tag_of(heavy[0]) == "table" and heavy[0] in data_tables):
            return node
        node = heavy[0]


def _is_hidden(el: HtmlElement) -> bool:
    style = (el.get("style") or "").replace(" ", "").lower()
    return "display:none" in style


def _is_disclosure_table(el: HtmlElement, stats: dict[HtmlElement, Stats], labels: list[str]) -> bool:
    """The 信息公开 header (索引号, 发布机构, 文号 …): metadata, never body."""
    if tag_of(el) not in ("table", "ul", "dl", "div") or el not in stats or stats[el].chars > 600:
        return False
    text = compact(el.text_content())
    return sum(1 for label in labels if label in text) >= _DISCLOSURE_MIN_LABELS


def _is_link_list(el: HtmlElement, stats: dict[HtmlElement, Stats]) -> bool:
    """Navigation, sidebars and related-news lists: mostly link text, several links, no attachments."""
    s = stats.get(el)
    if s is None or s.chars == 0 or s.attachment_links:
        return False
    if tag_of(el) in ("a", "span", "font", "b", "strong", "em", "i"):
        return False
    return s.links >= 2 and s.link_chars >= _LINK_DENSITY * s.chars


def prune_set(roots: list[HtmlElement], rules: ExtractRules, stats: dict[HtmlElement, Stats]) -> frozenset[HtmlElement]:
    """Elements inside the body roots that are page furniture, outermost only."""
    labels = [label for names in rules.disclosure_labels.values() for label in names] + ["索引号"]
    skip: set[HtmlElement] = set()
    for root in roots:
        for el in root.iterdescendants():
            if not isinstance(el.tag, str):
                continue
            if (
                tag_of(el) in ("nav", "aside", "footer")
                or _is_hidden(el)
                or (class_words(el) & rules.drop_class_words and not stats[el].attachment_links)
                or _is_link_list(el, stats)
                or _is_disclosure_table(el, stats, labels)
            ):
                skip.add(el)
    return frozenset(el for el in skip if not any(a in skip for a in el.iterancestors()))


def attachment_blocks_after(root: HtmlElement, rules: ExtractRules, stats: dict[HtmlElement, Stats]) -> list[HtmlElement]:
    """Attachment blocks a CMS puts just after the body container, outside it.

    TRS and many templates render 附件：<a>…</a> in a sibling of the editor's
    div; those lines belong to the body.
    """
    found: list[HtmlElement] = []
    node: HtmlElement | None = root
    for _ in range(2):  # the container's siblings, then its parent's
        if node is None:
            break
        for sib in list(node.itersiblings())[:_SIBLINGS_AFTER]:
            if not isinstance(sib.tag, str) or sib not in stats:
                continue
            text = compact(sib.text_content())
            if stats[sib].attachment_links or text.startswith(("附件", "附：")):
                found.append(sib)
        if found:
            return found
        node = node.getparent()
    return found


def _is_boilerplate(text: str, position: int, count: int, rules: ExtractRules) -> bool:
    """Does a line match a boilerplate pattern that applies at its position?"""
    if len(text) > rules.boilerplate_max_chars:
        return False
    at_edge = position < rules.edge_lines or position >= count - rules.edge_lines
    for rule in rules.boilerplate:
        if rule.where == "edge" and not at_edge:
            continue
        if rule.pattern.search(text):
            return True
    return False


def clean_lines(lines: list[Line], title: str, rules: ExtractRules) -> list[Line]:
    """Drop boilerplate lines and the title repeated at the top of the body."""
    kept = [line for i, line in enumerate(lines) if not _is_boilerplate(line.text, i, len(lines), rules)]
    # a related-links block in the last part of the body (往期推荐, 相关阅读) ends the article
    for i in range(len(kept) // 2, len(kept)):
        if any(marker.search(kept[i].text) for marker in rules.tail_markers):
            kept = kept[:i]
            break
    wanted = compact(title)
    while wanted and kept and kept[0].tag != "tr" and compact(kept[0].text) == wanted:
        kept.pop(0)
    return kept


def extract_body(
    page: HtmlElement,
    rules: ExtractRules,
    stats: dict[HtmlElement, Stats],
    order: dict[HtmlElement, int],
    title: str,
) -> Body:
    """Find the body, prune it, render it and clean its lines."""
    data_tables = {t for t in page.iter("table") if is_data_table(t, stats)}
    root = find_container(page, rules, stats)
    method = "container"
    if root is None:
        root = find_by_density(page, stats, data_tables)
        method = "density"
    roots = [root, *attachment_blocks_after(root, rules, stats)]
    grids: list[list[list[str]]] = []
    opts = RenderOptions(
        skip=prune_set(roots, rules, stats),
        order=order,
        line_start_label=rules.line_start_label,
        line_end_punctuation=rules.line_end_punctuation,
        line_open_punctuation=rules.line_open_punctuation,
        data_tables=data_tables,
        table_grids=grids,
    )
    lines = [line for r in roots for line in render(r, opts)]
    return Body(clean_lines(lines, title, rules), lines, grids, roots, method)
