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

from pipeline.extract.body import extract_body
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
    Metadata,
    attachments,
    base_url,
    body_fallbacks,
    disclosure_values,
    header_lines,
    info_values,
    is_attachment_href,
    merge_in_order,
    meta_tags,
    normalise_dates,
    title_from_tag,
    url_date,
    from_meta,
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


def _metadata(head: dict[str, dict[str, str]], disclosure: dict[str, str], info: dict[str, str], fallbacks: dict[str, str]) -> dict[str, str]:
    """All sources merged in the order of trust, each source's dates normalised first."""
    return merge_in_order(
        normalise_dates(head["government"]),
        normalise_dates(disclosure),
        info,
        normalise_dates(head["other"]),
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
    }
    base = base_url(root, tags, rules, source)
    remove_elements(root, lambda el: tag_of(el) in rules.drop_tags)

    page = _page_element(root)
    stats = measure(page, lambda href: is_attachment_href(href, rules.attachment_extensions))
    order = document_order(page)
    disclosure = disclosure_values(page, rules, stats)
    title = head["government"].get("title") or disclosure.get("title") or head["other"].get("title") or tag_title

    body = extract_body(page, rules, stats, order, title)
    body_text = [line.text for line in body.lines]
    page_lines = render(page, RenderOptions(order=order))
    start = order.get(body.roots[0], 0)
    header, edges = header_lines(page_lines, title, start, last_descendant_order(body.roots[0], order), rules.edge_lines)
    info = info_values(header, edges, rules)
    fields = _metadata(head, disclosure, info, {**body_fallbacks(body_text, rules), "publish_date": url_date(base or source)})

    meta = Metadata(**{k: v for k, v in fields.items() if k in Metadata.__dataclass_fields__ and k != "attachments"})
    meta.title = title or meta.title
    files = attachments(body.roots, base, rules)
    if not body_text and not files:
        warnings.append("no body text found")
    return Page(
        title=meta.title,
        publish_date=meta.publish_date,
        issuer=meta.issuer,
        doc_number=meta.doc_number,
        written_date=meta.written_date,
        site_name=meta.site_name,
        encoding=decoded.encoding,
        body="\n".join(body_text),
        attachments=files,
        tables=body.tables,
        warnings=warnings,
    )
