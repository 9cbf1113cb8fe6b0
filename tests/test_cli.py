"""The command line end to end: outputs, exit statuses, bad input, accumulation."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED_PAGE = ROOT / "corpus" / "pages" / "ah-gov-2021-work-points.html"


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, cwd=cwd or ROOT, env=env, timeout=300
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), f"{path.name} must start with a UTF-8 BOM for Excel"
    return list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """One batch over a folder holding the seed page and every kind of bad input."""
    base = tmp_path_factory.mktemp("batch")
    inputs = base / "in"
    inputs.mkdir()
    shutil.copy(SEED_PAGE, inputs / "seed.html")
    (inputs / "empty.html").write_bytes(b"")
    (inputs / "binary.html").write_bytes(bytes(range(256)) * 20)
    (inputs / "no-items.html").write_text(
        "<html><head><title>关于召开全省安全生产工作会议的通知</title></head><body><div class='content'>"
        "<p>定于下周召开全省安全生产工作会议，请各单位做好准备。</p><p>会议地点另行通知。</p></div></body></html>",
        encoding="utf-8",
    )
    out = base / "out"
    proc = run_cli("run", str(inputs), str(base / "missing.html"), "--out", str(out))
    return proc, out


def test_batch_completes_with_failures_listed(batch):
    proc, out = batch
    assert proc.returncode == 0, proc.stderr
    assert "missing.html: no such file or directory" in proc.stderr
    failures = read_csv(out / "failures.csv")
    by_source = {Path(f["source"]).name: f for f in failures}
    assert by_source["empty.html"]["severity"] == "error"
    assert "empty file" in by_source["empty.html"]["reason"]
    assert "binary" in by_source["binary.html"]["reason"]
    assert by_source["no-items.html"]["severity"] == "warning"
    assert "no numbered items" in by_source["no-items.html"]["reason"]
    for f in failures:
        assert "\n" not in f["reason"]


def test_output_contract_columns_in_order(batch):
    _, out = batch
    expected = {
        "documents.csv": ["doc_id", "source", "title", "publish_date", "issuer", "doc_number", "n_items", "sha256"],
        "items.csv": [
            "doc_id",
            "item_id",
            "seq",
            "path",
            "number",
            "level",
            "section_title",
            "text",
            "responsibility_raw",
        ],
        "responsibilities.csv": ["doc_id", "item_id", "position", "unit", "unit_canonical", "role", "etc"],
        "targets.csv": [
            "doc_id",
            "item_id",
            "target_id",
            "action",
            "indicator",
            "value",
            "value_max",
            "unit",
            "comparator",
            "deadline",
            "raw",
            "start",
            "end",
        ],
    }
    for name, columns in expected.items():
        header = (out / name).read_bytes().decode("utf-8-sig").splitlines()[0].split(",")
        assert header[: len(columns)] == columns, name


def test_seed_rows(batch):
    _, out = batch
    docs = {Path(d["source"]).name: d for d in read_csv(out / "documents.csv")}
    seed = docs["seed.html"]
    assert seed["n_items"] == "100"
    assert seed["publish_date"] == "2021-11-12"
    items = [i for i in read_csv(out / "items.csv") if i["doc_id"] == seed["doc_id"]]
    assert [i["path"] for i in items[:2]] == ["一/1", "一/2"]
    item11 = next(i for i in items if i["path"] == "一/11")
    assert item11["number"] == "11" and item11["level"] == "2"
    assert item11["responsibility_raw"] == "各市，省发展改革委按职责分工负责"
    targets = [t for t in read_csv(out / "targets.csv") if t["item_id"] == item11["item_id"]]
    assert [(t["raw"], t["value"], t["value_max"], t["unit"], t["comparator"]) for t in targets] == [
        ("2-3项", "2", "3", "项", "range")
    ]
    t = targets[0]
    assert item11["text"][int(t["start"]) : int(t["end"])] == t["raw"]
    big = [t for t in read_csv(out / "targets.csv") if t["raw"] == "125亿元以上"]
    assert big and big[0]["value"] == "12500000000" and big[0]["unit"] == "元" and big[0]["comparator"] == ">="


def test_datapackage_validates(batch):
    frictionless = pytest.importorskip("frictionless")
    _, out = batch
    report = frictionless.validate(str(out / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:10]


def test_load_outputs_dtypes(batch):
    import pipeline

    _, out = batch
    tables = pipeline.load_outputs(out)
    assert str(tables["targets"]["value"].dtype) == "Float64"
    assert str(tables["responsibilities"]["etc"].dtype) == "boolean"
    assert str(tables["documents"]["publish_date"].dtype).startswith("datetime64")
    assert tables["items"]["text"].str.len().min() > 0


def test_rerun_parses_nothing_and_keeps_outputs(batch):
    proc, out = batch
    before = {p.name: p.read_bytes() for p in out.glob("*.csv")}
    again = run_cli("run", str(Path(proc.args[4]).parent / "in"), "--out", str(out))
    assert again.returncode == 0
    assert "0 parsed" in again.stderr
    after = {p.name: p.read_bytes() for p in out.glob("*.csv")}
    assert before == after


def test_usage_errors_exit_2():
    assert run_cli("run").returncode == 2
    assert run_cli("frobnicate").returncode == 2
    assert run_cli("run", "x.html", "--workers", "0").returncode == 2


def test_nothing_processed_exits_1(tmp_path):
    (tmp_path / "empty.html").write_bytes(b"")
    proc = run_cli("run", str(tmp_path / "empty.html"), "--out", str(tmp_path / "out"))
    assert proc.returncode == 1
    assert (tmp_path / "out" / "failures.csv").exists()


def test_help_does_not_import_heavy_libraries():
    """--help must answer at once: spaCy, jieba, lxml and pandas load only when a command needs them."""
    code = (
        "import sys, contextlib, io\n"
        "from pipeline.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['--help'])\n"
        "heavy = [m for m in ('spacy', 'jieba', 'lxml', 'pandas', 'bs4') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(ROOT))
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_parse_api_for_notebooks():
    import pipeline

    result = pipeline.parse(SEED_PAGE.read_bytes(), source=str(SEED_PAGE))
    assert len(result.items) == 100
    assert result.items[10].path == "一/11"
    assert any(r.role == "cooperating" for r in result.responsibilities)


def test_process_pool_gives_the_same_outputs(tmp_path):
    """--workers N runs the same pure function in N processes: the tables must not change."""
    pages = tmp_path / "in"
    pages.mkdir()
    for name in ("ah-gov-2021-work-points.html", "r-hubei-2024-digital-gov-table.html", "x-gbk-pingjiang-environment.html"):
        shutil.copy(ROOT / "corpus" / "pages" / name, pages / name)
    serial = run_cli("run", str(pages), "--out", str(tmp_path / "serial"))
    pooled = run_cli("run", str(pages), "--out", str(tmp_path / "pooled"), "--workers", "2")
    assert serial.returncode == 0 and pooled.returncode == 0, pooled.stderr
    for name in ("documents.csv", "items.csv", "responsibilities.csv", "targets.csv"):
        assert (tmp_path / "serial" / name).read_bytes() == (tmp_path / "pooled" / name).read_bytes(), name
