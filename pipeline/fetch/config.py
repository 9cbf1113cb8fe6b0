"""Every knob of the fetcher in one dataclass.

The defaults are the polite ones a scheduled run against a government site
should use; tests and power users shrink the delays and timeouts. Keeping all
of them in one frozen value means the CLI can build it from flags, a notebook
can build it by hand, and nothing reads configuration from globals.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_AGENT_NAME = "policy-pipeline"
try:  # the package's own version, so site operators can tell runs apart
    from .. import __version__ as DEFAULT_AGENT_VERSION
except ImportError:  # pragma: no cover - pipeline/__init__.py not importable
    DEFAULT_AGENT_VERSION = "0.1"
DEFAULT_CONTACT_URL = "https://github.com/policy-pipeline/policy-pipeline"

MB = 1024 * 1024


@dataclass(frozen=True)
class FetchConfig:
    """How politely, how patiently and how much to fetch.

    Times are in seconds. `min_delay` is the gap between the end of one
    request and the start of the next to the same host; a robots.txt
    Crawl-delay larger than it wins.
    """

    # Identity: site operators must be able to tell who we are and reach us.
    agent_name: str = DEFAULT_AGENT_NAME  # the product token matched against robots.txt groups
    agent_version: str = DEFAULT_AGENT_VERSION
    contact_url: str = DEFAULT_CONTACT_URL
    user_agent: str = ""  # full override; empty means built from the three fields above

    # Politeness.
    obey_robots: bool = True
    min_delay: float = 1.0  # per host, seconds between requests
    max_crawl_delay: float = 60.0  # a robots.txt Crawl-delay above this makes us skip the host
    per_host_concurrency: int = 1
    max_connections: int = 4  # global limit on requests in flight (and worker threads)

    # Patience.
    connect_timeout: float = 10.0
    read_timeout: float = 30.0  # between two received chunks
    total_timeout: float = 120.0  # for a whole response body, against slow drips
    max_retries: int = 3  # retries after the first attempt, per redirect hop
    backoff_base: float = 1.0  # first retry waits about this long, then doubles
    backoff_max: float = 60.0
    retry_after_max: float = 120.0  # a Retry-After longer than this ends the retries

    # Limits.
    max_redirects: int = 5
    max_bytes: int = 20 * MB  # enforced while streaming, on decoded bytes
    max_listing_pages: int = 50  # when discover() is given no page bound

    # Incremental behaviour.
    refresh: bool = False  # re-request stored URLs (conditionally) instead of skipping them

    # Environment.
    trust_env: bool = True  # honour HTTP(S)_PROXY / NO_PROXY like curl does

    def effective_user_agent(self) -> str:
        """The User-Agent header: names the tool, its version and a contact URL."""
        if self.user_agent:
            return self.user_agent
        return f"{self.agent_name}/{self.agent_version} (+{self.contact_url}; policy document research crawler)"

    def __post_init__(self) -> None:
        problems = []
        if self.min_delay < 0:
            problems.append("min_delay must be >= 0")
        if self.per_host_concurrency < 1:
            problems.append("per_host_concurrency must be >= 1")
        if self.max_connections < 1:
            problems.append("max_connections must be >= 1")
        if self.max_retries < 0:
            problems.append("max_retries must be >= 0")
        if self.max_redirects < 0:
            problems.append("max_redirects must be >= 0")
        if self.max_bytes < 1:
            problems.append("max_bytes must be >= 1")
        for name in ("connect_timeout", "read_timeout", "total_timeout"):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be > 0")
        if problems:
            raise ValueError("invalid FetchConfig: " + "; ".join(problems))
