"""policy-pipeline: structured records from Chinese government policy documents.

For notebooks::

    import pipeline
    result = pipeline.parse(open("page.html", "rb").read(), source="page.html")
    result.items, result.responsibilities, result.targets
    tables = pipeline.load_outputs("outputs")   # dict of pandas DataFrames

Heavy libraries (spaCy, jieba, lxml, pandas) load on first use, so that
importing the package and `--help` stay instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["load_outputs", "load_rules", "parse"]

if TYPE_CHECKING:
    from pipeline.records import DocumentResult
    from pipeline.rules import Rules


def load_rules(directory: Any = None) -> Rules:
    """Load and validate rules/ (or another folder); raises RulesError naming file and line."""
    from pipeline.rules import load_rules as _load

    return _load(directory)


_DEFAULT_RULES: Rules | None = None


def parse(raw: bytes, source: str = "", *, rules: Rules | None = None, http_charset: str | None = None) -> DocumentResult:
    """One document from raw bytes to typed records (raises DocumentError with the reason)."""
    global _DEFAULT_RULES
    from pipeline.process import process
    from pipeline.records import RawDocument

    if rules is None:
        if _DEFAULT_RULES is None:
            _DEFAULT_RULES = load_rules()
        rules = _DEFAULT_RULES
    return process(RawDocument(source=source, content=raw, http_charset=http_charset), rules)


def load_outputs(directory: Any = "outputs") -> dict[str, Any]:
    """The output folder's CSVs as pandas DataFrames with the contract's dtypes."""
    from pipeline.load import load_outputs as _load

    return _load(directory)
