"""Loading an output folder back as pandas DataFrames with the right dtypes.

Chinese text stays text (no NaN for empty strings where a column is text),
integers that may be missing use pandas' nullable Int64, booleans are
booleans and dates are datetimes, so researchers do not re-type every column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.schema import TABLES, Table

_DTYPES = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean"}


def load_table(path: Path, table: Table) -> Any:
    import pandas as pd

    dtype = {c.name: ("string" if c.type in ("date", "boolean") else _DTYPES[c.type]) for c in table.columns}
    frame = pd.read_csv(
        path,
        encoding="utf-8-sig",
        dtype=dtype,
        keep_default_na=False,
        na_values={c.name: [""] for c in table.columns if c.type not in ("string",)},
    )
    for col in table.columns:
        if col.name not in frame:
            continue
        if col.type == "date":
            frame[col.name] = pd.to_datetime(frame[col.name], format="%Y-%m-%d", errors="coerce")
        elif col.type == "boolean":
            frame[col.name] = frame[col.name].map({"true": True, "false": False}).astype("boolean")
    return frame


def load_outputs(directory: str | Path = "outputs") -> dict[str, Any]:
    folder = Path(directory)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such output folder (run `policy-pipeline run ... --out {folder}` first)")
    out = {}
    for table in TABLES:
        path = folder / table.filename
        if path.exists():
            out[table.name] = load_table(path, table)
    return out
