"""Polite, incremental, resumable fetching of policy pages.

The small API the CLI and notebooks use::

    from pipeline.fetch import FetchConfig, Fetcher, iter_store

    with Fetcher(FetchConfig(), "out", progress=callback) as fetcher:
        urls = fetcher.discover("https://example.gov.cn/zcwj/index.html", pages=3, since="2021-01-01")
        for outcome in fetcher.fetch_many(urls):
            if outcome.raw is not None:
                ...  # parse outcome.raw (a pipeline.records.RawDocument)
        print(fetcher.summary)

    for raw in iter_store("out"):  # re-parse offline
        ...

Submodules: `http` (the polite client), `store` (raw bytes and manifest),
`discover` (listing, sitemap and feed parsing), `robots` (robots.txt).
"""

from __future__ import annotations

from .config import FetchConfig
from .discover import ArticleLink, DiscoveryResult
from .fetcher import (
    Fetcher,
    FetchOutcome,
    FetchProgress,
    FetchStatus,
    FetchSummary,
    ProgressFn,
    discover,
    iter_store,
)
from .http import FetchError, RobotsDisallowed
from .store import ManifestRow, Store, StoreLocked

__all__ = [
    "ArticleLink",
    "DiscoveryResult",
    "FetchConfig",
    "FetchError",
    "FetchOutcome",
    "FetchProgress",
    "FetchStatus",
    "FetchSummary",
    "Fetcher",
    "ManifestRow",
    "ProgressFn",
    "RobotsDisallowed",
    "Store",
    "StoreLocked",
    "discover",
    "iter_store",
]
