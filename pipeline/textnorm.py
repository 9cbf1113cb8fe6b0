"""Normalisation for matching that keeps offsets honest.

Pages mix full-width and ASCII digits, brackets and commas, and carry
&nbsp;, ideographic spaces and zero-width characters. Rules are written
against one form (ASCII digits and brackets), but every value we report must
point into the text we write out. `NormText` holds both: the normalised
string for matching and, for each of its characters, the offset of the
character it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}
_SPACES = {"\u3000", "\u00a0", "\u2002", "\u2003", "\u2009", "\u202f", "\t"}
# Full-width forms U+FF01..U+FF5E map to ASCII U+0021..U+007E, except those
# that Chinese text uses as its own punctuation and whose ASCII twin would
# change meaning for the rules (none at present: all fold).
_EXTRA = {
    "﹪": "%",
    "％": "%",
    "﹙": "(",
    "﹚": ")",
    "〈": "<",
    "〉": ">",
}


def fold_char(ch: str) -> str:
    """The matching form of one character ("" when it is dropped)."""
    if ch in _ZERO_WIDTH:
        return ""
    if ch in _SPACES:
        return " "
    code = ord(ch)
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - 0xFEE0)
    return _EXTRA.get(ch, ch)


@dataclass(frozen=True)
class NormText:
    """A normalised string and the map back to the original's offsets."""

    original: str
    text: str
    index: tuple[int, ...]  # index[i] = offset in original of text[i]; index[len(text)] = len(original)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the normalised text to the original."""
        if end <= start:
            pos = self.index[start]
            return pos, pos
        return self.index[start], self.index[end - 1] + 1

    def raw(self, start: int, end: int) -> str:
        a, b = self.span(start, end)
        return self.original[a:b]


# One table for str.translate: every character that folds to another single character.
_TABLE: dict[int, str | None] = {code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}
_TABLE.update({ord(ch): " " for ch in _SPACES})
_TABLE.update({ord(k): v for k, v in _EXTRA.items()})
_TABLE.update({ord(ch): None for ch in _ZERO_WIDTH})


@lru_cache(maxsize=8192)
def normalize(original: str) -> NormText:
    """Fold `original` for matching; cached, since every stage folds the same item texts."""
    if not any(ch in original for ch in _ZERO_WIDTH):
        # the common case: folding maps one character to one, so offsets are unchanged
        return NormText(original, original.translate(_TABLE), tuple(range(len(original) + 1)))
    out: list[str] = []
    index: list[int] = []
    for pos, ch in enumerate(original):
        folded = fold_char(ch)
        if not folded:
            continue
        out.append(folded)
        index.append(pos)
    index.append(len(original))
    return NormText(original, "".join(out), tuple(index))


def fold(text: str) -> str:
    """The normalised string alone, for comparisons (gold against output)."""
    return text.translate(_TABLE)


def compact(text: str) -> str:
    """Folded and without any white space: for comparing text across markups."""
    return "".join(fold(text).split())
