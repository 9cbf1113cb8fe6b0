"""Typed records that flow between the stages.

Every stage has one small contract over these records: extract turns raw bytes
into a `Page`, structure turns a page into `Item`s, responsibilities and
targets annotate items, export writes them. Keeping them plain dataclasses
(no behaviour, no library types) lets any executor pickle them across
processes and lets notebook users build DataFrames from them directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RawDocument:
    """Bytes as fetched or read, with where they came from."""

    source: str  # path or URL as the user gave it
    content: bytes
    final_url: str = ""  # after redirects, for URLs
    http_charset: str | None = None  # charset from the Content-Type header
    fetched_at: str = ""  # ISO 8601, UTC


@dataclass(frozen=True)
class Attachment:
    name: str
    url: str


@dataclass
class Page:
    """What extract finds in one HTML page: metadata and the body text.

    `body` is the article's text, one block (paragraph, heading, table row)
    per line, with the page's characters as they were (only markup removed),
    so that every later offset refers to text a reader can find on the page.
    """

    title: str = ""
    publish_date: str = ""  # YYYY-MM-DD or ""
    issuer: str = ""
    doc_number: str = ""
    written_date: str = ""
    site_name: str = ""
    encoding: str = ""
    body: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    tables: list[list[list[str]]] = field(default_factory=list)  # body tables, rows of cells (spans expanded)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Item:
    item_id: str
    seq: int
    path: str  # bare labels from the top down joined by '/'
    number: str  # the leaf label, bare
    level: int  # depth of the leaf in the numbering hierarchy, 1 = top
    section_title: str
    text: str  # the item's whole text after its label
    responsibility_raw: str = ""
    label: str = ""  # the label as printed, e.g. "11." or "（三）"
    deadline: str = ""


@dataclass
class Responsibility:
    item_id: str
    position: int  # 1-based order within the item
    unit: str  # exactly as printed
    unit_canonical: str
    role: str  # lead | cooperating | responsible
    etc: bool
    clause: int = 1  # which responsibility clause of the item (1-based)
    deadline: str = ""
    unit_level: str = ""
    unit_kind: str = ""


@dataclass
class Target:
    item_id: str
    target_id: str
    action: str
    indicator: str
    value: float
    value_max: float | None
    unit: str
    comparator: str  # = >= <= ~ range
    deadline: str
    raw: str
    start: int
    end: int
    modality: str = ""  # aim (力争) | guarantee (确保) | ""
    kind: str = ""  # level | increase | count | money | ratio


@dataclass
class Document:
    doc_id: str
    source: str
    title: str
    publish_date: str
    issuer: str
    doc_number: str
    n_items: int
    sha256: str
    written_date: str = ""
    site_name: str = ""
    encoding: str = ""
    final_url: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class DocumentResult:
    """Everything the pipeline says about one document."""

    document: Document
    items: list[Item] = field(default_factory=list)
    responsibilities: list[Responsibility] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    body: str = ""


@dataclass(frozen=True)
class Failure:
    source: str
    stage: str
    reason: str
