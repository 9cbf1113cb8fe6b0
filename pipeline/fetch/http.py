"""A polite HTTP client on httpx.

Government sites block crawlers that hammer them, and their servers are
flaky. Everything here exists so that a scheduled run neither gets the user
banned nor dies on the first hiccup:

* one request at a time per host (configurable), spaced by at least
  `min_delay` or the robots.txt Crawl-delay, measured from the END of the
  previous response so that the gap holds at the server too;
* a global cap on requests in flight across hosts;
* robots.txt fetched once per origin per run (404 = allow all, 5xx or
  unreachable = disallow all, as RFC 9309 says);
* retries with exponential backoff and jitter on connection errors, timeouts,
  429 and 5xx, honouring Retry-After (seconds or HTTP date) up to a cap, and
  pushing the wait onto the whole host so other requests back off too;
* redirects followed by hand, so every hop is checked against robots.txt and
  the scheme whitelist, and loops are caught;
* a size limit enforced while streaming, so a 2 GB file costs us at most
  `max_bytes`, plus a total-time limit against slow drips.
"""

from __future__ import annotations

import codecs
import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from .config import FetchConfig
from .robots import MAX_ROBOTS_BYTES, RobotsRules

log = logging.getLogger(__name__)

ALLOWED_SCHEMES = ("http", "https")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# 501 Not Implemented and 505 HTTP Version Not Supported will not get better.
_NO_RETRY_5XX = frozenset({501, 505})

# Returns None to accept a media type, or the reason for refusing it.
AcceptFn = Callable[[str], "str | None"]


class FetchError(Exception):
    """A URL could not be fetched; `reason` is short, readable and groupable.

    Reasons carry no URL and no attempt count so that a summary can count
    failures by reason ("read timeout": 3, "HTTP 404": 2).
    """

    def __init__(
        self,
        reason: str,
        *,
        final_url: str = "",
        status_code: int | None = None,
        content_type: str = "",
        charset: str | None = None,
        attempts: int = 0,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.final_url = final_url
        self.status_code = status_code
        self.content_type = content_type
        self.charset = charset
        self.attempts = attempts


class RobotsDisallowed(FetchError):
    """robots.txt forbids the URL (or a redirect hop): it was never requested."""


class _Retryable(Exception):
    """An attempt failed in a way a later attempt may not (network, timeout)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class HttpResponse:
    """The final response after redirects and retries, body fully read."""

    url: str  # as requested
    final_url: str  # after redirects
    status_code: int
    content: bytes
    content_type: str  # media type, lower case, "" when the header is absent
    charset: str | None  # the charset parameter of Content-Type, as sent
    etag: str | None
    last_modified: str | None
    attempts: int  # HTTP requests made, all hops and retries included
    note: str = ""  # why retrying stopped early, e.g. a Retry-After over the cap


@dataclass
class _Exchange:
    status: int
    headers: httpx.Headers
    content: bytes
    content_type: str
    charset: str | None


def parse_content_type(value: str | None) -> tuple[str, str | None]:
    """Split a Content-Type header into (media type, charset)."""
    if not value:
        return "", None
    parts = value.split(";")
    media = parts[0].strip().lower()
    charset = None
    for param in parts[1:]:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'") or None
    return media, charset


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


def clean_url(url: str) -> str:
    """Drop the fragment (never sent to servers) and whitespace around the URL."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def host_key(url: str) -> str:
    """The politeness key: one physical server, whatever the scheme or port."""
    return (urlsplit(url).hostname or "").lower()


def origin_key(url: str) -> str:
    """The robots.txt key: RFC 9309 scopes robots.txt to scheme, host and port."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def describe_transport_error(exc: Exception) -> str:
    """Short, groupable words for an httpx transport failure."""
    if isinstance(exc, httpx.ConnectTimeout):
        return "connect timeout"
    if isinstance(exc, httpx.ReadTimeout):
        return "read timeout"
    if isinstance(exc, httpx.WriteTimeout):
        return "write timeout"
    if isinstance(exc, httpx.PoolTimeout):
        return "pool timeout"
    if isinstance(exc, httpx.ConnectError):
        detail = str(exc).split("]")[-1].strip()
        return f"connection failed: {detail}" if detail else "connection failed"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "protocol error: " + (str(exc)[:80] or type(exc).__name__)
    if isinstance(exc, httpx.ReadError):
        return "connection dropped while reading"
    return type(exc).__name__


class _Host:
    """Per-host politeness: a concurrency limit and the earliest next start."""

    def __init__(self, limit: int, delay: float) -> None:
        self.cond = threading.Condition()
        self.limit = limit
        self.delay = delay
        self.active = 0
        self.next_at = 0.0
        self.last_end = 0.0

    def acquire(self, stop: threading.Event) -> None:
        with self.cond:
            while True:
                if stop.is_set():
                    raise FetchError("cancelled")
                now = time.monotonic()
                if self.active < self.limit and now >= self.next_at:
                    self.active += 1
                    self.next_at = now + self.delay
                    return
                wait = self.next_at - now if self.active < self.limit else 0.5
                self.cond.wait(timeout=min(max(wait, 0.001), 0.5))

    def release(self) -> None:
        with self.cond:
            self.active -= 1
            self.last_end = time.monotonic()
            self.next_at = max(self.next_at, self.last_end + self.delay)
            self.cond.notify_all()

    def push_back(self, seconds: float) -> None:
        """Nobody talks to this host for `seconds` (backoff, Retry-After)."""
        with self.cond:
            self.next_at = max(self.next_at, time.monotonic() + seconds)
            self.cond.notify_all()

    def raise_delay(self, delay: float) -> None:
        with self.cond:
            if delay > self.delay:
                self.delay = delay
                self.next_at = max(self.next_at, self.last_end + delay)
                self.cond.notify_all()


class PoliteClient:
    """Fetches URLs one polite request at a time per host; thread-safe.

    Use as a context manager or call `close()`; `cancel()` makes waiting
    threads give up promptly (for Ctrl-C).
    """

    def __init__(self, config: FetchConfig, *, transport: httpx.BaseTransport | None = None) -> None:
        self.config = config
        timeout = httpx.Timeout(
            connect=config.connect_timeout,
            read=config.read_timeout,
            write=config.read_timeout,
            pool=config.connect_timeout,
        )
        self._client = httpx.Client(
            headers={
                "User-Agent": config.effective_user_agent(),
                "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
            },
            timeout=timeout,
            follow_redirects=False,
            limits=httpx.Limits(
                max_connections=config.max_connections,
                max_keepalive_connections=config.max_connections,
            ),
            trust_env=config.trust_env,
            transport=transport,
        )
        self._global = threading.BoundedSemaphore(config.max_connections)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._hosts: dict[str, _Host] = {}
        self._robots: dict[str, RobotsRules] = {}
        self._robots_locks: dict[str, threading.Lock] = {}

    # -- lifecycle ---------------------------------------------------------

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cancel(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._stop.set()
        self._client.close()

    # -- robots.txt --------------------------------------------------------

    def _host(self, url: str) -> _Host:
        key = host_key(url)
        with self._lock:
            host = self._hosts.get(key)
            if host is None:
                host = _Host(self.config.per_host_concurrency, self.config.min_delay)
                self._hosts[key] = host
            return host

    def robots(self, url: str) -> RobotsRules:
        """The robots.txt rules for `url`'s origin, fetched once per run."""
        if not self.config.obey_robots:
            return RobotsRules.allow_all()
        origin = origin_key(url)
        with self._lock:
            cached = self._robots.get(origin)
            if cached is not None:
                return cached
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:
            with self._lock:
                cached = self._robots.get(origin)
            if cached is not None:
                return cached
            rules = self._fetch_robots(origin)
            if rules.crawl_delay is not None:
                self._host(url).raise_delay(rules.crawl_delay)
            with self._lock:
                self._robots[origin] = rules
            return rules

    def _fetch_robots(self, origin: str) -> RobotsRules:
        robots_url = origin + "/robots.txt"
        try:
            resp = self.get(robots_url, check_robots=False, max_bytes=MAX_ROBOTS_BYTES, truncate=True)
        except FetchError as exc:
            if exc.reason == "cancelled":
                raise
            log.warning("robots.txt of %s unreachable (%s): not fetching from it this run", origin, exc.reason)
            return RobotsRules.deny_all()
        if 200 <= resp.status_code < 300:
            text = (
                resp.content.decode(resp.charset or "utf-8", errors="replace") if _known_codec(resp.charset) else resp.content.decode("utf-8", errors="replace")
            )
            return RobotsRules.parse(text, self.config.agent_name)
        if 400 <= resp.status_code < 500:
            return RobotsRules.allow_all()
        log.warning("robots.txt of %s answered HTTP %s: not fetching from it this run", origin, resp.status_code)
        return RobotsRules.deny_all()

    def allowed(self, url: str) -> bool:
        return self.robots(url).allowed(url)

    # -- requests ----------------------------------------------------------

    def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        accept: AcceptFn | None = None,
        check_robots: bool = True,
        max_bytes: int | None = None,
        truncate: bool = False,
    ) -> HttpResponse:
        """GET `url`, following redirects, retrying, within every limit.

        Returns the final response whatever its status (a 404 or a 503 whose
        retries ran out is a response, not an exception); raises FetchError
        when no response could be had, robots.txt forbids a hop (as
        RobotsDisallowed), a redirect loops or goes on too long, the body is
        too large, or `accept` refuses the media type of a 2xx response (then
        the body is not read).
        """
        limit = self.config.max_bytes if max_bytes is None else max_bytes
        current = clean_url(url)
        seen = {current}
        hops = 0
        attempts = 0
        while True:
            scheme = urlsplit(current).scheme
            if scheme not in ALLOWED_SCHEMES:
                raise FetchError(f"unsupported scheme: {scheme or 'none'}", final_url=current, attempts=attempts)
            if not urlsplit(current).hostname:
                raise FetchError("invalid URL: no host", final_url=current, attempts=attempts)
            if check_robots and self.config.obey_robots:
                rules = self.robots(current)
                if rules.crawl_delay is not None and rules.crawl_delay > self.config.max_crawl_delay:
                    raise FetchError(
                        f"robots.txt Crawl-delay {rules.crawl_delay:g} s exceeds limit of {self.config.max_crawl_delay:g} s",
                        final_url=current,
                        attempts=attempts,
                    )
                if not rules.allowed(current):
                    what = "redirect target disallowed" if hops else "disallowed"
                    raise RobotsDisallowed(f"{what} by robots.txt", final_url=current, attempts=attempts)
            try:
                exchange, n, note = self._with_retries(current, headers, accept, limit, truncate)
            except FetchError as exc:
                exc.attempts += attempts
                exc.final_url = exc.final_url or current
                raise
            attempts += n
            if exchange.status in REDIRECT_STATUSES:
                location = exchange.headers.get("location")
                if not location:
                    raise FetchError("redirect without Location", final_url=current, attempts=attempts)
                target = clean_url(urljoin(current, location))
                if target in seen:
                    raise FetchError("redirect loop", final_url=current, status_code=exchange.status, attempts=attempts)
                hops += 1
                if hops > self.config.max_redirects:
                    raise FetchError(
                        f"too many redirects (more than {self.config.max_redirects})",
                        final_url=current,
                        status_code=exchange.status,
                        attempts=attempts,
                    )
                seen.add(target)
                current = target
                continue
            return HttpResponse(
                url=url,
                final_url=current,
                status_code=exchange.status,
                content=exchange.content,
                content_type=exchange.content_type,
                charset=exchange.charset,
                etag=exchange.headers.get("etag"),
                last_modified=exchange.headers.get("last-modified"),
                attempts=attempts,
                note=note,
            )

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with 'equal jitter': between d/2 and d."""
        d = min(self.config.backoff_max, self.config.backoff_base * float(2 ** (attempt - 1)))
        return d / 2 + random.uniform(0, d / 2)

    def _with_retries(
        self,
        url: str,
        headers: Mapping[str, str] | None,
        accept: AcceptFn | None,
        limit: int,
        truncate: bool,
    ) -> tuple[_Exchange, int, str]:
        cfg = self.config
        host = self._host(url)
        attempt = 0
        while True:
            attempt += 1
            try:
                exchange = self._exchange(host, url, headers, accept, limit, truncate)
            except _Retryable as exc:
                if attempt > cfg.max_retries:
                    raise FetchError(exc.reason, final_url=url, attempts=attempt) from None
                wait = self._backoff(attempt)
                log.info("%s: %s; retry %d in %.2f s", url, exc.reason, attempt, wait)
                host.push_back(wait)
                continue
            except FetchError as exc:
                exc.attempts = attempt
                raise
            status = exchange.status
            if status == 429 or (500 <= status < 600 and status not in _NO_RETRY_5XX):
                if attempt > cfg.max_retries:
                    return exchange, attempt, ""
                retry_after = parse_retry_after(exchange.headers.get("retry-after"))
                if retry_after is not None and retry_after > cfg.retry_after_max:
                    note = f"Retry-After {retry_after:.0f} s exceeds cap of {cfg.retry_after_max:g} s"
                    host.push_back(cfg.retry_after_max)
                    return exchange, attempt, note
                wait = retry_after if retry_after is not None else self._backoff(attempt)
                log.info("%s: HTTP %d; retry %d in %.2f s", url, status, attempt, wait)
                host.push_back(wait)
                continue
            return exchange, attempt, ""

    def _exchange(
        self,
        host: _Host,
        url: str,
        headers: Mapping[str, str] | None,
        accept: AcceptFn | None,
        limit: int,
        truncate: bool,
    ) -> _Exchange:
        """One HTTP request inside the host's and the global limits."""
        host.acquire(self._stop)
        try:
            with self._global:
                if self._stop.is_set():
                    raise FetchError("cancelled")
                return self._stream(url, headers, accept, limit, truncate)
        finally:
            host.release()

    def _stream(
        self,
        url: str,
        headers: Mapping[str, str] | None,
        accept: AcceptFn | None,
        limit: int,
        truncate: bool,
    ) -> _Exchange:
        deadline = time.monotonic() + self.config.total_timeout
        try:
            with self._client.stream("GET", url, headers=dict(headers or {})) as resp:
                media, charset = parse_content_type(resp.headers.get("content-type"))
                status = resp.status_code
                body = bytearray()
                if 200 <= status < 300:
                    refusal = accept(media) if accept is not None else None
                    if refusal is not None:
                        # Leaving the block unread closes the connection: we
                        # never download the PDF or the video we do not want.
                        raise FetchError(refusal, status_code=status, content_type=media, charset=charset)
                    declared = resp.headers.get("content-length", "")
                    if declared.isdigit() and int(declared) > limit and not truncate:
                        raise FetchError(f"too large: Content-Length over {limit} bytes", status_code=status, content_type=media)
                    for chunk in resp.iter_bytes():
                        body += chunk
                        if len(body) > limit:
                            if truncate:
                                del body[limit:]
                                break
                            raise FetchError(f"too large: over {limit} bytes", status_code=status, content_type=media)
                        if time.monotonic() > deadline:
                            raise _Retryable(f"total timeout ({self.config.total_timeout:g} s)")
                return _Exchange(status, resp.headers, bytes(body), media, charset)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise FetchError(f"invalid URL: {exc}") from None
        except httpx.TransportError as exc:
            raise _Retryable(describe_transport_error(exc)) from None
        except httpx.DecodingError:
            raise FetchError("bad content encoding") from None


def _known_codec(name: str | None) -> bool:
    if not name:
        return False
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True
