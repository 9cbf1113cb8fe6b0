"""A batch run: gather inputs, process what changed, rebuild the outputs.

A document is parsed again only when its bytes, the rules or the pipeline
version changed since it was last processed into this output folder.
Failures are recorded per document and the batch carries on.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pipeline.executors import Outcome, run_pool, run_serial
from pipeline.export import StateStore, write_outputs
from pipeline.process import pipeline_version
from pipeline.records import Failure, RawDocument
from pipeline.rules import Rules

HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml"}


@dataclass
class RunSummary:
    inputs: int = 0
    processed: int = 0
    unchanged: int = 0
    new: int = 0
    updated: int = 0
    failed: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    unknown_units: dict[str, int] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    fetch_lines: list[str] = field(default_factory=list)

    @property
    def n_failed(self) -> int:
        return sum(self.failed.values())

    def lines(self) -> list[str]:
        out = list(self.fetch_lines)
        out.append(
            f"documents: {self.inputs} given, {self.processed} parsed ({self.new} new, {self.updated} updated), "
            f"{self.unchanged} unchanged, {self.n_failed} failed"
        )
        for reason, n in sorted(self.failed.items(), key=lambda kv: -kv[1]):
            out.append(f"  failed ({n}): {reason}")
        if self.counts:
            out.append("rows: " + ", ".join(f"{k} {v}" for k, v in self.counts.items()))
        if self.unknown_units:
            total = sum(self.unknown_units.values())
            top = ", ".join(f"{u} ({n})" for u, n in sorted(self.unknown_units.items(), key=lambda kv: -kv[1])[:8])
            out.append(f"units without a canonical name: {len(self.unknown_units)} distinct, {total} mentions: {top}")
        return out


def expand_inputs(inputs: Iterable[str]) -> tuple[list[str], list[str], list[str]]:
    """(files, urls, missing) from the command line's INPUT arguments."""
    files: list[str] = []
    urls: list[str] = []
    missing: list[str] = []
    for given in inputs:
        if given.startswith(("http://", "https://")):
            urls.append(given)
            continue
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in HTML_SUFFIXES)
            files.extend(str(p) for p in found)
        elif path.is_file():
            files.append(str(path))
        else:
            missing.append(given)
    return files, urls, missing


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_files(paths: Iterable[str], failures: list[Failure]) -> Iterator[RawDocument]:
    for p in paths:
        try:
            content = Path(p).read_bytes()
        except OSError as exc:
            failures.append(Failure(p, "read", f"cannot read file: {exc.strerror or exc}"))
            continue
        yield RawDocument(source=p, content=content, fetched_at=_now())


def versions_for(raw: RawDocument, rules: Rules) -> dict[str, str]:
    """What a document's records depend on: its bytes (and declared charset), the rules, the code."""
    return {
        "sha256": hashlib.sha256(raw.content).hexdigest(),
        "charset": raw.http_charset or "",
        "rules": rules.fingerprint,
        "pipeline": pipeline_version(),
    }


def run_batch(
    raws: Iterable[RawDocument],
    rules: Rules,
    out_dir: Path,
    *,
    workers: int = 1,
    force: bool = False,
    pre_failures: list[Failure] | None = None,
    progress: Callable[[Outcome | None], None] | None = None,
    summary: RunSummary | None = None,
) -> RunSummary:
    """Process the documents that changed, save each as it completes, rebuild the CSVs."""
    summary = summary or RunSummary()
    store = StateStore(out_dir)
    store.sweep_temporary_files(out_dir)
    failures = pre_failures if pre_failures is not None else []
    previous: dict[str, dict[str, str] | None] = {}

    def todo() -> Iterator[RawDocument]:
        for raw in raws:
            summary.inputs += 1
            versions = versions_for(raw, rules)
            before = store.versions_of(raw.source)
            previous[raw.source] = before
            if before == versions and not force:
                summary.unchanged += 1
                if progress:
                    progress(None)
                continue
            yield raw

    outcomes = run_serial(todo(), rules) if workers <= 1 else run_pool(todo(), rules.directory, workers)
    for outcome in outcomes:
        if outcome.result is not None:
            store.save(outcome.result, versions_for(outcome.raw, rules))
            summary.processed += 1
            if previous.get(outcome.raw.source) is None:
                summary.new += 1
            else:
                summary.updated += 1
            for r in outcome.result.responsibilities:
                if not r.unit_canonical and not rules.units.is_collective(r.unit):
                    summary.unknown_units[r.unit] = summary.unknown_units.get(r.unit, 0) + 1
        elif outcome.failure is not None:
            failures.append(outcome.failure)
        if progress:
            progress(outcome)
    for failure in failures:
        store.save_failure(failure)
        summary.failed[failure.reason] = summary.failed.get(failure.reason, 0) + 1
    summary.counts = write_outputs(out_dir, store)
    return summary


def progress_bar(total: int) -> tuple[Callable[[Outcome | None], None], Callable[[], None]]:
    """A rich progress bar on stderr when it is a terminal; a no-op otherwise."""
    if not sys.stderr.isatty() or total < 2:
        return (lambda _o: None), (lambda: None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("parsing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True)
    task = bar.add_task("parse", total=total)
    bar.start()
    return (lambda _o: bar.advance(task)), bar.stop
