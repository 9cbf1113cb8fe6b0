"""`make bench`: time per document, against lxml parsing alone, measured in the same run.

The machine is shared and noisy, so figures are medians over repetitions and
are quoted as ratios against a baseline measured alongside: lxml.html parsing
the same bytes. The stage breakdown (extract, structure, responsibilities and
targets) says where the time goes.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.process import structure_page
from pipeline.records import RawDocument
from pipeline.rules import Rules, load_rules


def clear_caches() -> None:
    """Forget memoised normalisations and tokenisations, so that every repetition does the full work."""
    from pipeline.textnorm import normalize
    from pipeline.tokenize import Tokenizer

    normalize.cache_clear()
    Tokenizer._tokens.cache_clear()
    Tokenizer._action_spans.cache_clear()


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        clear_caches()
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def bench_page(raw: bytes, rules: Rules, repeat: int) -> dict[str, float]:
    import lxml.html

    from pipeline.extract import extract_page
    from pipeline.process import _parsers, process

    resp, targ = _parsers(rules)
    page = extract_page(raw, rules=rules.extract)
    items, _ = structure_page("bench", page.body, page.tables, rules)
    for item in items:
        resp.parse_item(item)
    return {
        "lxml": _median_ms(lambda: lxml.html.fromstring(raw), repeat),
        "extract": _median_ms(lambda: extract_page(raw, rules=rules.extract), repeat),
        "structure": _median_ms(lambda: structure_page("bench", page.body, page.tables, rules), repeat),
        "responsibilities": _median_ms(lambda: [resp.parse_item(i) for i in items], repeat),
        "targets": _median_ms(lambda: [targ.extract(i.item_id, i.text) for i in items], repeat),
        "total": _median_ms(lambda: process(RawDocument("bench", raw), rules), repeat),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", default="corpus/pages")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    rules = load_rules()
    pages = sorted(Path(args.corpus).glob("*.html"))
    # warm up: first use loads jieba's dictionary and spaCy
    from pipeline.process import process

    process(RawDocument("warm-up", pages[0].read_bytes()), rules)
    rows = []
    for page in pages:
        rows.append((page.name, bench_page(page.read_bytes(), rules, args.repeat)))
    cols = ["lxml", "extract", "structure", "responsibilities", "targets", "total"]
    print(f"{'page':<44}" + "".join(f"{c[:10]:>11}" for c in cols) + f"{'total/lxml':>12}")
    for name, row in rows:
        print(f"{name[:43]:<44}" + "".join(f"{row[c]:>11.2f}" for c in cols) + f"{row['total'] / row['lxml']:>12.1f}")
    med = {c: statistics.median(r[c] for _, r in rows) for c in cols}
    print(f"{'median (ms)':<44}" + "".join(f"{med[c]:>11.2f}" for c in cols) + f"{med['total'] / med['lxml']:>12.1f}")
    print(
        f"\nper document (median over {len(rows)} pages, {args.repeat} repetitions each): "
        f"the whole pipeline takes {med['total'] / med['lxml']:.1f}x the time of lxml parsing alone; "
        f"the targets stage adds {med['targets']:.2f} ms ({med['targets'] / med['lxml']:.1f}x lxml)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
