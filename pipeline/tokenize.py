"""Tokens for the target semantics: spaCy's blank Chinese pipeline with the jieba segmenter.

Actions must sit on word boundaries: 补贴 is an action in 补贴农户 but not in
补贴性职业技能培训, and 服务 is not one in 服务站. Segmenting the clause with
jieba (with the user dictionary in rules/jieba_userdict.txt and every action
word added) and matching actions as whole tokens with spaCy's PhraseMatcher
and the token patterns of rules/target_patterns.jsonl keeps them there.
The packaged zh models cannot be downloaded here, so the pipeline is blank;
part-of-speech tags come from jieba's dictionary.

spaCy and jieba load on first use only, so `--help` stays instant.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.rulesio import RulesError, jsonl_rows

_LOCK = threading.Lock()


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    pos: str  # jieba's tag for dictionary words ("" when unknown)


class Tokenizer:
    """Segmenter and action matcher, built once per rules folder."""

    def __init__(self, rules_dir: Path, actions: tuple[str, ...]) -> None:
        import jieba
        import jieba.posseg
        import spacy
        from spacy.matcher import Matcher, PhraseMatcher

        jieba.setLogLevel(logging.WARNING)
        userdict = rules_dir / "jieba_userdict.txt"
        with _LOCK:
            if userdict.exists():
                try:
                    jieba.load_userdict(str(userdict))
                except (ValueError, UnicodeDecodeError) as exc:
                    raise RulesError(userdict, None, f"bad jieba user dictionary: {exc}") from None
            for word in actions:
                jieba.add_word(word, freq=2000, tag="v")
        self._tags: dict[str, str] = jieba.posseg.dt.word_tag_tab
        self.nlp: Any = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
        self.phrases = PhraseMatcher(self.nlp.vocab)
        self.phrases.add("ACTION", [self.nlp.make_doc(a) for a in actions])
        self.matcher = Matcher(self.nlp.vocab)
        path = rules_dir / "target_patterns.jsonl"
        if path.exists():
            for line, row in jsonl_rows(path):
                label, pattern = row.get("label"), row.get("pattern")
                if not isinstance(label, str) or not isinstance(pattern, list) or not pattern:
                    raise RulesError(path, line, "each row needs a label and a non-empty token pattern list")
                try:
                    self.matcher.add(label, [pattern])
                except Exception as exc:  # spaCy raises its own error types for bad patterns
                    raise RulesError(path, line, f"bad token pattern: {exc}") from None

    def tokens(self, text: str) -> list[Token]:
        return list(self._tokens(text))

    @lru_cache(maxsize=16384)  # noqa: B019 -- tokenizers are few and live as long as the process
    def _tokens(self, text: str) -> tuple[Token, ...]:
        doc = self.nlp.make_doc(text)
        return tuple(Token(t.text, t.idx, t.idx + len(t.text), self._tags.get(t.text, "")) for t in doc)

    def action_spans(self, text: str) -> list[tuple[int, int]]:
        return list(self._action_spans(text))

    @lru_cache(maxsize=16384)  # noqa: B019
    def _action_spans(self, text: str) -> tuple[tuple[int, int], ...]:
        """Character spans of action words on token boundaries, in order (overlaps merged)."""
        doc = self.nlp.make_doc(text)
        spans: list[tuple[int, int]] = []
        for match_id, start, end in list(self.phrases(doc)) + list(self.matcher(doc)):
            if self.nlp.vocab.strings[match_id] != "ACTION":
                continue
            span = doc[start:end]
            spans.append((span.start_char, span.end_char))
        spans.sort()
        merged: list[tuple[int, int]] = []
        for a, b in spans:
            if merged and a < merged[-1][1]:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        return tuple(merged)


_CACHE: dict[tuple[str, tuple[str, ...]], Tokenizer] = {}


def tokenizer(rules_dir: Path, actions: tuple[str, ...]) -> Tokenizer:
    key = (str(rules_dir), actions)
    with _LOCK:
        hit = _CACHE.get(key)
    if hit is None:
        hit = Tokenizer(rules_dir, actions)
        with _LOCK:
            _CACHE[key] = hit
    return hit
