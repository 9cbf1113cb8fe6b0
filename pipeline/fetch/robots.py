"""A robots.txt parser that follows RFC 9309.

Why not `urllib.robotparser`: it applies the first matching rule rather than
the longest, ignores `*` and `$` wildcards, and matches user agents by
substring, so it both over- and under-blocks on real sites. This one is
small: groups, longest match with Allow winning ties, wildcards, and
Crawl-delay per group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309 asks parsers to read at least 500 KiB

_SAFE = "/?=&;:@!$'()*+,~-._"


def _normalise(path: str) -> str:
    """Percent-encode a path or pattern the same way so both compare equal."""
    return quote(unquote(path), safe=_SAFE)


@dataclass(frozen=True)
class _Rule:
    allow: bool
    pattern: str
    regex: re.Pattern[str]

    @classmethod
    def build(cls, allow: bool, raw: str) -> _Rule:
        pattern = _normalise(raw)
        anchored = pattern.endswith("$")
        body = pattern[:-1] if anchored else pattern
        regex = ".*".join(re.escape(part) for part in body.split("*"))
        return cls(allow, pattern, re.compile(regex + ("$" if anchored else ""), re.DOTALL))


@dataclass
class _Group:
    agents: list[str] = field(default_factory=list)
    rules: list[_Rule] = field(default_factory=list)
    crawl_delay: float | None = None


@dataclass(frozen=True)
class RobotsRules:
    """The rules of one robots.txt that apply to one product token."""

    rules: tuple[_Rule, ...] = ()
    crawl_delay: float | None = None
    disallow_all: bool = False  # the robots.txt could not be read (5xx, network)
    sitemaps: tuple[str, ...] = ()

    @classmethod
    def allow_all(cls) -> RobotsRules:
        return cls()

    @classmethod
    def deny_all(cls) -> RobotsRules:
        return cls(disallow_all=True)

    @classmethod
    def parse(cls, text: str, agent: str) -> RobotsRules:
        """Parse robots.txt `text` and keep the groups that apply to `agent`.

        `agent` is our product token (e.g. "policy-pipeline"); groups naming it
        win over the `*` group, and several groups for the same agent merge.
        """
        text = text[:MAX_ROBOTS_BYTES].lstrip("\ufeff")
        groups: list[_Group] = []
        sitemaps: list[str] = []
        current: _Group | None = None
        last_was_agent = False
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if ":" not in line:
                continue
            key, _, value = line.partition(":")
            key = key.strip().lower().replace("_", "-")
            value = value.strip()
            if key in ("user-agent", "useragent", "user agent"):
                if current is None or not last_was_agent:
                    current = _Group()
                    groups.append(current)
                current.agents.append(value.split("/")[0].strip().lower())
                last_was_agent = True
                continue
            last_was_agent = False
            if key == "sitemap":
                if value:
                    sitemaps.append(value)
                continue
            if current is None:
                continue  # rules before any user-agent line belong to no group
            if key in ("allow", "disallow"):
                if value:  # an empty Disallow allows everything; it adds no rule
                    current.rules.append(_Rule.build(key == "allow", value))
            elif key == "crawl-delay":
                try:
                    delay = float(value)
                except ValueError:
                    continue
                if delay >= 0:
                    current.crawl_delay = delay

        token = agent.split("/")[0].strip().lower()
        chosen = [g for g in groups if token in g.agents]
        if not chosen:
            chosen = [g for g in groups if "*" in g.agents]
        rules: list[_Rule] = []
        delays: list[float] = []
        for group in chosen:
            rules.extend(group.rules)
            if group.crawl_delay is not None:
                delays.append(group.crawl_delay)
        return cls(tuple(rules), max(delays) if delays else None, False, tuple(sitemaps))

    def allowed(self, url: str) -> bool:
        """Whether `url` may be fetched: the longest matching rule decides."""
        parts = urlsplit(url)
        path = parts.path or "/"
        if path == "/robots.txt":
            return True
        if self.disallow_all:
            return False
        if parts.query:
            path += "?" + parts.query
        target = _normalise(path)
        best: _Rule | None = None
        for rule in self.rules:
            if rule.regex.match(target) is None:
                continue
            if best is None or len(rule.pattern) > len(best.pattern) or (len(rule.pattern) == len(best.pattern) and rule.allow and not best.allow):
                best = rule
        return best is None or best.allow
