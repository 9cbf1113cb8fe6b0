"""Benchmark: our extractor beside trafilatura and GNE on every corpus page with body gold.

    python -m pipeline.extract.bench [--corpus corpus] [--repeat 5]

Prints one table: body lines kept (% of must_contain found, each within one
body line), boilerplate lines leaked (must_not_contain found anywhere in the
body), metadata fields right (% of the fields the gold gives), and
milliseconds per page (mean over pages of the median of --repeat timed runs,
after one untimed warm-up, all in this one process). trafilatura and gne are
benchmark-only extras, imported here and nowhere else.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.extract.dates import parse_date
from pipeline.extract.dom import compact

META_FIELDS = ("title", "publish_date", "issuer", "doc_number", "written_date", "site_name")
DATE_FIELDS = ("publish_date", "written_date")


@dataclass
class PageGold:
    """One corpus page with body gold: where it is and what a reader finds on it."""

    path: Path
    metadata: dict[str, str]
    body: dict[str, Any]


@dataclass
class Result:
    """What one extractor returned for one page, in a common shape."""

    body: str = ""
    meta: dict[str, str] = field(default_factory=dict)


@dataclass
class Score:
    kept: int = 0
    wanted: int = 0
    leaked: int = 0
    meta_right: int = 0
    meta_total: int = 0
    times_ms: list[float] = field(default_factory=list)
    failures: int = 0


def load_gold(corpus: Path) -> list[PageGold]:
    """Every page of every gold file that has body gold and whose HTML is in corpus/pages."""
    pages: list[PageGold] = []
    for gold_file in sorted((corpus / "gold").glob("*.yaml")):
        doc = yaml.safe_load(gold_file.read_text(encoding="utf-8")) or {}
        for entry in doc.get("pages") or []:
            path = corpus / "pages" / str(entry.get("page", ""))
            if entry.get("body") and path.is_file():
                metadata = {k: "" if v is None else str(v) for k, v in (entry.get("metadata") or {}).items()}
                pages.append(PageGold(path, metadata, entry["body"]))
    return pages


def lines_kept(body: str, wanted: list[str]) -> list[str]:
    """The must_contain entries missing from the body; each must sit within one line (spaces ignored)."""
    lines = [compact(line) for line in body.splitlines()]
    return [w for w in wanted if not any(compact(str(w)) in line for line in lines)]


def lines_leaked(body: str, unwanted: list[str]) -> list[str]:
    """The must_not_contain entries found anywhere in the body (spaces ignored)."""
    flat = compact(body)
    return [u for u in unwanted if compact(str(u)) in flat]


def meta_right(meta: dict[str, str], gold: dict[str, str]) -> tuple[int, int, list[str]]:
    """(right, total, wrong field names) over the fields the gold gives."""
    right, wrong = 0, []
    fields = [f for f in META_FIELDS if f in gold]
    for name in fields:
        got = meta.get(name, "") or ""
        if name in DATE_FIELDS:
            got = parse_date(got) or got
        if compact(got) == compact(gold[name]):
            right += 1
        else:
            wrong.append(name)
    return right, len(fields), wrong


def run_ours() -> Callable[[bytes, str], Result]:
    from pipeline.extract import extract_page

    def run(raw: bytes, source: str) -> Result:
        page = extract_page(raw, source=source)
        return Result(page.body, {f: getattr(page, f) for f in META_FIELDS})

    return run


def _text_for_others(raw: bytes) -> str:
    """Competitors get text decoded by our decoder, so that they are judged on extraction alone."""
    from pipeline.extract.decode import decode_html

    return decode_html(raw).text


def run_trafilatura() -> Callable[[bytes, str], Result]:
    import trafilatura

    def run(raw: bytes, source: str) -> Result:
        doc = trafilatura.bare_extraction(_text_for_others(raw), with_metadata=True, include_tables=True)
        if doc is None:
            return Result()
        get = doc.get if isinstance(doc, dict) else lambda k, d=None: getattr(doc, k, d)
        meta = {
            "title": get("title") or "",
            "publish_date": get("date") or "",
            "issuer": get("author") or "",
            "site_name": get("sitename") or "",
        }
        return Result(get("text") or "", meta)

    return run


def run_gne() -> Callable[[bytes, str], Result]:
    from gne import GeneralNewsExtractor

    extractor = GeneralNewsExtractor()

    def run(raw: bytes, source: str) -> Result:
        out = extractor.extract(_text_for_others(raw))
        meta = {
            "title": out.get("title") or "",
            "publish_date": out.get("publish_time") or "",
            "issuer": out.get("author") or "",
        }
        return Result(out.get("content") or "", meta)

    return run


def measure(run: Callable[[bytes, str], Result], page: PageGold, repeat: int, score: Score, verbose: bool, name: str) -> None:
    """Score one page for one extractor: quality once, then `repeat` timed runs."""
    raw = page.path.read_bytes()
    try:
        result = run(raw, str(page.path))
    except Exception as exc:  # a competitor's crash counts against it, it must not stop the table
        score.failures += 1
        result = Result()
        if verbose:
            print(f"  {name} failed on {page.path.name}: {exc}", file=sys.stderr)
    wanted = [str(w) for w in page.body.get("must_contain") or []]
    unwanted = [str(u) for u in page.body.get("must_not_contain") or []]
    missing = lines_kept(result.body, wanted)
    leaked = lines_leaked(result.body, unwanted)
    right, total, wrong = meta_right(result.meta, page.metadata)
    score.kept += len(wanted) - len(missing)
    score.wanted += len(wanted)
    score.leaked += len(leaked)
    score.meta_right += right
    score.meta_total += total
    if verbose and (missing or leaked or wrong):
        print(f"  {name} {page.path.name}: missing={missing} leaked={leaked} wrong={wrong}", file=sys.stderr)
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        try:
            run(raw, str(page.path))
        except Exception:  # already counted above
            pass
        timings.append((time.perf_counter() - start) * 1000)
    score.times_ms.append(statistics.median(timings))


def table(scores: dict[str, Score], pages: int) -> str:
    """The one table the issue asks for."""
    header = f"{'extractor':<12} {'body lines kept':>16} {'boilerplate leaked':>19} {'metadata right':>15} {'ms/page':>9}"
    rows = [f"pages with body gold: {pages}", header, "-" * len(header)]
    for name, s in scores.items():
        kept = f"{100 * s.kept / s.wanted:.1f}% ({s.kept}/{s.wanted})" if s.wanted else "-"
        meta = f"{100 * s.meta_right / s.meta_total:.1f}%" if s.meta_total else "-"
        ms = f"{statistics.mean(s.times_ms):.1f}" if s.times_ms else "-"
        rows.append(f"{name:<12} {kept:>16} {s.leaked:>19} {meta:>15} {ms:>9}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[2] / "corpus")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per page and extractor (median taken)")
    parser.add_argument("--verbose", action="store_true", help="list every miss, leak and wrong field on stderr")
    args = parser.parse_args(argv)
    pages = load_gold(args.corpus)
    if not pages:
        print(f"no pages with body gold under {args.corpus}", file=sys.stderr)
        return 1
    runners: dict[str, Callable[[], Callable[[bytes, str], Result]]] = {
        "ours": run_ours,
        "trafilatura": run_trafilatura,
        "gne": run_gne,
    }
    scores: dict[str, Score] = {}
    for name, make in runners.items():
        try:
            run = make()
        except ImportError as exc:
            print(f"{name}: not installed ({exc}); skipped", file=sys.stderr)
            continue
        score = scores.setdefault(name, Score())
        for page in pages:
            measure(run, page, args.repeat, score, args.verbose, name)
    print(table(scores, len(pages)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
