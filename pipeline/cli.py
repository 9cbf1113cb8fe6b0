"""Command line: `python -m pipeline run INPUT... [--out DIR]` and `python -m pipeline evaluate`.

Only argparse is imported at module level: `--help` must answer at once,
so spaCy, jieba, lxml and pandas are imported by the commands that use them.
Exit status: 0 when the run completed (even with some documents failed),
1 when no document could be processed, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_NOTHING, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="policy-pipeline",
        description="Turn Chinese government policy documents (HTML) into tidy tables of items, responsible units and quantitative targets.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="process files, folders or URLs into CSV tables", description="Process documents into CSV tables.")
    run.add_argument(
        "inputs",
        nargs="*",
        metavar="INPUT",
        help="an HTML file, a folder (searched for .html .htm .shtml) or an http(s) URL",
    )
    run.add_argument("--out", default="outputs", metavar="DIR", help="output folder (default: outputs)")
    run.add_argument("--rules", default=None, metavar="DIR", help="rules folder (default: the project's rules/)")
    run.add_argument("--workers", type=int, default=1, metavar="N", help="parse in N processes (default 1)")
    run.add_argument("--force", action="store_true", help="parse every document again, even if unchanged")
    run.add_argument(
        "--listing",
        action="append",
        default=[],
        metavar="URL",
        help="a listing page, sitemap or feed whose article links are fetched",
    )
    run.add_argument("--pages", type=int, default=None, metavar="N", help="follow at most N listing pages")
    run.add_argument("--since", default=None, metavar="YYYY-MM-DD", help="only articles listed on or after this date")
    run.add_argument("--from-store", action="store_true", help="re-parse every page in the output folder's raw store, offline")
    run.add_argument("--refresh", action="store_true", help="fetch URLs already in the store again (conditional requests)")
    run.add_argument("--user-agent", default=None, help="User-Agent for fetching (include a contact URL)")
    run.add_argument(
        "--delay",
        type=float,
        default=None,
        metavar="SECONDS",
        help="minimum delay between requests to one host (default 1.0)",
    )
    run.add_argument("--timeout", type=float, default=None, metavar="SECONDS", help="read timeout per request (default 30)")
    run.add_argument("--retries", type=int, default=None, metavar="N", help="retries after a failed request (default 3)")

    ev = sub.add_parser(
        "evaluate",
        help="score the pipeline against the annotated corpus",
        description="Precision, recall and F1 per field against corpus/gold.",
    )
    ev.add_argument("--corpus", default="corpus", metavar="DIR", help="corpus folder with pages/ and gold/ (default: corpus)")
    ev.add_argument("--rules", default=None, metavar="DIR")
    ev.add_argument(
        "--floors",
        default="tests/quality_floors.json",
        metavar="FILE",
        help="floors to check (default: tests/quality_floors.json)",
    )
    ev.add_argument("--details", action="store_true", help="list every miss and every extra per document")
    ev.add_argument("--json", dest="json_out", default=None, metavar="FILE", help="also write the figures as JSON")
    return parser


def _usage_error(parser: argparse.ArgumentParser, message: str) -> int:
    parser.print_usage(sys.stderr)
    print(f"policy-pipeline: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def cmd_run(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if not args.inputs and not args.listing and not args.from_store:
        return _usage_error(parser, "run needs at least one INPUT, --listing URL or --from-store")
    if args.workers < 1:
        return _usage_error(parser, "--workers must be at least 1")
    for name in ("delay", "timeout"):
        value = getattr(args, name)
        if value is not None and value < 0:
            return _usage_error(parser, f"--{name} must not be negative")
    if args.retries is not None and args.retries < 0:
        return _usage_error(parser, "--retries must not be negative")
    if args.since is not None:
        import re

        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", args.since):
            return _usage_error(parser, f"--since must be YYYY-MM-DD, not {args.since!r}")
    from pipeline.records import Failure
    from pipeline.rules import load_rules
    from pipeline.rulesio import RulesError
    from pipeline.runner import RunSummary, expand_inputs, progress_bar, read_files, run_batch

    try:
        rules = load_rules(args.rules)
    except RulesError as exc:
        print(f"policy-pipeline: bad rules: {exc}", file=sys.stderr)
        return EXIT_USAGE
    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"policy-pipeline: cannot create output folder {out}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    files, urls, missing = expand_inputs(args.inputs)
    for m in missing:
        print(f"policy-pipeline: {m}: no such file or directory (skipped)", file=sys.stderr)
    failures: list[Failure] = []
    summary = RunSummary(missing=missing)
    raws = list(read_files(files, failures))
    if urls or args.listing or args.from_store:
        from pipeline.webinputs import gather_web

        raws.extend(gather_web(urls, args, out, failures, summary))
    advance, stop = progress_bar(len(raws))
    try:
        summary = run_batch(
            raws,
            rules,
            out,
            workers=args.workers,
            force=args.force,
            pre_failures=failures,
            progress=advance,
            summary=summary,
        )
    except KeyboardInterrupt:
        stop()
        print("policy-pipeline: interrupted; documents finished so far are kept, run again to complete", file=sys.stderr)
        return 130
    finally:
        stop()
    for line in summary.lines():
        print(line, file=sys.stderr)
    print(f"outputs written to {out}/", file=sys.stderr)
    if summary.inputs == 0 and not missing and not failures:
        print("policy-pipeline: no HTML documents found in the inputs", file=sys.stderr)
        return EXIT_NOTHING
    if summary.processed + summary.unchanged == 0:
        return EXIT_NOTHING
    return EXIT_OK


def cmd_evaluate(args: argparse.Namespace) -> int:
    from pipeline.evaluate import main as evaluate_main

    return evaluate_main(Path(args.corpus), args.rules, Path(args.floors), details=args.details, json_out=args.json_out)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.command == "run":
        return cmd_run(args, parser)
    if args.command == "evaluate":
        return cmd_evaluate(args)
    parser.print_help(sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
