"""Canonical names of units: aliases, templates under different issuers, renamed bodies,
collective and unknown units, and validation of the rule files (errors name file and line).

Cases are data: each table below is one kind of behaviour researchers rely on when they
count lead agencies across documents, provinces and years.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.rulesio import RulesError, csv_rows
from pipeline.units import KINDS, LEVELS, Region, UnitRules, is_collective, load_unit_rules

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
UNIT_FILES = ("units.csv", "unit_templates.csv", "departments.csv", "regions.csv")

ANHUI = "安徽省发展改革委"
GUANGDONG = "广东省人民政府办公厅"
HANGZHOU = "杭州市人民政府"
BEIJING = "北京市人民政府"
GUANGXI = "广西壮族自治区人民政府"
FEIXI = "肥西县人民政府"
CENTRAL = "国务院办公厅"


@pytest.fixture(scope="module")
def units() -> UnitRules:
    return load_unit_rules(RULES)


def _check(units: UnitRules, unit: str, issuer: str, date: str, expected: tuple[str, str, str] | None) -> None:
    region = units.region_of(issuer)
    info = units.resolve(unit, region=region, date=date)
    if expected is None:
        assert info is None, f"{unit!r} under {issuer!r} should not resolve, got {info}"
        return
    assert info is not None, f"{unit!r} under {issuer!r} did not resolve"
    assert (info.canonical, info.level, info.kind) == expected
    assert info.rule, "every answer says which rule gave it"


# (unit as printed, canonical, level, kind): central bodies by their common abbreviations
ABBREVIATIONS = [
    ("国家发展改革委", "国家发展和改革委员会", "central", "government"),
    ("国家发改委", "国家发展和改革委员会", "central", "government"),
    ("国家发展和改革委员会", "国家发展和改革委员会", "central", "government"),
    ("工业和信息化部", "工业和信息化部", "central", "government"),
    ("工信部", "工业和信息化部", "central", "government"),
    ("人力资源社会保障部", "人力资源和社会保障部", "central", "government"),
    ("人社部", "人力资源和社会保障部", "central", "government"),
    ("住房城乡建设部", "住房和城乡建设部", "central", "government"),
    ("住建部", "住房和城乡建设部", "central", "government"),
    ("市场监管总局", "国家市场监督管理总局", "central", "government"),
    ("人民银行", "中国人民银行", "central", "government"),
    ("人行", "中国人民银行", "central", "government"),
    ("国家医保局", "国家医疗保障局", "central", "government"),
    ("国家能源局", "国家能源局", "central", "government"),
    ("国家卫生健康委", "国家卫生健康委员会", "central", "government"),
    ("国务院国资委", "国务院国有资产监督管理委员会", "central", "government"),
    ("税务总局", "国家税务总局", "central", "government"),
    ("中华人民共和国教育部", "教育部", "central", "government"),
    ("中央宣传部", "中共中央宣传部", "central", "party"),
    ("中组部", "中共中央组织部", "central", "party"),
    ("中央网信办", "中央网络安全和信息化委员会办公室", "central", "party"),
    ("全国人大常委会", "全国人民代表大会常务委员会", "central", "congress"),
    ("最高检", "最高人民检察院", "central", "court_procuratorate"),
    ("全国总工会", "中华全国总工会", "central", "other"),
    ("国家电网", "国家电网有限公司", "central", "soe"),
    ("国家 发展改革委", "国家发展和改革委员会", "central", "government"),  # a line break inside the name
]


@pytest.mark.parametrize("unit,canonical,level,kind", ABBREVIATIONS, ids=[c[0] for c in ABBREVIATIONS])
def test_abbreviations(units: UnitRules, unit: str, canonical: str, level: str, kind: str) -> None:
    for issuer in (CENTRAL, ANHUI, HANGZHOU):  # a central body is the same body whoever prints it
        _check(units, unit, issuer, "2021-11-12", (canonical, level, kind))


# (unit as printed, issuer, canonical, level, kind): templates read against the issuer's region
TEMPLATES = [
    ("省发展改革委", ANHUI, "安徽省发展和改革委员会", "provincial", "government"),
    ("省发展改革委", GUANGDONG, "广东省发展和改革委员会", "provincial", "government"),
    ("省发展改革委", HANGZHOU, "浙江省发展和改革委员会", "provincial", "government"),
    ("市发展改革委", HANGZHOU, "杭州市发展和改革委员会", "municipal", "government"),
    ("市住房城乡建设局", HANGZHOU, "杭州市住房和城乡建设局", "municipal", "government"),
    ("市教育局", HANGZHOU, "杭州市教育局", "municipal", "government"),
    ("市委宣传部", HANGZHOU, "中共杭州市委宣传部", "municipal", "party"),
    ("市政府", HANGZHOU, "杭州市人民政府", "municipal", "government"),
    ("省科技厅", ANHUI, "安徽省科学技术厅", "provincial", "government"),
    ("省人力资源社会保障厅", GUANGDONG, "广东省人力资源和社会保障厅", "provincial", "government"),
    ("省应急厅", ANHUI, "安徽省应急管理厅", "provincial", "government"),
    ("省国资委", ANHUI, "安徽省人民政府国有资产监督管理委员会", "provincial", "government"),
    ("省政府办公厅", GUANGDONG, "广东省人民政府办公厅", "provincial", "government"),
    ("省委编办", ANHUI, "中共安徽省委机构编制委员会办公室", "provincial", "party"),
    ("省委政研室", ANHUI, "中共安徽省委政策研究室", "provincial", "party"),
    ("省委", GUANGDONG, "中共广东省委员会", "provincial", "party"),
    ("省人大常委会", ANHUI, "安徽省人民代表大会常务委员会", "provincial", "congress"),
    ("省高院", ANHUI, "安徽省高级人民法院", "provincial", "court_procuratorate"),
    ("省社科院", ANHUI, "安徽省社会科学院", "provincial", "other"),
    ("自治区发展改革委", GUANGXI, "广西壮族自治区发展和改革委员会", "provincial", "government"),
    ("市发展改革委", BEIJING, "北京市发展和改革委员会", "provincial", "government"),  # a municipality
    ("区财政局", "北京市朝阳区人民政府", "北京市朝阳区财政局", "county", "government"),
    ("县财政局", FEIXI, "肥西县财政局", "county", "government"),
    ("县委", FEIXI, "中共肥西县委员会", "county", "party"),
    # units that print their own region resolve against it, whoever the issuer is
    ("合肥市", ANHUI, "合肥市人民政府", "municipal", "government"),
    ("黄山市", CENTRAL, "黄山市人民政府", "municipal", "government"),
    ("上海市", ANHUI, "上海市人民政府", "provincial", "government"),
    ("浙江省发展改革委", ANHUI, "浙江省发展和改革委员会", "provincial", "government"),
    ("安徽省发展和改革委员会", CENTRAL, "安徽省发展和改革委员会", "provincial", "government"),
    ("中共合肥市委宣传部", CENTRAL, "中共合肥市委宣传部", "municipal", "party"),
    ("合肥市肥西县财政局", CENTRAL, "肥西县财政局", "county", "government"),
    # county-level divisions by their own name: a city's plan lists its counties and districts
    ("晋江市", "泉州市人民政府办公室", "晋江市人民政府", "county", "government"),
    ("荷塘区人民政府", "株洲市人民政府办公室", "株洲市荷塘区人民政府", "county", "government"),
    ("县卫健局", "平江县人民政府办公室", "平江县卫生健康局", "county", "government"),
    ("市发展改革局", "江门市人民政府办公室", "江门市发展和改革局", "municipal", "government"),
    # a county-level city calls its bureaus 市X局 as a county says 县X局
    ("市文旅局", "晋江市人民政府", "晋江市文化和旅游局", "county", "government"),
    ("市财政局", "晋江市人民政府办公室", "晋江市财政局", "county", "government"),
    ("省大数据局", "山东省发展和改革委员会", "山东省大数据局", "provincial", "government"),
    # province-specific bodies in units.csv, printed with 省 only
    ("省引江济淮集团", ANHUI, "安徽省引江济淮集团有限公司", "provincial", "soe"),
]


@pytest.mark.parametrize("unit,issuer,canonical,level,kind", TEMPLATES, ids=[f"{c[0]}@{c[1]}" for c in TEMPLATES])
def test_templates_under_issuer_regions(units: UnitRules, unit: str, issuer: str, canonical: str, level: str, kind: str) -> None:
    _check(units, unit, issuer, "2021-11-12", (canonical, level, kind))


# (unit, issuer, date, canonical): bodies that were renamed, told apart by the document's date
RENAMED = [
    ("银保监会", CENTRAL, "2020-05-01", "中国银行保险监督管理委员会"),
    ("金融监管总局", CENTRAL, "2024-01-10", "国家金融监督管理总局"),
    ("国土资源部", CENTRAL, "2016", "国土资源部"),
    ("中央国家机关工委", CENTRAL, "2015-03-01", "中共中央国家机关工作委员会"),
    ("中央国家机关工委", CENTRAL, "2020-03-01", "中央和国家机关工作委员会"),
    ("中央国家机关工委", CENTRAL, "2018-06-01", "中央和国家机关工作委员会"),  # year of the change: the newer
    ("中央国家机关工委", CENTRAL, "", "中央和国家机关工作委员会"),  # no date: the current body
    ("广电总局", CENTRAL, "2010", "国家广播电影电视总局"),
    ("广电总局", CENTRAL, "2015", "国家新闻出版广电总局"),
    ("广电总局", CENTRAL, "2021", "国家广播电视总局"),
    ("国家计委", CENTRAL, "1995", "国家计划委员会"),
    ("国家计委", CENTRAL, "2001", "国家发展计划委员会"),
    ("国家计委", CENTRAL, "2010", "国家发展计划委员会"),  # after its end: the nearest body
    ("省卫生计生委", ANHUI, "2016", "安徽省卫生和计划生育委员会"),
    ("省卫生健康委", ANHUI, "2021", "安徽省卫生健康委员会"),
]


@pytest.mark.parametrize("unit,issuer,date,canonical", RENAMED, ids=[f"{c[0]}@{c[2] or 'nodate'}" for c in RENAMED])
def test_renamed_bodies_by_date(units: UnitRules, unit: str, issuer: str, date: str, canonical: str) -> None:
    info = units.resolve(unit, region=units.region_of(issuer), date=date)
    assert info is not None and info.canonical == canonical


# (unit, issuer, date, canonical, level, parent): local branches of central bodies
BRANCHES = [
    ("人行合肥中心支行", ANHUI, "2021", "中国人民银行合肥中心支行", "municipal", "中国人民银行"),
    ("人行芜湖市中心支行", ANHUI, "2021", "中国人民银行芜湖市中心支行", "municipal", "中国人民银行"),
    ("人民银行安徽省分行", ANHUI, "2024", "中国人民银行安徽省分行", "provincial", "中国人民银行"),
    ("合肥海关", ANHUI, "2021", "合肥海关", "municipal", "海关总署"),
    ("安徽银保监局", ANHUI, "2021", "中国银行保险监督管理委员会安徽监管局", "provincial", "中国银行保险监督管理委员会"),
    ("金融监管总局安徽监管局", ANHUI, "2024", "国家金融监督管理总局安徽监管局", "provincial", "国家金融监督管理总局"),
    ("省通信管理局", ANHUI, "2021", "安徽省通信管理局", "provincial", "工业和信息化部"),
    ("省通信管理局", GUANGDONG, "2021", "广东省通信管理局", "provincial", "工业和信息化部"),
    ("省税务局", ANHUI, "2021", "国家税务总局安徽省税务局", "provincial", "国家税务总局"),
    ("省气象局", ANHUI, "2021", "安徽省气象局", "provincial", "中国气象局"),
    ("江门金融监管分局", "江门市人民政府", "2024", "国家金融监督管理总局江门监管分局", "municipal", "国家金融监督管理总局"),
    ("人行成都分行", "成都市商务局", "2022", "中国人民银行成都分行", "provincial", ""),
]


@pytest.mark.parametrize("unit,issuer,date,canonical,level,parent", BRANCHES, ids=[f"{c[0]}@{c[1]}" for c in BRANCHES])
def test_local_branches_of_central_bodies(units: UnitRules, unit: str, issuer: str, date: str, canonical: str, level: str, parent: str) -> None:
    info = units.resolve(unit, region=units.region_of(issuer), date=date)
    assert info is not None
    assert (info.canonical, info.level, info.kind, info.parent) == (canonical, level, "government", parent)


COLLECTIVE = ["各市", "各县（市、区）政府", "各县(市、区)政府", "相关市", "各成员单位", "省有关部门", "省直有关单位",
              "市县政府", "地方各级人民政府", "领导小组成员单位", "国务院各部门"]  # fmt: skip


@pytest.mark.parametrize("unit", COLLECTIVE)
def test_collective_units_get_no_canonical_name(units: UnitRules, unit: str) -> None:
    assert is_collective(unit)
    assert units.resolve(unit, region=units.region_of(ANHUI), date="2021") is None


@pytest.mark.parametrize("unit", ["省发展改革委", "市政府", "合肥市", "省直机关工委", "中共安徽省委", "城市管理局"])
def test_single_bodies_are_not_collective(unit: str) -> None:
    assert not is_collective(unit)


# (unit, issuer): units no rule covers, or that need a region the document does not give
UNKNOWN = [
    ("省长江禁捕退捕工作领导小组办公室", ANHUI),  # an ad hoc office: the caller keeps the printed name
    ("省委综合考核办", ANHUI),
    ("某某研究会", ANHUI),
    ("省发展改革委", CENTRAL),  # 省X without a province
    ("市发展改革委", ANHUI),  # 市X in a provincial plan: which city?
    ("县财政局", HANGZHOU),
    ("高新区财政局", HANGZHOU),  # a development zone is not a county
    ("全市", HANGZHOU),  # a place, not a body
    ("主城区", HANGZHOU),
    ("", ANHUI),
]


@pytest.mark.parametrize("unit,issuer", UNKNOWN, ids=[f"{c[0] or 'empty'}@{c[1]}" for c in UNKNOWN])
def test_unknown_units_resolve_to_none(units: UnitRules, unit: str, issuer: str) -> None:
    assert units.resolve(unit, region=units.region_of(issuer), date="2021") is None


# (issuer or title, region name, province short name, level) from region_of
REGIONS = [
    ("安徽省发展改革委", "安徽省", "安徽", "provincial"),
    ("合肥市人民政府", "合肥市", "安徽", "municipal"),
    ("杭州市人民政府", "杭州市", "浙江", "municipal"),
    ("广西壮族自治区人民政府办公厅", "广西壮族自治区", "广西", "provincial"),
    ("北京市人民政府", "北京市", "北京", "provincial"),
    ("安徽省实施长江三角洲区域一体化发展规划纲要行动计划2021年工作要点", "安徽省", "安徽", "provincial"),
    ("关于印发杭州市数字经济发展规划的通知", "杭州市", "浙江", "municipal"),
    ("安徽省人民政府关于支持合肥市建设的意见", "安徽省", "安徽", "provincial"),  # the first name decides
    ("安徽省合肥市蜀山区人民政府", "蜀山区", "安徽", "county"),
    ("肥西县人民政府", "肥西县", "", "county"),
    ("恩施州人民政府", "恩施土家族苗族自治州", "湖北", "municipal"),
    ("吉林市人民政府", "吉林市", "吉林", "municipal"),
    ("广西北部湾经济区规划", "广西壮族自治区", "广西", "provincial"),  # a short name when no full one
]


@pytest.mark.parametrize("text,name,province,level", REGIONS, ids=[c[0][:12] for c in REGIONS])
def test_region_of(units: UnitRules, text: str, name: str, province: str, level: str) -> None:
    region = units.region_of(text)
    assert region is not None
    assert (region.name, region.province, region.level) == (name, province, level)


@pytest.mark.parametrize("text", ["国务院办公厅", "国家发展改革委", "省发展改革委", ""])
def test_region_of_central_or_unknown_issuer(units: UnitRules, text: str) -> None:
    assert units.region_of(text) is None


def test_every_alias_resolves_to_its_canonical(units: UnitRules) -> None:
    for line, row in csv_rows(RULES / "units.csv", ["alias", "canonical"]):
        start, end = row["valid_from"], row["valid_to"]
        year = str(int(end) - 1) if end and start != end else end or (str(int(start) + 1) if start else "")
        info = units.resolve(row["alias"], region=None, date=year)  # a year inside, not at a change
        assert info is not None and info.canonical == row["canonical"], f"units.csv:{line}"
        assert info.level in LEVELS and info.kind in KINDS


def test_every_department_resolves_under_its_levels(units: UnitRules) -> None:
    regions = {"provincial": ("省", ANHUI), "municipal": ("市", HANGZHOU), "county": ("县", FEIXI)}
    for line, row in csv_rows(RULES / "departments.csv", ["short", "full", "levels", "kind"]):
        for level in row["levels"].split(";"):
            head, issuer = regions[level]
            region = units.region_of(issuer)
            assert region is not None
            info = units.resolve(head + row["short"], region=region, date=row["valid_from"] or row["valid_to"])
            prefix = ("中共" if row["kind"] == "party" else "") + region.name
            assert info is not None, f"departments.csv:{line} {head}{row['short']}"
            assert (info.canonical, info.level) == (prefix + row["full"], level), f"departments.csv:{line}"


def test_every_city_resolves_to_its_government(units: UnitRules) -> None:
    n = 0
    for line, row in csv_rows(RULES / "regions.csv", ["name", "full_name", "type", "province"]):
        if not row["province"]:
            continue
        n += 1
        info = units.resolve(row["full_name"], region=None)
        assert info is not None and info.canonical == row["full_name"] + "人民政府", f"regions.csv:{line}"
        region = units.region_of(row["full_name"] + "人民政府")
        assert region is not None and region.city_full == row["full_name"], f"regions.csv:{line}"
    assert n >= 8 * 10  # prefecture-level cities of at least 8 provinces


def test_region_fields_of_a_municipality() -> None:
    beijing = Region(province="北京", province_full="北京市", municipality=True)
    assert beijing.fields()["city_full"] == "北京市"
    assert beijing.level == "provincial"


# --- validation: every bad row names its file and line ----------------------------------

# (file, row appended at the end, fragment of the message)
BAD_ROWS = [
    ("units.csv", "国家发改委甲,国家发展和改革委员会,national,government,,,", "bad level 'national'"),
    ("units.csv", "国家发改委甲,国家发展和改革委员会,central,ministry,,,", "bad kind 'ministry'"),
    ("units.csv", ",国家发展和改革委员会,central,government,,,", "empty alias"),
    ("units.csv", "国家发改委甲,,central,government,,,", "empty canonical"),
    ("units.csv", "国家发改委,国家发展和改革委员会,central,government,2010,,", "duplicate alias '国家发改委'"),
    ("units.csv", "银保监会,国家金融监督管理总局,central,government,2022,,", "overlapping validity"),
    ("units.csv", "新机构,新机构,central,government,20xx,,", "valid_from must be a year"),
    ("units.csv", "新机构,新机构,central,government,2020,2010,", "after valid_to"),
    ("units.csv", "国家发改委甲,国家发展和改革委员会,provincial,government,,,", "is provincial/government here"),
    ("units.csv", "新机构,新机构,central,government,,", "expected 7 cells"),
    (
        "unit_templates.csv",
        "省{department},{province_full}{dept_full},provincial,government,,,,",
        "unknown placeholder",
    ),
    ("unit_templates.csv", "省新局,{prov}新局,provincial,government,,,,", "unknown placeholder {prov}"),
    ("unit_templates.csv", "省新局,{province_full新局,provincial,government,,,,", "unbalanced brace"),
    ("unit_templates.csv", "省新局,{province_full}新局,provincial,government,某部,,,", "parent '某部'"),
    ("unit_templates.csv", "省新局,{province_full}新局,regional,government,,,,", "bad level 'regional'"),
    ("unit_templates.csv", "省新局,{province_full}新局,provincial,bureau,,,,", "bad kind 'bureau'"),
    (
        "unit_templates.csv",
        "省政府,{province_full}人民政府,provincial,government,,,,",
        "duplicate template key '省政府'",
    ),
    ("unit_templates.csv", "{city}{dept},{city_full}{dept_full},municipal,government,,,,", "one placeholder only"),
    ("unit_templates.csv", "{province}新局,{county}新局,provincial,government,,,,", "cannot fill"),
    ("unit_templates.csv", "省新局,{province_full}{dept_full},provincial,government,,,,", "needs {dept}"),
    ("unit_templates.csv", ",{province_full}新局,provincial,government,,,,", "empty pattern"),
    ("departments.csv", "新厅,新厅,national,government,,,", "bad level in levels 'national'"),
    ("departments.csv", "新厅,新厅,provincial,ministry,,,", "bad kind 'ministry'"),
    ("departments.csv", "财政厅,财政厅,provincial,government,,,", "duplicate short form '财政厅'"),
    ("departments.csv", ",新厅,provincial,government,,,", "empty short"),
    ("regions.csv", "新城,新城市,city,火星,,,", "unknown province '火星'"),
    ("regions.csv", "新城,新城市,town,安徽,,,", "bad type 'town'"),
    ("regions.csv", "合肥,合肥市,city,安徽,,,", "duplicate city name '合肥'"),
]


def _rules_copy(tmp_path: Path) -> Path:
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    for name in UNIT_FILES:
        shutil.copy(RULES / name, rules_dir / name)
    return rules_dir


@pytest.mark.parametrize("name,row,fragment", BAD_ROWS, ids=[f"{c[0]}:{c[2]}" for c in BAD_ROWS])
def test_bad_row_names_file_and_line(tmp_path: Path, name: str, row: str, fragment: str) -> None:
    rules_dir = _rules_copy(tmp_path)
    path = rules_dir / name
    text = path.read_text(encoding="utf-8")
    path.write_text(text + row + "\n", encoding="utf-8")
    line = len(text.splitlines()) + 1
    with pytest.raises(RulesError) as caught:
        load_unit_rules(rules_dir)
    err = caught.value
    assert err.path == str(path)
    assert err.line == line
    assert f"{name}:{line}" in str(err)
    assert fragment in str(err)


def test_missing_column_names_the_header_line(tmp_path: Path) -> None:
    rules_dir = _rules_copy(tmp_path)
    path = rules_dir / "units.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = next(i for i, text in enumerate(lines) if text.startswith("alias,"))
    lines[header] = lines[header].replace(",kind", ",sort")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RulesError, match=rf"units\.csv:{header + 1}: header lacks column\(s\) kind"):
        load_unit_rules(rules_dir)


def test_missing_file_is_named(tmp_path: Path) -> None:
    rules_dir = _rules_copy(tmp_path)
    (rules_dir / "regions.csv").unlink()
    with pytest.raises(RulesError, match=r"regions\.csv: rule file not found"):
        load_unit_rules(rules_dir)


def test_a_handover_year_is_not_a_duplicate(tmp_path: Path) -> None:
    """A body renamed in 2018 has its old name valid to 2018 and the new one from 2018."""
    rules_dir = _rules_copy(tmp_path)
    path = rules_dir / "units.csv"
    rows = "旧新委,旧委员会,central,government,,2018,\n旧新委,新委员会,central,government,2018,,\n"
    path.write_text(path.read_text(encoding="utf-8") + rows, encoding="utf-8")
    units = load_unit_rules(rules_dir)
    old = units.resolve("旧新委", region=None, date="2017")
    new = units.resolve("旧新委", region=None, date="2019")
    assert old is not None and old.canonical == "旧委员会"
    assert new is not None and new.canonical == "新委员会"


def test_rule_counts(units: UnitRules) -> None:
    assert units.counts["regions.csv rows"] >= 34 + 8 * 10
    assert units.counts["units.csv rows"] >= 200
    assert units.counts["departments.csv rows"] >= 100
