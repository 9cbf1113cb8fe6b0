"""Extract stage: the bytes of one HTML page in, a `Page` (metadata + body) out.

    from pipeline.extract import extract_page, load_extract_rules
    page = extract_page(raw_bytes, source=url, http_charset="gbk")

Decoding (decode.py), dates (dates.py), metadata in order of trust
(metadata.py) and the body (body.py) are separate modules so that each can
be tested on its own; this module only wires them in the order the data
needs: metadata from <head> before it is dropped, the title before the body
(the body drops a repeated title), the body before the fallbacks that read
it (文号 line, signature date).
"""

from __future__ import annotations

from functools import lru_cache

from lxml.html import HtmlElement

from pipeline.extract.body import Body, extract_body
from pipeline.extract.config import ExtractRules, load_extract_rules
from pipeline.extract.decode import decode_html
from pipeline.extract.dom import (
    ExtractError,
    RenderOptions,
    document_order,
    last_descendant_order,
    measure,
    parse_html,
    remove_elements,
    render,
    tag_of,
)
from pipeline.extract.metadata import (
    attachments,
    base_url,
    body_fallbacks,
    disclosure_values,
    footer_site,
    from_meta,
    header_lines,
    info_values,
    is_attachment_href,
    merge_in_order,
    meta_tags,
    normalise_dates,
    script_values,
    title_from_tag,
    url_date,
)
from pipeline.records import Page

__all__ = ["ExtractError", "ExtractRules", "extract_page", "load_extract_rules"]

# File signatures of things that are not HTML but get saved as .html.
_SIGNATURES = (
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (docx, xlsx or zip)"),
    (b"\xd0\xcf\x11\xe0", "an OLE compound file (doc, xls or wps)"),
    (b"\x89PNG", "a PNG image"),
    (b"GIF8", "a GIF image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"\x1f\x8b", "gzip-compressed data"),
)
_NUL_LIMIT = 16  # NUL bytes in the first 4 KiB beyond which a file is binary (UTF-16 has a BOM)


@lru_cache(maxsize=1)
def _default_rules() -> ExtractRules:
    from pipeline.rules import default_rules_dir

    return load_extract_rules(default_rules_dir())


def check_html_bytes(raw: bytes) -> None:
    """Refuse input that is not a web page, with a reason a researcher can act on."""
    if not raw.strip():
        raise ExtractError("empty file")
    head = raw[:4096].lstrip()
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            raise ExtractError(f"not an HTML page: the file is {what}")
    if head.count(b"\x00") > _NUL_LIMIT and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractError("not an HTML page: binary data")


def _page_element(root: HtmlElement) -> HtmlElement:
    """<body> when there is one (a truncated page may have none), else the root."""
    body = root.find("body")
    return body if body is not None else root


def _info(page: HtmlElement, order: dict[HtmlElement, int], body: Body, title: str, rules: ExtractRules) -> dict[str, str]:
    """Fields from the info lines between the title and the body, or at the body's edges.

    The page outside the body is rendered once more (the body's own lines
    are already there); that is where a title and its info line sit.
    """
    root = body.roots[0]
    outside = render(page, RenderOptions(order=order, skip=frozenset([root])))
    start, end = order.get(root, 0), last_descendant_order(root, order)
    header, edges = header_lines(outside + body.raw_lines, title, start, end, rules.edge_lines)
    return info_values(header, edges, rules)


def _metadata(head: dict[str, dict[str, str]], disclosure: dict[str, str], info: dict[str, str], fallbacks: dict[str, str]) -> dict[str, str]:
    """All sources merged in the order of trust, each source's dates normalised first.

    One exception to the order: the issuer comes from the 信息公开 table's 发布机构
    before the ContentSource meta tag, which often names the drafting office
    (局城建科, 农产品质量安全监管司) rather than the body that published the document.
    """
    issuer = {"issuer": disclosure["issuer"]} if disclosure.get("issuer") else {}
    return merge_in_order(
        issuer,
        normalise_dates(head["government"]),
        normalise_dates(disclosure),
        info,
        normalise_dates(head["other"]),
        normalise_dates(head["script"]),
        head["title"],
        fallbacks,
    )


def extract_page(
    raw: bytes,
    *,
    source: str = "",
    http_charset: str | None = None,
    rules: ExtractRules | None = None,
) -> Page:
    """One HTML page's bytes → Page; raises ExtractError when the bytes are no HTML page."""
    rules = rules or _default_rules()
    check_html_bytes(raw)
    decoded = decode_html(raw, http_charset)
    warnings = list(decoded.warnings)
    root = parse_html(decoded.text, warnings)

    tags = meta_tags(root)
    tag_title, tag_site = title_from_tag(root, rules)
    head = {
        "government": from_meta(tags, rules.government_meta),
        "other": from_meta(tags, rules.other_meta),
        "title": {"title": tag_title, "site_name": tag_site},
        "script": script_values(root),
    }
    base = base_url(root, tags, rules, source)
    remove_elements(root, lambda el: tag_of(el) in rules.drop_tags)

    page = _page_element(root)
    stats = measure(page, lambda href: is_attachment_href(href, rules.attachment_extensions))
    order = document_order(page)
    disclosure = disclosure_values(page, rules, stats)
    titled = [found["title"] for found in (head["government"], disclosure, head["other"]) if found.get("title")]
    title = titled[0] if titled else tag_title  # the body drops a repeated title, so it is settled first

    body = extract_body(page, rules, stats, order, title)
    body_text = [line.text for line in body.lines]
    fields = _metadata(
        head,
        disclosure,
        _info(page, order, body, title, rules),
        {**body_fallbacks(body_text, rules), "publish_date": url_date(base or source), **footer_site(page)},
    )
    files = attachments(body.roots, base, rules)
    if not body_text and not files:
        warnings.append("no body text found")
    return Page(
        title=title,
        publish_date=fields.get("publish_date", ""),
        issuer=fields.get("issuer", ""),
        doc_number=fields.get("doc_number", ""),
        written_date=fields.get("written_date", ""),
        site_name=fields.get("site_name", ""),
        encoding=decoded.encoding,
        body="\n".join(body_text),
        attachments=files,
        tables=body.tables,
        warnings=warnings,
    )
