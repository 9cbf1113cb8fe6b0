"""Responsibilities: which units answer for an item, and in what role.

The genre names units in a parenthetical after a clause or at the end of the
item (（省发展改革委牵头，省科技厅、省财政厅等按职责分工负责）), in labelled
lines (责任单位：…；配合单位：…), or in the columns of a task-division table.
All three become the same records. Parsing works on the folded text (ASCII
brackets and commas) and maps every unit back to the characters as printed.

Role assignment follows the clause's role word: units before 牵头 lead;
units whose role word is of the responsible kind (按职责分工负责, 负责) are
cooperating once a lead has been named and responsible otherwise; 配合 and
参与 make cooperating units. Units with no role word of their own
(合肥市，省发展改革委牵头) take the role of the next role word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.records import Item
from pipeline.rulesio import RulesError, require, yaml_sections
from pipeline.textnorm import NormText, normalize

ROLES = ("lead", "cooperating", "responsible")
OPEN, CLOSE = "([{【〔《", ")]}】〕》"


@dataclass(frozen=True)
class RoleRules:
    words: tuple[tuple[str, str], ...]  # (word, role), longest first
    labelled: tuple[tuple[str, str], ...]  # (label, role)
    deadline_labels: tuple[str, ...]
    list_separators: tuple[str, ...]
    unit_suffixes: tuple[str, ...]
    collective_prefixes: tuple[str, ...]


def load_role_rules(rules_dir: Path) -> RoleRules:
    path = rules_dir / "roles.yaml"
    sections = yaml_sections(path)
    words: list[tuple[str, str]] = []
    for role in ROLES:
        for line, word in sections.get(role, []):
            if not isinstance(word, str) or not word.strip():
                raise RulesError(path, line, f"role word under {role} must be a non-empty string")
            words.append((word.strip(), role))
    if not words:
        raise RulesError(path, None, "no role words (sections lead, cooperating, responsible)")
    labelled: list[tuple[str, str]] = []
    for line, entry in sections.get("labelled", []):
        require(entry, ["label", "role"], path, line)
        if entry["role"] not in ROLES:
            raise RulesError(path, line, f"role must be one of {', '.join(ROLES)}, not {entry['role']!r}")
        labelled.append((str(entry["label"]), str(entry["role"])))

    def strings(name: str) -> tuple[str, ...]:
        values = sections.get(name, [])
        if len(values) == 1 and isinstance(values[0][1], list):
            return tuple(str(v) for v in values[0][1])
        out = []
        for line, v in values:
            if not isinstance(v, str) or not v:
                raise RulesError(path, line, f"{name} entries must be non-empty strings")
            out.append(v)
        return tuple(out)

    return RoleRules(
        words=tuple(sorted(words, key=lambda w: -len(w[0]))),
        labelled=tuple(sorted(labelled, key=lambda w: -len(w[0]))),
        deadline_labels=strings("deadline_labels"),
        list_separators=strings("list_separators"),
        unit_suffixes=strings("unit_suffixes"),
        collective_prefixes=strings("collective_prefixes"),
    )


@dataclass
class Group:
    """One responsibility clause of an item: a parenthetical, a labelled line or table columns."""

    start: int  # span of the content in the folded item text
    end: int
    labelled: bool = False


@dataclass
class ParsedUnit:
    unit: str
    role: str
    etc: bool
    clause: int
    deadline: str = ""


_DEADLINE = re.compile(r"(?:(?:19|20)\d{2}年|\d{1,2}月|年内|年底|年末|上半年|下半年|季度|长期|持续|逐步|常态化|每年|全年|月底|前完成|前出台|前启动|完成时限)")
_BOOK = re.compile(r"《[^《》]*》")
_LEAD_MARK = re.compile(r"[（(]\s*牵头(?:单位|部门)?\s*[)）]$")
_BARE_ADMIN = re.compile(r"^(?:[市州县区盟旗]|[市州县区盟旗](?:人民政府|政府|委|局))$")


def _depth_map(text: str) -> list[int]:
    """Bracket depth before each character (all bracket kinds count)."""
    depth, out = 0, []
    for ch in text:
        if ch in CLOSE:
            depth = max(0, depth - 1)
        out.append(depth)
        if ch in OPEN:
            depth += 1
    return out


def split_top(text: str, seps: str) -> list[tuple[int, int]]:
    """Spans of text split on any of seps at bracket depth 0."""
    depth = _depth_map(text)
    spans, start = [], 0
    for i, ch in enumerate(text):
        if ch in seps and depth[i] == 0:
            spans.append((start, i))
            start = i + 1
    spans.append((start, len(text)))
    return spans


def parentheticals(norm: str) -> tuple[list[tuple[int, int]], bool]:
    """Top-level (...) groups as (content start, content end); and whether brackets balance.

    Brackets inside 《…》 titles are skipped: 《…（2020—2022年）》 names a plan.
    """
    masked = list(norm)
    for m in _BOOK.finditer(norm):
        for i in range(m.start(), m.end()):
            masked[i] = "x"
    groups: list[tuple[int, int]] = []
    depth, start, balanced = 0, -1, True
    for i, ch in enumerate(masked):
        if ch == "(":
            if depth == 0:
                start = i + 1
            depth += 1
        elif ch == ")":
            if depth == 0:
                balanced = False
                continue
            depth -= 1
            if depth == 0:
                groups.append((start, i))
    if depth:
        balanced = False
    return groups, balanced


class ResponsibilityParser:
    def __init__(self, rules: RoleRules) -> None:
        self.rules = rules
        self.role_words = rules.words
        label_alt = "|".join(re.escape(lbl) for lbl, _ in rules.labelled)
        dl_alt = "|".join(re.escape(lbl) for lbl in rules.deadline_labels) or "完成时限"
        self.label_re = re.compile(rf"({label_alt}|{dl_alt})\s*[:：]\s*")
        self.inline_label_re = re.compile(rf"[。；;]\s*((?:{label_alt})\s*[:：])")
        self.label_roles = dict(rules.labelled)
        self.deadline_labels = set(rules.deadline_labels)

    # --- finding groups -------------------------------------------------
    def looks_like_units(self, content: str) -> bool:
        parts = [content[a:b].strip() for a, b in split_top(content, ",、;")]
        parts = [p.rstrip("等") for p in parts if p]
        return bool(parts) and all(p.endswith(self.rules.unit_suffixes) or p.startswith(self.rules.collective_prefixes) or _BARE_ADMIN.match(p) for p in parts)

    def has_role_word(self, content: str) -> bool:
        return any(w in content for w, _ in self.role_words) or bool(self.label_re.search(content))

    def groups(self, norm: str) -> tuple[list[Group], list[str]]:
        warnings: list[str] = []
        found, balanced = parentheticals(norm)
        if not balanced:
            warnings.append("unbalanced brackets in item text")
        groups: list[Group] = []
        tail = norm.rstrip().rstrip("。;；.").rstrip()
        for a, b in found:
            content = norm[a:b]
            is_trailing = b + 1 >= len(tail)
            if len(content) > 400:
                warnings.append(f"responsibility parenthetical of {len(content)} characters ignored")
                continue
            if self.has_role_word(content) or (is_trailing and self.looks_like_units(content)):
                groups.append(Group(a, b))
            elif groups and groups[-1].end + 2 >= a and _DEADLINE.search(content) and len(content) <= 30:
                groups.append(Group(a, b))  # a deadline in brackets of its own, right after a clause
        # labelled lines: 责任单位：… / 牵头单位：…；配合单位：…
        # consecutive labelled lines (牵头单位：… / 配合单位：… / 完成时限：…) are one clause
        labelled: list[Group] = []
        previous_end = -2
        for m in re.finditer(r"(?:^|\n)([^\n]*)", norm):
            line = m.group(1)
            lm = self.label_re.match(line.strip())
            if not lm:
                # inline after a finished sentence: …推进改革。牵头单位：市发展改革委；配合单位：市财政局。
                inline = self.inline_label_re.search(line)
                if inline is None:
                    continue
                offset = m.start(1) + inline.start(1)
                if not any(g.start <= offset < g.end for g in groups):
                    labelled.append(Group(offset, m.end(1), labelled=True))
                    previous_end = m.end(1)
                continue
            if lm:
                offset = m.start(1) + (len(line) - len(line.lstrip()))
                if any(g.start <= offset < g.end for g in groups):
                    continue
                if labelled and previous_end + 1 == m.start(1):
                    labelled[-1].end = m.end(1)
                else:
                    labelled.append(Group(offset, m.end(1), labelled=True))
                previous_end = m.end(1)
        groups.extend(labelled)
        groups.sort(key=lambda g: g.start)
        return groups, warnings

    # --- parsing a group --------------------------------------------------
    def split_units(self, nt: NormText, start: int, end: int) -> list[tuple[str, bool]]:
        """Units of one list as printed, each with its 等 flag."""
        text = nt.text[start:end]
        out: list[tuple[str, bool]] = []
        collective_list = text.lstrip().startswith(self.rules.collective_prefixes)
        for sa, sb in self._sublists(text):
            sub = text[sa:sb].strip()
            lead_trim = len(text[sa:sb]) - len(text[sa:sb].lstrip())
            etc = sub.endswith("等")
            if etc:
                sub = sub[:-1].rstrip()
            base = start + sa + lead_trim
            for ua, ub in split_top(sub, "、,"):
                unit_norm = sub[ua:ub].strip()
                if not unit_norm:
                    continue
                inner = sub[ua:ub]
                ua2 = ua + (len(inner) - len(inner.lstrip()))
                raw = nt.raw(base + ua2, base + ua2 + len(unit_norm))
                raw = re.sub(r"^(?:由|会同|请|并|和|及)", "", raw).strip()
                raw = raw.rstrip("等").strip()
                if not re.search(r"[\u4e00-\u9fffA-Za-z]", raw):
                    continue  # a dash or a stray mark in a table cell: no unit
                if out and _BARE_ADMIN.match(raw) and (collective_list or out[-1][0].startswith(self.rules.collective_prefixes)):
                    # 各市、州、县人民政府 is one collective unit: 州 and 县人民政府 are not units alone
                    prev, prev_etc = out.pop()
                    out.append((prev + "、" + raw, prev_etc or etc))
                    continue
                if raw:
                    out.append((raw, etc))
        return out

    def _sublists(self, text: str) -> list[tuple[int, int]]:
        """Split on 及/和/与 where the left side ends like a unit (or in 等)."""
        depth = _depth_map(text)
        seps = sorted((s for s in self.rules.list_separators if s not in "、,"), key=len, reverse=True)
        spans, start, i = [], 0, 0
        while i < len(text):
            hit = next((s for s in seps if text.startswith(s, i) and depth[i] == 0), None)
            if hit and i > start:
                left = text[start:i].rstrip()
                if left.endswith("等") or left.endswith(self.rules.unit_suffixes):
                    spans.append((start, i))
                    start = i + len(hit)
                    i = start
                    continue
            i += 1
        spans.append((start, len(text)))
        return spans

    def role_word_at_end(self, text: str) -> tuple[str, str] | None:
        t = text.rstrip()
        for word, role in self.role_words:
            if t.endswith(word):
                return word, role
        return None

    def parse_group(self, nt: NormText, group: Group, clause: int) -> tuple[list[ParsedUnit], str]:
        """Units and the clause deadline of one group."""
        text = nt.text[group.start : group.end]
        units: list[ParsedUnit] = []
        deadline = ""
        pending: list[tuple[str, bool]] = []
        lead_seen = False
        deadline_span: tuple[int, int] | None = None

        def assign(items: list[tuple[str, bool]], role: str) -> None:
            nonlocal lead_seen
            if any(_LEAD_MARK.search(unit) for unit, _ in items):
                # 责任单位：局城建科（牵头）、市行政审批服务局: the marked unit leads, the others cooperate
                for unit, etc in items:
                    marked = bool(_LEAD_MARK.search(unit))
                    units.append(ParsedUnit(_LEAD_MARK.sub("", unit).strip(), "lead" if marked else "cooperating", etc, clause))
                lead_seen = True
                return
            if role == "responsible" and lead_seen:
                role = "cooperating"
            for unit, etc in items:
                units.append(ParsedUnit(unit, role, etc, clause))
            if role == "lead":
                lead_seen = True

        for sa, sb in split_top(text, ",;，；。\n"):
            seg = text[sa:sb]
            stripped = seg.strip()
            if not stripped:
                continue
            base = group.start + sa + (len(seg) - len(seg.lstrip()))
            # labelled: 牵头单位：X / 完成时限：Y (several labels may share one segment)
            lm = self.label_re.match(stripped)
            if lm:
                label = lm.group(1)
                rest_a, rest_b = base + lm.end(), base + len(stripped)
                if label in self.deadline_labels:
                    deadline_span = (rest_a, rest_b)
                    deadline = nt.raw(rest_a, rest_b).strip()
                    continue
                role = self.label_roles.get(label, "responsible")
                rest = nt.text[rest_a:rest_b]
                inner = self.role_word_at_end(rest)
                if inner is not None and len(rest.rstrip()) > len(inner[0]):
                    # 责任单位：农产品质量安全监管司牵头 — the role word inside the value decides
                    role = inner[1]
                    rest_b = rest_a + len(rest.rstrip()) - len(inner[0])
                if pending:
                    assign(pending, role)
                    pending = []
                assign(self.split_units(nt, rest_a, rest_b), role)
                continue
            hit = self.role_word_at_end(stripped)
            if hit is None:
                # role word inside the segment: 省财政厅牵头负责落实
                for word, role in self.role_words:
                    pos = stripped.find(word)
                    if pos > 0 and self.looks_like_units(stripped[:pos].replace("按职责分工", "").replace("按职责", "")):
                        hit = (stripped[pos:], role)
                        break
            if hit is not None:
                word, role = hit
                head = stripped[: len(stripped) - len(word)]
                # strip words that sit between the units and the role word
                for filler in ("按照职责分工", "按职责分工", "按职责", "分别", "共同", "具体", "会同有关方面"):
                    if head.endswith(filler):
                        head = head[: -len(filler)]
                if not head.strip() and not pending:
                    continue
                parsed = self.split_units(nt, base, base + len(head)) if head.strip() else []
                assign(pending + parsed, role)
                pending = []
                continue
            if _DEADLINE.search(stripped) and not self.looks_like_units(stripped):
                if deadline_span and deadline_span[1] >= base - 2:
                    deadline_span = (deadline_span[0], base + len(stripped))  # 6月底前启动，12月底前完成
                else:
                    deadline_span = (base, base + len(stripped))
                deadline = nt.raw(*deadline_span).strip()
                continue
            if self.looks_like_units(stripped):
                pending.extend(self.split_units(nt, base, base + len(stripped)))
        if pending:
            assign(pending, "cooperating" if lead_seen else "responsible")
        return units, deadline

    # --- an item ------------------------------------------------------------
    def parse_item(self, item: Item) -> tuple[list[ParsedUnit], str, str, list[str]]:
        """(units, responsibility_raw, item deadline, warnings)."""
        nt = normalize(item.text)
        groups, warnings = self.groups(nt.text)
        units: list[ParsedUnit] = []
        raws: list[str] = []
        deadlines: list[str] = []
        number = 0
        last_group: list[ParsedUnit] = []
        for group in groups:
            parsed, deadline = self.parse_group(nt, group, number + 1)
            if not parsed and deadline and last_group and not group.labelled:
                # （省财政厅牵头）（2023年12月底前）: a deadline in brackets of its own closes the clause before it
                for p in last_group:
                    p.deadline = p.deadline or deadline
                deadlines.append(deadline)
                continue
            number += 1
            for p in parsed:
                p.deadline = deadline
            units.extend(parsed)
            last_group = parsed
            raws.append(nt.raw(group.start, group.end).strip())
            if deadline:
                deadlines.append(deadline)
            if group.labelled and not parsed and not deadline:
                warnings.append(f"empty responsibility line: {nt.raw(group.start, group.end).strip()}")
        return units, " | ".join(raws), "；".join(dict.fromkeys(deadlines)), warnings
