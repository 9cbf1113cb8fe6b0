"""Structure: split a body into its numbered hierarchy and find the task items.

The genre numbers its tasks in a handful of ways (一、 / （一） / 1. / （1） / ① /
第一条), nested in an order each document chooses. We do not fix the depth of
a form: the first form seen is the top level, a new form goes one level
deeper, and meeting a form already open closes everything below it. A
numbered block with numbered children is a heading; a numbered block with
none is a task item (a leaf), unless it is a bare heading such as 五、保障措施
followed only by prose. Numbering gaps and duplicates become warnings on the
document; labels are never renumbered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.records import Item
from pipeline.rulesio import RulesError, compile_regex, line_of, require, yaml_sections
from pipeline.textnorm import fold

CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


@dataclass(frozen=True)
class LabelRule:
    kind: str
    pattern: re.Pattern[str]
    numeral: str


@dataclass(frozen=True)
class NumberingRules:
    labels: tuple[LabelRule, ...]
    closing_markers: tuple[str, ...] = ()
    leaf_kinds: frozenset[str] = frozenset()
    sub_point_kinds: frozenset[str] = frozenset()


def load_numbering_rules(rules_dir: Path) -> NumberingRules:
    path = rules_dir / "numbering.yaml"
    sections = yaml_sections(path)
    labels: list[LabelRule] = []
    for line, entry in sections.get("labels", []):
        require(entry, ["kind", "pattern", "numeral"], path, line)
        if entry["numeral"] not in {"arabic", "chinese", "circled"}:
            raise RulesError(
                path,
                line_of(entry, "numeral", line),
                f"numeral must be arabic, chinese or circled, not {entry['numeral']!r}",
            )
        pattern = compile_regex(entry["pattern"], path, line_of(entry, "pattern", line))
        if "n" not in pattern.groupindex:
            raise RulesError(path, line, "pattern needs a named group (?P<n>...) for the bare label")
        labels.append(LabelRule(str(entry["kind"]), pattern, str(entry["numeral"])))
    if not labels:
        raise RulesError(path, None, "no numbering labels defined under 'labels'")
    closing = tuple(str(e) for _, e in sections.get("closing_markers", []))
    kinds = {rule.kind for rule in labels}
    leaf_kinds = set()
    for line, kind in sections.get("leaf_kinds", []):
        values = kind if isinstance(kind, list) else [kind]
        for value in values:
            if value not in kinds:
                raise RulesError(path, line, f"leaf kind {value!r} is not a kind defined under labels")
            leaf_kinds.add(str(value))
    sub_points = set()
    for line, kind in sections.get("sub_point_kinds", []):
        for value in kind if isinstance(kind, list) else [kind]:
            if value not in kinds:
                raise RulesError(path, line, f"sub-point kind {value!r} is not a kind defined under labels")
            sub_points.add(str(value))
    return NumberingRules(tuple(labels), closing, frozenset(leaf_kinds), frozenset(sub_points))


def numeral_value(label: str, numeral: str) -> int | None:
    """The integer a bare label stands for, for gap checks (一 → 1, 十二 → 12, ③ → 3)."""
    if numeral == "arabic":
        return int(label) if label.isdigit() else None
    if numeral == "circled":
        return CIRCLED.index(label) + 1 if label in CIRCLED else None
    total, current = 0, 0
    for ch in label:
        if ch in _CN_DIGITS:
            current = _CN_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current


@dataclass
class Block:
    """A paragraph of the body, numbered or not."""

    text: str  # the paragraph after its label (the whole paragraph when unlabelled)
    kind: str = ""
    label: str = ""  # bare
    printed_label: str = ""
    value: int | None = None
    depth: int = 0
    path: tuple[str, ...] = ()
    children: int = 0
    extra: list[str] = field(default_factory=list)  # continuation paragraphs
    parent: int = -1  # index of the parent block, -1 at the top


_SENTENCE_END = tuple("。；;！!？?")
_RESP_LINE = re.compile(r"^\s*(?:牵头单位|牵头部门|责任单位|责任部门|配合单位|配合部门|协办单位|参与单位|负责单位|完成时限|完成时间|时间节点)\s*[:：]")
_TRAILING_PAREN = re.compile(r"[)）]\s*[。；;]?\s*$")
_SIGNATURE = re.compile(
    r"^(?:[\u4e00-\u9fff（）()]{2,30}(?:政府|办公厅|办公室|委员会|领导小组|局|厅|部|委)|(?:19|20)\d{2}年\d{1,2}月\d{1,2}日|[二〇一二三四五六七八九零]{4}年[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日)$"
)
_DEFAULT_CLOSING = (
    "各地",
    "各市",
    "各县",
    "各区",
    "各部门",
    "各单位",
    "各有关",
    "各级",
    "本方案",
    "本办法",
    "本意见",
    "本通知",
    "本条例",
    "本规定",
    "本细则",
    "本要点",
    "附件",
    "抄送",
    "联系人",
    "联系电话",
)


def match_label(line: str, rules: NumberingRules) -> tuple[LabelRule, str, int] | None:
    """(rule, bare label, length of the printed label) when the line starts with a label."""
    folded = fold(line)
    stripped = folded.lstrip()
    lead = len(folded) - len(stripped)
    for rule in rules.labels:
        m = rule.pattern.match(stripped)
        if m and m.end() < len(stripped):
            return rule, m.group("n"), lead + m.end()
    return None


def _is_heading_text(text: str) -> bool:
    """A short title without sentence punctuation: 保障措施, 加强组织领导."""
    t = text.strip()
    return len(t) <= 30 and not any(p in t for p in "。；;") and not _TRAILING_PAREN.search(t)


def _join(previous: str, following: str) -> str:
    """Join a continuation paragraph: a line break after a finished sentence or around a labelled line."""
    last_line = previous.rsplit("\n", 1)[-1]
    if (
        previous.rstrip().endswith(_SENTENCE_END)
        or _TRAILING_PAREN.search(previous)
        or _RESP_LINE.match(fold(following))
        or _RESP_LINE.match(fold(last_line))
        or previous.rstrip().endswith((":", "："))
    ):
        return previous.rstrip() + "\n" + following.strip()
    return previous.rstrip() + following.strip()


def parse_blocks(lines: list[str], rules: NumberingRules) -> list[Block]:
    blocks: list[Block] = []
    for raw_line in lines:
        line = raw_line.strip()
        if not line:
            continue
        hit = match_label(line, rules)
        if hit is None:
            blocks.append(Block(text=line))
            continue
        rule, bare, length = hit
        blocks.append(
            Block(
                text=line[length:].strip(),
                kind=rule.kind,
                label=bare,
                printed_label=line[:length].strip(),
                value=numeral_value(bare, rule.numeral),
            )
        )
    return blocks


def assign_depths(blocks: list[Block]) -> None:
    """Depth by first appearance of each form; a form already open closes the deeper ones."""
    stack: list[str] = []
    labels: list[str] = []
    parent_of: list[int] = []  # index into blocks of the open block at each depth
    for index, block in enumerate(blocks):
        if not block.kind:
            continue
        if block.kind in stack:
            cut = stack.index(block.kind)
            del stack[cut + 1 :]
            del labels[cut:]
            del parent_of[cut:]
        else:
            stack.append(block.kind)
        labels.append(block.label)
        block.depth = len(stack)
        block.path = tuple(labels)
        if len(parent_of) >= 1 and block.depth > 1:
            blocks[parent_of[-1]].children += 1
            block.parent = parent_of[-1]
        parent_of.append(index)


def numbering_warnings(blocks: list[Block]) -> list[str]:
    """Gaps and duplicates among siblings; numbering may restart at 1 or run on across parents."""
    warnings: list[str] = []
    last: dict[tuple[tuple[str, ...], str], int] = {}
    last_of_kind: dict[str, int] = {}
    seen_paths: set[tuple[str, ...]] = set()
    for block in blocks:
        if not block.kind or block.value is None:
            continue
        parent = block.path[:-1]
        prev = last.get((parent, block.kind))
        if prev is None:
            running = last_of_kind.get(block.kind)
            ok = block.value == 1 or (running is not None and block.value == running + 1)
            if not ok and not (running is None and block.value == 1):
                warnings.append(f"numbering: {block.printed_label} opens {'/'.join(parent) or 'the document'} (expected 1)")
        elif block.value == prev:
            warnings.append(f"numbering: duplicate {block.printed_label} under {'/'.join(parent) or 'the top level'}")
        elif block.value != prev + 1:
            warnings.append(f"numbering: {block.printed_label} follows {prev} under {'/'.join(parent) or 'the top level'} (gap)")
        if block.path in seen_paths:
            warnings.append(f"numbering: path {'/'.join(block.path)} occurs twice")
        seen_paths.add(block.path)
        last[(parent, block.kind)] = block.value
        last_of_kind[block.kind] = block.value
    return warnings


def _closes(text: str, markers: tuple[str, ...]) -> bool:
    return text.startswith(markers) or bool(_SIGNATURE.match(text.strip()))


def absorb_below_leaf_kinds(blocks: list[Block], leaf_kinds: frozenset[str]) -> list[Block]:
    """Numbered blocks under an article (第十条 （一）…（四）) are part of the article's text."""
    if not leaf_kinds:
        return blocks
    out: list[Block] = []
    owner: Block | None = None
    for block in blocks:
        if block.kind in leaf_kinds:
            owner = block
        elif owner is not None and block.kind and block.kind not in leaf_kinds:
            # a label of a kind that opened before the leaf kind (a new 第二章) ends the article
            if block.kind in {"chapter", "section"}:
                owner = None
            else:
                owner.extra.append(block.printed_label + block.text)
                continue
        out.append(block)
    return out


def absorb_sub_points(blocks: list[Block], kinds: frozenset[str]) -> None:
    """Sub-points (①②③) that share one responsibility clause are part of their parent item.

    （２）推进社区服务：\n①…\n②…\n③…（市民政局等按职责分工负责） is one task whose
    parts are listed; sub-points that carry clauses of their own stay items.
    """
    if not kinds:
        return
    by_parent: dict[int, list[Block]] = {}
    for block in blocks:
        if block.kind in kinds and block.parent >= 0:
            by_parent.setdefault(block.parent, []).append(block)
    for parent_index, children in by_parent.items():
        parent = blocks[parent_index]
        if parent.children != len(children):
            continue  # mixed children: leave the hierarchy as printed
        own_clauses = sum(1 for c in children if _TRAILING_PAREN.search(c.extra[-1] if c.extra else c.text))
        if own_clauses > 1:
            continue
        for child in children:
            parent.extra.append(child.printed_label + child.text)
            parent.extra.extend(child.extra)
            child.kind = ""  # no longer a numbered block of its own
        parent.children = 0


def build_items(doc_id: str, body: str, rules: NumberingRules, skip_lines: set[str] | None = None) -> tuple[list[Item], list[str]]:
    """Items (leaves of the numbering) of a body with one block per line, and warnings."""
    lines = [ln for ln in body.split("\n") if not skip_lines or ln.strip() not in skip_lines]
    blocks = absorb_below_leaf_kinds(parse_blocks(lines, rules), rules.leaf_kinds)
    assign_depths(blocks)
    warnings = numbering_warnings(blocks)
    markers = rules.closing_markers or _DEFAULT_CLOSING

    # attach unnumbered paragraphs to the open item before them
    current: Block | None = None
    closed = False
    for block in blocks:
        if block.kind:
            current = block
            closed = bool(_TRAILING_PAREN.search(block.text)) and block.children == 0
            continue
        if current is None or current.children:
            continue
        text = block.text
        if _RESP_LINE.match(fold(text)):
            current.extra.append(text)
            closed = True
            continue
        if closed or _closes(text, markers):
            current = None
            continue
        current.extra.append(text)
        closed = bool(_TRAILING_PAREN.search(text))

    absorb_sub_points(blocks, rules.sub_point_kinds)
    numbered = [b for b in blocks if b.kind]
    top_titles: dict[str, str] = {}
    for b in numbered:
        if b.depth == 1:
            top_titles[b.path[0]] = b.text
    items: list[Item] = []
    seen: dict[str, int] = {}
    for b in numbered:
        if b.children:
            continue
        if _is_heading_text(b.text) and not b.extra:
            continue  # a bare heading such as 五、保障措施 followed by prose
        text = b.text
        for extra in b.extra:
            text = _join(text, extra)
        path = "/".join(b.path)
        seen[path] = seen.get(path, 0) + 1
        item_path = path if seen[path] == 1 else f"{path}~{seen[path]}"
        section = top_titles.get(b.path[0], "") if b.depth > 1 else ""
        items.append(
            Item(
                item_id=f"{doc_id}:{item_path}",
                seq=len(items) + 1,
                path=item_path,
                number=b.label,
                level=b.depth,
                section_title=section,
                text=text,
                label=b.printed_label,
            )
        )
    return items, warnings
