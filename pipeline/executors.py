"""Executors: where `process` runs. They know nothing of the stages.

`process(raw, rules)` is pure, so running it in this process, in a process
pool or on a cluster engine is only a question of how documents are handed
out. Every executor yields one `Outcome` per document, in any order: a bad
document is counted and skipped, never fatal to the batch.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from pipeline.process import DocumentError, process
from pipeline.records import DocumentResult, Failure, RawDocument
from pipeline.rules import Rules, load_rules


@dataclass
class Outcome:
    raw: RawDocument
    result: DocumentResult | None = None
    failure: Failure | None = None


def run_one(raw: RawDocument, rules: Rules) -> Outcome:
    try:
        return Outcome(raw, result=process(raw, rules))
    except DocumentError as exc:
        return Outcome(raw, failure=Failure(raw.source, "parse", str(exc)))
    except RecursionError:
        return Outcome(raw, failure=Failure(raw.source, "parse", "page nesting too deep to parse"))
    except Exception as exc:  # a bug must not sink the batch; the reason says what to report
        return Outcome(raw, failure=Failure(raw.source, "parse", f"internal error: {type(exc).__name__}: {exc}"))


def run_serial(raws: Iterable[RawDocument], rules: Rules) -> Iterator[Outcome]:
    for raw in raws:
        yield run_one(raw, rules)


_WORKER_RULES: Rules | None = None


def _init_worker(rules_dir: str) -> None:
    global _WORKER_RULES
    _WORKER_RULES = load_rules(rules_dir)


def _work(raw: RawDocument) -> Outcome:
    assert _WORKER_RULES is not None
    return run_one(raw, _WORKER_RULES)


def run_pool(raws: Iterable[RawDocument], rules_dir: Path, workers: int | None = None) -> Iterator[Outcome]:
    """A process pool; keeps at most 2 x workers documents in flight so memory stays flat."""
    workers = workers or max(1, (os.cpu_count() or 2) - 1)
    with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(str(rules_dir),)) as pool:
        pending: set[Future[Outcome]] = set()
        for raw in raws:
            pending.add(pool.submit(_work, raw))
            if len(pending) >= 2 * workers:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    yield fut.result()
        for fut in pending:
            yield fut.result()
