"""Normalisation for matching keeps offsets into the text as written."""

from __future__ import annotations

import pytest

from pipeline.targets import TargetExtractor, load_target_rules
from pipeline.textnorm import normalize


@pytest.mark.parametrize(
    "original,folded",
    [
        ("新建５Ｇ基站２．５万个", "新建5G基站2.5万个"),
        ("覆盖率达到８５％", "覆盖率达到85%"),
        ("（省财政厅牵头）", "(省财政厅牵头)"),
        ("新建\u200b100\u200d个", "新建100个"),
        ("改造\u00a0老旧小区\u3000100个", "改造 老旧小区 100个"),
    ],
)
def test_fold_and_map_back(original, folded):
    nt = normalize(original)
    assert nt.text == folded
    for i, ch in enumerate(nt.text):
        assert nt.original[nt.index[i]] in (ch, chr(ord(ch) + 0xFEE0), "％", "\u00a0", "\u3000")


@pytest.mark.parametrize(
    "text,raw",
    [
        ("新建５Ｇ基站２．５万个。", "２．５万个"),
        ("新建5G基站2.5\u200b万个。", "2.5\u200b万个"),
        ("改造城镇老旧小区１０００个以上。", "１０００个以上"),
        ("覆盖率达到８５％。", "８５％"),
    ],
)
def test_target_offsets_index_the_written_text(root, text, raw):
    extractor = TargetExtractor(load_target_rules(root / "rules"))
    [target] = extractor.extract("t", text)
    assert target.raw == raw
    assert text[target.start : target.end] == raw
