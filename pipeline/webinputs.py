"""Web inputs of a run: article URLs, listing pages and the raw store, through pipeline.fetch.

Kept apart from the CLI so that the command line stays a thin layer and the
fetcher stays ignorant of parsing: this module only turns URLs into
`RawDocument`s (fetched, or the stored copy) and records what failed.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

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


def gather_web(
    urls: list[str], args: argparse.Namespace, out: Path, failures: list[Failure], summary: Any
) -> list[RawDocument]:
    from pipeline.fetch import FetchConfig, Fetcher, FetchError, StoreLocked, iter_store

    raws: list[RawDocument] = []
    if args.from_store:
        raws.extend(iter_store(out))
    if not urls and not args.listing:
        return raws
    config = FetchConfig(refresh=args.refresh)
    if args.user_agent:
        config = replace(config, user_agent=args.user_agent)
    if args.delay is not None:
        config = replace(config, min_delay=args.delay)
    try:
        fetcher = Fetcher(config, out, progress=_progress_printer())
    except StoreLocked as exc:
        print(f"policy-pipeline: {exc}", file=sys.stderr)
        return raws
    with fetcher:
        targets = list(urls)
        for listing in args.listing:
            try:
                found = fetcher.discover(listing, pages=args.pages, since=args.since)
            except FetchError as exc:
                failures.append(Failure(listing, "discover", f"listing unavailable: {exc}"))
                continue
            if not found:
                failures.append(Failure(listing, "discover", "no article links found on the listing"))
            targets.extend(found)
        for outcome in fetcher.fetch_many(targets):
            if outcome.raw is not None:
                raws.append(outcome.raw)
            elif outcome.status == "failed":
                failures.append(Failure(outcome.url, "fetch", outcome.reason or "fetch failed"))
        summary.fetch_lines = ["fetch: " + "; ".join(line.strip() for line in fetcher.summary.lines())]
    return raws
