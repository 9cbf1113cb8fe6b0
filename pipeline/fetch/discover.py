"""Finding article links on listing pages, sitemaps and feeds.

Users point the pipeline at a column page ("政策文件", "通知公告") rather than
at each article. Chinese government CMSs (TRS WCM, Hanweb, the gov.cn
templates) are regular enough that URL shapes tell articles from navigation,
and their pagination is either plain links (index_1.html, ?page=2, 下一页) or
a page count written into a script (`createPageHTML(10, 0, "index",
"html")`, `var countPage = 5`). The parsing functions here are pure (bytes
in, links out) so they can be tested without a network; `crawl_listing`
drives them through the polite client.
"""

from __future__ import annotations

import email.utils
import gzip
import io
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import parse_qsl, urljoin, urlsplit

import lxml.html
from lxml import etree

from .http import FetchError, PoliteClient, clean_url

log = logging.getLogger(__name__)

# Second-level suffixes under which a "site" is one label deeper: a listing on
# www.gov.cn must not let every *.gov.cn in.
_SHARED_SUFFIXES = {"gov.cn", "com.cn", "org.cn", "net.cn", "edu.cn", "ac.cn", "co.uk", "gov.uk", "com.hk", "gov.hk"}

_DATE_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})(?!\d)")
_URL_DATE_RES = (
    re.compile(r"/t((?:19|20)\d{2})(\d{2})(\d{2})_\d+"),  # TRS: t20211112_123456.html
    re.compile(r"/art/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"),  # Hanweb
    re.compile(r"/((?:19|20)\d{2})-?(\d{2})/(\d{2})/"),  # gov.cn: /2021-11/12/
)

_LISTING_NAME_RE = re.compile(r"^(?:index|default|list|more|node)(?:[_-]\d+)?\.(?:s?html?|jsp|php|aspx?)$")
_ARTICLE_PATH_RES = (
    re.compile(r"/t\d{8}_\d+\.s?html?$"),
    re.compile(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_\d+_\d+\.s?html?$"),
    re.compile(r"content_\d+\.s?html?$"),
    re.compile(r"\.shtml$"),
    re.compile(r"/(?:19|20)\d{2}[-_/]?\d{2}(?:[-_/]?\d{2})?/[^/]+\.s?html?$"),
    re.compile(r"/(?:art|article|content|detail|info|c|a|n)[_-]?\d{4,}\.s?html?$"),
)
_ARTICLE_QUERY_PATH_RE = re.compile(r"(?:detail|content|article|show|view|info)[^/]*$")
_ARTICLE_QUERY_KEYS = {"id", "articleid", "infoid", "docid", "contentid", "aid", "newsid", "artid"}

_PAGE_QUERY_KEYS = {"page", "pageno", "pagenum", "pageindex", "curpage", "p", "pn", "currentpage"}
_INDEX_PAGE_RE = re.compile(r"/(?P<prefix>index|default|list)_(?P<n>\d+)\.(?P<ext>s?html?)$")
_NEXT_TEXTS = ("下一页", "下页", "后一页", "next", "›", "»", ">")

_CREATE_PAGE_RE = re.compile(r"createPageHTML\(\s*['\"]?(\d+)['\"]?\s*,\s*['\"]?(\d+)['\"]?\s*,\s*['\"]([\w-]+)['\"]\s*,\s*['\"](\w+)['\"]")
_COUNT_PAGE_RE = re.compile(r"\bvar\s+countPage\s*=\s*['\"]?(\d+)")
_PREFIX_RE = re.compile(r"\bvar\s+(?:prefix|pagePrefix)\s*=\s*['\"]([\w-]+)['\"]")
_SUFFIX_RE = re.compile(r"\bvar\s+(?:suffix|pageSuffix|pageExt)\s*=\s*['\"]\.?(\w+)['\"]")

_META_CHARSET_RE = re.compile(rb"<meta[^>]+charset\s*=\s*['\"]?\s*([\w-]+)", re.IGNORECASE)
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>")

_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "gb_2312-80": "gb18030", "x-gbk": "gb18030", "csgb2312": "gb18030"}


@dataclass(frozen=True)
class ArticleLink:
    """An article found on a listing: its URL and what the listing says of it."""

    url: str
    title: str = ""
    date: str = ""  # YYYY-MM-DD printed beside the link (or in its URL); "" if none


@dataclass
class ListingPage:
    """What one listing page yields: article links and further listing pages."""

    links: list[ArticleLink] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)  # pagination (or child sitemaps), in page order
    newest_first: bool = True  # listings and feeds are; sitemaps are in no order, so `since` cannot stop a walk


@dataclass(frozen=True)
class PageBytes:
    """A listing page as fetched (or as stored, after a 304)."""

    content: bytes
    final_url: str
    charset: str | None = None
    content_type: str = ""


PageGetter = Callable[[str], PageBytes]


@dataclass
class DiscoveryResult:
    links: list[ArticleLink] = field(default_factory=list)
    pages_fetched: int = 0
    errors: list[str] = field(default_factory=list)  # "URL: reason" for listing pages after the first
    older_skipped: int = 0  # links dropped by `since`


# -- small helpers ---------------------------------------------------------


def _valid_date(y: str, m: str, d: str) -> str:
    try:
        return date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return ""


def find_date(text: str) -> str:
    """The first plausible date in `text` as YYYY-MM-DD, or ""."""
    for match in _DATE_RE.finditer(text):
        found = _valid_date(*match.groups())
        if found:
            return found
    return ""


def date_from_url(url: str) -> str:
    path = urlsplit(url).path
    for regex in _URL_DATE_RES:
        match = regex.search(path)
        if match:
            found = _valid_date(*match.groups())
            if found:
                return found
    return ""


def site_root(host: str) -> str:
    """The registrable part of `host` that defines "the same site"."""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def same_site(url: str, root: str) -> bool:
    """Whether `url` is on the site `root` or one of its subdomains.

    A listing on www.zj.gov.cn may link to fgw.zj.gov.cn, but a listing on
    www.gov.cn admits only gov.cn and www.gov.cn, not every province.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    host = parts.hostname.lower()
    if host.startswith("www."):
        host = host[4:]
    if host == root:
        return True
    if root in _SHARED_SUFFIXES or "." not in root:
        return False
    return host.endswith("." + root)


def looks_like_article(url: str) -> bool:
    """Whether a URL has the shape of an article page rather than navigation."""
    parts = urlsplit(url)
    path = parts.path.lower()
    name = path.rsplit("/", 1)[-1]
    if not name or _LISTING_NAME_RE.match(name):
        return False
    if any(regex.search(path) for regex in _ARTICLE_PATH_RES):
        return True
    if parts.query and _ARTICLE_QUERY_PATH_RE.search(path):
        keys = {k.lower() for k, v in parse_qsl(parts.query) if v.strip().isdigit() or len(v) >= 8}
        return bool(keys & _ARTICLE_QUERY_KEYS)
    return False


def page_number(url: str) -> int:
    """Position of a listing page in its sequence (index.html is 1, index_1.html 2)."""
    parts = urlsplit(url)
    match = _INDEX_PAGE_RE.search(parts.path.lower())
    if match:
        return int(match.group("n")) + 1
    for key, value in parse_qsl(parts.query):
        if key.lower() in _PAGE_QUERY_KEYS and value.isdigit():
            return int(value)
    return 1 if _LISTING_NAME_RE.match(parts.path.rsplit("/", 1)[-1].lower()) or parts.path.endswith("/") else 10**6


def _page_identity(url: str) -> str:
    """index.html and its directory are the same page."""
    cleaned = clean_url(url)
    for name in ("index.html", "index.htm", "index.shtml", "default.htm", "default.html"):
        if cleaned.endswith("/" + name):
            return cleaned[: -len(name)]
    return cleaned


def decode_html(content: bytes, http_charset: str | None = None) -> str:
    """Decode a listing page: header charset, BOM, <meta>, UTF-8, then GB18030.

    Each declared encoding is tried strictly first because sites often
    declare one thing and serve another; GB18030 is the superset of GB2312
    and GBK, so it reads every page labelled with either.
    """
    candidates: list[str] = []
    if http_charset:
        candidates.append(http_charset)
    if content.startswith(b"\xef\xbb\xbf"):
        candidates.append("utf-8-sig")
    meta = _META_CHARSET_RE.search(content[:4096])
    if meta:
        candidates.append(meta.group(1).decode("ascii", "ignore"))
    candidates += ["utf-8", "gb18030"]
    for name in candidates:
        codec = _ALIASES.get(name.strip().lower(), name.strip().lower())
        try:
            return content.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    return content.decode("gb18030", errors="replace")


# -- HTML listings ---------------------------------------------------------


def _date_beside(anchor: lxml.html.HtmlElement, article_hrefs: set[str]) -> str:
    """The date printed next to a link: in the nearest container holding only this article."""
    node = anchor
    for _ in range(4):
        parent = node.getparent()
        if parent is None or parent.tag in ("body", "html"):
            break
        hrefs = {a.get("href") for a in parent.iter("a") if a.get("href") in article_hrefs}
        if len(hrefs) > 1:
            break  # the container holds other rows: their dates are not ours
        texts = parent.xpath(".//text()[not(ancestor::a)]")
        found = find_date(" ".join(str(t) for t in texts))
        if found:
            return found
        node = parent
    return find_date(anchor.text_content())


def _script_pages(html: str, base_url: str) -> list[str]:
    """Pages announced by TRS-style scripts: createPageHTML(count, current, prefix, ext)."""
    count = 0
    prefix, ext = "index", ""
    match = _CREATE_PAGE_RE.search(html)
    if match:
        count, prefix, ext = int(match.group(1)), match.group(3), match.group(4)
    else:
        counted = _COUNT_PAGE_RE.search(html)
        if counted:
            count = int(counted.group(1))
            named = _PREFIX_RE.search(html)
            if named:
                prefix = named.group(1)
            suffixed = _SUFFIX_RE.search(html)
            if suffixed:
                ext = suffixed.group(1)
    if count <= 1:
        return []
    if not ext:
        name = urlsplit(base_url).path.rsplit("/", 1)[-1]
        ext = name.rsplit(".", 1)[-1] if "." in name else "html"
    count = min(count, 10_000)
    return [urljoin(base_url, f"{prefix}.{ext}")] + [urljoin(base_url, f"{prefix}_{i}.{ext}") for i in range(1, count)]


def _is_pagination_link(anchor: lxml.html.HtmlElement, url: str, base_url: str) -> bool:
    text = " ".join(anchor.text_content().split()).lower()
    if "next" in (anchor.get("rel") or "").lower():
        return True
    if any(text == t or (len(t) > 1 and t in text) for t in _NEXT_TEXTS):
        return True
    parts, base = urlsplit(url), urlsplit(base_url)
    if _INDEX_PAGE_RE.search(parts.path.lower()):
        return parts.path.rsplit("/", 1)[0] == base.path.rsplit("/", 1)[0]
    if parts.path == base.path and parts.query:
        return any(k.lower() in _PAGE_QUERY_KEYS and v.isdigit() for k, v in parse_qsl(parts.query))
    return False


def parse_html_listing(content: bytes, base_url: str, charset: str | None = None) -> ListingPage:
    html = _XML_DECL_RE.sub("", decode_html(content, charset), count=1)
    try:
        doc = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return ListingPage()
    base_tag = doc.find(".//base[@href]")
    base = urljoin(base_url, base_tag.get("href", "")) if base_tag is not None else base_url
    root = site_root(urlsplit(base_url).hostname or "")

    anchors: list[tuple[lxml.html.HtmlElement, str]] = []
    for anchor in doc.iter("a"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
            continue
        try:
            url = clean_url(urljoin(base, href))
        except ValueError:
            continue
        if same_site(url, root):
            anchors.append((anchor, url))

    article_hrefs = {a.get("href") for a, url in anchors if looks_like_article(url)}
    page = ListingPage()
    seen: set[str] = set()
    for anchor, url in anchors:
        if looks_like_article(url):
            if url in seen:
                continue
            seen.add(url)
            title = (anchor.get("title") or " ".join(anchor.text_content().split())).strip()
            when = _date_beside(anchor, {h for h in article_hrefs if h}) or date_from_url(url)
            page.links.append(ArticleLink(url, title, when))
        elif _is_pagination_link(anchor, url, base_url):
            page.pages.append(url)
    page.pages += _script_pages(html, base_url)
    return page


# -- sitemaps and feeds ----------------------------------------------------


def _local(tag: object) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _child_text(node: etree._Element, name: str) -> str:
    for child in node:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def _feed_date(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    found = find_date(value)
    if found:
        return found
    try:
        return email.utils.parsedate_to_datetime(value).date().isoformat()  # RFC 822, as RSS writes
    except (TypeError, ValueError, IndexError):
        return ""


def parse_xml_listing(content: bytes, base_url: str) -> ListingPage | None:
    """Links from a sitemap, sitemap index, RSS or Atom feed; None if it is none of them."""
    if content[:2] == b"\x1f\x8b":
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(content)) as handle:
                content = handle.read(50 * 1024 * 1024)
        except (OSError, EOFError):
            return None
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError:
        return None
    if root is None:
        return None
    kind = _local(root.tag)
    site = site_root(urlsplit(base_url).hostname or "")
    page = ListingPage(newest_first=kind not in ("urlset", "sitemapindex"))

    def add(link: str, title: str, when: str) -> None:
        url = clean_url(urljoin(base_url, link.strip()))
        name = urlsplit(url).path.rsplit("/", 1)[-1].lower()
        if same_site(url, site) and name and not _LISTING_NAME_RE.match(name):
            page.links.append(ArticleLink(url, title, when or date_from_url(url)))

    if kind == "urlset":
        for node in root:
            if _local(node.tag) == "url" and _child_text(node, "loc"):
                add(_child_text(node, "loc"), "", _feed_date(_child_text(node, "lastmod")))
    elif kind == "sitemapindex":
        for node in root:
            loc = _child_text(node, "loc")
            if _local(node.tag) == "sitemap" and loc:
                sitemap = clean_url(urljoin(base_url, loc))
                if same_site(sitemap, site):
                    page.pages.append(sitemap)
    elif kind in ("rss", "rdf"):
        for item in root.iter():
            if _local(item.tag) == "item" and _child_text(item, "link"):
                when = _child_text(item, "pubdate") or _child_text(item, "date")
                add(_child_text(item, "link"), _child_text(item, "title"), _feed_date(when))
    elif kind == "feed":
        for entry in root:
            if _local(entry.tag) != "entry":
                continue
            href = ""
            for child in entry:
                if _local(child.tag) == "link" and child.get("rel", "alternate") == "alternate":
                    href = child.get("href", "")
                    break
            if href:
                when = _child_text(entry, "published") or _child_text(entry, "updated")
                add(href, _child_text(entry, "title"), _feed_date(when))
    else:
        return None
    return page


def parse_listing(content: bytes, base_url: str, charset: str | None = None, content_type: str = "") -> ListingPage:
    """Parse any listing: XML (sitemap, RSS, Atom) when it is one, else HTML."""
    head = content[:512].lstrip()
    if "xml" in content_type or head.startswith(b"<?xml") or content[:2] == b"\x1f\x8b":
        parsed = parse_xml_listing(content, base_url)
        if parsed is not None:
            return parsed
    return parse_html_listing(content, base_url, charset)


_LISTING_TYPES = ("text/plain", "application/x-gzip", "application/gzip")


def accept_listing(media: str) -> str | None:
    """The media types a listing may have: HTML, XML feeds and sitemaps (maybe gzipped)."""
    if not media or "html" in media or "xml" in media or media in _LISTING_TYPES:
        return None
    return f"not a listing: {media}"


# -- crawling --------------------------------------------------------------


def plain_getter(client: PoliteClient) -> PageGetter:
    """Fetch listing pages with no store: every request unconditional."""

    def get(url: str) -> PageBytes:
        resp = client.get(url, accept=accept_listing)
        if resp.status_code != 200:
            raise FetchError(f"HTTP {resp.status_code}", status_code=resp.status_code, final_url=resp.final_url)
        return PageBytes(resp.content, resp.final_url, resp.charset, resp.content_type)

    return get


def _parse_since(since: date | str | None) -> str:
    if since is None or since == "":
        return ""
    if isinstance(since, date):
        return since.isoformat()
    try:
        return date.fromisoformat(since).isoformat()
    except ValueError:
        raise ValueError(f"since must be YYYY-MM-DD, not {since!r}") from None


def crawl_listing(
    client: PoliteClient,
    listing_url: str,
    pages: int | None = None,
    since: date | str | None = None,
    *,
    on_page: Callable[[str, int], None] | None = None,
    get_page: PageGetter | None = None,
) -> DiscoveryResult:
    """Walk a listing and its pagination (at most `pages` pages), collecting article links.

    Links dated before `since` are dropped; links with no date anywhere are
    kept, because missing a release is worse than one extra polite request.
    Listings run newest first, so a page whose dated links are all older than
    `since` ends the walk. A failure on the first page raises FetchError;
    later pages' failures are collected in `errors` and the walk goes on.
    `get_page` fetches one page (default: plainly through `client`); the
    Fetcher passes one that makes the request conditional on a stored copy.
    """
    get = get_page or plain_getter(client)
    limit = client.config.max_listing_pages if pages is None else pages
    cutoff = _parse_since(since)
    result = DiscoveryResult()
    try:
        start = clean_url(listing_url)
    except ValueError:
        raise FetchError("invalid URL", final_url=listing_url) from None
    root = site_root(urlsplit(start).hostname or "")
    queue: list[str] = [start]
    known = {_page_identity(start)}
    found: dict[str, ArticleLink] = {}
    while queue and result.pages_fetched < limit:
        url = queue.pop(0)
        first = result.pages_fetched == 0
        result.pages_fetched += 1
        try:
            resp = get(url)
        except FetchError as exc:
            if first:
                raise
            result.errors.append(f"{url}: {exc.reason}")
            log.warning("listing page %s: %s", url, exc.reason)
            continue
        known.add(_page_identity(resp.final_url))
        page = parse_listing(resp.content, resp.final_url, resp.charset, resp.content_type)
        for candidate in page.pages:
            ident = _page_identity(candidate)
            if ident not in known and same_site(candidate, root):
                known.add(ident)
                queue.append(candidate)
        queue.sort(key=page_number)  # stable: ties keep discovery order
        dated = old = 0
        for link in page.links:
            if link.date:
                dated += 1
            if cutoff and link.date and link.date < cutoff:
                old += 1
                result.older_skipped += 1
                continue
            found.setdefault(link.url, link)
        if on_page is not None:
            on_page(url, result.pages_fetched)
        if cutoff and page.newest_first and dated and old == dated:
            break
    result.links = list(found.values())
    return result
