"""Fetching article pages into the raw store, incrementally and resumably.

The Fetcher ties the polite client to the store. Its rules, and why:

* A URL whose bytes are already stored is not requested again (status
  `cached`) unless `refresh=True`; then the request is conditional
  (If-None-Match / If-Modified-Since) so an unchanged page costs a 304.
  This is what makes a killed run cheap to resume: what was stored before
  the kill is skipped, the rest is fetched once.
* A failure never erases good bytes: the manifest row records the error but
  keeps the last sha256, so `iter_store` still re-parses the last good copy.
* Only HTML is a document. A PDF or a zip is recorded as failed ("not HTML:
  application/pdf") without downloading its body.
* Every fault ends in an outcome with a short reason; nothing raises out of
  `fetch` or `fetch_many` for one bad URL, so a batch always carries on.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import httpx

from ..records import RawDocument
from .config import FetchConfig
from .discover import DiscoveryResult, PageBytes, accept_listing, crawl_listing
from .http import FetchError, PoliteClient, RobotsDisallowed, clean_url, host_key
from .store import ManifestRow, Store

log = logging.getLogger(__name__)

FetchStatus = Literal["fetched", "not_modified", "cached", "robots_disallowed", "failed"]

HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class FetchOutcome:
    """What happened to one URL.

    `raw` holds the page's bytes for fetched, not_modified and cached (the
    stored copy for the last two), so a caller whose rules changed can parse
    them without another request; it is None for robots_disallowed and
    failed. `previous_sha256` is what the store held before, so the caller
    can tell new (None), changed (differs) and same bytes apart.
    """

    url: str
    status: FetchStatus
    reason: str = ""
    raw: RawDocument | None = None
    sha256: str | None = None
    previous_sha256: str | None = None
    final_url: str = ""
    http_status: int | None = None
    attempts: int = 0

    @property
    def ok(self) -> bool:
        return self.raw is not None


@dataclass
class FetchSummary:
    """Counts for the end-of-run summary; `failed` is by reason."""

    fetched: int = 0
    not_modified: int = 0
    cached: int = 0
    robots_disallowed: int = 0
    failed: Counter[str] = field(default_factory=Counter)

    def add(self, outcome: FetchOutcome) -> None:
        if outcome.status == "failed":
            self.failed[outcome.reason or "unknown"] += 1
        elif outcome.status == "fetched":
            self.fetched += 1
        elif outcome.status == "not_modified":
            self.not_modified += 1
        elif outcome.status == "cached":
            self.cached += 1
        elif outcome.status == "robots_disallowed":
            self.robots_disallowed += 1

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())

    @property
    def total(self) -> int:
        return self.fetched + self.not_modified + self.cached + self.robots_disallowed + self.failed_total

    def lines(self) -> list[str]:
        """Human-readable summary lines, failures most frequent first."""
        out = [
            f"fetched: {self.fetched}",
            f"not modified: {self.not_modified}",
            f"already stored: {self.cached}",
            f"skipped by robots.txt: {self.robots_disallowed}",
            f"failed: {self.failed_total}",
        ]
        out += [f"  {reason}: {n}" for reason, n in self.failed.most_common()]
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


@dataclass(frozen=True)
class FetchProgress:
    """One step of progress, for a progress bar.

    `phase` is "listing" while discovering (then `total` is the page bound)
    and "fetch" while fetching articles (then `outcome` is set). `total` is
    None when unknown.
    """

    phase: Literal["listing", "fetch"]
    done: int
    total: int | None
    url: str
    outcome: FetchOutcome | None = None


ProgressFn = Callable[[FetchProgress], None]


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _accept_html(media: str) -> str | None:
    if not media or media in HTML_TYPES:
        return None
    return f"not HTML: {media}"


def _sniff_html(content: bytes) -> bool:
    """For responses without a Content-Type: does the start look like HTML?"""
    head = content[:2048].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<meta", b"<body", b"<!--", b"<div", b"<title"))


def conditional_headers(stored: ManifestRow | None) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from what the store holds for a URL."""
    headers: dict[str, str] = {}
    if stored is not None:
        if stored.etag:
            headers["If-None-Match"] = stored.etag
        if stored.last_modified:
            headers["If-Modified-Since"] = stored.last_modified
    return headers


class Fetcher:
    """Fetches article URLs politely into the raw store under `out_dir`.

    Use as a context manager (or call `close()`): it holds the store's
    writer lock and an HTTP connection pool. `summary` accumulates over
    every `fetch`/`fetch_many` call.
    """

    def __init__(
        self,
        config: FetchConfig | None = None,
        out_dir: str | Path = "out",
        *,
        progress: ProgressFn | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config or FetchConfig()
        self.out_dir = Path(out_dir)
        self.store = Store(self.out_dir)
        self.client = PoliteClient(self.config, transport=transport)
        self.progress = progress
        self.summary = FetchSummary()
        self._pools: list[ThreadPoolExecutor] = []
        self._summary_lock = threading.Lock()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop waiting requests, let the ones in flight finish and be recorded, then close."""
        self.client.cancel()
        for pool in self._pools:
            pool.shutdown(wait=True, cancel_futures=True)
        self._pools.clear()
        self.client.close()
        self.store.close()

    # -- discovery ---------------------------------------------------------

    def discover_links(self, listing_url: str, pages: int | None = None, since: date | str | None = None) -> DiscoveryResult:
        """Article links (with titles and listing dates) of a listing, sitemap or feed."""
        bound = self.config.max_listing_pages if pages is None else pages

        def on_page(url: str, done: int) -> None:
            if self.progress is not None:
                self.progress(FetchProgress("listing", done, bound, url))

        return crawl_listing(self.client, listing_url, pages, since, on_page=on_page, get_page=self._get_listing_page)

    def _get_listing_page(self, url: str) -> PageBytes:
        """Fetch a listing page, conditionally when a copy is stored, so a re-run costs a 304.

        Listing pages are kept in the store as kind "listing" (iter_store
        skips them); a URL already stored as a document is left alone.
        """
        row = self.store.get(url)
        stored = row if row is not None and row.kind == "listing" and row.sha256 else None
        if stored is not None and stored.sha256 is not None and not self.store.has_blob(stored.sha256):
            stored = None
        headers = conditional_headers(stored)
        resp = self.client.get(url, headers=headers, accept=accept_listing)
        now = utc_now()
        if resp.status_code == 304 and stored is not None and stored.sha256 is not None:
            self.store.put(replace(stored, status="not_modified", http_status=304, checked_at=now, error="", attempts=resp.attempts))
            return PageBytes(self.store.read_blob(stored.sha256), stored.final_url, stored.encoding, stored.content_type)
        if resp.status_code != 200:
            raise FetchError(f"HTTP {resp.status_code}", status_code=resp.status_code, final_url=resp.final_url)
        if row is None or row.kind == "listing":
            digest = self.store.put_blob(resp.content)
            self.store.put(
                ManifestRow(
                    url=url,
                    final_url=resp.final_url,
                    status="fetched",
                    http_status=200,
                    fetched_at=now,
                    checked_at=now,
                    etag=resp.etag,
                    last_modified=resp.last_modified,
                    content_type=resp.content_type,
                    encoding=resp.charset,
                    sha256=digest,
                    attempts=resp.attempts,
                    kind="listing",
                )
            )
        return PageBytes(resp.content, resp.final_url, resp.charset, resp.content_type)

    def discover(self, listing_url: str, pages: int | None = None, since: date | str | None = None) -> list[str]:
        """Article URLs of a listing, in listing order; see `crawl_listing` for the rules."""
        return [link.url for link in self.discover_links(listing_url, pages, since).links]

    # -- fetching ----------------------------------------------------------

    def fetch(self, url: str) -> FetchOutcome:
        """Fetch one URL into the store (or reuse the stored copy); never raises for the URL's faults."""
        outcome = self._fetch_safely(url)
        self._count(outcome)
        if self.progress is not None:
            self.progress(FetchProgress("fetch", 1, 1, outcome.url, outcome))
        return outcome

    def fetch_many(self, urls: Iterable[str]) -> Generator[FetchOutcome, None, None]:
        """Fetch many URLs, concurrently across hosts, yielding outcomes as they complete.

        Duplicate URLs are fetched once. Hosts are served by at most
        `per_host_concurrency` workers each and `max_connections` in all, so
        a thousand URLs on one slow site do not stall the other sites.
        Closing the iterator early (or Ctrl-C) stops handing out URLs; the
        requests in flight finish and are recorded.
        """
        ordered = list(dict.fromkeys(_clean_or_keep(url) for url in urls))
        total = len(ordered)
        if not total:
            return
        by_host: dict[str, list[str]] = {}
        for url in ordered:
            try:
                key = host_key(url)
            except ValueError:
                key = ""
            by_host.setdefault(key, []).append(url)

        results: queue.Queue[FetchOutcome] = queue.Queue()
        stop = threading.Event()

        def work(pending: list[str], lock: threading.Lock) -> None:
            while not stop.is_set():
                with lock:
                    if not pending:
                        return
                    url = pending.pop(0)
                results.put(self._fetch_safely(url))

        tasks = []
        for pending in by_host.values():
            lock = threading.Lock()
            tasks += [(pending, lock)] * min(self.config.per_host_concurrency, len(pending))
        pool = ThreadPoolExecutor(max_workers=min(self.config.max_connections, len(tasks)), thread_name_prefix="fetch")
        self._pools.append(pool)
        futures: list[Future[None]] = [pool.submit(work, pending, lock) for pending, lock in tasks]
        done = 0
        try:
            while done < total:
                try:
                    outcome = results.get(timeout=0.2)
                except queue.Empty:
                    if all(f.done() for f in futures) and results.empty():
                        for f in futures:
                            f.result()  # surface a worker's crash rather than hang
                        break
                    continue
                done += 1
                self._count(outcome)
                if self.progress is not None:
                    self.progress(FetchProgress("fetch", done, total, outcome.url, outcome))
                yield outcome
        finally:
            stop.set()
            pool.shutdown(wait=False, cancel_futures=True)

    def _count(self, outcome: FetchOutcome) -> None:
        with self._summary_lock:  # fetch() may be called from the caller's own threads
            self.summary.add(outcome)

    def _fetch_safely(self, url: str) -> FetchOutcome:
        try:
            return self._fetch(url)
        except Exception as exc:  # a bug must not end the batch; say what it was
            log.exception("internal error fetching %s", url)
            return FetchOutcome(url, "failed", f"internal error: {type(exc).__name__}: {exc}")

    def _stored_raw(self, url: str, row: ManifestRow) -> RawDocument:
        assert row.sha256 is not None
        return RawDocument(
            source=url,
            content=self.store.read_blob(row.sha256),
            final_url=row.final_url,
            http_charset=row.encoding,
            fetched_at=row.fetched_at,
        )

    def _fetch(self, given: str) -> FetchOutcome:
        try:
            url = clean_url(given)
        except ValueError:
            return FetchOutcome(given, "failed", "invalid URL")
        row = self.store.get(url)
        if row is not None and row.kind != "document":
            row = None  # a listing page asked for as an article: fetch it afresh as a document
        stored = row if row is not None and row.sha256 and self.store.has_blob(row.sha256) else None
        previous = stored.sha256 if stored else None
        if stored is not None and not self.config.refresh:
            return FetchOutcome(url, "cached", "already stored", self._stored_raw(url, stored), previous, previous, stored.final_url)

        headers = conditional_headers(stored)
        base = row or ManifestRow(url=url)
        now = utc_now()
        try:
            resp = self.client.get(url, headers=headers, accept=_accept_html)
        except RobotsDisallowed as exc:
            self.store.put(replace(base, status="robots_disallowed", checked_at=now, error=exc.reason, attempts=exc.attempts))
            return FetchOutcome(url, "robots_disallowed", exc.reason, None, previous, previous, exc.final_url)
        except FetchError as exc:
            if exc.reason != "cancelled":  # an interrupted run has learnt nothing about the URL
                self.store.put(_failure_row(base, now, exc.reason, exc.attempts, exc.status_code, exc.final_url, exc.content_type))
            return FetchOutcome(url, "failed", exc.reason, None, previous, previous, exc.final_url, exc.status_code, exc.attempts)

        def fail(reason: str) -> FetchOutcome:
            self.store.put(_failure_row(base, now, reason, resp.attempts, resp.status_code, resp.final_url, resp.content_type))
            return FetchOutcome(url, "failed", reason, None, previous, previous, resp.final_url, resp.status_code, resp.attempts)

        if resp.status_code == 304:
            if stored is None:
                return fail("HTTP 304 to an unconditional request")
            updated = replace(
                stored,
                status="not_modified",
                http_status=304,
                checked_at=now,
                etag=resp.etag or stored.etag,
                last_modified=resp.last_modified or stored.last_modified,
                error="",
                attempts=resp.attempts,
            )
            self.store.put(updated)
            return FetchOutcome(
                url,
                "not_modified",
                "HTTP 304",
                self._stored_raw(url, updated),
                previous,
                previous,
                updated.final_url,
                304,
                resp.attempts,
            )
        if resp.status_code != 200:
            return fail(f"HTTP {resp.status_code}" + (f" ({resp.note})" if resp.note else ""))
        if not resp.content_type and not _sniff_html(resp.content):
            return fail("not HTML: no Content-Type and no HTML markup")

        digest = self.store.put_blob(resp.content)
        unchanged = previous == digest
        record = ManifestRow(
            url=url,
            final_url=resp.final_url,
            status="not_modified" if unchanged else "fetched",
            http_status=200,
            fetched_at=stored.fetched_at if unchanged and stored is not None else now,
            checked_at=now,
            etag=resp.etag,
            last_modified=resp.last_modified,
            content_type=resp.content_type,
            encoding=resp.charset,
            sha256=digest,
            error="",
            attempts=resp.attempts,
        )
        self.store.put(record)
        raw = RawDocument(
            source=url,
            content=resp.content,
            final_url=resp.final_url,
            http_charset=resp.charset,
            fetched_at=record.fetched_at,
        )
        if unchanged:
            return FetchOutcome(url, "not_modified", "same bytes", raw, digest, previous, resp.final_url, 200, resp.attempts)
        return FetchOutcome(url, "fetched", "", raw, digest, previous, resp.final_url, 200, resp.attempts)


def _failure_row(
    base: ManifestRow,
    now: str,
    reason: str,
    attempts: int,
    http_status: int | None,
    final_url: str,
    content_type: str,
) -> ManifestRow:
    """The manifest row after a failure.

    When the row already has good bytes, final_url, content_type, encoding,
    validators and fetched_at keep describing those bytes (iter_store and
    the next conditional request rely on them); only the outcome changes.
    """
    row = replace(base, status="failed", http_status=http_status, checked_at=now, error=reason, attempts=attempts)
    if base.sha256 is None:
        row = replace(row, final_url=final_url or base.final_url, content_type=content_type or base.content_type)
    return row


def _clean_or_keep(url: str) -> str:
    """The URL as the manifest keys it, so "a#x" and "a#y" are one URL; unparsable ones as given."""
    try:
        return clean_url(url)
    except ValueError:
        return url


def iter_store(out_dir: str | Path) -> Iterator[RawDocument]:
    """Every stored page, one per manifest URL with its latest good bytes, for offline re-parsing.

    Opens the store read-only (no lock), so it may run while a fetch writes;
    rows are read once at the start. URLs that never got good bytes are
    skipped.
    """
    store = Store(out_dir, readonly=True)
    try:
        for row in store.rows():
            if row.sha256 is None or row.kind != "document":
                continue
            try:
                content = store.read_blob(row.sha256)
            except FileNotFoundError:
                log.warning("%s: stored blob %s is missing; skipped", row.url, row.sha256)
                continue
            yield RawDocument(
                source=row.url,
                content=content,
                final_url=row.final_url,
                http_charset=row.encoding,
                fetched_at=row.fetched_at,
            )
    finally:
        store.close()


def discover(
    listing_url: str,
    pages: int | None = None,
    since: date | str | None = None,
    *,
    config: FetchConfig | None = None,
) -> list[str]:
    """Article URLs of a listing without a store: a one-off polite client.

    Prefer `Fetcher.discover` inside a run, which shares the robots.txt cache
    and per-host delays with the article fetches that follow.
    """
    with PoliteClient(config or FetchConfig()) as client:
        return [link.url for link in crawl_listing(client, listing_url, pages, since).links]
