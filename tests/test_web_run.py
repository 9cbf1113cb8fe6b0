"""`python -m pipeline run` end to end against a real HTTP server on 127.0.0.1.

The server (http.server in a thread, ephemeral port) serves tests/websiterun/:
real policy pages from corpus/pages under TRS-style article URLs, some
re-encoded as GBK with the charset given only in the HTTP header, two
paginated listing pages (page count written by `createPageHTML`), a
robots.txt that disallows /private/ and sets a tiny Crawl-delay, and a few
routes that misbehave on purpose. It logs every request with its headers and
times, so the tests check from the server's side what was (never) requested.

Every run is the real command line in a subprocess. Timing assertions are
politeness lower bounds only, never speed.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from pipeline.fetch import Store
from tests.localsite import QuietHandler

REPO = Path(__file__).resolve().parent.parent
SITE = Path(__file__).parent / "websiterun"
DELAY = "0.05"  # --delay; robots.txt's Crawl-delay (0.06) is larger, so it wins
CRAWL_DELAY = 0.06

# (path, title as published): the listing's articles, newest first, over two listing pages.
ARTICLES = [
    ("/zcwj/202503/t20250326_100001.html", "国务院关于落实《政府工作报告》重点工作分工的意见"),
    ("/zcwj/202405/t20240510_100002.html", "甘肃省人民政府办公厅关于印发甘肃省2024年促进高校毕业生等青年就业创业工作方案的通知"),
    ("/zcwj/202404/t20240418_100003.html", "江门市人民政府办公室关于印发江门市促进民营经济高质量发展三年行动方案（2024—2026年）的通知"),
    ("/zcwj/202403/t20240320_100004.html", "省人民政府办公厅关于印发湖北省数字政府建设2024年工作要点的通知"),
    ("/zcwj/202403/t20240315_100005.html", "山西省农村供水工程运行管理办法"),
    ("/zcwj/202403/t20240305_100006.html", "浙江省人民政府办公厅关于印发浙江省2024年扩大有效投资重点工作安排的通知"),
    ("/zcwj/202306/t20230612_100007.html", "株洲市人民政府办公室关于印发《株洲市养老服务体系建设实施方案》的通知"),
    ("/zcwj/202304/t20230417_100008.html", "交通运输部办公厅关于印发《2023年农村公路养护提质行动方案》的通知"),
    ("/zcwj/202304/t20230407_100009.html", "泉州市人民政府办公室关于印发泉州市2023年农村人居环境整治提升工作方案的通知"),
    ("/zcwj/202303/t20230302_100010.html", "洛阳市2023年制造业数字化转型重点任务分工方案"),
    ("/zcwj/202302/t20230220_100011.html", "茶陵县2023年乡村振兴重点工作安排"),
    ("/zcwj/202205/t20220510_100012.html", "平江县人民政府办公室关于印发《平江县2022年农村人居环境整治提升工作方案》的通知"),
    ("/zcwj/202204/t20220406_100013.html", "九江市人民政府办公室关于印发九江市2022年优化营商环境重点工作任务的通知"),
]
ARTICLE_PATHS = [p for p, _ in ARTICLES]
PRIVATE = "/private/t20220315_999001.html"  # linked from the listing, disallowed by robots.txt
LISTING = "/list/index.html"
LISTING_PAGES = {"/list/index.html", "/list/index_1.html"}
# GBK bytes whose only charset declaration is the HTTP header (no <meta charset>).
GBK_BY_HEADER = {
    "/zcwj/202405/t20240510_100002.html",  # re-encoded from UTF-8, meta removed
    "/zcwj/202306/t20230612_100007.html",  # re-encoded from UTF-8, meta removed
    "/zcwj/202304/t20230407_100009.html",  # re-encoded from UTF-8, meta removed
    "/zcwj/202302/t20230220_100011.html",  # GBK with no declaration at all in the corpus
}
# gb2312 declared only in <meta>; the header says text/html with no charset.
META_ONLY = {"/zcwj/202205/t20220510_100012.html", "/zcwj/202204/t20220406_100013.html"}
# Article pages are corpus pages served under article URLs (no copies): path -> (corpus page, re-encode)
# where re-encode means UTF-8 bytes turned into GBK with their <meta charset> removed.
CORPUS = REPO / "corpus" / "pages"
FROM_CORPUS = {
    "/zcwj/202503/t20250326_100001.html": ("r-gwy-2025-division.html", False),
    "/zcwj/202405/t20240510_100002.html": ("r-gansu-2024-youth-employment.html", True),
    "/zcwj/202404/t20240418_100003.html": ("r-jiangmen-2024-private-economy.html", False),
    "/zcwj/202403/t20240320_100004.html": ("r-hubei-2024-digital-gov-table.html", False),
    "/zcwj/202403/t20240315_100005.html": ("r-shanxi-2024-rural-water-measures.html", False),
    "/zcwj/202403/t20240305_100006.html": ("r-zhejiang-2024-investment-clauses.html", False),
    "/zcwj/202306/t20230612_100007.html": ("r-zhuzhou-2023-elderly-care.html", True),
    "/zcwj/202304/t20230417_100008.html": ("x-ministry-rural-roads.html", False),
    "/zcwj/202304/t20230407_100009.html": ("r-quanzhou-2023-rural-environment.html", True),
    "/zcwj/202303/t20230302_100010.html": ("x-table-luoyang-digital.html", False),
    "/zcwj/202302/t20230220_100011.html": ("x-nocharset-chaling-rural.html", False),
    "/zcwj/202205/t20220510_100012.html": ("x-gbk-pingjiang-environment.html", False),
    "/zcwj/202204/t20220406_100013.html": ("x-legacy-jiujiang-business.html", False),
    "/private/t20220315_999001.html": ("x-trs-jiangxi-digital.html", False),
    "/faults/t20220520_200001.html": ("x-wechat-chengdu-consumption.html", False),
}


def corpus_bytes(path: str) -> tuple[bytes, float] | None:
    """The bytes served for an article path, and the modification time of their source."""
    if path not in FROM_CORPUS:
        return None
    name, to_gbk = FROM_CORPUS[path]
    source = CORPUS / name
    body = source.read_bytes()
    if to_gbk:
        text = re.sub(r"<meta[^>]*charset[^>]*>\s*", "", body.decode("utf-8"), count=1, flags=re.IGNORECASE)
        body = text.encode("gbk")
    return body, source.stat().st_mtime


FAULT_PAGE = "/faults/t20220520_200001.html"  # a real page, served behind the misbehaving routes
BUSY = "/faults/busy/t20220520_200001.html"  # 503 on the first request, then FAULT_PAGE
SLOW = "/faults/slow/t20220520_200001.html"  # FAULT_PAGE after SLOW_SECONDS
SLOW_SECONDS = 1.0
OUTPUT_FILES = ("documents.csv", "items.csv", "responsibilities.csv", "targets.csv", "attachments.csv", "failures.csv", "datapackage.json")


# -- the server -------------------------------------------------------------


@dataclass
class Request:
    """One request as the server saw it."""

    t: float  # time.monotonic() at arrival
    path: str
    headers: dict[str, str]
    status: int = 0
    end: float = 0.0
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def bare_path(self) -> str:
        return urlsplit(self.path).path

    @property
    def conditional(self) -> bool:
        return "If-None-Match" in self.headers or "If-Modified-Since" in self.headers


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.log: list[Request] = []
        self.lock = threading.Lock()
        self.article_delay = 0.0  # seconds before answering a /zcwj/ article
        self.unhurried_agent = ""  # a User-Agent the delay does not apply to

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up (timeouts, kill -9) are not errors here


class Handler(QuietHandler):
    server: SiteServer

    def do_GET(self) -> None:
        req = Request(time.monotonic(), self.path, dict(self.headers.items()))
        with self.server.lock:
            self.server.log.append(req)
            n = sum(1 for r in self.server.log if r.bare_path == req.bare_path)
        self.serve(req, n)

    def answer(self, req: Request, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        req.status = status
        self.write_response(status, body, headers)

    def route(self, req: Request, n: int) -> None:
        path = req.bare_path
        if path == BUSY and n == 1:
            return self.answer(req, 503, b"<html><body>Service Unavailable</body></html>", {"Content-Type": "text/html"})
        if path == SLOW:
            time.sleep(SLOW_SECONDS)
        if path in (BUSY, SLOW):
            path = FAULT_PAGE
        return self.static(req, path)

    def static(self, req: Request, path: str) -> None:
        rel = path.lstrip("/") or "index.html"
        file = (SITE / rel).resolve()
        served = corpus_bytes(path)
        if served is None and (not file.is_file() or SITE.resolve() not in file.parents or file.name == "README.md"):
            return self.answer(req, 404, "<html><body>404 页面不存在</body></html>".encode(), {"Content-Type": "text/html; charset=utf-8"})
        if path.startswith("/zcwj/") and self.server.article_delay and req.headers.get("User-Agent") != self.server.unhurried_agent:
            time.sleep(self.server.article_delay)
        body, modified = served if served is not None else (file.read_bytes(), file.stat().st_mtime)
        if path in GBK_BY_HEADER:
            ctype = "text/html; charset=GBK"
        elif path in META_ONLY:
            ctype = "text/html"
        elif file.suffix == ".pdf":
            ctype = "application/pdf"
        elif file.suffix == ".txt":
            ctype = "text/plain; charset=utf-8"
        else:
            ctype = "text/html; charset=utf-8"
        return self.answer_conditionally(req, body, int(modified), ctype)


class Site:
    def __init__(self) -> None:
        self.server = SiteServer()
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.running = True

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def log(self) -> list[Request]:
        with self.server.lock:
            return list(self.server.log)

    def mark(self) -> int:
        return len(self.log)

    def since(self, mark: int) -> list[Request]:
        self.wait_idle()
        return self.log[mark:]

    def wait_idle(self, timeout: float = 5.0) -> None:
        for req in self.log:
            req.done.wait(timeout)

    def stop(self) -> None:
        if self.running:
            self.running = False
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    try:
        yield s
    finally:
        s.stop()


# -- running the command line ---------------------------------------------------

ENV = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()} | {"PYTHONPATH": str(REPO), "NO_PROXY": "127.0.0.1,localhost"}

def command(rules: Path, args: tuple[str, ...]) -> list[str]:
    return [sys.executable, "-m", "pipeline", "run", *args, "--rules", str(rules)]


def cli(rules: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(rules, args), capture_output=True, text=True, cwd=REPO, env=ENV, timeout=120)


def popen_cli(rules: Path, *args: str, quiet: bool = True) -> subprocess.Popen[str]:
    sink = subprocess.DEVNULL if quiet else subprocess.PIPE
    return subprocess.Popen(command(rules, args), cwd=REPO, env=ENV, stdout=sink, stderr=sink, text=True)


@pytest.fixture(scope="module")
def rules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot of rules/: a rule edited while the tests run must not look like a rules change between two runs."""
    frozen = tmp_path_factory.mktemp("rules") / "rules"
    shutil.copytree(REPO / "rules", frozen)
    return frozen


def outputs(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in OUTPUT_FILES}


def code_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted((REPO / "pipeline").rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def assert_same_outputs(got: dict[str, bytes], expected: dict[str, bytes], what: str, code_at_start: str) -> None:
    """Byte for byte; says so when the pipeline's code was edited while the runs went on (a shared checkout)."""
    note = "" if code_fingerprint() == code_at_start else " (pipeline/*.py was edited while the test ran: the runs used different code)"
    for name in OUTPUT_FILES:
        assert got[name] == expected[name], f"{name} differs from {what}{note}"


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_bytes().decode("utf-8-sig").splitlines()))


def fetch_summary(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("fetch: ")]
    assert len(lines) == 1, stderr
    return lines[0]


# -- 1 to 4: first run, second run, --refresh, --from-store -------------------


@dataclass
class Runs:
    site: Site
    out: Path
    procs: dict[str, subprocess.CompletedProcess[str]]
    logs: dict[str, list[Request]]
    files: dict[str, dict[str, bytes]]
    code: str  # fingerprint of pipeline/*.py when the runs began


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, rules: Path) -> Iterator[Runs]:
    """A scheduled run, the same run again, a --refresh run, then --from-store offline (with and without --force)."""
    site = Site()
    out = tmp_path_factory.mktemp("web") / "out"
    listing = site.url(LISTING)
    result = Runs(site, out, {}, {}, {}, code_fingerprint())
    try:
        for name, extra in (("first", []), ("second", []), ("refresh", ["--refresh"]), ("store-and-listing", ["--from-store"])):
            mark = site.mark()
            result.procs[name] = cli(rules, "--listing", listing, "--delay", DELAY, "--out", str(out), *extra)
            result.logs[name] = site.since(mark)
            result.files[name] = outputs(out)
        site.stop()
        for name, extra in (("offline", []), ("offline-force", ["--force"])):
            result.procs[name] = cli(rules, "--from-store", "--out", str(out), *extra)
            result.files[name] = outputs(out)
        yield result
    finally:
        site.stop()


def test_first_run_fetches_and_parses_every_allowed_article(runs: Runs) -> None:
    proc, site = runs.procs["first"], runs.site
    assert proc.returncode == 0, proc.stderr
    docs = {row["source"]: row for row in read_csv(runs.out / "documents.csv")}
    assert set(docs) == {site.url(p) for p in ARTICLE_PATHS}
    for path, title in ARTICLES:
        row = docs[site.url(path)]
        assert int(row["n_items"]) > 0, path
        assert row["title"] == title, f"{path} decoded wrongly"
        assert row["final_url"] == site.url(path)
        assert row["encoding"] == ("gb18030" if path in GBK_BY_HEADER | META_ONLY else "utf-8"), path
    # The numbered items carry their responsibility parentheticals through to responsibilities.csv.
    items = read_csv(runs.out / "items.csv")
    resps = read_csv(runs.out / "responsibilities.csv")
    assert {r["doc_id"] for r in items} == {row["doc_id"] for row in docs.values()}
    with_units = {r["doc_id"] for r in resps}
    assert len(with_units) >= 10, "responsibility parentheticals were lost"
    failures = read_csv(runs.out / "failures.csv")
    assert [f for f in failures if f["severity"] == "error"] == []
    assert not [f for f in failures if f["reason"].startswith(("decode", "encoding"))], failures

    summary = fetch_summary(proc.stderr)
    assert "fetched: 13" in summary and "skipped by robots.txt: 1" in summary and "failed: 0" in summary
    assert "13 parsed (13 new, 0 updated)" in proc.stderr

    log = runs.logs["first"]
    assert not [r for r in log if r.bare_path.startswith("/private/")], "a URL disallowed by robots.txt was requested"
    assert sorted(r.bare_path for r in log) == sorted(["/robots.txt", *LISTING_PAGES, *ARTICLE_PATHS])
    assert all(r.status == 200 for r in log)
    assert all("policy-pipeline/" in r.headers["User-Agent"] and "+https://" in r.headers["User-Agent"] for r in log)
    # One host: one request at a time, spaced from the end of one to the start of the next by
    # --delay, and by robots.txt's larger Crawl-delay once it is known.
    ordered = sorted(log, key=lambda r: r.t)
    assert ordered[0].bare_path == "/robots.txt"
    for i, (before, after) in enumerate(itertools.pairwise(ordered)):
        gap = after.t - before.end
        assert gap >= float(DELAY) - 1e-3, f"requests closer than --delay: {gap:.3f} s"
        if i > 0:
            assert gap >= CRAWL_DELAY - 1e-3, f"requests closer than the Crawl-delay: {gap:.3f} s"


def test_second_run_requests_no_article_and_parses_nothing(runs: Runs) -> None:
    proc = runs.procs["second"]
    assert proc.returncode == 0, proc.stderr
    assert "0 parsed (0 new, 0 updated), 13 unchanged" in proc.stderr
    assert "already stored: 13" in fetch_summary(proc.stderr)
    log = runs.logs["second"]
    assert not [r for r in log if r.bare_path.startswith(("/zcwj/", "/private/"))], "articles requested again"
    listing = [r for r in log if r.bare_path != "/robots.txt"]
    assert sorted(r.bare_path for r in listing) == sorted(LISTING_PAGES)
    assert all(r.conditional and r.status == 304 for r in listing)
    assert_same_outputs(runs.files["second"], runs.files["first"], "the first run's", runs.code)


def test_refresh_sends_only_conditional_requests(runs: Runs) -> None:
    proc = runs.procs["refresh"]
    assert proc.returncode == 0, proc.stderr
    assert "0 parsed (0 new, 0 updated), 13 unchanged" in proc.stderr
    summary = fetch_summary(proc.stderr)
    assert "not modified: 13" in summary and "skipped by robots.txt: 1" in summary
    log = runs.logs["refresh"]
    # robots.txt is read afresh each run (unconditionally); everything else is conditional.
    others = [r for r in log if r.bare_path != "/robots.txt"]
    assert sorted(r.bare_path for r in others) == sorted([*LISTING_PAGES, *ARTICLE_PATHS])
    for req in others:
        assert req.conditional and req.status == 304, req.path
        assert req.headers.get("If-None-Match", "").startswith('"')
    assert_same_outputs(runs.files["refresh"], runs.files["first"], "the first run's", runs.code)


def test_from_store_reparses_offline(runs: Runs) -> None:
    assert not runs.site.running
    offline = runs.procs["offline"]
    assert offline.returncode == 0, offline.stderr
    assert "0 parsed (0 new, 0 updated), 13 unchanged" in offline.stderr
    assert_same_outputs(runs.files["offline"], runs.files["first"], "the online run's", runs.code)
    forced = runs.procs["offline-force"]
    assert forced.returncode == 0, forced.stderr
    assert "13 parsed (0 new, 13 updated)" in forced.stderr
    assert "fetch: " not in forced.stderr  # nothing was fetched
    # Same bytes, and the GBK pages decoded by the charset the manifest kept from the HTTP header.
    assert_same_outputs(runs.files["offline-force"], runs.files["first"], "the online run's", runs.code)


def test_from_store_with_a_listing_counts_each_document_once(runs: Runs) -> None:
    """--from-store beside --listing: the stored copies of the listed URLs are not added a second time."""
    proc = runs.procs["store-and-listing"]
    assert proc.returncode == 0, proc.stderr
    assert "documents: 13 given, 0 parsed (0 new, 0 updated), 13 unchanged, 0 failed" in proc.stderr
    assert_same_outputs(runs.files["store-and-listing"], runs.files["first"], "the first run's", runs.code)


def test_from_store_without_a_store_says_so(tmp_path: Path, rules: Path) -> None:
    proc = cli(rules, "--from-store", "--out", str(tmp_path / "never-fetched"))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "--from-store: no manifest at" in proc.stderr and "nothing has been fetched into" in proc.stderr


# -- 5: faults ----------------------------------------------------------------------


def test_faults_are_recorded_and_the_batch_carries_on(site: Site, tmp_path: Path, rules: Path) -> None:
    out = tmp_path / "out"
    good = site.url(ARTICLE_PATHS[0])  # found through the broken listing
    urls = {"missing": site.url("/zcwj/202401/t20240101_404404.html"), "busy": site.url(BUSY), "pdf": site.url("/files/report.pdf")}
    proc = cli(rules, *urls.values(), "--listing", site.url("/broken/index.html"), "--delay", DELAY, "--out", str(out))
    assert proc.returncode == 0, proc.stderr

    failures = {f["source"]: f for f in read_csv(out / "failures.csv") if f["severity"] == "error"}
    assert failures[urls["missing"]]["reason"] == "HTTP 404"
    assert failures[urls["pdf"]]["reason"] == "not HTML: application/pdf"
    assert all(f["stage"] == "fetch" for f in (failures[urls["missing"]], failures[urls["pdf"]]))
    # The listing's second page (index_1.html, written by createPageHTML) does not exist.
    broken_page = site.url("/broken/index_1.html")
    assert broken_page in failures, f"a listing page that failed left no record: {failures}"
    assert (failures[broken_page]["stage"], failures[broken_page]["reason"]) == ("discover", "listing page unavailable: HTTP 404")
    assert set(failures) == {urls["missing"], urls["pdf"], broken_page}

    docs = {row["source"]: row for row in read_csv(out / "documents.csv")}
    assert set(docs) == {good, urls["busy"]}  # 503 then 200: retried, fetched and parsed
    assert all(int(row["n_items"]) > 0 for row in docs.values())
    busy = [r.status for r in site.since(0) if r.bare_path == BUSY]
    assert busy == [503, 200]
    assert "failed (1): HTTP 404" in proc.stderr and "failed (1): not HTML: application/pdf" in proc.stderr


def test_slow_response_past_the_timeout(site: Site, tmp_path: Path, rules: Path) -> None:
    """Read timeout shrunk to 0.3 s and one retry, through --timeout and --retries.

    Only the slow URL is given, to keep the test short (no parser start-up):
    so exit status 1, "no document could be processed"; carrying on past
    faults is the previous test's point.
    """
    out = tmp_path / "out"
    slow = site.url(SLOW)
    proc = cli(rules, slow, "--delay", DELAY, "--timeout", "0.3", "--retries", "1", "--out", str(out))
    assert proc.returncode == 1, proc.stderr
    failures = read_csv(out / "failures.csv")
    assert [(f["source"], f["stage"], f["severity"], f["reason"]) for f in failures] == [(slow, "fetch", "error", "read timeout")]
    assert "failed (1): read timeout" in proc.stderr
    assert len([r for r in site.log if r.bare_path == SLOW]) == 2  # the first try and one retry


# -- 6: kill -9 midway, run again -----------------------------------------------------


def stored_documents(out: Path) -> set[str]:
    """URLs whose bytes are in the raw store (read-only: the writer may be running)."""
    if not (out / "manifest.sqlite").exists():
        return set()
    try:
        with Store(out, readonly=True) as store:
            return {row.url for row in store.rows() if row.kind == "document" and row.sha256}
    except sqlite3.OperationalError:
        return set()  # the writer is creating the schema


def kill_when(proc: subprocess.Popen[str], ready: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    try:
        while not ready():
            assert proc.poll() is None, f"the run ended (status {proc.returncode}) before {what}"
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.005)
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL


def test_killed_run_resumes_to_the_same_outputs(site: Site, tmp_path: Path, rules: Path) -> None:
    out = tmp_path / "out"
    args = ("--listing", site.url(LISTING), "--delay", DELAY, "--out", str(out))
    urls = {site.url(p) for p in ARTICLE_PATHS}
    code = code_fingerprint()

    # Meanwhile, a run never interrupted into a fresh folder, told apart in the server log by its User-Agent.
    clean_agent = "policy-pipeline-clean/1 (+https://example.org/contact)"
    site.server.unhurried_agent = clean_agent
    clean_run = popen_cli(rules, *args[:-1], str(tmp_path / "clean"), "--user-agent", clean_agent, quiet=False)
    try:
        # Killed while fetching: some pages stored, nothing parsed yet.
        site.server.article_delay = 0.3
        proc = popen_cli(rules, *args)
        kill_when(proc, lambda: len(stored_documents(out)) >= 3, "3 articles were stored")
        site.wait_idle()
        fetched_before = stored_documents(out)
        assert 3 <= len(fetched_before) < len(urls), "the run was not killed midway through fetching"
        assert not (out / "documents.csv").exists()
        with Store(out, readonly=True) as store:
            assert [p for p in store.check() if not p.startswith("partial file")] == []

        # Killed while parsing: every page stored, some documents saved under .state/docs.
        site.server.article_delay = 0.0
        mark = site.mark()
        proc = popen_cli(rules, *args)
        docs_dir = out / ".state" / "docs"
        kill_when(proc, lambda: len(list(docs_dir.glob("*.json"))) >= 2, "2 documents were saved")
        saved = len(list(docs_dir.glob("*.json")))
        assert 2 <= saved < len(urls), "the run was not killed midway through parsing"
        assert not (out / "documents.csv").exists()
        refetched = [r.bare_path for r in site.since(mark) if r.bare_path.startswith("/zcwj/") and r.headers.get("User-Agent") != clean_agent]
        assert sorted(refetched) == sorted(urlsplit(u).path for u in urls - fetched_before), "stored pages fetched again"

        # Run again to completion.
        mark = site.mark()
        final = cli(rules, *args)
        clean_err = clean_run.communicate(timeout=120)[1]
        assert final.returncode == 0, final.stderr
        assert clean_run.returncode == 0, clean_err
        assert f"{len(urls) - saved} parsed ({len(urls) - saved} new, 0 updated), {saved} unchanged" in final.stderr
        ours = [r for r in site.since(mark) if r.headers.get("User-Agent") != clean_agent]
        assert not [r for r in ours if r.bare_path.startswith(("/zcwj/", "/private/"))], "stored pages fetched again"
    finally:
        if clean_run.poll() is None:  # a failed assertion above: do not leave it running
            clean_run.kill()
            clean_run.wait(timeout=10)

    # The same outputs, byte for byte, as the uninterrupted run.
    assert_same_outputs(outputs(out), outputs(tmp_path / "clean"), "the uninterrupted run's", code)
    assert len(read_csv(out / "documents.csv")) == len(urls)

    # The manifest is consistent: every row's blob whole, no partial file, SQLite intact, and it matches the CSVs.
    with Store(out, readonly=True) as store:
        assert store.check() == []
        rows = {row.url: row for row in store.rows()}
    assert {u for u, r in rows.items() if r.kind == "document" and r.sha256} == urls
    assert rows[site.url(PRIVATE)].status == "robots_disallowed" and rows[site.url(PRIVATE)].sha256 is None
    for doc in read_csv(out / "documents.csv"):
        assert rows[doc["source"]].sha256 == doc["sha256"]
    with sqlite3.connect(f"file:{out / 'manifest.sqlite'}?mode=ro", uri=True) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
