"""Export: tidy CSVs (UTF-8 with BOM) and datapackage.json, written atomically.

Each processed document is first saved as its own JSON record under
`<out>/.state/docs/` (atomically); the CSVs are then rebuilt from all
records. So outputs accumulate across runs (new documents added, changed
ones replaced, nothing duplicated), a killed run loses at most the document
in hand, and running again ends with the same CSVs as an uninterrupted run.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from pipeline.atomic import write_atomic
from pipeline.numbers import format_value
from pipeline.records import (
    Attachment,
    Document,
    DocumentResult,
    Failure,
    Item,
    Responsibility,
    Target,
)
from pipeline.schema import (
    ATTACHMENTS,
    DOCUMENTS,
    FAILURES,
    ITEMS,
    RESPONSIBILITIES,
    TARGETS,
    Table,
    datapackage,
)

STATE_DIR = ".state"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_value(value)
    if isinstance(value, list):
        return " | ".join(str(v) for v in value)
    return str(value)


def csv_bytes(table: Table, rows: Iterable[dict[str, Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.column_names)
    for row in rows:
        writer.writerow([_cell(row.get(name)) for name in table.column_names])
    return buffer.getvalue().encode("utf-8-sig")


# --- per-document state ------------------------------------------------------


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class StateStore:
    """One JSON file per processed document and per failed source."""

    def __init__(self, out_dir: Path) -> None:
        self.root = out_dir / STATE_DIR
        self.docs = self.root / "docs"
        self.failures = self.root / "failures"

    def save(self, result: DocumentResult, versions: dict[str, str]) -> None:
        record = {"versions": versions, "result": asdict(result)}
        data = json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")
        write_atomic(self.docs / f"{_key(result.document.source)}.json", data)
        self.clear_failure(result.document.source)

    def save_failure(self, failure: Failure) -> None:
        data = json.dumps(asdict(failure), ensure_ascii=False).encode("utf-8")
        write_atomic(self.failures / f"{_key(failure.source)}.json", data)

    def clear_failure(self, source: str) -> None:
        try:
            (self.failures / f"{_key(source)}.json").unlink()
        except FileNotFoundError:
            pass

    def clear_failures(self, stale: Callable[[Failure], bool]) -> None:
        """Forget recorded failures that no longer hold (a listing page that works again)."""
        for path in sorted(self.failures.glob("*.json")):
            try:
                failure = Failure(**json.loads(path.read_text(encoding="utf-8")))
            except (json.JSONDecodeError, TypeError):
                continue
            if stale(failure):
                path.unlink(missing_ok=True)

    def sweep_temporary_files(self, out_dir: Path) -> None:
        """Remove temporary files a killed run left behind (atomic writes never leave anything else)."""
        for folder in (out_dir, self.docs, self.failures):
            for path in folder.glob(".*.tmp") if folder.is_dir() else []:
                path.unlink(missing_ok=True)

    def versions_of(self, source: str) -> dict[str, str] | None:
        """The sha256, rules and pipeline versions a source was last processed with."""
        path = self.docs / f"{_key(source)}.json"
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        versions = record.get("versions")
        return versions if isinstance(versions, dict) else None

    def results(self) -> Iterator[tuple[DocumentResult, dict[str, str]]]:
        for path in sorted(self.docs.glob("*.json")):
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except json.JSONDecodeError:
                continue  # a foreign or damaged file; atomic writes never leave one
            yield result_from_dict(record["result"]), record.get("versions", {})

    def failure_records(self) -> Iterator[Failure]:
        for path in sorted(self.failures.glob("*.json")):
            try:
                yield Failure(**json.loads(path.read_text(encoding="utf-8")))
            except (json.JSONDecodeError, TypeError):
                continue


def result_from_dict(data: dict[str, Any]) -> DocumentResult:
    return DocumentResult(
        document=Document(**data["document"]),
        items=[Item(**i) for i in data["items"]],
        responsibilities=[Responsibility(**r) for r in data["responsibilities"]],
        targets=[Target(**t) for t in data["targets"]],
        attachments=[Attachment(**a) for a in data["attachments"]],
        body=data.get("body", ""),
    )


# --- tables ----------------------------------------------------------------------


def table_rows(results: list[tuple[DocumentResult, dict[str, str]]], failures: list[Failure]) -> dict[Table, list[dict[str, Any]]]:
    docs, items, resps, targets, atts = [], [], [], [], []
    fails: list[dict[str, Any]] = [dict(asdict(f), severity="error") for f in failures]
    for result, versions in sorted(results, key=lambda r: (r[0].document.source, r[0].document.doc_id)):
        doc = result.document
        row = asdict(doc)
        row["rules_version"] = versions.get("rules", "")
        row["pipeline_version"] = versions.get("pipeline", "")
        docs.append(row)
        for w in doc.warnings:
            if w == "no numbered items found" or w.startswith(("decode", "encoding")):
                fails.append(
                    {
                        "source": doc.source,
                        "stage": "structure" if "items" in w else "extract",
                        "severity": "warning",
                        "reason": w,
                    }
                )
        for item in result.items:
            items.append(dict(asdict(item), doc_id=doc.doc_id))
        for r in result.responsibilities:
            resps.append(dict(asdict(r), doc_id=doc.doc_id))
        for t in result.targets:
            targets.append(dict(asdict(t), doc_id=doc.doc_id))
        for pos, a in enumerate(result.attachments, start=1):
            atts.append({"doc_id": doc.doc_id, "position": pos, "name": a.name, "url": a.url})
    return {
        DOCUMENTS: docs,
        ITEMS: items,
        RESPONSIBILITIES: resps,
        TARGETS: targets,
        ATTACHMENTS: atts,
        FAILURES: fails,
    }


def write_outputs(out_dir: Path, store: StateStore) -> dict[str, int]:
    """Rebuild every CSV and datapackage.json from the state; returns row counts."""
    results = list(store.results())
    # two states for the same doc_id (a file copied under two names) would break the keys
    seen: set[str] = set()
    unique = []
    for result, versions in results:
        if result.document.doc_id in seen:
            continue
        seen.add(result.document.doc_id)
        unique.append((result, versions))
    tables = table_rows(unique, list(store.failure_records()))
    counts = {}
    for table, rows in tables.items():
        write_atomic(out_dir / table.filename, csv_bytes(table, rows))
        counts[table.name] = len(rows)
    write_atomic(
        out_dir / "datapackage.json",
        json.dumps(datapackage(), ensure_ascii=False, indent=2).encode("utf-8"),
    )
    return counts
