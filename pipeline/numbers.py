"""Reading numbers as the genre prints them, exactly (Decimal, never float maths).

Number libraries read 5G as 5×10⁹ and 2.5万个 wrongly; here a number is a run
of Arabic digits (with thousands separators and a decimal point) or of
Chinese numerals, and scale words (千 万 亿 万亿) are folded in by the
caller. Anything odd (0.5.3, 40 digits) is still read without a crash:
the regular expressions upstream only hand us well-formed runs.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
CN_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
CN_NUMERAL_CHARS = "".join(CN_DIGITS) + "十百千"

MAX_DIGITS = 24  # beyond this a "number" is a code or garbage, not a quantity


def parse_arabic(text: str) -> Decimal | None:
    """'1,000' → 1000, '2.5' → 2.5; None when malformed (0.5.3) or absurdly long."""
    clean = text.replace(",", "").replace("，", "")
    if not clean or clean.count(".") > 1 or len(clean.replace(".", "")) > MAX_DIGITS:
        return None
    try:
        return Decimal(clean)
    except InvalidOperation:
        return None


def parse_chinese(text: str) -> Decimal | None:
    """一千 → 1000, 两万 → 20000, 十四 → 14, 三百五十 → 350, 一二三 → 123 (digit by digit), 三点五 → 3.5."""
    if not text:
        return None
    if "点" in text:
        whole, _, frac = text.partition("点")
        w = parse_chinese(whole) if whole else Decimal(0)
        if w is None or not frac or any(ch not in CN_DIGITS for ch in frac):
            return None
        return w + Decimal("0." + "".join(str(CN_DIGITS[ch]) for ch in frac))
    if all(ch in CN_DIGITS for ch in text) and len(text) > 1:
        return Decimal("".join(str(CN_DIGITS[ch]) for ch in text))
    total = Decimal(0)
    section = Decimal(0)
    digit: int | None = None
    for ch in text:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        elif ch in CN_SMALL_UNITS:
            section += (digit if digit is not None else 1) * CN_SMALL_UNITS[ch]
            digit = None
        elif ch in CN_BIG_UNITS:
            section += digit or 0
            total = (total + section) * CN_BIG_UNITS[ch] if ch == "亿" else total + section * CN_BIG_UNITS[ch]
            section = Decimal(0)
            digit = None
        else:
            return None
    return total + section + (digit or 0)


def parse_number(text: str) -> Decimal | None:
    if not text:
        return None
    if text[0].isdigit():
        return parse_arabic(text)
    return parse_chinese(text)


def format_value(value: Decimal | float | None) -> str:
    """Plain decimal notation without exponent or trailing zeros: 25000, 2.5, 12500000000."""
    if value is None:
        return ""
    d = value if isinstance(value, Decimal) else Decimal(repr(value))
    if d == d.to_integral_value():
        return str(d.quantize(Decimal(1)))
    return format(d.normalize(), "f")
