"""Targets: every quantitative target of an item, and nothing that only looks like one.

A target is a number with what makes it a quantity: a scale word (万, 亿), a
unit or measure word (个, 公里, 元, %), or both; plus the comparator words
around it (以上, 左右, 不少于) and, from its clause, the action (新建) and the
indicator (5G基站). Numbers that name rather than count (2021年, 5G, G60,
十四五, 第四届, 国道237, “158”行动计划) are removed by the patterns in
rules/non_targets.yaml, each of which says why.

All matching runs on the folded text (ASCII digits and brackets); `raw`,
`start` and `end` are mapped back to the item's text as written out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pipeline.numbers import CN_DIGITS, CN_NUMERAL_CHARS, parse_number
from pipeline.records import Target
from pipeline.rulesio import RulesError, compile_regex, line_of, require, yaml_sections
from pipeline.textnorm import NormText, normalize
from pipeline.tokenize import tokenizer

OPS = {"=", ">=", "<=", "~", "range"}
UNIT_ALIASES = {"个百分点": "百分点", "个工作日": "工作日"}
LEVEL_ACTIONS = (
    "保持",
    "维持",
    "增至",
    "增到",
    "扩大到",
    "扩大至",
    "减至",
    "缩减至",
    "压降至",
    "压减至",
    "压减到",
    "缩短至",
    "缩短到",
    "降至",
    "降到",
    "减少到",
    "减少至",
    "达到",
    "提高到",
    "提高至",
    "提升到",
    "提升至",
    "降低到",
    "降低至",
    "控制在",
    "保持在",
    "稳定在",
    "压缩至",
    "压缩到",
)
INCREASE_ACTIONS = ("年均增长", "增长", "增加", "提高", "提升", "下降", "降低", "减少", "压减", "缩短")


@dataclass(frozen=True)
class TargetRules:
    units: tuple[str, ...]  # longest first
    time_units: frozenset[str]
    weak_units: frozenset[str]
    scales: tuple[tuple[str, int], ...]  # longest first
    before: tuple[tuple[str, str], ...]
    after: tuple[tuple[str, str], ...]
    range_separators: tuple[str, ...]
    modality: tuple[tuple[str, str], ...]
    deadlines: tuple[re.Pattern[str], ...]
    actions: tuple[str, ...]  # longest first
    indicator_stops: tuple[str, ...]
    after_stop_verbs: tuple[str, ...]
    indicator_strip_prefixes: tuple[str, ...]
    indicator_strip_suffixes: tuple[str, ...]
    control_verbs: frozenset[str]
    means_verbs: frozenset[str]
    non_targets: tuple[tuple[re.Pattern[str], str], ...]
    rules_dir: Path


def _strings(path: Path, sections: dict[str, list[tuple[int, object]]], name: str) -> list[tuple[int, str]]:
    entries = sections.get(name, [])
    if len(entries) == 1 and isinstance(entries[0][1], list):
        line, values = entries[0]
        assert isinstance(values, list)
        return [(line, str(v)) for v in values]
    out = []
    for line, value in entries:
        if not isinstance(value, str | int | float) or str(value) == "":
            raise RulesError(path, line, f"entries of {name} must be non-empty strings")
        out.append((line, str(value)))
    return out


def load_target_rules(rules_dir: Path) -> TargetRules:
    path = rules_dir / "targets.yaml"
    s = yaml_sections(path)
    units = [u for _, u in _strings(path, s, "units")]
    if not units:
        raise RulesError(path, None, "no units defined")
    scales: list[tuple[str, int]] = []
    for line, entry in s.get("scales", []):
        if not isinstance(entry, dict):
            raise RulesError(path, line, "scales must map a scale word to its multiplier")
        for word, factor in entry.items():
            if not isinstance(factor, int) or factor <= 0:
                raise RulesError(path, line_of(entry, str(word), line), f"scale {word!r} needs a positive whole multiplier")
            scales.append((str(word), factor))
    before: list[tuple[str, str]] = []
    after: list[tuple[str, str]] = []
    for side, bucket in (("before", before), ("after", after)):
        for line, item in s.get(f"comparators_{side}", []):
            if not isinstance(item, dict) or not item.get("word") or item.get("op") not in OPS:
                raise RulesError(path, line, f"comparators_{side}: each entry needs word and op (one of {sorted(OPS)}): {item!r}")
            bucket.append((str(item["word"]), str(item["op"])))
    modality = []
    for line, entry in s.get("modality", []):
        require(entry, ["word", "value"], path, line)
        modality.append((str(entry["word"]), str(entry["value"])))
    deadlines = tuple(compile_regex(p, path, line) for line, p in _strings(path, s, "deadlines"))
    np = rules_dir / "non_targets.yaml"
    nts = []
    for line, entry in yaml_sections(np).get("patterns", []):
        require(entry, ["why", "pattern"], np, line)
        nts.append((compile_regex(entry["pattern"], np, line_of(entry, "pattern", line)), str(entry["why"])))
    by_len = lambda xs: tuple(sorted(xs, key=lambda x: -len(x[0] if isinstance(x, tuple) else x)))  # noqa: E731
    return TargetRules(
        units=by_len(units),
        time_units=frozenset(u for _, u in _strings(path, s, "time_units")),
        weak_units=frozenset(u for _, u in _strings(path, s, "weak_units")),
        scales=by_len(scales),
        before=by_len(before),
        after=by_len(after),
        range_separators=tuple(u for _, u in _strings(path, s, "range_separators")),
        modality=tuple(modality),
        deadlines=deadlines,
        actions=by_len([a for _, a in _strings(path, s, "actions")]),
        indicator_stops=tuple(u for _, u in _strings(path, s, "indicator_stops")),
        after_stop_verbs=tuple(u for _, u in _strings(path, s, "after_stop_verbs")),
        indicator_strip_prefixes=tuple(sorted((u for _, u in _strings(path, s, "indicator_strip_prefixes")), key=len, reverse=True)),
        control_verbs=frozenset(u for _, u in _strings(path, s, "control_verbs")),
        means_verbs=frozenset(u for _, u in _strings(path, s, "means_verbs")),
        indicator_strip_suffixes=tuple(sorted((u for _, u in _strings(path, s, "indicator_strip_suffixes")), key=len, reverse=True)),
        non_targets=tuple(nts),
        rules_dir=rules_dir,
    )


@dataclass
class Candidate:
    start: int  # span in folded text (comparator words included)
    end: int
    num_start: int
    value: Decimal
    value_max: Decimal | None
    unit: str
    comparator: str
    percent_prefix: bool = False


_CN_RUN = "[" + CN_NUMERAL_CHARS + "]+"
_NUM = r"(?:\d+(?:,\d{3})*(?:\.\d+)?|" + _CN_RUN + r"(?:[万亿]" + _CN_RUN + r")*(?:点[零〇一二三四五六七八九]+)?)"
_FRACTION = re.compile(r"(?P<d>[一二三四五六七八九十百]+)分之(?P<n>[一二三四五六七八九十]+)")
_NUM_RE = re.compile(_NUM)
_DELIMS = "，。；;,!?！？\n:："


class TargetExtractor:
    def __init__(self, rules: TargetRules) -> None:
        self.r = rules
        self.scale_re = "|".join(re.escape(w) for w, _ in rules.scales)
        self.scale_factor = dict(rules.scales)
        self._action_set = frozenset(rules.actions)

    # --- numbers --------------------------------------------------------
    def _read_number(self, text: str, pos: int) -> tuple[Decimal, int, bool, bool] | None:
        """Number (with its scale folded) starting at pos: (value, end, is_arabic, has_scale)."""
        m = _NUM_RE.match(text, pos)
        if not m:
            return None
        raw = m.group(0)
        end = m.end()
        arabic = raw[0].isdigit()
        if not arabic and not any(ch in CN_DIGITS for ch in raw):
            return None  # 千岛湖, 百姓, 十大: 十百千 alone are not numbers here
        if not arabic:
            # a Chinese run may have swallowed a scale-like 千 of 千瓦/千米: give it back
            for unit in self.r.units:
                if unit.startswith("千") and text.startswith(unit, end - 1) and raw.endswith("千") and len(raw) > 1:
                    raw = raw[:-1]
                    end -= 1
                    break
        value = parse_number(raw)
        if value is None:
            return None
        scaled = not arabic and raw[-1] in "万亿"
        # scale words: 万, 亿, 万亿 (but 千瓦 and 千米 are units)
        for word, factor in self.r.scales:
            if text.startswith(word, end) and not any(text.startswith(u, end) for u in self.r.units if u.startswith(word)):
                value *= factor
                end += len(word)
                scaled = True
                break
        return value, end, arabic, scaled

    def _unit_at(self, text: str, pos: int) -> str:
        for alias in UNIT_ALIASES:
            if text.startswith(alias, pos):
                return alias
        for unit in self.r.units:
            if text.startswith(unit, pos):
                return unit
        return ""

    def candidates(self, text: str, excluded: list[tuple[int, int]]) -> list[Candidate]:
        out: list[Candidate] = []
        pos = 0
        n = len(text)
        while pos < n:
            m = _NUM_RE.search(text, pos)
            if not m:
                break
            start = m.start()
            # never start inside an Arabic number or right after a Latin letter/digit
            if start > 0 and (text[start - 1].isdigit() or text[start - 1] == "."):
                pos = m.end()
                continue
            cand = self._candidate_at(text, start)
            if cand is None or any(a < cand.end and cand.num_start < b for a, b in excluded):
                pos = m.end()
                continue
            out.append(cand)
            pos = cand.end
        return out

    def _candidate_at(self, text: str, start: int) -> Candidate | None:
        fraction = _FRACTION.match(text, start)
        if fraction:
            # 三分之一 → 33.333333 %: a share, read as a percentage
            d, n = parse_number(fraction.group("d")), parse_number(fraction.group("n"))
            if d and n is not None and n < d:
                value = (n / d * 100).quantize(Decimal("0.000001"))
                end = fraction.end()
                comparator = "="
                for word, op in self.r.after:
                    if text.startswith(word, end):
                        end += len(word)
                        comparator = op
                        break
                return Candidate(start, end, start, value, None, "%", comparator)
        if text.startswith("百分之百", max(0, start - 3)) and text[start] == "百":
            return Candidate(start - 3, start + 1, start, Decimal(100), None, "%", "=", True)
        first = self._read_number(text, start)
        if first is None:
            return None
        value, end, arabic, has_scale = first
        if not arabic and value == 1 and end - start == 1:
            return None  # 一个, 一项, 一批: a figure of speech, not a target
        percent_prefix = text[max(0, start - 3) : start] == "百分之"
        value_max: Decimal | None = None
        unit = ""
        comparator = "="
        # 100余家 / 100多个
        approx_after = ""
        for word in ("余", "多"):
            if text.startswith(word, end) and self._unit_at(text, end + 1):
                approx_after = word
                end += 1
                break
        unit = self._unit_at(text, end)
        if text.startswith("成", end) and not arabic and not unit:
            unit = "成"
        per = re.match(r"/(?:日|天|年|月|小时|秒)", text[end + len(unit) : end + len(unit) + 3]) if unit else None
        if per and unit not in self.r.time_units:
            unit += per.group(0)  # 6000吨/日: a rate is the unit as written
        end_unit = end + len(unit)
        # ranges: 2-3项, 2至3项, 20%-30%, 2万—3万
        for sep in self.r.range_separators:
            if text.startswith(sep, end_unit) or (not unit and text.startswith(sep, end)):
                at = end_unit if text.startswith(sep, end_unit) else end
                second = self._read_number(text, at + len(sep))
                if second is None:
                    continue
                v2, end2, arabic2, scaled2 = second
                if arabic2 != arabic and sep in "-—–－~～〜":
                    continue
                unit2 = self._unit_at(text, end2)
                if unit and unit2 and unit2 != unit:
                    continue
                if not unit and not unit2 and not text.startswith(tuple(w for w, _ in self.r.scales), end2):
                    # bare ranges such as 2020—2022 are years or codes
                    if not any(text.startswith(w, end2) for w, _ in self.r.after):
                        continue
                if v2 <= value and not (unit and not unit2):
                    continue
                # 2万—3万: the scale of the second number applies to the first when the first has none
                if value < v2 / 1000 and v2 >= 10000:
                    for word, factor in self.r.scales:
                        if text[at + len(sep) : end2].endswith(word) and not text[start:at].endswith(word):
                            value *= factor
                            break
                value_max = v2
                unit = unit or unit2
                has_scale = has_scale or scaled2
                end_unit = end2 + len(unit2)
                comparator = "range"
                break
        if percent_prefix:
            unit = "%"
        if unit == "成":
            value *= 10
            if value_max is not None:
                value_max *= 10
            unit = "%"
        if not unit and not has_scale:
            return None
        if not arabic and unit in self.r.weak_units:
            return None
        if unit in self.r.time_units and not self._time_is_target(text, start, end_unit):
            return None
        cand_start = start - 3 if percent_prefix else start
        cand_end = end_unit
        if approx_after:
            comparator = ">="
        for word, op in self.r.after:
            if text.startswith(word, cand_end):
                cand_end += len(word)
                if comparator != "range":
                    comparator = op
                break
        else:
            if unit in self.r.time_units and text.startswith("内", cand_end):
                cand_end += 1  # 3个工作日内: within
                if comparator != "range":
                    comparator = "<="
        # a comparator word before the number is part of raw; when a word after it
        # disagrees (控制在3%左右), the one after, which qualifies the number itself, wins
        suffix_set = comparator != "=" or approx_after
        for word, op in self.r.before:
            if text[:cand_start].endswith(word) and op != "=" and self._stands_alone(text, cand_start - len(word), cand_start):
                cand_start -= len(word)
                if not suffix_set:
                    comparator = op
                break
        if comparator == "range" and value_max is None:
            comparator = "="
        return Candidate(
            start=cand_start,
            end=cand_end,
            num_start=start,
            value=value,
            value_max=value_max,
            unit=UNIT_ALIASES.get(unit, unit),
            comparator=comparator,
            percent_prefix=percent_prefix,
        )

    def _stands_alone(self, text: str, start: int, end: int) -> bool:
        """A one-character comparator word (约, 近) that is not the tail of a word (签约, 附近)."""
        if end - start > 1:
            return True
        tokens = tokenizer(self.r.rules_dir, self.r.actions).tokens(text[max(0, start - 6) : end])
        return bool(tokens) and tokens[-1].text == text[start:end]

    @staticmethod
    def _time_is_target(text: str, start: int, end: int) -> bool:
        """3个工作日 is a target after 压缩至 or before 以内; 2021年 and 3年 are not."""
        before = text[max(0, start - 4) : start]
        after = text[end : end + 2]
        if len(before) >= 2 and before[-1] in "至到" and before[-2].isdigit():
            return False  # the upper end of a span of years: 用3至5年时间
        return before.endswith(("至", "到", "控制在", "缩短", "压缩", "不超过", "不多于", "少于", "低于")) or after.startswith(("以内", "之内"))

    def excluded_spans(self, text: str) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        for pattern, _why in self.r.non_targets:
            spans.extend((m.start(), m.end()) for m in pattern.finditer(text) if m.end() > m.start())
        return spans

    @staticmethod
    def _share_comparators(text: str, cands: list[Candidate]) -> None:
        """分别压缩至35小时、1.5小时以内: the 以内 after the last number governs the list."""
        for i in range(len(cands) - 2, -1, -1):
            c, nxt = cands[i], cands[i + 1]
            if c.comparator == "=" and nxt.comparator in ("<=", ">=", "~") and text[c.end : nxt.start] == "、" and c.unit == nxt.unit:
                if nxt.end > nxt.num_start and not text[nxt.start : nxt.num_start]:
                    c.comparator = nxt.comparator

    def _drop_thresholds(self, text: str, cands: list[Candidate]) -> list[Candidate]:
        """Size thresholds that qualify a noun are not targets themselves.

        新引进10亿元以上制造业项目100个: 10亿元以上 says which projects count; the
        target is 100个. A number ending in 以上/以下 that runs straight on into a
        noun (or 的) and is followed by another number in its clause is such a threshold.
        """
        kept = []
        for i, c in enumerate(cands):
            following = cands[i + 1] if i + 1 < len(cands) else None
            tail = text[c.end : c.end + 1]
            qualifies = text[c.start : c.end].endswith(("以上", "以下")) and bool(re.match(r"[\u4e00-\u9fff“]", tail))
            if (
                c.unit != "%"
                and c.start < c.num_start
                and text.startswith("的", c.end)
                and text[c.start : c.num_start] in ("超过", "不低于", "不少于", "低于", "不超过")
            ):
                continue  # 超过400万元的工程采购项目: a scope, not a target
            if re.match(r"(?:每[日天年]|/[日天年])?(?:以上|以下|及以上)?的", text[c.end : c.end + 6]) and (
                text[c.start : c.end].endswith(("以上", "以下")) or re.match(r"(?:每[日天年]|/[日天年])?(?:以上|以下)", text[c.end : c.end + 5])
            ):
                continue  # 设计供水规模1000立方米每日以上的: a scope, not a target
            if qualifies and following is not None:
                _, clause_end = self._clause_bounds(text, c.start, c.end)
                if following.start < clause_end:
                    continue
            kept.append(c)
        return kept

    # --- semantics ----------------------------------------------------------
    def _clause_bounds(self, text: str, start: int, end: int) -> tuple[int, int]:
        a = start
        while a > 0 and text[a - 1] not in _DELIMS:
            if text[a - 1] == ")":
                opening = text.rfind("(", max(0, a - 6), a - 1)
                if opening < 0:
                    break  # the end of a responsibility parenthetical closes the clause
                a = opening  # 新(改)建, 中国(安徽): a short aside inside the clause
                continue
            a -= 1
        b = end
        while b < len(text) and text[b] not in _DELIMS and text[b] != "(":
            b += 1
        return a, b

    def _sentence_bounds(self, text: str, start: int, end: int) -> tuple[int, int]:
        a = start
        while a > 0 and text[a - 1] not in "。；;!?！？\n":
            a -= 1
        b = end
        while b < len(text) and text[b] not in "。；;!?！？\n":
            b += 1
        return a, b

    def _actions(self, segment: str, guess_verbs: bool = True) -> list[tuple[int, str]]:
        """Actions in a clause segment, in order: known actions on word boundaries,
        else any known action as a substring (全面完成), else jieba's verbs."""
        if not segment:
            return []
        tok = tokenizer(self.r.rules_dir, self.r.actions)
        spans = [(a, b) for a, b in tok.action_spans(segment) if not segment.startswith(("性", "式", "型", "券"), b)]
        # a word that ends in an action is a verb phrase (统筹安排, 全面完成): its action counts
        matched = {a for a, _ in spans}
        for t in tok.tokens(segment):
            if t.start in matched or len(t.text) < 3:
                continue
            for action in self.r.actions:
                if len(action) >= 2 and t.text.endswith(action):
                    spans.append((t.end - len(action), t.end))
                    break
        spans.sort()
        joined: list[tuple[int, int]] = []
        for a, b in spans:
            # 新建和改造, 新建、改扩建: one compound action
            second = segment[a:b]
            ends_segment = not segment[b:].strip()  # a level verb right before the number stands alone (投入|增长7%)
            if (
                joined
                and segment[joined[-1][1] : a] in ("", "和", "及", "、", "与", "或")
                and not (second in LEVEL_ACTIONS + INCREASE_ACTIONS and ends_segment)
            ):
                joined[-1] = (joined[-1][0], b)
            else:
                joined.append((a, b))
        if joined:
            return [(a, segment[a:b]) for a, b in joined]
        if not guess_verbs:
            return []
        # failing a known action, jieba's verbs (招录, 募集, 汇聚): the first of the last run of
        # verbs, since verbs straight after a verb modify its object (募集|就业|见习|岗位)
        tokens = tok.tokens(segment)
        is_verb = [t.pos.startswith("v") and t.pos != "vn" and len(t.text) > 1 for t in tokens]
        for i in range(len(tokens) - 1, -1, -1):
            if is_verb[i]:
                while i > 0 and is_verb[i - 1]:
                    i -= 1
                return [(tokens[i].start, tokens[i].text)]
        return []

    def _semantics(self, text: str, c: Candidate, ca: int, cb: int, prev_end: int) -> tuple[str, str]:
        """(action, indicator) of a candidate from its clause.

        The genre is verb-object-quantity (新建5G基站2.5万个) or verb-quantity-object
        (新建100个以上…基地): the clause's first action sets the target and what
        lies between it and the number, or failing that after the number, is
        the indicator. A level or change verb right before the number
        (覆盖率达到85%, 投入增长7%) is the action, and the indicator is what precedes it.
        """
        start = ca
        if ca <= prev_end <= c.start:
            start = prev_end  # coordinated targets: the previous number ends this one's context
        before = text[start : c.start]
        dash = before.rfind("——")
        local = (before[dash + 2 :] if dash >= 0 else before).lstrip("、，,和及与 ")
        after_text = self._after_indicator(text[c.end : cb])
        # in a list (…集聚区1个、省级…集聚区3个) the verb was given once, before the first number
        found = self._actions(local, guess_verbs=start != prev_end)
        if found and c.start < c.num_start and not any(any(k in a for k in self._action_set if len(k) > 1) for _, a in found):
            # 一般公共预算支出规模超过29万亿元: 支出 modifies 规模; the comparator word is the verb
            rest = tokenizer(self.r.rules_dir, self.r.actions).tokens(local[found[-1][0] + len(found[-1][1]) :])
            if sum(1 for t in rest if not t.pos.startswith("v")) <= 1:
                found = []
        action, indicator = "", ""
        while len(found) > 1 and found[0][1] in self.r.control_verbs:
            found = found[1:]  # 推动金融机构发放…贷款: 推动 only steers; 发放 sets the target
        if found:
            last = found[-1]
            tail = self._strip_indicator(self._trim_before(local[last[0] + len(last[1]) :]))
            if last[1] in LEVEL_ACTIONS + INCREASE_ACTIONS and not tail:
                pos, action = last
                indicator = self._strip_indicator(self._scope_cut(self._trim_before(local[:pos])))
            else:
                pos, action = found[0]
                between = self._strip_indicator(self._trim_before(local[pos + len(action) :]))
                # after a verb of means, the next verb sets the target: 利用城市边角地建设口袋公园
                inner = [(p2, a2) for p2, a2 in found[1:] if p2 > pos + len(action)]
                if inner and action in self.r.means_verbs:
                    p2, a2 = inner[-1]
                    tail2 = self._strip_indicator(self._trim_before(local[p2 + len(a2) :]))
                    if tail2:
                        between, action = tail2, a2
                if between and not between.endswith(("等", "和", "及", "与", "、")):
                    indicator = between
        else:
            between = self._strip_indicator(self._trim_before(local.strip()))
            if between.startswith(("每", "各")) and after_text:
                between = ""  # 每个区县至少2所公办幼儿园: a distributive scope; what is counted follows the number
            if between and not between.endswith(("等", "和", "及", "与", "、")):
                indicator = between
        if not indicator:
            indicator = self._strip_indicator(after_text)
        if not indicator and found and len(found) == 1 and local[: found[0][0]].strip() and c.unit.endswith("元"):
            # 省级专项资金安排2亿元: with money, the verb before the amount is a verb
            indicator = self._strip_indicator(self._trim_before(local[: found[0][0]]))
        if not indicator and found and len(found) == 1 and local[: found[0][0]].strip():
            # 修复性养护8万公里, 棚户区改造14.92万套: the "action" closes a noun phrase
            indicator, action = self._strip_indicator(self._trim_before(local)), ""
        # a share names its own population: 城镇新建建筑中绿色建筑占比 → 绿色建筑占比
        share = re.match(r"^.{2,}?中(?P<rest>[^中]{3,}(?:占比|比例|比重))$", indicator)
        if share:
            indicator = share.group("rest")
        # a leading enumerator or size threshold is not part of what is counted: 一是…比例, 10亿元以上制造业项目
        indicator = re.sub(r"^[一二三四五六七八九十]+是", "", indicator)
        # a baseline or starting point is not what is counted: 能耗比2020年下降, 时限由20个工作日
        indicator = re.sub(r"(?:[比较](?:19|20)\d{2}年(?:末|底)?(?:下降|增长|提高|降低)?|由[\d.]+[^\d]{0,5})$", "", indicator)
        indicator = indicator.lstrip("、，,和及与")
        examples = re.match(r"^(?P<list>.{2,}?[、”」].{0,12}?)等(?P<rest>[^等]{2,})$", indicator)
        if examples:
            indicator = examples.group("rest")  # “汀江文化旅游节”等重大节庆活动 → 重大节庆活动
        indicator = re.sub(r"^[\d.]+[万亿千]?[\u4e00-\u9fff]{0,2}(?:以上|以下)(?:的)?(?=[\u4e00-\u9fff])", "", indicator)
        return action, indicator

    def _scope_cut(self, head: str) -> str:
        """Drop a scope phrase glued to the front of an indicator: 工程年内完成率 → 完成率."""
        for pattern in self.r.deadlines:
            scopes = [m for m in pattern.finditer(head) if m.group(0)]
            if scopes and head[scopes[-1].end() :].strip():
                head = head[scopes[-1].end() :]
        return head

    def _strip_indicator(self, text: str) -> str:
        """Remove scope and modality words around an indicator (全省…, 力争实现…, …分别)."""
        changed = True
        text = text.strip()
        while changed and text:
            changed = False
            for pattern in self.r.deadlines:  # a leading scope: 2024年省属国有企业… → 省属国有企业…
                m = pattern.match(text)
                if m and m.group(0) and m.end() < len(text):
                    text = text[m.end() :].lstrip("，, ")
                    changed = True
            for word in self.r.indicator_strip_prefixes:
                if text.startswith(word) and len(text) > len(word):
                    text = text[len(word) :].lstrip("，, ")
                    changed = True
            for word in self.r.indicator_strip_suffixes:
                if text.endswith(word) and len(text) > len(word):
                    text = text[: -len(word)].rstrip()
                    changed = True
        return text.strip("的，, ")

    def _trim_before(self, text: str) -> str:
        changed = True
        while changed:
            changed = False
            for word in (
                "至少",
                "力争",
                "确保",
                "争取",
                "累计",
                "总计",
                "共",
                "约",
                "近",
                "超过",
                "不少于",
                "突破",
                "达到",
                "达",
                "为",
                "到",
                "至",
                "在",
            ):
                if text.endswith(word) and len(text) > len(word):
                    text = text[: -len(word)]
                    changed = True
        return text.strip()

    def _after_indicator(self, text: str) -> str:
        text = text.lstrip("的").strip()
        cut = len(text)
        for stop in self.r.indicator_stops:
            pos = text.find(stop)
            if 0 <= pos < cut:
                cut = pos
        for verb in self.r.after_stop_verbs:
            pos = text.find(verb)
            if 0 < pos < cut:
                cut = pos
        return text[:cut].strip()

    def _deadline(self, text: str, a: int, b: int, number_start: int, clause_end: int) -> str:
        # the phrase nearest before the number; of phrases ending together, the longest (2022年底前, not 年底前)
        best: tuple[int, int] | None = None
        best_text = ""
        for pattern in self.r.deadlines:
            for m in pattern.finditer(text, a, b):
                if m.end() <= number_start and m.group(0):
                    key = (m.end(), -m.start())
                    if best is None or key > best:
                        best, best_text = key, m.group(0)
        if best_text:
            return best_text
        for pattern in self.r.deadlines:
            after = pattern.search(text, number_start, clause_end)
            if after and after.group(0):
                return after.group(0)
        return ""

    def extract(self, item_id: str, item_text: str) -> list[Target]:
        nt: NormText = normalize(item_text)
        text = nt.text
        cands = self._drop_thresholds(text, self.candidates(text, self.excluded_spans(text)))
        self._share_comparators(text, cands)
        targets: list[Target] = []
        prev_indicator = ""
        prev_action = ""
        prev_clause: tuple[int, int] | None = None
        prev_end = -1
        for n, c in enumerate(cands, start=1):
            ca, cb = self._clause_bounds(text, c.start, c.end)
            sa, sb = self._sentence_bounds(text, c.start, c.end)
            action, indicator = self._semantics(text, c, ca, cb, prev_end)
            if not indicator and prev_clause is not None and (ca, cb) == prev_clause:
                indicator = prev_indicator
            if not indicator and prev_end >= 0 and text[prev_end : c.start].strip() in ("、", "，", ","):
                indicator = prev_indicator
            if not action and prev_clause is not None and (ca, cb) == prev_clause and "、" in text[prev_end : c.start]:
                action = prev_action  # 建设智能工厂30个、数字化车间150个: one verb for the list
            comparator = c.comparator
            if comparator == "=" and re.search(r"(?:至少|不少于|不低于)[\u4e00-\u9fff]{1,4}$", text[ca : c.start]):
                comparator = ">="  # 至少建成1个: the comparator word governs the verb phrase
            modality = ""
            for word, value in self.r.modality:
                if word in text[sa : c.start]:
                    modality = value
            raw_start, raw_end = nt.span(c.start, c.end)
            kind = self._kind(c.unit, action, c.start < c.num_start)
            targets.append(
                Target(
                    item_id=item_id,
                    target_id=f"{item_id}#{n}",
                    action=action,
                    indicator=indicator,
                    value=float(c.value),
                    value_max=float(c.value_max) if c.value_max is not None else None,
                    unit=c.unit,
                    comparator=comparator,
                    deadline=self._deadline(text, sa, sb, c.start, cb),
                    raw=item_text[raw_start:raw_end],
                    start=raw_start,
                    end=raw_end,
                    modality=modality,
                    kind=kind,
                )
            )
            prev_indicator, prev_action, prev_clause, prev_end = indicator, action, (ca, cb), c.end
        return targets

    @staticmethod
    def _kind(unit: str, action: str, comparator_word: bool) -> str:
        """money (元); increase (growth or cut in % or 百分点); ratio (a rate to reach); level (a stock to reach); count."""
        if unit.endswith("元"):
            return "money"
        if unit in ("%", "百分点"):
            if action in INCREASE_ACTIONS or unit == "百分点":
                return "increase"
            return "ratio"
        if action in LEVEL_ACTIONS or (not action and comparator_word):
            return "level"
        return "count"
