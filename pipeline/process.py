"""The pure per-document function: raw bytes and rules in, records out.

`process(raw, rules)` touches no file, no network and no global state
beyond caches of compiled rules, so any executor (a loop, a process pool, a
cluster engine) can run it. A document that cannot be processed raises
`DocumentError` with a one-line reason; the executor records it and carries on.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

from pipeline.records import Document, DocumentResult, Item, RawDocument, Responsibility, Target
from pipeline.responsibilities import ResponsibilityParser
from pipeline.rules import Rules
from pipeline.structure import build_items
from pipeline.tables import is_task_table, table_items, table_row_lines, table_warnings
from pipeline.targets import TargetExtractor
from pipeline.units import Region, UnitInfo

PIPELINE_VERSION = "0.1.0"


@lru_cache(maxsize=1)
def pipeline_version() -> str:
    """The release plus a hash of the package's source, so that any code change re-parses documents."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return f"{PIPELINE_VERSION}+{digest.hexdigest()[:10]}"


class DocumentError(Exception):
    """This document cannot be processed; the message is the one-line reason."""


def doc_id_for(source: str, content: bytes) -> str:
    """Stable id: from the URL for web pages, from the content hash for files."""
    if source.startswith(("http://", "https://")):
        return "u" + hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]
    return "h" + hashlib.sha256(content).hexdigest()[:12]


def check_bytes(raw: RawDocument) -> None:
    if not raw.content:
        raise DocumentError("empty file (0 bytes)")
    head = raw.content[:8192]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DocumentError("binary file, not an HTML page (NUL bytes in the first 8 KB)")


_PARSERS: dict[int, tuple[Rules, ResponsibilityParser, TargetExtractor]] = {}


def _parsers(rules: Rules) -> tuple[ResponsibilityParser, TargetExtractor]:
    """Compiled parsers for these rules, built once per rules object (per process)."""
    hit = _PARSERS.get(id(rules))
    if hit is None or hit[0] is not rules:
        hit = (rules, ResponsibilityParser(rules.roles), TargetExtractor(rules.targets))
        _PARSERS[id(rules)] = hit
    return hit[1], hit[2]


def structure_page(doc_id: str, body: str, tables: list[list[list[str]]], rules: Rules) -> tuple[list[Item], list[str]]:
    """Items from the numbered text and from task-division tables, in body order."""
    task_tables = [t for t in tables if is_task_table(t)]
    skip: set[str] = set()
    for table in task_tables:
        skip |= table_row_lines(table)
    items, warnings = build_items(doc_id, body, rules.numbering, skip_lines=skip)
    for table in task_tables:
        items.extend(table_items(doc_id, table, len(items) + 1))
        warnings.extend(table_warnings(table))
    for seq, item in enumerate(items, start=1):
        item.seq = seq
    return items, warnings


_ISSUER_SUFFIX = re.compile(r"(?:办公厅|办公室|网站|门户网站|政府网|官网)$")
_OFFICE = re.compile(r"^(?:部|局|委|厅)?(?P<name>[\u4e00-\u9fff]{2,16}?(?:司|局|处|科|室|中心|站|所|院))$")
_REGION_WORD = re.compile(r"[省市县区州]|自治|国家|中国|中华")


def internal_office(unit: str, issuer: str, rules: Rules, region: Region | None, date: str) -> UnitInfo | None:
    """An office inside the issuing body (部公路局, 农产品质量安全监管司, 局城建科).

    Ministry and bureau documents name their own offices without the body's
    name: the canonical name is the issuer's body followed by the office.
    """
    m = _OFFICE.match(unit)
    if not m or not issuer or _REGION_WORD.search(m.group("name")[:2]):
        return None
    body = rules.units.resolve(_ISSUER_SUFFIX.sub("", issuer), region=region, date=date)
    if body is None or body.kind != "government" or body.canonical.endswith(("人民政府", "政府")):
        return None
    return UnitInfo(canonical=body.canonical + m.group("name"), level=body.level, kind=body.kind, parent=body.canonical, rule="internal office of the issuer")


def annotate(items: list[Item], rules: Rules, *, issuer: str = "", title: str = "", date: str = "") -> tuple[list[Responsibility], list[Target], list[str]]:
    """Responsibilities and targets of the items (fills responsibility_raw and deadline)."""
    resp_parser, target_extractor = _parsers(rules)
    region = rules.units.region_of(issuer) or rules.units.region_of(title)
    responsibilities: list[Responsibility] = []
    targets: list[Target] = []
    warnings: list[str] = []
    for item in items:
        parsed, raw, deadline, item_warnings = resp_parser.parse_item(item)
        item.responsibility_raw = raw
        item.deadline = deadline
        warnings.extend(f"{item.path}: {w}" for w in item_warnings)
        for position, p in enumerate(parsed, start=1):
            info = rules.units.resolve(p.unit, region=region, date=date) or internal_office(p.unit, issuer, rules, region, date)
            responsibilities.append(
                Responsibility(
                    item_id=item.item_id,
                    position=position,
                    unit=p.unit,
                    unit_canonical=info.canonical if info else "",
                    role=p.role,
                    etc=p.etc,
                    clause=p.clause,
                    deadline=p.deadline,
                    unit_level=info.level if info else "",
                    unit_kind=info.kind if info else "",
                )
            )
        targets.extend(target_extractor.extract(item.item_id, item.text))
    return responsibilities, targets, warnings


def process(raw: RawDocument, rules: Rules) -> DocumentResult:
    """One document from bytes to records. Raises DocumentError with a one-line reason."""
    from pipeline.extract import extract_page

    check_bytes(raw)
    try:
        page = extract_page(raw.content, source=raw.final_url or raw.source, http_charset=raw.http_charset, rules=rules.extract)
    except (ValueError, LookupError) as exc:
        raise DocumentError(f"cannot read the page: {exc}") from exc
    if not page.body.strip() and not page.title:
        raise DocumentError("no text found in the page")
    sha = hashlib.sha256(raw.content).hexdigest()
    doc_id = doc_id_for(raw.source, raw.content)
    items, warnings = structure_page(doc_id, page.body, page.tables, rules)
    responsibilities, targets, more = annotate(items, rules, issuer=page.issuer, title=page.title, date=page.publish_date)
    warnings = page.warnings + warnings + more
    if not items:
        warnings.append("no numbered items found")
    document = Document(
        doc_id=doc_id,
        source=raw.source,
        title=page.title,
        publish_date=page.publish_date,
        issuer=page.issuer,
        doc_number=page.doc_number,
        n_items=len(items),
        sha256=sha,
        written_date=page.written_date,
        site_name=page.site_name,
        encoding=page.encoding,
        final_url=raw.final_url,
        warnings=warnings,
    )
    return DocumentResult(
        document=document,
        items=items,
        responsibilities=responsibilities,
        targets=targets,
        attachments=list(page.attachments),
        body=page.body,
    )
