"""Bytes of an HTML page to text, in the encoding the page really uses.

Chinese government pages come in UTF-8, GB2312, GBK and GB18030, and the
declaration is often wrong: a page that says gb2312 holds GBK-only
characters (— is A1AA in GBK but not in GB2312), a template says utf-8 over
GBK bytes, a server says iso-8859-1 for everything. We therefore take the
declarations in order of authority (HTTP header, then <meta>), but only
while the bytes agree with them, and fall back to detection. The GB family
is always decoded as GB18030, its superset, so that no character a page
holds is lost. No U+FFFD ever leaves this module: undecodable bytes are
replaced only as a last resort, then dropped, and a warning says so.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

from charset_normalizer import from_bytes

# Declared names that mean "some GB encoding": decode all of them as GB18030.
_GB_FAMILY = {
    "gb2312", "gbk", "gb18030", "x-gbk", "gb_2312-80", "gb_2312", "cp936", "ms936", "csgb2312", "euc-cn",
}  # fmt: skip
# Single-byte Western declarations: on a Chinese page with non-ASCII bytes they are never right.
_WESTERN = {codecs.lookup(name).name for name in ("iso-8859-1", "windows-1252", "us-ascii")}
_UTF8 = {"utf-8", "utf8", "utf_8", "unicode-1-1-utf-8"}
# How far into the page a <meta charset> is looked for: heads with long inline scripts push it late.
_META_SCAN_BYTES = 16384
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)"""
    rb"""|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""",
    re.IGNORECASE,
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16"),
)


@dataclass
class Decoded:
    """The page's text, the encoding it was read in, and what went wrong on the way."""

    text: str
    encoding: str
    warnings: list[str] = field(default_factory=list)


def canonical_encoding(name: str | None) -> str:
    """A codec name Python knows, with the GB family folded into gb18030; "" if unknown."""
    if not name:
        return ""
    lowered = name.strip().strip("\"'").lower()
    if lowered in _GB_FAMILY:
        return "gb18030"
    if lowered in _UTF8 or lowered.startswith("utf-16"):
        # A <meta> cannot declare UTF-16 (it would not be readable as ASCII); browsers read such pages as UTF-8.
        return "utf-8"
    try:
        return codecs.lookup(lowered).name
    except LookupError:
        return ""


def sniff_meta_charset(raw: bytes) -> str:
    """The charset a <meta> (or XML declaration) in the page's head declares, as written."""
    match = _META_CHARSET.search(raw[:_META_SCAN_BYTES])
    if not match:
        return ""
    found = match.group(1) or match.group(2) or b""
    return found.decode("ascii", "ignore")


def _strict(raw: bytes, encoding: str) -> tuple[str, bool] | None:
    """Decode strictly; tolerate only a multibyte character cut off at the very end.

    Returns (text, truncated) or None when the bytes are not in this encoding.
    A truncated download ends mid-character; that must not cost the page.
    """
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        text = decoder.decode(raw, final=False)
    except (UnicodeDecodeError, LookupError):
        return None
    pending = decoder.getstate()[0]
    return text, bool(pending)


def _is_utf8(raw: bytes) -> bool:
    """Valid UTF-8 holding non-ASCII text: GB bytes of real text practically never are."""
    if raw.isascii():
        return False
    return _strict(raw, "utf-8") is not None


def _detect(raw: bytes) -> list[str]:
    """Encodings detection proposes, most plausible first.

    UTF-8 validity is checked first because it is exact. charset-normalizer
    ranks cp949 or cp932 level with GB18030 on short Chinese pages; these are
    Chinese government pages, so a GB-family candidate is put first whenever
    the detector lists one at all.
    """
    if _is_utf8(raw):
        return ["utf-8"]
    proposals = [canonical_encoding(match.encoding) for match in from_bytes(raw)]
    proposals = [p for p in proposals if p]
    if "gb18030" in proposals:
        proposals.remove("gb18030")
        proposals.insert(0, "gb18030")
    return [*proposals, "gb18030", "utf-8"]


def _candidates(raw: bytes, http_charset: str | None, warnings: list[str]) -> list[tuple[str, str]]:
    """(encoding, where it came from) in order of authority, declarations first."""
    out: list[tuple[str, str]] = []
    for origin, declared in (("HTTP header", http_charset), ("<meta>", sniff_meta_charset(raw))):
        if not declared:
            continue
        encoding = canonical_encoding(declared)
        if not encoding:
            warnings.append(f"{origin} declares unknown charset {declared!r}; ignored")
        elif encoding in _WESTERN:
            if not raw.isascii():
                warnings.append(f"{origin} declares {declared}, which cannot hold this page's text; ignored")
        else:
            out.append((encoding, origin))
    return out + [(enc, "detection") for enc in _detect(raw)]


def _last_resort(raw: bytes, warnings: list[str]) -> Decoded:
    """Decode with replacement in whichever of GB18030/UTF-8 loses fewer bytes, then drop U+FFFD."""
    best_text, best_enc, best_bad = "", "gb18030", -1
    for encoding in ("gb18030", "utf-8"):
        text = raw.decode(encoding, errors="replace")
        bad = text.count("\ufffd")
        if best_bad < 0 or bad < best_bad:
            best_text, best_enc, best_bad = text, encoding, bad
    warnings.append(f"bytes not valid in any candidate encoding; {best_bad} undecodable sequence(s) dropped (read as {best_enc})")
    return Decoded(best_text.replace("\ufffd", ""), best_enc, warnings)


def _finish(text: str, encoding: str, warnings: list[str]) -> Decoded:
    """Drop any U+FFFD the page itself carried (an earlier mis-decoding), saying so."""
    if "\ufffd" in text:
        warnings.append(f"page holds {text.count(chr(0xFFFD))} U+FFFD replacement character(s); removed")
        text = text.replace("\ufffd", "")
    return Decoded(text, encoding, warnings)


def decode_html(raw: bytes, http_charset: str | None = None) -> Decoded:
    """Bytes to text: BOM, HTTP charset, <meta> charset, then detection.

    A declaration is used only if the bytes decode strictly in it; a non-UTF-8
    declaration over bytes that are valid UTF-8 loses to UTF-8 (templates
    copied between sites keep their old meta tag).
    """
    warnings: list[str] = []
    for bom, codec, name in _BOMS:
        if raw.startswith(bom):
            result = _strict(raw, codec)
            if result is not None:
                return _finish(result[0].lstrip("\ufeff"), name, warnings)
    utf8 = _is_utf8(raw)
    for encoding, origin in _candidates(raw, http_charset, warnings):
        if origin != "detection" and encoding != "utf-8" and utf8:
            warnings.append(f"{origin} declares {encoding} but the bytes are UTF-8; read as utf-8")
            encoding = "utf-8"
        result = _strict(raw, encoding)
        if result is None:
            if origin != "detection":
                warnings.append(f"{origin} declares {encoding} but the bytes are not valid in it")
            continue
        text, truncated = result
        if truncated:
            warnings.append("page ends inside a multibyte character (truncated?); the partial character was dropped")
        return _finish(text, encoding, warnings)
    return _last_resort(raw, warnings)
