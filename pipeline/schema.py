"""The output contract: tables, columns, types and keys, in one place.

export writes columns in this order, `datapackage.json` is generated from
it, and `load_outputs` reads the CSVs back with these dtypes, so the three
cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # Frictionless type: string, integer, number, boolean, date
    required: bool = False
    description: str = ""
    enum: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = ()

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


C = Column
ROLES = ("lead", "cooperating", "responsible")
COMPARATORS = ("=", ">=", "<=", "~", "range")

DOCUMENTS = Table(
    "documents",
    "One row per document processed.",
    (
        C("doc_id", "string", True, "Stable id: from the source URL, or from the content hash for files"),
        C("source", "string", True, "Path or URL as given"),
        C("title", "string", False, "Document title"),
        C("publish_date", "date", False, "Publication date, YYYY-MM-DD"),
        C("issuer", "string", False, "Publishing or source body as printed"),
        C("doc_number", "string", False, "文号, empty if none"),
        C("n_items", "integer", True, "Number of task items"),
        C("sha256", "string", True, "SHA-256 of the raw bytes"),
        C("written_date", "date", False, "成文日期, YYYY-MM-DD"),
        C("site_name", "string", False, "Name of the publishing site"),
        C("encoding", "string", False, "Encoding used to decode the page"),
        C("final_url", "string", False, "URL after redirects"),
        C("warnings", "string", False, "Warnings about the document, joined by ' | '"),
        C("rules_version", "string", False, "Fingerprint of rules/ used"),
        C("pipeline_version", "string", False, "Version of policy-pipeline used"),
    ),
    ("doc_id",),
)

ITEMS = Table(
    "items",
    "One row per numbered task item.",
    (
        C("doc_id", "string", True),
        C("item_id", "string", True, "doc_id:path"),
        C("seq", "integer", True, "Order of the item in the document, from 1"),
        C("path", "string", True, "Numbering labels from the top down, bare, joined by '/'"),
        C("number", "string", True, "The item's own label, bare"),
        C("level", "integer", True, "Depth of the item in the numbering, 1 = top"),
        C("section_title", "string", False, "Title of the top-level section"),
        C("text", "string", True, "The item's whole text after its label"),
        C(
            "responsibility_raw",
            "string",
            False,
            "Content of the responsibility clause(s), without brackets; ' | ' between clauses",
        ),
        C("label", "string", False, "The label as printed, e.g. 11. or （三）"),
        C("deadline", "string", False, "Deadline stated in the responsibility clause(s), as printed"),
    ),
    ("item_id",),
    ((("doc_id",), "documents", ("doc_id",)),),
)

RESPONSIBILITIES = Table(
    "responsibilities",
    "One row per responsible unit of an item.",
    (
        C("doc_id", "string", True),
        C("item_id", "string", True),
        C("position", "integer", True, "Order of the unit within the item, from 1"),
        C("unit", "string", True, "The unit exactly as printed"),
        C("unit_canonical", "string", False, "Full official name from rules/, empty when unknown"),
        C("role", "string", True, "lead, cooperating or responsible", ROLES),
        C("etc", "boolean", True, "True when the unit's list ends in 等"),
        C("clause", "integer", True, "Which responsibility clause of the item, from 1"),
        C("deadline", "string", False, "Deadline of the unit's clause, as printed"),
        C("unit_level", "string", False, "central, provincial, municipal or county"),
        C("unit_kind", "string", False, "party, government, congress, court_procuratorate, soe or other"),
    ),
    ("item_id", "position"),
    ((("doc_id",), "documents", ("doc_id",)), (("item_id",), "items", ("item_id",))),
)

TARGETS = Table(
    "targets",
    "One row per quantitative target.",
    (
        C("doc_id", "string", True),
        C("item_id", "string", True),
        C("target_id", "string", True, "item_id#n"),
        C("action", "string", False, "The verb that sets the target, e.g. 新建"),
        C("indicator", "string", False, "What is counted, e.g. 5G基站"),
        C("value", "number", True, "Normalised value (万 and 亿 folded in)"),
        C("value_max", "number", False, "Upper end of a range"),
        C("unit", "string", False, "Unit or measure word as written, scale words folded into value"),
        C("comparator", "string", True, "=, >=, <=, ~ or range", COMPARATORS),
        C("deadline", "string", False, "Deadline or scope as printed"),
        C("raw", "string", True, "Exact source span"),
        C("start", "integer", True, "Offset of raw in the item's text"),
        C("end", "integer", True, "End offset of raw in the item's text"),
        C("modality", "string", False, "aim (力争) or guarantee (确保)"),
        C("kind", "string", False, "level, increase, count, money or ratio"),
    ),
    ("target_id",),
    ((("doc_id",), "documents", ("doc_id",)), (("item_id",), "items", ("item_id",))),
)

ATTACHMENTS = Table(
    "attachments",
    "One row per linked attachment file.",
    (
        C("doc_id", "string", True),
        C("position", "integer", True),
        C("name", "string", False),
        C("url", "string", True),
    ),
    ("doc_id", "position"),
    ((("doc_id",), "documents", ("doc_id",)),),
)

FAILURES = Table(
    "failures",
    "Documents that could not be processed (severity error) or that need a look (severity warning).",
    (
        C("source", "string", True),
        C("stage", "string", True, "read, fetch, extract, structure, ..."),
        C("severity", "string", True, "error (skipped) or warning (processed)", ("error", "warning")),
        C("reason", "string", True, "One-line reason"),
    ),
    (),
)

TABLES: tuple[Table, ...] = (DOCUMENTS, ITEMS, RESPONSIBILITIES, TARGETS, ATTACHMENTS, FAILURES)
BY_NAME = {t.name: t for t in TABLES}


def datapackage() -> dict[str, object]:
    """A Frictionless Data Package descriptor for the output folder."""
    resources = []
    for table in TABLES:
        fields = []
        for col in table.columns:
            field: dict[str, object] = {"name": col.name, "type": col.type}
            if col.description:
                field["description"] = col.description
            constraints: dict[str, object] = {}
            if col.required:
                constraints["required"] = True
            if col.enum:
                constraints["enum"] = list(col.enum)
            if constraints:
                field["constraints"] = constraints
            if col.type == "boolean":
                field["trueValues"] = ["true"]
                field["falseValues"] = ["false"]
            fields.append(field)
        schema: dict[str, object] = {"fields": fields, "missingValues": [""]}
        if table.primary_key:
            schema["primaryKey"] = list(table.primary_key)
        if table.foreign_keys:
            schema["foreignKeys"] = [
                {"fields": list(local), "reference": {"resource": ref, "fields": list(remote)}} for local, ref, remote in table.foreign_keys
            ]
        resources.append(
            {
                "name": table.name,
                "path": table.filename,
                "profile": "tabular-data-resource",
                "description": table.description,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "schema": schema,
            }
        )
    return {"name": "policy-pipeline-output", "profile": "tabular-data-package", "resources": resources}
