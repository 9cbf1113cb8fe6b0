"""Task-division tables (序号 | 重点任务 | 牵头单位 | 配合单位 | 完成时限) as items.

Many plans put their tasks in a table instead of numbered paragraphs. Each
task row becomes an item whose text is the task cell followed by one
labelled line per unit or deadline column (牵头单位：…), exactly as a text
item with 责任单位 lines would read, so that the responsibility and target
stages treat both forms alike.
"""

from __future__ import annotations

import re

from pipeline.records import Item
from pipeline.textnorm import compact, fold

_TASK_HEAD = re.compile(r"任务|工作内容|主要内容|具体措施|工作措施|举措|事项|内容")
_SEQ_HEAD = re.compile(r"^(?:序号|编号|序)$")
_UNIT_HEAD = re.compile(r"牵头|责任|配合|协办|参与|负责|主办")
_DEADLINE_HEAD = re.compile(r"时限|时间|进度|节点")
_SECTION_LABEL = re.compile(r"^\s*(?P<n>[一二三四五六七八九十]{1,3})\s*[、.]|^\s*\(\s*(?P<p>[一二三四五六七八九十]{1,3})\s*\)")


def _column_label(header: str) -> str:
    """The labelled-line form of a column: headers vary (牵头部门（单位）, 时间进度), labels do not."""
    if _UNIT_HEAD.search(header):
        if "牵头" in header or "主办" in header:
            return "牵头单位"
        if re.search(r"配合|协办|参与", header):
            return "配合单位"
        return "责任单位"
    return "完成时限"


def _header_index(rows: list[list[str]]) -> int | None:
    for i, row in enumerate(rows[:4]):
        cells = [compact(c) for c in row]
        if any(_TASK_HEAD.search(c) for c in cells) and any(_UNIT_HEAD.search(c) for c in cells):
            return i
    return None


def is_task_table(rows: list[list[str]]) -> bool:
    return _header_index(rows) is not None


def table_row_lines(rows: list[list[str]]) -> set[str]:
    """The body lines a table produced (cells joined by ' | '), to keep them out of the text pass."""
    lines = set()
    for row in rows:
        lines.add(" | ".join(c.strip() for c in row).strip())
        # a colspan row repeats its cell; extract may print it once
        uniq = list(dict.fromkeys(c.strip() for c in row))
        lines.add(" | ".join(uniq).strip())
    return lines


def table_warnings(rows: list[list[str]]) -> list[str]:
    """Ragged rows (fewer or more cells than the header) are read, padded, and reported."""
    head = _header_index(rows)
    if head is None:
        return []
    width = len(rows[head])
    ragged = [i + 1 for i, row in enumerate(rows) if i > head and len(row) != width]
    if not ragged:
        return []
    shown = ", ".join(str(n) for n in ragged[:5]) + (" …" if len(ragged) > 5 else "")
    return [f"task table: {len(ragged)} row(s) with a cell count other than the header's {width} (rows {shown})"]


def table_items(doc_id: str, rows: list[list[str]], first_seq: int) -> list[Item]:
    head = _header_index(rows)
    if head is None:
        return []
    header = [compact(c) for c in rows[head]]
    seq_col = next((i for i, h in enumerate(header) if _SEQ_HEAD.match(h)), None)
    task_cols = [i for i, h in enumerate(header) if _TASK_HEAD.search(h) and not _UNIT_HEAD.search(h) and not _DEADLINE_HEAD.search(h)]
    # 重点任务 | 具体措施: the last, most specific task column is the item; the earlier ones group items
    task_col = task_cols[-1]
    group_cols = task_cols[:-1]
    labelled = [(i, _column_label(h)) for i, h in enumerate(header) if i != task_col and (_UNIT_HEAD.search(h) or _DEADLINE_HEAD.search(h))]
    items: list[Item] = []
    section_label, section_title = "", ""
    for row in rows[head + 1 :]:
        cells = [c.strip() for c in row] + [""] * (len(header) - len(row))
        distinct = {c for c in cells if c}
        if len(distinct) == 1 and len(cells) > 1:
            # a colspan section row: 一、数字基础设施
            title = next(iter(distinct))
            m = _SECTION_LABEL.match(fold(title))
            section_label = (m.group("n") or m.group("p")) if m else ""
            section_title = title[m.end() :].strip() if m else title
            continue
        task = cells[task_col] if task_col < len(cells) else ""
        if not task:
            continue
        group_title = " ".join(cells[c] for c in group_cols if c < len(cells) and cells[c])
        number = fold(cells[seq_col]).strip().rstrip(".、") if seq_col is not None else str(len(items) + 1)
        path = f"{section_label}/{number}" if section_label else number
        lines = [task]
        for col, label in labelled:
            value = cells[col] if col < len(cells) else ""
            if label != "完成时限":
                # a <br> between units in a cell is a separator; a dash means "none"
                value = re.sub(r"\s+", "、", value.strip())
                if not re.search(r"[\u4e00-\u9fffA-Za-z]", value):
                    value = ""
            if value:
                lines.append(f"{label}：{value}")
        items.append(
            Item(
                item_id=f"{doc_id}:{path}",
                seq=first_seq + len(items),
                path=path,
                number=number,
                level=2 if section_label else 1,
                section_title=section_title or group_title,
                text="\n".join(lines),
                label=cells[seq_col] if seq_col is not None else "",
            )
        )
    return items
