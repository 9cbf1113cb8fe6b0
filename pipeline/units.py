"""Canonical names, levels and kinds for the units that carry a task.

Researchers count lead agencies and build networks of co-responsible units
across documents, provinces and years. The same body is printed many ways
(国家发改委, 国家发展改革委), a plan names its own province's bodies without the
province (省发展改革委 in an Anhui plan is 安徽省发展和改革委员会), and bodies are
renamed (银保监会 → 金融监管总局). Counting printed names would split one body
into several and merge different ones, so every unit is mapped to one
canonical full name with a level and a kind, from four rule files that
researchers read and edit by hand:

- ``units.csv``: fixed aliases (central bodies, people's organisations,
  central SOEs, bodies that follow no template), with validity years;
- ``departments.csv``: the standard departments of provincial, municipal and
  county governments and party committees, short form → full name;
- ``unit_templates.csv``: patterns such as ``省{dept}`` → ``{province_full}{dept_full}``
  that combine a department or a region with the document's region;
- ``regions.csv``: provincial-level and prefecture-level divisions.

Every template is expanded into plain dicts when the rules are loaded, so
resolving a unit is a few dict lookups (plus at most one lookup per prefix
length of the unit), whatever the size of the tables. A unit that no rule
covers resolves to None: the caller keeps the printed name, leaves the
canonical name empty and counts it, and never drops the unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from pipeline.rulesio import RulesError, csv_rows

LEVELS = ("central", "provincial", "municipal", "county")
KINDS = ("party", "government", "congress", "court_procuratorate", "soe", "other")

# Region types of regions.csv; the first four are provincial-level.
_PROVINCIAL_TYPES = ("municipality", "province", "autonomous_region", "sar")
_PREFECTURE_TYPES = ("city", "autonomous_prefecture", "prefecture", "league")

# The word a plan prints instead of its own region's name, by region type:
# an Anhui plan says 省X, a Guangxi plan 自治区X, a Beijing plan 市X.
_HEADS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "province": ("省",),
    "autonomous_region": ("自治区", "省"),
    "municipality": ("市",),
    "sar": ("省",),
    "city": ("市",),
    "autonomous_prefecture": ("州", "市"),
    "prefecture": ("市",),
    "league": ("市",),
}
_COUNTY_HEADS = ("县", "区")

_PATTERN_REGION_FIELDS = ("province", "province_full", "city", "city_full")
_PATTERN_FIELDS = frozenset(("dept", *_PATTERN_REGION_FIELDS))
_CANONICAL_FIELDS = frozenset(("province", "province_full", "city", "city_full", "county", "dept_full"))
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_YEAR = re.compile(r"^\d{4}$")
_DATE_YEAR = re.compile(r"^\s*(\d{4})")

# Collective units ("every city", "the relevant departments", "member units")
# name no single body: they get no canonical name, and the caller should not
# count them as uncovered either.
_COLLECTIVE = re.compile(
    r"^(?:各|相关|有关|其他|其余|所属|沿线|沿江)"
    r"|有关|相关|各级|以上|各(?:部门|单位|地|成员|直属|市|县|区)"
    r"|成员单位$"
    r"|^[省市州盟县区旗乡镇街][、，]?[省市州盟县区旗乡镇街][省市州盟县区旗乡镇街、，（）]*"
    r"(?:人民政府|政府|党委|党委政府|党委和政府)?$"
    r"|^[省市县区](?:直|级)?各?(?:部门|单位|机关)$"
)
# Characters that end the name of a county-level division (肥西县, 蜀山区, 义乌市), and
# endings of zones that are not divisions (合肥高新区 is run by a 管委会, not a 区政府).
_COUNTY_END = "县区旗市"
_NOT_COUNTY = tuple("开发区 高新区 经开区 示范区 园区 保税区 试验区 合作区 集中区 功能区 景区 片区 社区 校区 辖区 城市".split())
_COUNTY_NAME_MAX = 8
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Region:
    """Where a document comes from: the region its 省X / 市X / 县X forms refer to.

    Short names (安徽, 合肥) are what names of branches use (安徽银保监局);
    full names (安徽省, 合肥市) are what canonical names use. A municipality
    directly under the central government (北京市) is a province whose 市X
    forms refer to itself.
    """

    province: str = ""  # short: 安徽
    province_full: str = ""  # 安徽省
    city: str = ""  # short: 合肥
    city_full: str = ""  # 合肥市
    county: str = ""  # a county or district as printed: 肥西县, 蜀山区
    municipality: bool = False  # 北京, 天津, 上海, 重庆

    @property
    def level(self) -> str:
        """The level of the region's own government."""
        if self.county:
            return "county"
        if self.city:
            return "municipal"
        return "provincial"

    @property
    def name(self) -> str:
        """The most specific full name (肥西县, 合肥市, 安徽省)."""
        return self.county or self.city_full or self.province_full

    def fields(self) -> dict[str, str]:
        """Values of the canonical-name placeholders; empty when unknown."""
        city, city_full = self.city, self.city_full
        if self.municipality and not city_full:
            city, city_full = self.province, self.province_full
        county = self.county
        # District names repeat across cities (鼓楼区 in 南京, 福州, 徐州…), so a district
        # is named with its city when the city is known: 北京市朝阳区, 合肥市蜀山区.
        if county.endswith("区") and city_full and not county.startswith(city_full):
            county = city_full + county
        return {
            "province": self.province,
            "province_full": self.province_full,
            "city": city,
            "city_full": city_full,
            "county": county,
        }


@dataclass(frozen=True)
class UnitInfo:
    """What a printed unit resolves to."""

    canonical: str
    level: str  # one of LEVELS
    kind: str  # one of KINDS
    parent: str = ""  # for a local branch of a vertically managed central body: that body
    rule: str = ""  # file:line of the rule that gave the name, so a wrong name can be traced


@dataclass(frozen=True)
class _Rule:
    """One way a key resolves; the canonical may still hold region placeholders."""

    canonical: str
    level: str
    kind: str
    valid_from: int | None
    valid_to: int | None
    where: str
    parent: str = ""
    region: Region | None = None  # bound when the region is named in the unit itself
    needs: frozenset[str] = frozenset()  # region fields the canonical needs

    def covers(self, year: int) -> bool:
        return (self.valid_from is None or self.valid_from <= year) and (self.valid_to is None or year <= self.valid_to)


@dataclass(frozen=True)
class _Place:
    """A region name as it may be printed, with the heads (省/市/州) its plans use."""

    region: Region
    heads: tuple[str, ...]
    is_province: bool


@dataclass(frozen=True)
class _Dept:
    short: str
    full: str
    levels: frozenset[str]
    kind: str
    valid_from: int | None
    valid_to: int | None
    line: int


@dataclass
class _RegionTable:
    provinces: dict[str, tuple[Region, str]] = field(default_factory=dict)  # short → (region, type)
    cities: list[tuple[Region, str]] = field(default_factory=list)  # (region, type)
    full_names: dict[str, _Place] = field(default_factory=dict)  # full names and aliases
    short_provinces: dict[str, _Place] = field(default_factory=dict)  # 安徽, 广西: only a fallback


_NEVER = 10**6  # stands for an open end of a validity range


def _overlap(a_from: int | None, a_to: int | None, b_from: int | None, b_to: int | None) -> bool:
    """True if two validity ranges share more than the year of a change.

    A body renamed in year Y has its old name valid to Y and its new one valid
    from Y; sharing that single year is a handover, not a conflict.
    """
    low = max(-_NEVER if a_from is None else a_from, -_NEVER if b_from is None else b_from)
    high = min(_NEVER if a_to is None else a_to, _NEVER if b_to is None else b_to)
    if low != high:
        return low < high
    handover = (a_to == low and b_from == low) or (b_to == low and a_from == low)
    return not handover or (a_from, a_to) == (b_from, b_to)


def _add(table: dict[str, list[_Rule]], key: str, rule: _Rule, path: Path, line: int, what: str) -> None:
    for other in table.get(key, []):
        if _overlap(other.valid_from, other.valid_to, rule.valid_from, rule.valid_to):
            raise RulesError(path, line, f"duplicate {what} {key!r}: already defined at {other.where} with overlapping validity")
    table.setdefault(key, []).append(rule)


def _year(value: str, path: Path, line: int, column: str) -> int | None:
    if not value:
        return None
    if not _YEAR.match(value):
        raise RulesError(path, line, f"{column} must be a year YYYY or empty, found {value!r}")
    return int(value)


def _validity(row: dict[str, str], path: Path, line: int) -> tuple[int | None, int | None]:
    start = _year(row.get("valid_from", ""), path, line, "valid_from")
    end = _year(row.get("valid_to", ""), path, line, "valid_to")
    if start is not None and end is not None and start > end:
        raise RulesError(path, line, f"valid_from {start} is after valid_to {end}")
    return start, end


def _check_choice(value: str, allowed: Iterable[str], path: Path, line: int, column: str) -> str:
    allowed = tuple(allowed)
    if value not in allowed:
        raise RulesError(path, line, f"bad {column} {value!r}; expected one of {', '.join(allowed)}")
    return value


def _check_name(value: str, path: Path, line: int, column: str) -> str:
    if not value:
        raise RulesError(path, line, f"empty {column}")
    if "{" in value or "}" in value:
        raise RulesError(path, line, f"{column} {value!r} may not contain braces")
    return value


def _placeholders(text: str, allowed: frozenset[str], path: Path, line: int, column: str) -> list[str]:
    names = _PLACEHOLDER.findall(text)
    for name in names:
        if name not in allowed:
            raise RulesError(path, line, f"unknown placeholder {{{name}}} in {column}; known: {', '.join(sorted(allowed))}")
    if "{" in _PLACEHOLDER.sub("", text) or "}" in _PLACEHOLDER.sub("", text):
        raise RulesError(path, line, f"unbalanced brace in {column} {text!r}")
    return names


def _county_like(name: str) -> bool:
    return name[-1] in _COUNTY_END and not name.startswith("自治") and not name.endswith(_NOT_COUNTY)


def _bare_county(name: str) -> bool:
    """A county-level division printed alone (晋江市, 巢湖市, 肥西县) names its government.

    Words such as 全市, 本县, 主城区 or 中心城区 are places, not bodies.
    """
    return 3 <= len(name) <= _COUNTY_NAME_MAX and _county_like(name) and name[0] not in "全本各该每主省市县区州中"


def normalize_unit(unit: str) -> str:
    """The form used as a key: no whitespace (line breaks inside names), full-width brackets."""
    text = _WHITESPACE.sub("", unit).replace("(", "（").replace(")", "）")
    return text.strip("，、。；;,.：:")


def is_collective(unit: str) -> bool:
    """True for units that name a set of bodies (各市, 相关市, 各成员单位) rather than one body."""
    return bool(_COLLECTIVE.search(normalize_unit(unit)))


def _parse_year(date: str) -> int | None:
    match = _DATE_YEAR.match(date or "")
    return int(match.group(1)) if match else None


def _pick(rules: list[_Rule], year: int | None) -> _Rule:
    """The rule in force at `year`.

    Without a date the current body wins (open-ended, then the latest). In the
    year of a change both names are valid and the newer wins. A date outside
    every range takes the nearest range: an old name printed in a later plan
    still names that body.
    """
    if len(rules) == 1:
        return rules[0]
    if year is None:
        return max(rules, key=lambda r: (r.valid_to is None, r.valid_to or 0, r.valid_from or 0))
    covering = [r for r in rules if r.covers(year)]
    if covering:
        return max(covering, key=lambda r: -_NEVER if r.valid_from is None else r.valid_from)

    def distance(rule: _Rule) -> int:
        if rule.valid_to is not None and year > rule.valid_to:
            return year - rule.valid_to
        return (rule.valid_from or year) - year

    return min(rules, key=distance)


class UnitRules:
    """Loaded, validated and expanded unit rules; see `load_unit_rules`.

    `resolve` maps a printed unit to a `UnitInfo`; `region_of` finds the
    region of a document from its issuer or title; `counts` gives the rows of
    each rule file and the number of expanded keys, for the run summary.
    """

    def __init__(
        self,
        aliases: dict[str, list[_Rule]],
        named: dict[str, list[_Rule]],
        relative: dict[str, list[_Rule]],
        regions: _RegionTable,
        counts: dict[str, int],
    ) -> None:
        self._aliases = aliases  # units.csv, with canonical names as their own aliases
        self._named = named  # templates whose region is named in the unit (合肥海关)
        self._relative = relative  # templates read against a region (省发展改革委)
        self._regions = regions
        self._max_region = max((len(k) for k in regions.full_names), default=0)
        self._max_short = max((len(k) for k in regions.short_provinces), default=0)
        # What may follow a county name in a county-level unit (肥西县|财政局): the relative
        # keys of 县/区 templates without their head, for a bounded prefix test.
        self._county_tails = {k[1:] for k in relative if k[:1] in _COUNTY_HEADS and len(k) > 1}
        self._max_tail = max((len(k) for k in self._county_tails), default=0)
        self.counts = counts

    # --- resolution -------------------------------------------------------------------

    def resolve(self, unit: str, *, region: Region | None, date: str = "") -> UnitInfo | None:
        """The canonical name, level and kind of a printed unit, or None.

        `region` is the document's region (see `region_of`); 省X / 市X / 县X forms
        resolve only with it. `date` (YYYY-MM-DD or YYYY, the document's date)
        chooses between bodies that shared a name over time. None means a
        collective unit (see `is_collective`) or a unit no rule covers.
        """
        text = normalize_unit(unit)
        if not text or is_collective(text):
            return None
        year = _parse_year(date)
        found = self._lookup(text, region, year)
        if found is None and text.startswith("中华人民共和国"):
            found = self._lookup(text[len("中华人民共和国") :], region, year)
        return found

    def is_collective(self, unit: str) -> bool:
        """See the module-level `is_collective`."""
        return is_collective(unit)

    def _lookup(self, text: str, region: Region | None, year: int | None) -> UnitInfo | None:
        rules = self._aliases.get(text)
        if rules:
            return self._info(_pick(rules, year), None)
        rules = self._named.get(text)
        if rules:
            rule = _pick(rules, year)
            return self._info(rule, rule.region)
        if region is not None:
            found = self._relative_lookup(text, region, year)
            if found is not None:
                return found
            if text.startswith("市") and not region.city and region.county.endswith("市"):
                # a county-level city (晋江市) calls its own bureaus 市X局, as a county says 县X局
                found = self._relative_lookup("县" + text[1:], region, year)
                if found is not None:
                    return found
        found = self._named_region_lookup(text, year)
        if found is not None:
            return found
        return self._county_lookup(text, region, year)

    def _relative_lookup(self, text: str, region: Region, year: int | None) -> UnitInfo | None:
        """省X / 市X / 县X against the document's region."""
        rules = self._relative.get(text)
        if rules:
            return self._info(_pick(rules, year), region)
        # A body listed in units.csv under its full regional name (安徽省引江济淮集团),
        # printed with the head only (省引江济淮集团).
        fields = region.fields()
        for head, name in (
            ("自治区", "province_full"),
            ("省", "province_full"),
            ("市", "city_full"),
            ("州", "city_full"),
            ("县", "county"),
            ("区", "county"),
        ):
            if text.startswith(head) and fields[name] and len(text) > len(head):
                rules = self._aliases.get(fields[name] + text[len(head) :])
                if rules:
                    return self._info(_pick(rules, year), None)
        return None

    def _named_region_lookup(self, text: str, year: int | None) -> UnitInfo | None:
        """A unit that prints its own region: 安徽省发展改革委, 中共合肥市委宣传部, 合肥市肥西县财政局."""
        rest = text[2:] if text.startswith("中共") else text
        place, rest = self._strip_region(rest)
        if place is None:
            return None
        region = place.region
        if place.is_province:  # 安徽省合肥市…
            city_place, city_rest = self._strip_region(rest)
            if city_place is not None and city_place.region.province == region.province and not city_place.is_province:
                place, region, rest = city_place, city_place.region, city_rest
        if not rest:  # 安徽省合肥市: the region itself
            rules = self._named.get(region.name)
            return self._info(_pick(rules, year), region) if rules else None
        for head in place.heads:
            rules = self._relative.get(head + rest)
            if rules:
                return self._info(_pick(rules, year), region)
        return self._county_lookup(rest, region, year)

    def _county_lookup(self, text: str, region: Region | None, year: int | None) -> UnitInfo | None:
        """A county-level unit by its own name (肥西县财政局 as 县财政局 of 肥西县; 晋江市 alone as its government).

        County-level divisions are not in regions.csv; a name ending in 县/区/旗/市
        counts only if what follows it is a county template (财政局, 人民政府), which
        keeps 城市管理局 or 社区居委会 from being read as counties.
        """
        for end in range(2, min(len(text) - 1, _COUNTY_NAME_MAX) + 1):
            name, rest = text[:end], text[end:]
            if not rest or not _county_like(name):
                continue
            for head in _COUNTY_HEADS:
                rules = self._relative.get(head + rest)
                if rules:
                    base = region or Region()
                    county = Region(base.province, base.province_full, base.city, base.city_full, name, base.municipality)
                    return self._info(_pick(rules, year), county)
        if _bare_county(text):
            rules = self._relative.get(("区" if text.endswith("区") else "县") + "人民政府")
            if rules:
                base = region or Region()
                county = Region(base.province, base.province_full, base.city, base.city_full, text, base.municipality)
                return self._info(_pick(rules, year), county)
        return None

    def _strip_region(self, text: str) -> tuple[_Place | None, str]:
        """The longest full region name that starts `text`, and the rest."""
        for length in range(min(self._max_region, len(text)), 1, -1):
            place = self._regions.full_names.get(text[:length])
            if place is not None:
                return place, text[length:]
        return None, text

    def _info(self, rule: _Rule, region: Region | None) -> UnitInfo | None:
        canonical = rule.canonical
        level = rule.level
        if rule.needs:
            if region is None:
                return None
            fields = region.fields()
            if any(not fields[name] for name in rule.needs):
                return None
            canonical = canonical.format_map(fields)
            if region.municipality and level == "municipal":
                level = "provincial"
        return UnitInfo(canonical=canonical, level=level, kind=rule.kind, parent=rule.parent, rule=rule.where)

    # --- regions ------------------------------------------------------------------------

    def region_of(self, issuer_or_title: str) -> Region | None:
        """The region of a document, from its issuer (安徽省发展改革委, 合肥市人民政府) or title.

        The first full region name in the text decides (so 安徽省人民政府关于支持合肥市…
        is provincial); a city or county printed right after a province (安徽省合肥市,
        合肥市蜀山区人民政府) narrows it. Short province names (广西, 安徽) count only
        when no full name occurs. A county-level issuer (肥西县人民政府) gives a region
        with the county alone. Central issuers (国务院办公厅) give None.
        """
        text = normalize_unit(issuer_or_title)
        if not text:
            return None
        hit = self._scan(text, self._regions.full_names, self._max_region)
        if hit is None:
            hit = self._scan(text, self._regions.short_provinces, self._max_short)
        if hit is None:
            county = self._county_name(text[2:] if text.startswith("中共") else text)
            return Region(county=county) if county else None
        place, end = hit
        region = place.region
        if place.is_province:
            city_place, rest = self._strip_region(text[end:])
            if city_place is not None and not city_place.is_province and city_place.region.province == region.province:
                region = city_place.region
                end = len(text) - len(rest)
        county = self._county_name(text[end:])
        if county:
            region = Region(region.province, region.province_full, region.city, region.city_full, county, region.municipality)
        return region

    @staticmethod
    def _scan(text: str, names: dict[str, _Place], max_len: int) -> tuple[_Place, int] | None:
        for start in range(len(text)):
            for length in range(min(max_len, len(text) - start), 1, -1):
                place = names.get(text[start : start + length])
                if place is not None:
                    return place, start + length
        return None

    def _county_name(self, text: str) -> str:
        """The county or district that starts `text` if a county-level form follows it."""
        for end in range(2, min(len(text) - 1, _COUNTY_NAME_MAX) + 1):
            name = text[:end]
            if not _county_like(name):
                continue
            rest = text[end:]
            if any(rest[:n] in self._county_tails for n in range(1, min(self._max_tail, len(rest)) + 1)):
                return name
        return ""


# --- loading ----------------------------------------------------------------------------


def load_unit_rules(rules_dir: Path) -> UnitRules:
    """Load and validate units.csv, departments.csv, unit_templates.csv and regions.csv.

    Every problem (a bad level or kind, an empty alias, an alias defined twice
    for overlapping years, an unknown placeholder, a parent that is no known
    body) raises RulesError naming the file and line, so that a typo in a hand
    edited table is found at load time and not as a wrong count later.
    """
    rules_dir = Path(rules_dir)
    regions = _load_regions(rules_dir / "regions.csv")
    rows, full_forms = _load_departments(rules_dir / "departments.csv")
    departments = rows + full_forms
    aliases = _load_units(rules_dir / "units.csv")
    canonicals = {rule.canonical for rules in aliases.values() for rule in rules}
    named, relative, n_templates = _load_templates(rules_dir / "unit_templates.csv", regions, departments, canonicals, aliases)
    counts = {
        "units.csv rows": sum(1 for rules in aliases.values() for r in rules if not r.where.endswith(":canonical")),
        "unit_templates.csv rows": n_templates,
        "departments.csv rows": len(rows),
        "regions.csv rows": len(regions.provinces) + len(regions.cities),
        "alias keys": len(aliases),
        "keys naming their region": len(named),
        "keys read against the document's region": len(relative),
    }
    return UnitRules(aliases, named, relative, regions, counts)


def _load_units(path: Path) -> dict[str, list[_Rule]]:
    columns = ["alias", "canonical", "level", "kind", "valid_from", "valid_to", "note"]
    table: dict[str, list[_Rule]] = {}
    seen: dict[str, tuple[str, str, int]] = {}  # canonical → (level, kind, line)
    for line, row in csv_rows(path, columns):
        alias = _check_name(row["alias"], path, line, "alias")
        canonical = _check_name(row["canonical"], path, line, "canonical")
        level = _check_choice(row["level"], LEVELS, path, line, "level")
        kind = _check_choice(row["kind"], KINDS, path, line, "kind")
        start, end = _validity(row, path, line)
        previous = seen.setdefault(canonical, (level, kind, line))
        if previous[:2] != (level, kind):
            was = f"{previous[0]}/{previous[1]} at line {previous[2]}"
            raise RulesError(path, line, f"{canonical!r} is {level}/{kind} here but {was}")
        rule = _Rule(canonical, level, kind, start, end, f"{path}:{line}")
        _add(table, normalize_unit(alias), rule, path, line, "alias")
    # Every canonical name is accepted as printed, valid over the union of its rows.
    by_canonical: dict[str, list[_Rule]] = {}
    for rules in table.values():
        for rule in rules:
            by_canonical.setdefault(rule.canonical, []).append(rule)
    for canonical, rules in by_canonical.items():
        key = normalize_unit(canonical)
        if key in table:
            continue
        starts = [r.valid_from for r in rules]
        ends = [r.valid_to for r in rules]
        first = rules[0]
        table[key] = [
            _Rule(
                canonical,
                first.level,
                first.kind,
                None if None in starts else min(s for s in starts if s is not None),
                None if None in ends else max(e for e in ends if e is not None),
                first.where + ":canonical",
            )
        ]
    return table


def _load_departments(path: Path) -> tuple[list[_Dept], list[_Dept]]:
    """The rows of departments.csv, and their full names as extra short forms."""
    columns = ["short", "full", "levels", "kind", "valid_from", "valid_to", "note"]
    departments: list[_Dept] = []
    for line, row in csv_rows(path, columns):
        short = _check_name(row["short"], path, line, "short")
        full = _check_name(row["full"], path, line, "full")
        levels = [level.strip() for level in row["levels"].split(";") if level.strip()]
        if not levels:
            raise RulesError(path, line, "empty levels")
        for level in levels:
            _check_choice(level, LEVELS[1:], path, line, "level in levels")
        kind = _check_choice(row["kind"], KINDS, path, line, "kind")
        start, end = _validity(row, path, line)
        dept = _Dept(short, full, frozenset(levels), kind, start, end, line)
        for other in departments:
            if other.short == short and other.levels & dept.levels:
                if _overlap(other.valid_from, other.valid_to, start, end):
                    both = ", ".join(sorted(other.levels & dept.levels))
                    raise RulesError(path, line, f"duplicate short form {short!r} at level {both}: already at line {other.line}")
        departments.append(dept)
    # The full name is accepted as printed too (安徽省发展和改革委员会), once per level.
    extra: list[_Dept] = []
    for dept in departments:
        for level in sorted(dept.levels):
            taken = any(d.short == dept.full and level in d.levels for d in departments + extra)
            if not taken:
                extra.append(replace(dept, short=dept.full, levels=frozenset([level])))
    return departments, extra


def _load_regions(path: Path) -> _RegionTable:
    columns = ["name", "full_name", "type", "province", "abbr", "aliases", "note"]
    table = _RegionTable()
    rows = list(csv_rows(path, columns))
    city_names: dict[str, int] = {}

    def register(names: dict[str, _Place], key: str, place: _Place, line: int) -> None:
        other = names.get(key)
        if other is not None:
            raise RulesError(path, line, f"region name {key!r} already used by {other.region.name}")
        names[key] = place

    for line, row in rows:  # provinces first, so that cities may name them in any order
        kind = _check_choice(row["type"], _PROVINCIAL_TYPES + _PREFECTURE_TYPES, path, line, "type")
        if kind not in _PROVINCIAL_TYPES:
            continue
        name = _check_name(row["name"], path, line, "name")
        full = _check_name(row["full_name"], path, line, "full_name")
        if row["province"]:
            raise RulesError(path, line, "a provincial-level division has no province")
        if name in table.provinces:
            raise RulesError(path, line, f"duplicate province {name!r}")
        region = Region(province=name, province_full=full, municipality=kind == "municipality")
        table.provinces[name] = (region, kind)
        place = _Place(region, _HEADS_BY_TYPE[kind], True)
        register(table.full_names, full, place, line)
        register(table.short_provinces, name, place, line)
        for alias in filter(None, (a.strip() for a in row["aliases"].split(";"))):
            register(table.full_names, alias, place, line)
    for line, row in rows:
        kind = row["type"]
        if kind in _PROVINCIAL_TYPES:
            continue
        name = _check_name(row["name"], path, line, "name")
        full = _check_name(row["full_name"], path, line, "full_name")
        if row["province"] not in table.provinces:
            raise RulesError(path, line, f"unknown province {row['province']!r}")
        if name in city_names:
            raise RulesError(path, line, f"duplicate city name {name!r}: already at line {city_names[name]}")
        city_names[name] = line
        province, _ = table.provinces[row["province"]]
        region = Region(province.province, province.province_full, name, full)
        table.cities.append((region, kind))
        place = _Place(region, _HEADS_BY_TYPE[kind], False)
        register(table.full_names, full, place, line)
        for alias in filter(None, (a.strip() for a in row["aliases"].split(";"))):
            register(table.full_names, alias, place, line)
    return table


def _load_templates(
    path: Path,
    regions: _RegionTable,
    departments: list[_Dept],
    canonicals: set[str],
    aliases: dict[str, list[_Rule]],
) -> tuple[dict[str, list[_Rule]], dict[str, list[_Rule]], int]:
    columns = ["pattern", "canonical", "level", "kind", "parent", "valid_from", "valid_to", "note"]
    named: dict[str, list[_Rule]] = {}
    relative: dict[str, list[_Rule]] = {}
    n_rows = 0
    for line, row in csv_rows(path, columns):
        n_rows += 1
        pattern, canonical = row["pattern"], row["canonical"]
        if not pattern:
            raise RulesError(path, line, "empty pattern")
        if not canonical:
            raise RulesError(path, line, "empty canonical")
        in_pattern = _placeholders(pattern, _PATTERN_FIELDS, path, line, "pattern")
        in_canonical = set(_placeholders(canonical, _CANONICAL_FIELDS, path, line, "canonical"))
        level = _check_choice(row["level"], LEVELS, path, line, "level")
        kind = _check_choice(row["kind"], KINDS, path, line, "kind")
        start, end = _validity(row, path, line)
        parent = row["parent"]
        if parent and parent not in canonicals:
            raise RulesError(path, line, f"parent {parent!r} is not a canonical name of units.csv")
        where = f"{path}:{line}"
        region_fields = [p for p in in_pattern if p in _PATTERN_REGION_FIELDS]
        if len(in_pattern) != len(set(in_pattern)) or len(in_pattern) > 1:
            raise RulesError(path, line, f"pattern {pattern!r} may hold one placeholder only")
        if "dept" in in_pattern and "dept_full" not in in_canonical:
            raise RulesError(path, line, "a {dept} pattern needs {dept_full} in its canonical")
        if "dept_full" in in_canonical and "dept" not in in_pattern:
            raise RulesError(path, line, "{dept_full} in canonical needs {dept} in the pattern")
        needs = frozenset(in_canonical - {"dept_full"})

        if region_fields:
            field_name = region_fields[0]
            if field_name.startswith("province"):
                if needs & {"city", "city_full", "county"}:
                    raise RulesError(path, line, "a {province} pattern cannot fill a city or county in its canonical")
                places = [region for region, _ in regions.provinces.values()]
            else:
                if "county" in needs:
                    raise RulesError(path, line, "a {city} pattern cannot fill a county in its canonical")
                places = [region for region, _ in regions.cities]
            for region in places:
                value = getattr(region, field_name)
                key = normalize_unit(pattern.replace("{" + field_name + "}", value))
                rule = _Rule(canonical.format_map(region.fields()), level, kind, start, end, where, parent, None)
                _add_template_key(named, relative, aliases, key, rule, path, line)
        elif "dept" in in_pattern:
            matched = 0
            for dept in departments:
                if level not in dept.levels or dept.kind != kind:
                    continue
                low = max(x for x in (start, dept.valid_from, -_NEVER) if x is not None)
                high = min(x for x in (end, dept.valid_to, _NEVER) if x is not None)
                if low > high:
                    continue
                matched += 1
                rule = _Rule(
                    canonical.replace("{dept_full}", dept.full),
                    level,
                    kind,
                    None if low == -_NEVER else low,
                    None if high == _NEVER else high,
                    f"{where} + departments.csv:{dept.line}",
                    parent,
                    None,
                    needs,
                )
                key = normalize_unit(pattern.replace("{dept}", dept.short))
                _add_template_key(relative, named, aliases, key, rule, path, line)
            if not matched:
                raise RulesError(path, line, f"no department of level {level} and kind {kind} fits {pattern!r}")
        else:
            rule = _Rule(canonical, level, kind, start, end, where, parent, None, needs)
            _add_template_key(relative, named, aliases, normalize_unit(pattern), rule, path, line)
    return named, relative, n_rows


def _add_template_key(
    table: dict[str, list[_Rule]],
    other: dict[str, list[_Rule]],
    aliases: dict[str, list[_Rule]],
    key: str,
    rule: _Rule,
    path: Path,
    line: int,
) -> None:
    """Add an expanded template key; a key may mean one thing in one table only."""
    if key in aliases:
        raise RulesError(path, line, f"template key {key!r} is also an alias at {aliases[key][0].where}")
    if key in other:
        raise RulesError(path, line, f"duplicate template key {key!r}: already defined at {other[key][0].where}")
    _add(table, key, rule, path, line, "template key")
