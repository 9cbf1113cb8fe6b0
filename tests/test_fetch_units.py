"""Pure parts of the fetcher, without a network: robots.txt, headers, listings, the store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipeline.fetch import FetchConfig, FetchOutcome, FetchSummary, ManifestRow, Store
from pipeline.fetch.discover import (
    decode_html,
    find_date,
    looks_like_article,
    page_number,
    parse_html_listing,
    parse_listing,
    same_site,
    site_root,
)
from pipeline.fetch.http import clean_url, parse_content_type, parse_retry_after
from pipeline.fetch.robots import RobotsRules
from pipeline.fetch.store import TEMP_PREFIX, sha256_hex

# -- robots.txt -------------------------------------------------------------

ROBOTS = """\ufeff# comment
User-agent: *
Disallow: /private/
Allow: /private/ok
Disallow: /*.pdf$
Disallow: /search?
Crawl-delay: 2

User-agent: Policy-Pipeline
User-agent: other
Disallow: /only-for-us/
Crawl-delay: 5

Sitemap: https://example.gov.cn/sitemap.xml
"""


def test_robots_star_group_longest_match_and_wildcards() -> None:
    rules = RobotsRules.parse(ROBOTS, "somebot")
    assert rules.crawl_delay == 2
    assert not rules.allowed("https://example.gov.cn/private/x.html")
    assert rules.allowed("https://example.gov.cn/private/ok.html")  # longer Allow wins
    assert not rules.allowed("https://example.gov.cn/files/a.pdf")
    assert rules.allowed("https://example.gov.cn/files/a.pdf.html")  # $ anchors the end
    assert not rules.allowed("https://example.gov.cn/search?q=1")
    assert rules.allowed("https://example.gov.cn/search")
    assert rules.allowed("https://example.gov.cn/robots.txt")
    assert rules.sitemaps == ("https://example.gov.cn/sitemap.xml",)


def test_robots_our_group_wins_and_matches_case_insensitively() -> None:
    rules = RobotsRules.parse(ROBOTS, "policy-pipeline")
    assert rules.crawl_delay == 5
    assert rules.allowed("https://example.gov.cn/private/x.html")  # the * group does not apply
    assert not rules.allowed("https://example.gov.cn/only-for-us/a")


def test_robots_edge_cases() -> None:
    assert RobotsRules.parse("User-agent: *\nDisallow:\n", "x").allowed("http://h/anything")
    assert RobotsRules.parse("", "x").allowed("http://h/anything")
    assert RobotsRules.parse("Disallow: /\n", "x").allowed("http://h/a")  # rule outside any group
    tie = RobotsRules.parse("User-agent: *\nDisallow: /a\nAllow: /a\n", "x")
    assert tie.allowed("http://h/a")  # equal length: Allow wins
    encoded = RobotsRules.parse("User-agent: *\nDisallow: /政策/\n", "x")
    assert not encoded.allowed("http://h/%E6%94%BF%E7%AD%96/1.html")
    assert RobotsRules.parse("User-agent: *\nCrawl-delay: soon\n", "x").crawl_delay is None
    assert not RobotsRules.deny_all().allowed("http://h/a")
    assert RobotsRules.deny_all().allowed("http://h/robots.txt")


# -- headers and URLs -------------------------------------------------------


def test_content_type_and_retry_after() -> None:
    assert parse_content_type('text/html; charset="GBK"') == ("text/html", "GBK")
    assert parse_content_type("Application/PDF") == ("application/pdf", None)
    assert parse_content_type(None) == ("", None)
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("-5") == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
    now = datetime(2021, 11, 12, 8, 0, 0, tzinfo=UTC)
    assert parse_retry_after("Fri, 12 Nov 2021 08:00:30 GMT", now) == 30.0
    assert parse_retry_after("Fri, 12 Nov 2021 07:00:00 GMT", now) == 0.0


def test_clean_url_and_config() -> None:
    assert clean_url(" HTTP://Example.GOV.cn/a.html?x=1#top ") == "http://example.gov.cn/a.html?x=1"
    assert clean_url("http://example.gov.cn") == "http://example.gov.cn/"
    agent = FetchConfig(contact_url="https://example.org/contact").effective_user_agent()
    assert agent.startswith("policy-pipeline/") and "+https://example.org/contact" in agent
    assert FetchConfig(user_agent="mybot/1 (+mailto:me@example.org)").effective_user_agent().startswith("mybot/1")
    with pytest.raises(ValueError, match="min_delay"):
        FetchConfig(min_delay=-1)


# -- listings ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "article"),
    [
        ("http://h.gov.cn/zwgk/202111/t20211112_123456.html", True),
        ("http://h.gov.cn/art/2021/11/12/art_123_456.html", True),
        ("http://www.gov.cn/zhengce/content/2021-11/12/content_5650001.htm", True),
        ("http://h.gov.cn/xxgk/notice.shtml", True),
        ("http://h.gov.cn/news/detail.jsp?id=12345", True),
        ("http://h.gov.cn/zwgk/index_2.html", False),
        ("http://h.gov.cn/zwgk/index.shtml", False),
        ("http://h.gov.cn/zwgk/", False),
        ("http://h.gov.cn/about.html", False),
        ("http://h.gov.cn/news/detail.jsp?lang=zh", False),
    ],
)
def test_article_shapes(url: str, article: bool) -> None:
    assert looks_like_article(url) is article


def test_same_site() -> None:
    assert site_root("www.zj.gov.cn") == "zj.gov.cn"
    assert same_site("http://fgw.zj.gov.cn/a.html", "zj.gov.cn")
    assert same_site("https://www.zj.gov.cn/a.html", "zj.gov.cn")
    assert not same_site("http://www.js.gov.cn/a.html", "zj.gov.cn")
    assert not same_site("http://www.zj.gov.cn.evil.com/a.html", "zj.gov.cn")
    assert same_site("http://www.gov.cn/a.html", site_root("www.gov.cn"))
    assert not same_site("http://www.zj.gov.cn/a.html", site_root("www.gov.cn"))  # not every province
    assert not same_site("ftp://www.zj.gov.cn/a.html", "zj.gov.cn")


def test_dates_and_page_numbers() -> None:
    assert find_date("发布时间：2021年11月2日 09:30") == "2021-11-02"
    assert find_date("[2021.09.01]") == "2021-09-01"
    assert find_date("2021年工作要点") == ""
    assert find_date("2021-13-45 then 2021-02-03") == "2021-02-03"
    assert page_number("http://h/list/index.html") == 1
    assert page_number("http://h/list/index_3.html") == 4
    assert page_number("http://h/list/list.jsp?page=7") == 7


def test_count_page_variable_and_gbk_listing() -> None:
    html = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head><body>
    <div><a href="t20211112_1.html">关于开展检查的通知</a> 2021-11-12</div>
    <div><a href="t20211001_2.html">第二篇</a> 2021-10-01</div>
    <script>var countPage = 4; var prefix = "index"; var suffix = "shtml";</script></body></html>"""
    page = parse_html_listing(html.encode("gbk"), "http://h.gov.cn/zwgk/index.shtml")
    assert [(link.title, link.date) for link in page.links] == [
        ("关于开展检查的通知", "2021-11-12"),
        ("第二篇", "2021-10-01"),
    ]
    assert page.pages == [
        "http://h.gov.cn/zwgk/index.shtml",
        "http://h.gov.cn/zwgk/index_1.shtml",
        "http://h.gov.cn/zwgk/index_2.shtml",
        "http://h.gov.cn/zwgk/index_3.shtml",
    ]


def test_dates_of_other_rows_are_not_borrowed() -> None:
    html = """<ul><li><a href="/a/t20211112_1.html">一</a><span>2021-11-12</span></li>
    <li><a href="/a/notice-2.shtml">二</a></li></ul>"""
    links = parse_html_listing(html.encode(), "http://h.gov.cn/a/").links
    assert [(link.date) for link in links] == ["2021-11-12", ""]


def test_decode_html_falls_back_when_the_declaration_lies() -> None:
    text = "<html><head><meta charset='utf-8'></head><body>关于开展安全生产检查的通知</body></html>"
    assert "关于开展安全生产检查的通知" in decode_html(text.encode("gbk"), "utf-8")
    assert "关于开展安全生产检查的通知" in decode_html(text.encode("utf-8"), None)


def test_xml_listing_with_unsafe_entities_is_parsed_safely() -> None:
    xml = b"""<?xml version="1.0"?>
    <!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
    <rss><channel><item><title>&x;</title><link>http://h.gov.cn/a/t20211112_1.html</link></item></channel></rss>"""
    page = parse_listing(xml, "http://h.gov.cn/rss.xml", content_type="application/rss+xml")
    assert [link.url for link in page.links] == ["http://h.gov.cn/a/t20211112_1.html"]
    assert "root:" not in page.links[0].title


# -- store ------------------------------------------------------------------


def test_store_writes_blobs_once_and_atomically(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        digest = store.put_blob(b"<html>one</html>")
        assert store.put_blob(b"<html>one</html>") == digest == sha256_hex(b"<html>one</html>")
        assert store.blob_path(digest) == tmp_path / "raw" / digest[:2] / digest
        store.put(ManifestRow(url="http://h/a", status="fetched", sha256=digest))
        with pytest.raises(ValueError, match="missing"):
            store.put(ManifestRow(url="http://h/b", status="fetched", sha256="0" * 64))
        assert store.check() == []
        assert store.get("http://h/b") is None
    # A partial file left by a killed writer is reported, then swept by the next writer.
    partial = tmp_path / "raw" / digest[:2] / f"{TEMP_PREFIX}abc"
    partial.write_bytes(b"<ht")
    with Store(tmp_path, readonly=True) as reader:
        assert reader.check() == [f"partial file {partial}"]
    with Store(tmp_path) as store:
        assert store.check() == []
        store.blob_path(digest).write_bytes(b"tampered")
        assert store.check() == [f"http://h/a: blob {digest} does not match its hash"]


def test_summary_counts_by_status_and_reason() -> None:
    summary = FetchSummary()
    for status, reason in [("fetched", ""), ("failed", "HTTP 404"), ("failed", "HTTP 404"), ("cached", "")]:
        summary.add(FetchOutcome("http://h/", status, reason))  # type: ignore[arg-type]
    assert (summary.fetched, summary.cached, summary.failed_total, summary.total) == (1, 1, 2, 4)
    assert str(summary).splitlines()[-1] == "  HTTP 404: 2"


def test_sitemap_index_lists_child_sitemaps_and_is_not_date_ordered() -> None:
    xml = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <sitemap><loc>http://www.h.gov.cn/sitemap-1.xml</loc></sitemap>
    <sitemap><loc>http://elsewhere.org/sitemap.xml</loc></sitemap></sitemapindex>"""
    page = parse_listing(xml, "http://www.h.gov.cn/sitemap.xml")
    assert page.pages == ["http://www.h.gov.cn/sitemap-1.xml"] and not page.newest_first
