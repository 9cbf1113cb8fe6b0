"""Evaluate: precision, recall and F1 per field against the annotated corpus.

The gold (corpus/gold/*.yaml, format in corpus/README.md) is matched against
what `process` gives for each page. Matching is on normalised text (folded
full-width forms, no white space), so a page with full-width brackets and a
page with ASCII ones are held to the same gold. Floors pinned in
tests/quality_floors.json make a regression fail the tests.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.process import DocumentError, process
from pipeline.records import DocumentResult, RawDocument
from pipeline.rules import Rules, load_rules
from pipeline.textnorm import compact
from pipeline.units import is_collective

FIELDS = ("items", "units_role", "units_etc", "units_clause", "targets_vuc", "targets_indicator", "metadata")
META_FIELDS = ("title", "publish_date", "issuer", "doc_number", "written_date", "site_name")


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, other: Score) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class PageReport:
    page: str
    form: str
    scores: dict[str, Score] = field(default_factory=dict)
    missed: dict[str, list[str]] = field(default_factory=dict)
    extra: dict[str, list[str]] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    error: str = ""


def _match(gold: Iterable[Hashable], pred: Iterable[Hashable]) -> tuple[Score, list[str], list[str]]:
    g, p = Counter(gold), Counter(pred)
    common = g & p
    missed = g - p
    extra = p - g
    score = Score(sum(common.values()), sum(extra.values()), sum(missed.values()))
    return score, [str(k) for k in missed.elements()], [str(k) for k in extra.elements()]


def _num(value: Any) -> str:
    if value is None or value == "":
        return ""
    number = float(value)
    return f"{number:.6g}" if abs(number) < 1e15 else f"{number:.15g}"


def _alts(value: Any) -> list[str]:
    if value is None:
        return [""]
    if isinstance(value, list):
        return [compact(str(v)) for v in value]
    return [compact(str(value))]


def score_page(gold: dict[str, Any], page_gold: dict[str, Any], result: DocumentResult) -> PageReport:
    report = PageReport(page=page_gold["page"], form=str(gold.get("form", "")))
    gold_items = gold.get("items") or []

    # items: the path must exist and the text must start as the gold says
    g_items = [str(i["path"]) for i in gold_items]
    p_items = []
    for item in result.items:
        gi = next((g for g in gold_items if str(g["path"]) == item.path), None)
        if gi is None or compact(item.text).startswith(compact(str(gi.get("start", "")))):
            p_items.append(item.path)
        else:
            p_items.append(f"{item.path} (text starts {item.text[:12]!r})")
    _set(report, "items", *_match(g_items, p_items))

    # units with role; etc flags
    g_units, g_etc, p_units, p_etc = [], [], [], []
    for gi in gold_items:
        for u in gi.get("units") or []:
            g_units.append((str(gi["path"]), compact(u["unit"]), u["role"]))
            g_etc.append((str(gi["path"]), compact(u["unit"]), bool(u.get("etc", False))))
    path_of = {i.item_id: i.path for i in result.items}
    for r in result.responsibilities:
        p_units.append((path_of[r.item_id], compact(r.unit), r.role))
        p_etc.append((path_of[r.item_id], compact(r.unit), r.etc))
    _set(report, "units_role", *_match(g_units, p_units))
    _set(report, "units_etc", *_match(g_etc, p_etc))

    # clause and deadline, where the gold gives them (multi-clause items, 完成时限 lines, task tables)
    g_clause, keyed = [], set()
    for gi in gold_items:
        for u in gi.get("units") or []:
            if "clause" in u or "deadline" in u:
                keyed.add((str(gi["path"]), compact(u["unit"])))
                g_clause.append((str(gi["path"]), compact(u["unit"]), int(u.get("clause", 1)), compact(str(u.get("deadline", "") or ""))))
    p_clause = [
        (path_of[r.item_id], compact(r.unit), r.clause, compact(r.deadline)) for r in result.responsibilities if (path_of[r.item_id], compact(r.unit)) in keyed
    ]
    _set(report, "units_clause", *_match(g_clause, p_clause))
    named = [r for r in result.responsibilities if not is_collective(r.unit)]
    report.body["canonical"] = (sum(1 for r in named if r.unit_canonical), len(named))

    # targets: value+unit+comparator, then with the indicator
    g_vuc, p_vuc = [], []
    g_ind: list[tuple[Any, ...]] = []
    pred_targets = [(path_of[t.item_id], t) for t in result.targets]
    for gi in gold_items:
        for t in gi.get("targets") or []:
            key = (
                str(gi["path"]),
                _num(t["value"]),
                _num(t.get("value_max")),
                str(t.get("unit", "") or ""),
                str(t["comparator"]),
            )
            g_vuc.append(key)
            g_ind.append((*key, tuple(_alts(t.get("indicator")))))
    for path, t in pred_targets:
        key = (path, _num(t.value), _num(t.value_max), t.unit, t.comparator)
        p_vuc.append(key)
    _set(report, "targets_vuc", *_match(g_vuc, p_vuc))
    # indicator: a predicted target matches a gold one with the same key whose alternatives hold its indicator
    remaining = list(g_ind)
    tp = fp = 0
    extra_ind = []
    for path, t in pred_targets:
        key = (path, _num(t.value), _num(t.value_max), t.unit, t.comparator)
        hit = next((g for g in remaining if g[:5] == key and compact(t.indicator) in g[5]), None)
        if hit is not None:
            remaining.remove(hit)
            tp += 1
        else:
            fp += 1
            extra_ind.append(f"{key} indicator={t.indicator!r}")
    report.scores["targets_indicator"] = Score(tp, fp, len(remaining))
    report.missed["targets_indicator"] = [str(g) for g in remaining]
    report.extra["targets_indicator"] = extra_ind

    # metadata: each field right or wrong
    meta = page_gold.get("metadata") or {}
    doc = result.document
    g_meta, p_meta = [], []
    for name in META_FIELDS:
        if name in meta:
            g_meta.append((name, compact(str(meta[name] or ""))))
            p_meta.append((name, compact(str(getattr(doc, name) or ""))))
    _set(report, "metadata", *_match(g_meta, p_meta))

    body_gold = page_gold.get("body") or {}
    if body_gold:
        body = compact(result.body)
        must = body_gold.get("must_contain") or []
        must_not = body_gold.get("must_not_contain") or []
        report.body |= {
            "kept": sum(1 for line in must if compact(line) in body),
            "must": len(must),
            "leaked": [line for line in must_not if compact(line) in body],
            "first_ok": not body_gold.get("first") or body.startswith(compact(body_gold["first"])),
            "last_ok": not body_gold.get("last") or body.endswith(compact(body_gold["last"])),
        }
    return report


def _set(report: PageReport, name: str, score: Score, missed: list[str], extra: list[str]) -> None:
    report.scores[name] = score
    report.missed[name] = missed
    report.extra[name] = extra


def load_gold(corpus: Path) -> list[dict[str, Any]]:
    golds = []
    for path in sorted((corpus / "gold").glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ValueError(f"{path}: invalid YAML: {exc}") from None
        if not isinstance(data, dict) or "pages" not in data:
            raise ValueError(f"{path}: a gold file needs 'pages' (see corpus/README.md)")
        data["_file"] = str(path)
        golds.append(data)
    return golds


def evaluate_corpus(corpus: Path, rules: Rules) -> list[PageReport]:
    reports = []
    for gold in load_gold(corpus):
        for page_gold in gold["pages"]:
            page_path = corpus / "pages" / page_gold["page"]
            try:
                raw = RawDocument(source=str(page_path), content=page_path.read_bytes())
                result = process(raw, rules)
            except (OSError, DocumentError) as exc:
                report = PageReport(page=page_gold["page"], form=str(gold.get("form", "")), error=str(exc))
                n_items = len(gold.get("items") or [])
                report.scores = {f: Score(0, 0, n_items if f == "items" else 0) for f in FIELDS}
                reports.append(report)
                continue
            reports.append(score_page(gold, page_gold, result))
    return reports


def totals(reports: list[PageReport]) -> dict[str, Score]:
    out = {f: Score() for f in FIELDS}
    for r in reports:
        for f in FIELDS:
            if f in r.scores:
                out[f].add(r.scores[f])
    return out


def body_totals(reports: list[PageReport]) -> dict[str, float]:
    filled = sum(r.body.get("canonical", (0, 0))[0] for r in reports)
    named = sum(r.body.get("canonical", (0, 0))[1] for r in reports)
    must = sum(r.body.get("must", 0) for r in reports)
    kept = sum(r.body.get("kept", 0) for r in reports)
    leaked = sum(len(r.body.get("leaked", [])) for r in reports)
    return {
        "body_kept": kept / must if must else 1.0,
        "body_leaked": float(leaked),
        "canonical_filled": filled / named if named else 1.0,
    }


def figures(reports: list[PageReport]) -> dict[str, float]:
    out = {f"{name}_f1": round(score.f1, 4) for name, score in totals(reports).items()}
    out.update({k: round(v, 4) for k, v in body_totals(reports).items()})
    return out


def format_report(reports: list[PageReport], details: bool = False) -> str:
    lines = [f"{'field':<20}{'precision':>10}{'recall':>10}{'F1':>10}{'tp':>7}{'fp':>6}{'fn':>6}"]
    for name, s in totals(reports).items():
        lines.append(f"{name:<20}{s.precision:>10.4f}{s.recall:>10.4f}{s.f1:>10.4f}{s.tp:>7}{s.fp:>6}{s.fn:>6}")
    b = body_totals(reports)
    lines.append(f"{'body lines kept':<20}{b['body_kept']:>10.4f}   boilerplate lines leaked: {int(b['body_leaked'])}")
    lines.append(f"{'canonical names':<20}{b['canonical_filled']:>10.4f}   (share of named, non-collective units given a canonical name)")
    forms: dict[str, dict[str, Score]] = {}
    for r in reports:
        bucket = forms.setdefault(r.form or "-", {f: Score() for f in FIELDS})
        for f, s in r.scores.items():
            bucket[f].add(s)
    lines.append("")
    lines.append(f"{'F1 by form':<26}" + "".join(f"{f[:12]:>13}" for f in FIELDS))
    for form, scores in sorted(forms.items()):
        lines.append(f"{form[:25]:<26}" + "".join(f"{scores[f].f1:>13.3f}" for f in FIELDS))
    lines.append("")
    for r in reports:
        problems = {f: (r.missed.get(f, []), r.extra.get(f, [])) for f in FIELDS}
        n_bad = sum(len(m) + len(e) for m, e in problems.values())
        leaked = r.body.get("leaked", [])
        head = f"{r.page}: " + ("ERROR " + r.error if r.error else f"{n_bad} differences")
        if leaked or (r.body.get("must") and r.body["kept"] < r.body["must"]):
            head += f"; body kept {r.body['kept']}/{r.body['must']}, leaked {len(leaked)}"
        lines.append(head)
        if details or n_bad <= 12:
            for f, (missed, extra) in problems.items():
                for m in missed:
                    lines.append(f"    {f} missed: {m}")
                for e in extra:
                    lines.append(f"    {f} extra:  {e}")
            for line in leaked:
                lines.append(f"    body leaked: {line}")
    return "\n".join(lines)


def check_floors(figs: dict[str, float], floors_path: Path) -> list[str]:
    """Fields below their pinned floor (body_leaked is a ceiling)."""
    if not floors_path.exists():
        return [f"{floors_path}: floors file not found"]
    floors = json.loads(floors_path.read_text(encoding="utf-8"))["floors"]
    problems = []
    for name, floor in floors.items():
        value = figs.get(name)
        if value is None:
            problems.append(f"{name}: no such figure")
        elif name == "body_leaked":
            if value > floor:
                problems.append(f"{name}: {value} above its ceiling {floor}")
        elif value + 1e-9 < floor:
            problems.append(f"{name}: {value:.4f} below its floor {floor:.4f}")
    return problems


def main(corpus: Path, rules_dir: str | None, floors: Path, *, details: bool = False, json_out: str | None = None) -> int:
    rules = load_rules(rules_dir)
    reports = evaluate_corpus(corpus, rules)
    print(format_report(reports, details=details))
    figs = figures(reports)
    if json_out:
        Path(json_out).write_text(json.dumps(figs, indent=2), encoding="utf-8")
    problems = check_floors(figs, floors)
    if problems:
        print("\nbelow the floors pinned in " + str(floors) + ":", file=sys.stderr)
        for p in problems:
            print("  " + p, file=sys.stderr)
        return 1
    print(f"\nall fields at or above the floors in {floors}")
    return 0
