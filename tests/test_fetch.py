"""The fetcher against a real HTTP server on 127.0.0.1.

The server (http.server in a thread, ephemeral port) serves the bytes under
tests/fetchsite/ plus a few routes that misbehave on purpose (503 then 200,
429 with Retry-After, redirect loops, a slow answer, an endless body, a
dropped connection). It logs every request with its arrival and end times
and headers, so the tests check politeness from the server's side: what was
never requested, and how far apart requests were. Timing assertions are
lower bounds only (gaps), never speed.
"""

from __future__ import annotations

import fnmatch
import hashlib
import itertools
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from pipeline.fetch import FetchConfig, Fetcher, FetchOutcome, Store, StoreLocked, discover, iter_store
from pipeline.fetch.store import TEMP_PREFIX
from tests.localsite import QuietHandler

SITE = Path(__file__).parent / "fetchsite"
REPO = Path(__file__).resolve().parent.parent
CONTENT_TYPES: dict[str, str] = {k: v for k, v in json.loads((SITE / "headers.json").read_text(encoding="utf-8")).items() if not k.startswith("_")}
BIG_CHUNK = b"<p>" + b"x" * (256 * 1024 - 8) + b"</p>\n"
BIG_CHUNKS = 200  # 50 MB in all, far beyond any limit the tests set

ARTICLES = [
    "/list/202111/t20211112_100001.html",
    "/list/202111/t20211105_100002.html",
    "/list/202110/t20211020_100003.html",
    "/list/202109/t20210915_100004.html",
    "/art/2021/9/1/art_123_456.html",
    "/list/202108/t20210801_100005.html",
]
PRIVATE = "/private/t20211111_999999.html"
FAST_ROBOTS = "User-agent: *\nDisallow: /private/\nAllow: /private/public-notice.html\n"


@dataclass
class Request:
    """One request as the server saw it."""

    t: float  # time.monotonic() at arrival
    method: str
    path: str  # with the query
    host: str
    headers: dict[str, str]
    status: int = 0
    end: float = 0.0
    bytes_sent: int = 0
    complete: bool = False
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def bare_path(self) -> str:
        return urlsplit(self.path).path


@dataclass
class SiteState:
    log: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    robots: str | int | None = None  # None: serve robots.txt; int: answer that status; str: serve it
    delay: float = 0.0  # seconds before answering a path under delay_prefixes
    delay_prefixes: tuple[str, ...] = ("/list/", "/art/", "/plain/", "/private/")
    version: int = 1  # for /changing.html
    gone: bool = False  # /later-gone.html answers 404 once set

    def add(self, req: Request) -> int:
        with self.lock:
            self.log.append(req)
            return sum(1 for r in self.log if r.bare_path == req.bare_path)


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.state = SiteState()

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up on purpose are not errors here


class Handler(QuietHandler):
    server: SiteServer

    def do_GET(self) -> None:
        state = self.server.state
        req = Request(time.monotonic(), "GET", self.path, self.headers.get("Host", ""), dict(self.headers.items()))
        n = state.add(req)
        self.serve(req, n)

    def answer(self, req: Request, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        req.status = status
        sent = self.write_response(status, body, headers)
        if sent:
            req.bytes_sent = sent
        req.complete = True

    def redirect(self, req: Request, status: int, location: str) -> None:
        self.answer(req, status, b"", {"Location": location})

    def route(self, req: Request, n: int) -> None:
        state = self.server.state
        path = req.bare_path
        if path == "/robots.txt" and state.robots is not None:
            if isinstance(state.robots, int):
                return self.answer(req, state.robots, b"nope", {"Content-Type": "text/plain"})
            return self.answer(req, 200, state.robots.encode(), {"Content-Type": "text/plain"})
        if path == "/flaky/503-once.html":
            return self.answer(req, 503, b"busy") if n == 1 else self.static(req, "/plain/ok.html")
        if path == "/flaky/429.html":
            if n == 1:
                return self.answer(req, 429, b"slow down", {"Retry-After": "1"})
            return self.static(req, "/plain/ok.html")
        if path == "/flaky/429-forever.html":
            return self.answer(req, 429, b"go away", {"Retry-After": "3600"})
        if path == "/flaky/503-always.html":
            return self.answer(req, 503, b"down")
        if path == "/loop/a.html":
            return self.redirect(req, 302, "/loop/b.html")
        if path == "/loop/b.html":
            return self.redirect(req, 302, "a.html")
        if path.startswith("/chain/"):
            step = int(path.rsplit("/", 1)[-1].split(".")[0])
            return self.redirect(req, 302, f"/chain/{step + 1}.html")
        if path == "/redirect/to-article.html":
            return self.redirect(req, 301, ARTICLES[0])
        if path == "/redirect/to-private.html":
            return self.redirect(req, 302, PRIVATE)
        if path == "/redirect/to-ftp.html":
            return self.redirect(req, 302, "ftp://127.0.0.1/file.html")
        if path == "/slow.html":
            time.sleep(1.0)
            return self.static(req, "/plain/ok.html")
        if path == "/drop.html":
            self.close_connection = True
            return None  # no status line at all
        if path in ("/big.html", "/big-declared.html"):
            req.status = 200
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            if path == "/big-declared.html":
                self.send_header("Content-Length", str(len(BIG_CHUNK) * BIG_CHUNKS))
            self.end_headers()
            for _ in range(BIG_CHUNKS):
                self.wfile.write(BIG_CHUNK)
                req.bytes_sent += len(BIG_CHUNK)
            req.complete = True
            return None
        if path == "/changing.html":  # no validators: the client must compare bytes
            body = f"<html><body><p>version {state.version}</p></body></html>".encode()
            return self.answer(req, 200, body, {"Content-Type": "text/html; charset=utf-8"})
        if path == "/later-gone.html":
            return self.answer(req, 404, b"gone") if state.gone else self.static(req, "/plain/ok.html")
        return self.static(req, path)

    def static(self, req: Request, path: str) -> None:
        state = self.server.state
        rel = path.lstrip("/") or "index.html"
        if rel.endswith("/"):
            rel += "index.html"
        page = dict(parse_qsl(urlsplit(req.path).query)).get("page")
        if page and page != "1":
            stem, dot, ext = rel.rpartition(".")
            rel = f"{stem}.page{page}{dot}{ext}"
        file = (SITE / rel).resolve()
        if not file.is_file() or SITE.resolve() not in file.parents or file.name == "headers.json":
            return self.answer(req, 404, b"<html><body>not found</body></html>", {"Content-Type": "text/html"})
        if state.delay and path.startswith(state.delay_prefixes):
            time.sleep(state.delay)
        body = file.read_bytes()
        if file.suffix == ".xml":
            body = body.replace(b"{{BASE}}", f"http://{req.host}".encode())
        ctype = next((v for k, v in CONTENT_TYPES.items() if fnmatch.fnmatch(rel, k)), "application/octet-stream")
        return self.answer_conditionally(req, body, int(file.stat().st_mtime), ctype)


class Site:
    def __init__(self, server: SiteServer) -> None:
        self.server = server
        self.state = server.state
        self.port = server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    @property
    def log(self) -> list[Request]:
        with self.state.lock:
            return list(self.state.log)

    def requested(self, path: str) -> list[Request]:
        return [r for r in self.log if r.bare_path == path]

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait until every handler has finished (they may outlive a client that gave up)."""
        for req in self.log:
            req.done.wait(timeout)


@pytest.fixture
def site() -> Iterator[Site]:
    """The fixture site with its robots.txt (Disallow /private/, Crawl-delay 0.2)."""
    server = SiteServer()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Site(server)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fast_site(site: Site) -> Site:
    """The same site with a robots.txt that keeps the Disallow but has no Crawl-delay."""
    site.state.robots = FAST_ROBOTS
    return site


def config(**overrides: object) -> FetchConfig:
    """Small delays and timeouts so the suite stays fast."""
    knobs: dict[str, object] = {
        "min_delay": 0.01,
        "connect_timeout": 2.0,
        "read_timeout": 2.0,
        "total_timeout": 10.0,
        "max_retries": 2,
        "backoff_base": 0.05,
        "backoff_max": 0.2,
        "trust_env": False,
    }
    knobs.update(overrides)
    return FetchConfig(**knobs)  # type: ignore[arg-type]


def by_url(outcomes: Iterator[FetchOutcome] | list[FetchOutcome]) -> dict[str, FetchOutcome]:
    return {o.url: o for o in outcomes}


# -- the whole flow ---------------------------------------------------------


def test_listing_to_store_politely(site: Site, tmp_path: Path) -> None:
    """Discover across paginated listings, fetch, obey robots.txt and its Crawl-delay."""
    progress: list[str] = []
    with Fetcher(config(), tmp_path, progress=lambda p: progress.append(p.phase)) as fetcher:
        urls = fetcher.discover(site.url("/list/index.html"))
        assert urls == [site.url(p) for p in [*ARTICLES[:1], PRIVATE, *ARTICLES[1:]]]
        outcomes = by_url(fetcher.fetch_many(urls))
        summary = fetcher.summary

    assert {u: o.status for u, o in outcomes.items()} == {
        **{site.url(p): "fetched" for p in ARTICLES},
        site.url(PRIVATE): "robots_disallowed",
    }
    assert summary.fetched == 6 and summary.robots_disallowed == 1 and summary.failed_total == 0
    assert progress.count("listing") == 3 and progress.count("fetch") == 7

    gbk = outcomes[site.url(ARTICLES[0])].raw
    assert gbk is not None
    assert gbk.http_charset == "GBK"
    assert gbk.content == (SITE / ARTICLES[0].lstrip("/")).read_bytes()
    assert "示例市2021年工作要点" in gbk.content.decode("gbk")
    assert gbk.final_url == site.url(ARTICLES[0]) and gbk.fetched_at.endswith("Z")
    utf8 = outcomes[site.url(ARTICLES[2])].raw
    assert utf8 is not None and utf8.http_charset == "utf-8"

    log = site.log
    assert [r.bare_path for r in log].count("/robots.txt") == 1
    assert not [r for r in log if r.bare_path.startswith("/private/")], "a disallowed URL was requested"
    assert all("+https://" in r.headers["User-Agent"] and "policy-pipeline/" in r.headers["User-Agent"] for r in log)
    starts = sorted(r.t for r in log)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert len(gaps) == 9  # robots.txt, 3 listing pages, 6 articles
    assert min(gaps) >= 0.2 - 1e-3, f"requests closer than the Crawl-delay: {min(gaps):.3f} s"


def test_since_and_page_bound(fast_site: Site, tmp_path: Path) -> None:
    site = fast_site
    with Fetcher(config(), tmp_path) as fetcher:
        recent = fetcher.discover_links(site.url("/list/"), since="2021-11-01")
        assert [(link.url, link.date) for link in recent.links] == [
            (site.url(ARTICLES[0]), "2021-11-12"),
            (site.url(PRIVATE), "2021-11-11"),
            (site.url(ARTICLES[1]), "2021-11-05"),
        ]
        # Page 2 held only older links, so the walk stopped there.
        assert recent.pages_fetched == 2 and recent.older_skipped == 3
        assert not site.requested("/list/index_2.html")

        two = fetcher.discover(site.url("/list/index.html"), pages=2)
        assert two == [site.url(p) for p in [ARTICLES[0], PRIVATE, *ARTICLES[1:5]]]
    assert len(site.requested("/list/index_2.html")) == 0
    assert len(site.requested("/list/index_1.html")) == 2


def test_query_pagination_and_next_links(fast_site: Site, tmp_path: Path) -> None:
    site = fast_site
    with Fetcher(config(), tmp_path) as fetcher:
        urls = fetcher.discover(site.url("/pager/list.html"), pages=2)
    assert urls == [
        site.url("/zhengce/content/2021-11/11/content_5650001.htm"),
        site.url("/xxgk/2021/notice_1.shtml"),
        site.url("/zhengce/content/2021-11/12/content_5650002.htm"),
        site.url("/xxgk/2021/notice_2.shtml"),
    ]
    assert [r.path for r in site.log if r.bare_path.startswith("/pager/")] == [
        "/pager/list.html",
        "/pager/list.html?page=2",
    ]


def test_sitemap_and_feeds_are_listings(fast_site: Site, tmp_path: Path) -> None:
    site = fast_site
    with Fetcher(config(), tmp_path) as fetcher:
        from_sitemap = fetcher.discover_links(site.url("/sitemap.xml")).links
        from_rss = fetcher.discover_links(site.url("/rss.xml"), since="2021-09-01").links
        from_atom = fetcher.discover(site.url("/atom.xml"))
    assert [(link.url, link.date) for link in from_sitemap] == [
        (site.url(ARTICLES[0]), "2021-11-12"),
        (site.url(ARTICLES[3]), "2021-09-15"),
    ]
    assert [(link.url, link.title) for link in from_rss] == [(site.url(ARTICLES[0]), "关于印发《示例市2021年工作要点》的通知")]
    assert from_atom == [site.url(ARTICLES[2]), site.url(ARTICLES[4])]
    # The module-level helper works without a store.
    assert discover(site.url("/atom.xml"), config=config()) == from_atom


# -- faults -----------------------------------------------------------------


def test_503_then_200_is_retried_after_a_backoff(fast_site: Site, tmp_path: Path) -> None:
    site = fast_site
    with Fetcher(config(backoff_base=0.1), tmp_path) as fetcher:
        outcome = fetcher.fetch(site.url("/flaky/503-once.html"))
    assert outcome.status == "fetched" and outcome.attempts == 2
    first, second = site.requested("/flaky/503-once.html")
    assert (first.status, second.status) == (503, 200)
    assert second.t - first.end >= 0.05  # backoff of base 0.1 with jitter is at least half of it


def test_429_honours_retry_after(fast_site: Site, tmp_path: Path) -> None:
    site = fast_site
    with Fetcher(config(), tmp_path) as fetcher:
        outcome = fetcher.fetch(site.url("/flaky/429.html"))
    assert outcome.status == "fetched"
    first, second = site.requested("/flaky/429.html")
    assert first.status == 429 and second.status == 200
    assert second.t - first.t >= 1.0, "Retry-After: 1 was not honoured"


def test_retry_after_over_the_cap_gives_up(fast_site: Site, tmp_path: Path) -> None:
    site = fast_site
    with Fetcher(config(retry_after_max=5.0), tmp_path) as fetcher:
        outcome = fetcher.fetch(site.url("/flaky/429-forever.html"))
    assert outcome.status == "failed"
    assert outcome.reason == "HTTP 429 (Retry-After 3600 s exceeds cap of 5 s)"
    assert len(site.requested("/flaky/429-forever.html")) == 1


def test_persistent_503_and_dropped_connections_fail_after_retries(fast_site: Site, tmp_path: Path) -> None:
    site = fast_site
    with Fetcher(config(max_retries=2), tmp_path) as fetcher:
        outcomes = by_url(fetcher.fetch_many([site.url("/flaky/503-always.html"), site.url("/drop.html")]))
    down = outcomes[site.url("/flaky/503-always.html")]
    assert (down.status, down.reason, down.attempts) == ("failed", "HTTP 503", 3)
    dropped = outcomes[site.url("/drop.html")]
    assert dropped.status == "failed" and dropped.reason.startswith("protocol error")
    assert len(site.requested("/flaky/503-always.html")) == 3
    assert len(site.requested("/drop.html")) == 3


def test_redirects(fast_site: Site, tmp_path: Path) -> None:
    site = fast_site
    with Fetcher(config(max_redirects=3), tmp_path) as fetcher:
        got = by_url(
            fetcher.fetch_many(
                [
                    site.url("/loop/a.html"),
                    site.url("/chain/1.html"),
                    site.url("/redirect/to-article.html"),
                    site.url("/redirect/to-private.html"),
                    site.url("/redirect/to-ftp.html"),
                ]
            )
        )
    assert got[site.url("/loop/a.html")].reason == "redirect loop"
    assert len(site.requested("/loop/a.html")) == 1 and len(site.requested("/loop/b.html")) == 1
    assert got[site.url("/chain/1.html")].reason == "too many redirects (more than 3)"
    assert len([r for r in site.log if r.bare_path.startswith("/chain/")]) == 4
    moved = got[site.url("/redirect/to-article.html")]
    assert moved.status == "fetched" and moved.raw is not None
    assert moved.raw.final_url == site.url(ARTICLES[0]) and moved.raw.source == site.url("/redirect/to-article.html")
    private = got[site.url("/redirect/to-private.html")]
    assert (private.status, private.reason) == ("robots_disallowed", "redirect target disallowed by robots.txt")
    assert not site.requested(PRIVATE)
    assert got[site.url("/redirect/to-ftp.html")].reason == "unsupported scheme: ftp"


def test_only_http_and_https(tmp_path: Path) -> None:
    with Fetcher(config(), tmp_path) as fetcher:
        assert fetcher.fetch("file:///etc/passwd").reason == "unsupported scheme: file"
        assert fetcher.fetch("ftp://127.0.0.1/x.html").reason == "unsupported scheme: ftp"


def test_slow_response_times_out(fast_site: Site, tmp_path: Path) -> None:
    site = fast_site
    with Fetcher(config(read_timeout=0.2, max_retries=1), tmp_path) as fetcher:
        outcome = fetcher.fetch(site.url("/slow.html"))
    assert (outcome.status, outcome.reason, outcome.attempts) == ("failed", "read timeout", 2)


def test_connection_refused(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with Fetcher(config(max_retries=1, obey_robots=False), tmp_path) as fetcher:
        outcome = fetcher.fetch(f"http://127.0.0.1:{port}/x.html")
    assert outcome.status == "failed" and outcome.reason.startswith("connection failed")


def test_oversized_response_stops_reading(fast_site: Site, tmp_path: Path) -> None:
    site = fast_site
    limit = 64 * 1024
    with Fetcher(config(max_bytes=limit), tmp_path) as fetcher:
        streamed = fetcher.fetch(site.url("/big.html"))
        declared = fetcher.fetch(site.url("/big-declared.html"))
    assert (streamed.status, streamed.reason) == ("failed", f"too large: over {limit} bytes")
    assert declared.reason == f"too large: Content-Length over {limit} bytes"
    site.wait_idle()
    for path in ("/big.html", "/big-declared.html"):
        (req,) = site.requested(path)
        assert not req.complete, f"{path}: the client read the whole body"
        assert req.bytes_sent < len(BIG_CHUNK) * BIG_CHUNKS
    with Store(tmp_path, readonly=True) as store:
        rows = {row.url: row for row in store.rows()}
    assert rows[site.url("/big.html")].sha256 is None
    assert rows[site.url("/big.html")].error == f"too large: over {limit} bytes"


def test_404_and_non_html_are_recorded_and_the_batch_goes_on(fast_site: Site, tmp_path: Path) -> None:
    site = fast_site
    urls = [site.url("/missing.html"), site.url("/files/report.pdf"), site.url("/plain/ok.html")]
    with Fetcher(config(), tmp_path) as fetcher:
        got = by_url(fetcher.fetch_many(urls))
        summary = fetcher.summary
    assert (got[urls[0]].status, got[urls[0]].reason) == ("failed", "HTTP 404")
    assert (got[urls[1]].status, got[urls[1]].reason) == ("failed", "not HTML: application/pdf")
    assert got[urls[1]].raw is None
    assert got[urls[2]].status == "fetched"
    assert dict(summary.failed) == {"HTTP 404": 1, "not HTML: application/pdf": 1}
    assert "  HTTP 404: 1" in summary.lines()
    with Store(tmp_path, readonly=True) as store:
        pdf = store.get(urls[1])
    assert pdf is not None and pdf.content_type == "application/pdf" and pdf.sha256 is None
    assert [raw.source for raw in iter_store(tmp_path)] == [urls[2]]


def test_robots_unavailable(site: Site, tmp_path: Path) -> None:
    """robots.txt 404 allows everything; 5xx disallows the whole origin for the run."""
    site.state.robots = 404
    with Fetcher(config(), tmp_path / "a") as fetcher:
        assert fetcher.fetch(site.url(PRIVATE)).status == "fetched"
    site.state.robots = 503
    with Fetcher(config(max_retries=1), tmp_path / "b") as fetcher:
        outcomes = list(fetcher.fetch_many([site.url(ARTICLES[0]), site.url(ARTICLES[1])]))
    assert {o.status for o in outcomes} == {"robots_disallowed"}
    assert [r.bare_path for r in site.log] == ["/robots.txt", PRIVATE, "/robots.txt", "/robots.txt"]


def test_robots_group_for_our_agent_and_crawl_delay_cap(site: Site, tmp_path: Path) -> None:
    site.state.robots = "User-agent: *\nDisallow: /\n\nUser-agent: policy-pipeline\nDisallow: /plain/\n"
    with Fetcher(config(), tmp_path / "a") as fetcher:
        assert fetcher.fetch(site.url("/plain/ok.html")).status == "robots_disallowed"
        assert fetcher.fetch(site.url(ARTICLES[0])).status == "fetched"
    site.state.robots = "User-agent: *\nCrawl-delay: 100\n"
    with Fetcher(config(max_crawl_delay=5.0), tmp_path / "b") as fetcher:
        outcome = fetcher.fetch(site.url(ARTICLES[1]))
    assert outcome.reason == "robots.txt Crawl-delay 100 s exceeds limit of 5 s"
    assert not site.requested(ARTICLES[1])


def test_per_host_and_global_limits(fast_site: Site, tmp_path: Path) -> None:
    """127.0.0.1 and localhost are two hosts: never two requests at once to one of them."""
    site = fast_site
    site.state.delay = 0.1
    urls = [site.url(p, host) for host in ("127.0.0.1", "localhost") for p in ARTICLES[:3]]
    with Fetcher(config(min_delay=0.05), tmp_path / "a") as fetcher:
        assert {o.status for o in fetcher.fetch_many(urls)} == {"fetched"}
    site.wait_idle()
    for host in ("127.0.0.1", "localhost"):
        reqs = sorted((r for r in site.log if r.host.startswith(host)), key=lambda r: r.t)
        assert len(reqs) == 4
        for before, after in itertools.pairwise(reqs):
            assert after.t - before.end >= 0.05 - 1e-3, "per-host delay or concurrency broken"

    start = len(site.log)
    with Fetcher(config(max_connections=1), tmp_path / "b") as fetcher:
        assert {o.status for o in fetcher.fetch_many(urls)} == {"fetched"}
    site.wait_idle()
    reqs = sorted(site.log[start:], key=lambda r: r.t)
    for before, after in itertools.pairwise(reqs):
        assert after.t >= before.end - 1e-3, "two requests in flight despite max_connections=1"


# -- incremental runs -------------------------------------------------------


def run_listing(site: Site, out: Path, **knobs: object) -> tuple[list[str], dict[str, FetchOutcome], int]:
    """One scheduled run: discover from the listing, fetch; returns urls, outcomes and the log mark before it."""
    mark = len(site.log)
    with Fetcher(config(**knobs), out) as fetcher:
        urls = fetcher.discover(site.url("/list/index.html"))
        outcomes = by_url(fetcher.fetch_many(urls))
    return urls, outcomes, mark


def test_second_run_is_conditional_or_silent(fast_site: Site, tmp_path: Path) -> None:
    site = fast_site
    urls, first, _ = run_listing(site, tmp_path)
    assert [o.status for o in first.values()].count("fetched") == 6
    # Listing pages are kept for conditional re-discovery but are not documents.
    assert sorted(raw.source for raw in iter_store(tmp_path)) == sorted(site.url(p) for p in ARTICLES)

    again, cached, mark = run_listing(site, tmp_path)
    assert again == urls
    assert {u: o.status for u, o in cached.items() if o.status != "robots_disallowed"} == dict.fromkeys((site.url(p) for p in ARTICLES), "cached")
    listing_requests = [r for r in site.log[mark:] if r.bare_path != "/robots.txt"]
    assert sorted(r.bare_path for r in listing_requests) == ["/list/index.html", "/list/index_1.html", "/list/index_2.html"]
    assert all(r.status == 304 and "If-None-Match" in r.headers for r in listing_requests)
    for url, outcome in cached.items():
        assert outcome.raw == first[url].raw

    _, refreshed, mark = run_listing(site, tmp_path, refresh=True)
    assert {u: o.status for u, o in refreshed.items() if o.status != "robots_disallowed"} == dict.fromkeys((site.url(p) for p in ARTICLES), "not_modified")
    requests = [r for r in site.log[mark:] if r.bare_path != "/robots.txt"]
    assert len(requests) == 3 + 6  # listing pages and articles, every one conditional
    for req in requests:
        assert req.status == 304
        assert req.headers.get("If-None-Match", "").startswith('"')
        assert "GMT" in req.headers.get("If-Modified-Since", "")
    for url, outcome in refreshed.items():
        if outcome.status == "not_modified":
            assert outcome.raw == first[url].raw and outcome.sha256 == first[url].sha256


def test_refresh_replaces_changed_bytes_and_keeps_them_on_failure(fast_site: Site, tmp_path: Path) -> None:
    site = fast_site
    changing, gone = site.url("/changing.html"), site.url("/later-gone.html")
    with Fetcher(config(), tmp_path) as fetcher:
        v1 = fetcher.fetch(changing)
        kept = fetcher.fetch(gone)
    site.state.version = 2
    site.state.gone = True
    with Fetcher(config(refresh=True), tmp_path) as fetcher:
        v2 = fetcher.fetch(changing)
        lost = fetcher.fetch(gone)
        same = fetcher.fetch(changing)
    assert v2.status == "fetched" and v2.previous_sha256 == v1.sha256 != v2.sha256
    assert (same.status, same.reason) == ("not_modified", "same bytes")
    assert (lost.status, lost.reason, lost.previous_sha256) == ("failed", "HTTP 404", kept.sha256)
    stored = {raw.source: raw for raw in iter_store(tmp_path)}
    assert stored[changing].content == b"<html><body><p>version 2</p></body></html>"
    assert kept.raw is not None and stored[gone] == kept.raw  # same bytes, final URL, charset, fetch time
    with Store(tmp_path, readonly=True) as store:
        row = store.get(gone)
    assert row is not None and (row.status, row.error, row.http_status) == ("failed", "HTTP 404", 404)


def test_closing_fetch_many_early_stops_handing_out_urls(fast_site: Site, tmp_path: Path) -> None:
    site = fast_site
    site.state.delay = 0.1
    urls = [site.url(p) for p in ARTICLES]
    with Fetcher(config(), tmp_path) as fetcher:
        outcomes = fetcher.fetch_many(urls)
        first = next(outcomes)
        outcomes.close()
    site.wait_idle()
    assert first.status == "fetched"
    assert len([r for r in site.log if r.bare_path in ARTICLES]) <= 2
    with Store(tmp_path, readonly=True) as store:
        assert store.check() == []
        assert all(row.status == "fetched" for row in store.rows())  # nothing recorded as "cancelled"


def test_one_writer_per_store(tmp_path: Path) -> None:
    with Fetcher(config(), tmp_path), pytest.raises(StoreLocked):
        Fetcher(config(), tmp_path)


RUNNER = """
import sys
from pipeline.fetch import FetchConfig, Fetcher
config = FetchConfig(min_delay=0.01, backoff_base=0.05, max_retries=1, trust_env=False)
with Fetcher(config, sys.argv[1]) as fetcher:
    for outcome in fetcher.fetch_many(sys.argv[2:]):
        print(outcome.status, outcome.url, flush=True)
"""


def test_killed_run_resumes_without_refetching(fast_site: Site, tmp_path: Path) -> None:
    site = fast_site
    site.state.delay = 0.25
    paths = [*ARTICLES, "/plain/ok.html", "/private/public-notice.html"]
    urls = [site.url(p) for p in paths]
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, str(out), *urls], cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout

    def read() -> None:
        for line in stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    fetched = 0
    deadline = time.monotonic() + 20
    while fetched < 3 and time.monotonic() < deadline:
        try:
            fetched += lines.get(timeout=0.5).startswith("fetched")
        except queue.Empty:
            assert proc.poll() is None, "the fetch subprocess died on its own"
    assert fetched >= 3
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    site.wait_idle()
    killed_log = len(site.log)

    with Store(out, readonly=True) as store:
        problems = [p for p in store.check() if not p.startswith("partial file")]
        stored_before = {row.url for row in store.rows() if row.sha256}
    assert problems == []
    assert 3 <= len(stored_before) < len(urls), "the run was not killed midway"

    site.state.delay = 0.0
    with Fetcher(config(), out) as fetcher:
        resumed = by_url(fetcher.fetch_many(urls))
        assert fetcher.store.check() == []  # no missing blob, no partial file left
    assert {u for u, o in resumed.items() if o.status == "cached"} == stored_before
    assert {u for u, o in resumed.items() if o.status == "fetched"} == set(urls) - stored_before
    after = site.log[killed_log:]
    for path, url in zip(paths, urls, strict=True):
        again = [r for r in after if r.bare_path == path]
        assert len(again) == (0 if url in stored_before else 1), path
        assert len(site.requested(path)) <= 2, path

    # Same store as a run that was never interrupted.
    with Fetcher(config(), tmp_path / "clean") as fetcher:
        clean = {o.url: o.sha256 for o in fetcher.fetch_many(urls)}
    assert {raw.source: hashlib.sha256(raw.content).hexdigest() for raw in iter_store(out)} == clean
    assert not list((out / "raw").glob(f"*/{TEMP_PREFIX}*"))
