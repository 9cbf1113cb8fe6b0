"""The raw store: fetched bytes by sha256, and a SQLite manifest of URLs.

Why this shape:

* Bytes are kept so that parsing can be re-run offline when the rules
  improve, and keyed by content so that a page served under two URLs, or
  unchanged across runs, is stored once.
* Every blob is written to a temporary file in the same directory, fsynced,
  then `os.replace`d into place: a blob under its final name is always whole.
  The manifest row that points at it is written only after that, in one
  SQLite transaction (WAL mode), so a run killed at any instant (kill -9)
  leaves a manifest whose every sha256 has its complete file. At worst it
  leaves an unreferenced blob or a stray temporary file, which the next
  writer sweeps away.
* A lock file keeps two runs from writing the same store at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import IO

from pipeline.atomic import write_atomic

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
TEMP_PREFIX = ".tmp-"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS manifest (
    url           TEXT PRIMARY KEY,
    final_url     TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,            -- fetched | not_modified | failed | robots_disallowed
    http_status   INTEGER,
    fetched_at    TEXT NOT NULL DEFAULT '', -- when the stored bytes were fetched (ISO 8601 UTC)
    checked_at    TEXT NOT NULL DEFAULT '', -- when the URL was last asked for
    etag          TEXT,
    last_modified TEXT,
    content_type  TEXT NOT NULL DEFAULT '',
    encoding      TEXT,                     -- charset from the Content-Type header
    sha256        TEXT,                     -- the latest good bytes, kept across later failures
    error         TEXT NOT NULL DEFAULT '',
    attempts      INTEGER NOT NULL DEFAULT 0, -- HTTP requests in the latest fetch of this URL
    kind          TEXT NOT NULL DEFAULT 'document' -- document | listing (kept for conditional re-discovery)
)
"""


class StoreLocked(RuntimeError):
    """Another process is writing this store."""


@dataclass(frozen=True)
class ManifestRow:
    """One URL's state in the manifest (its latest fetch)."""

    url: str
    final_url: str = ""
    status: str = ""
    http_status: int | None = None
    fetched_at: str = ""
    checked_at: str = ""
    etag: str | None = None
    last_modified: str | None = None
    content_type: str = ""
    encoding: str | None = None
    sha256: str | None = None
    error: str = ""
    attempts: int = 0
    kind: str = "document"  # "listing" rows are listing pages, which iter_store does not yield


_COLUMNS = tuple(f.name for f in fields(ManifestRow))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class Store:
    """The raw store and manifest under `out_dir`; thread-safe.

    `readonly=True` neither takes the writer lock nor sweeps temporary
    files, for readers such as `iter_store` that may run beside a writer.
    """

    def __init__(self, out_dir: str | Path, *, readonly: bool = False) -> None:
        self.out_dir = Path(out_dir)
        self.raw_dir = self.out_dir / "raw"
        self.manifest_path = self.out_dir / "manifest.sqlite"
        self.readonly = readonly
        self._lock = threading.Lock()
        self._lock_file: IO[bytes] | None = None
        if readonly:
            if not self.manifest_path.exists():
                raise FileNotFoundError(f"no manifest at {self.manifest_path}: nothing has been fetched into {out_dir}")
        else:
            self.raw_dir.mkdir(parents=True, exist_ok=True)
            self._take_lock()
        self._conn = sqlite3.connect(self.manifest_path, isolation_level=None, check_same_thread=False, timeout=30.0)
        self._conn.execute("PRAGMA busy_timeout = 30000")
        if not readonly:
            self._conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL is crash-safe in WAL mode against a killed process; only a
            # power cut may lose the last transactions, never consistency.
            self._conn.execute("PRAGMA synchronous = NORMAL")
            with self._transaction():
                self._conn.execute(_SCHEMA)
                self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            self._sweep_temp_files()

    # -- lifecycle ---------------------------------------------------------

    def _take_lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory lock, trust the user
            return
        handle = open(self.out_dir / ".lock", "wb")  # held open for the store's life
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise StoreLocked(f"another run is writing {self.out_dir}") from None
        self._lock_file = handle

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            if self._lock_file is not None:
                self._lock_file.close()  # releases the flock
                self._lock_file = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _sweep_temp_files(self) -> None:
        """Remove temporary files a killed writer left; we hold the lock, so none is live."""
        for tmp in self.raw_dir.glob(f"*/{TEMP_PREFIX}*"):
            with contextlib.suppress(OSError):
                tmp.unlink()
                log.info("removed partial file %s left by an interrupted run", tmp)

    # -- blobs -------------------------------------------------------------

    def blob_path(self, sha256: str) -> Path:
        return self.raw_dir / sha256[:2] / sha256

    def has_blob(self, sha256: str) -> bool:
        return self.blob_path(sha256).is_file()

    def read_blob(self, sha256: str) -> bytes:
        return self.blob_path(sha256).read_bytes()

    def put_blob(self, data: bytes) -> str:
        """Store `data` once, atomically; return its sha256."""
        if self.readonly:
            raise RuntimeError("store opened read-only")
        digest = sha256_hex(data)
        path = self.blob_path(digest)
        if path.is_file() and path.stat().st_size == len(data):
            return digest
        write_atomic(path, data, prefix=TEMP_PREFIX)
        return digest

    # -- manifest ----------------------------------------------------------

    def get(self, url: str) -> ManifestRow | None:
        with self._lock:
            cur = self._conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM manifest WHERE url = ?", (url,))
            found = cur.fetchone()
        return ManifestRow(*found) if found else None

    def put(self, row: ManifestRow) -> None:
        """Insert or replace the row of `row.url` in one transaction."""
        if self.readonly:
            raise RuntimeError("store opened read-only")
        if row.sha256 is not None and not self.has_blob(row.sha256):
            raise ValueError(f"refusing a manifest row whose blob {row.sha256} is missing")
        placeholders = ", ".join("?" for _ in _COLUMNS)
        with self._transaction() as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO manifest ({', '.join(_COLUMNS)}) VALUES ({placeholders})",
                astuple(row),
            )

    def rows(self) -> list[ManifestRow]:
        """Every manifest row, ordered by URL."""
        with self._lock:
            cur = self._conn.execute(f"SELECT {', '.join(_COLUMNS)} FROM manifest ORDER BY url")
            found = cur.fetchall()
        return [ManifestRow(*r) for r in found]

    def check(self) -> list[str]:
        """Consistency problems: missing or corrupt blobs, partial files. Empty when sound."""
        problems = []
        for row in self.rows():
            if row.sha256 is None:
                continue
            path = self.blob_path(row.sha256)
            if not path.is_file():
                problems.append(f"{row.url}: blob {row.sha256} missing")
            elif sha256_hex(path.read_bytes()) != row.sha256:
                problems.append(f"{row.url}: blob {row.sha256} does not match its hash")
        problems.extend(f"partial file {p}" for p in sorted(self.raw_dir.glob(f"*/{TEMP_PREFIX}*")))
        return problems
