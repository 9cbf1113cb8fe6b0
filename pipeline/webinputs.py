"""Web inputs of a run: article URLs, listing pages and the raw store, through pipeline.fetch.

Kept apart from the CLI so that the command line stays a thin layer and the
fetcher stays ignorant of parsing: this module only turns URLs into
`RawDocument`s (fetched, or the stored copy) and records what failed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from pipeline.export import StateStore
from pipeline.records import Failure, RawDocument


def _progress_printer() -> Any:
    """A rich progress display on stderr for listing and fetching; None when stderr is not a terminal."""
    if not sys.stderr.isatty():
        return None
    from rich.console import Console

    console = Console(stderr=True)

    def show(p: Any) -> None:
        if p.phase == "listing":
            console.print(f"[dim]listing page {p.done}[/dim] {p.url}", highlight=False)
        elif p.outcome is not None and p.outcome.status in ("fetched", "failed"):
            console.print(f"[dim]{p.outcome.status}[/dim] {p.url} {p.outcome.reason}", highlight=False)

    return show


def _stale_listing_failure(folder: str, failed_now: frozenset[str]) -> Callable[[Failure], bool]:
    """A recorded listing-page failure under `folder` that did not recur in this run."""

    def stale(failure: Failure) -> bool:
        return failure.stage == "discover" and failure.source.startswith(folder) and failure.source not in failed_now

    return stale


def gather_web(urls: list[str], args: argparse.Namespace, out: Path, failures: list[Failure], summary: Any) -> list[RawDocument]:
    from pipeline.fetch import FetchConfig, Fetcher, FetchError, StoreLocked, iter_store

    raws: list[RawDocument] = []
    if args.from_store:
        try:
            raws.extend(iter_store(out))
        except FileNotFoundError as exc:  # no manifest: nothing was ever fetched into this folder
            print(f"policy-pipeline: --from-store: {exc}", file=sys.stderr)
    if not urls and not args.listing:
        return raws
    config = FetchConfig(refresh=args.refresh)
    if args.user_agent:
        config = replace(config, user_agent=args.user_agent)
    if args.delay is not None:
        config = replace(config, min_delay=args.delay)
    if args.timeout is not None:
        config = replace(config, read_timeout=args.timeout, connect_timeout=min(config.connect_timeout, args.timeout))
    if args.retries is not None:
        config = replace(config, max_retries=args.retries)
    try:
        fetcher = Fetcher(config, out, progress=_progress_printer())
    except StoreLocked as exc:
        print(f"policy-pipeline: {exc}", file=sys.stderr)
        return raws
    with fetcher:
        targets = list(urls)
        for listing in args.listing:
            try:
                result = fetcher.discover_links(listing, pages=args.pages, since=args.since)
            except FetchError as exc:
                failures.append(Failure(listing, "discover", f"listing unavailable: {exc}"))
                continue
            # A later listing page that failed hides its articles: record it like any other fault.
            failed_pages = set()
            for error in result.errors:  # "URL: reason"; URLs hold no ": "
                page_url, _, reason = error.partition(": ")
                failed_pages.add(page_url)
                failures.append(Failure(page_url, "discover", f"listing page unavailable: {reason}"))
            # pages of this listing that failed before and work now leave failures.csv
            folder = listing.rsplit("/", 1)[0] + "/"
            StateStore(out).clear_failures(_stale_listing_failure(folder, frozenset(failed_pages)))
            found = [link.url for link in result.links]
            if not found:
                failures.append(Failure(listing, "discover", "no article links found on the listing"))
            targets.extend(found)
        fetched: list[RawDocument] = []
        for outcome in fetcher.fetch_many(targets):
            if outcome.raw is not None:
                fetched.append(outcome.raw)
            elif outcome.status == "failed":
                failures.append(Failure(outcome.url, "fetch", outcome.reason or "fetch failed"))
        summary.fetch_lines = ["fetch: " + "; ".join(line.strip() for line in fetcher.summary.lines())]
    # With --from-store, a URL also given (or listed) comes back from the fetcher: keep that copy only,
    # so that no document is counted, or parsed, twice.
    again = {raw.source for raw in fetched}
    return [raw for raw in raws if raw.source not in again] + fetched
