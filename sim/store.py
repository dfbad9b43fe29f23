"""Saved-scenario library: named lever settings that survive restarts.

Default backend: one SQLite file (stdlib ``sqlite3``) at ``$OASIS_SD_DB`` or
``~/.oasis-sd/scenarios.sqlite``. A value containing ``://`` is a database URL: ``sqlite:///path``
works without extra packages; any other URL needs SQLAlchemy (optional, not a dependency).

Every write is one transaction (commit or nothing), names are validated, stored lever values are
re-validated against the current lever registry when read (a lever that no longer exists or whose
range changed is dropped with a note, never applied blindly).
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import re
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from . import levers as levers_mod
from .errors import OasisError

ENV_VAR = "OASIS_SD_DB"
DEFAULT_PATH = Path.home() / ".oasis-sd" / "scenarios.sqlite"
MAX_NAME_LEN = 80
MAX_SCENARIOS = 10_000
_NAME_RE = re.compile(r"^[\w][\w .,()+&'#\-–—·（）、，]*$")
SCHEMA = """
CREATE TABLE IF NOT EXISTS scenarios (
    name TEXT PRIMARY KEY,
    levers_json TEXT NOT NULL,
    model_hash TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    saved_at TEXT NOT NULL
)
"""


class StoreError(OasisError):
    """A bad scenario name, a missing scenario or an unusable database."""


@dataclass
class SavedScenario:
    name: str
    levers: dict[str, float]  # full, validated lever set
    model_hash: str = ""
    description: str = ""
    saved_at: str = ""
    notes: list[str] = field(default_factory=list)  # levers dropped when read back

    @property
    def overrides(self) -> dict[str, float]:
        base = levers_mod.defaults()
        return {k: v for k, v in self.levers.items() if v != base[k]}


def validate_name(name: object) -> str:
    """A clean scenario name, or :class:`StoreError` saying what is allowed."""
    if not isinstance(name, str):
        raise StoreError("scenario name must be text")
    name = unicodedata.normalize("NFC", name).strip()
    if not name:
        raise StoreError("scenario name is empty")
    if len(name) > MAX_NAME_LEN:
        raise StoreError(f"scenario name is longer than {MAX_NAME_LEN} characters")
    if not _NAME_RE.match(name):
        raise StoreError(f"scenario name {name[:40]!r} may use letters (any script), digits, spaces and "
                         ". , ( ) + & ' # - – _ only, starting with a letter or digit")
    return name


def _levers_from_json(text: str, where: str) -> tuple[dict[str, float], list[str]]:
    values = levers_mod.defaults()
    notes: list[str] = []
    try:
        stored = json.loads(text)
    except ValueError:
        return values, [f"{where}: stored levers are not readable; baseline used"]
    if not isinstance(stored, dict):
        return values, [f"{where}: stored levers are not a table; baseline used"]
    for key, value in stored.items():
        try:
            lever = levers_mod.lever_or_error(str(key), where=where)
            values[lever.name] = lever.validate(value, where=where)
        except OasisError as exc:
            notes.append(f"{exc}; dropped")
    return values, notes


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def default_location() -> str:
    return os.environ.get(ENV_VAR) or str(DEFAULT_PATH)


class ScenarioStore:
    """The library. ``location``: file path or database URL (default: env var, then home folder)."""

    def __init__(self, location: str | os.PathLike | None = None):
        loc = str(location) if location is not None else default_location()
        self.location = loc
        self._engine = None
        self._path: Path | None = None
        self.skipped: list[str] = []  # rows all() could not read (see all())
        if "://" in loc:
            if loc.startswith("sqlite:///"):
                self._path = Path(loc[len("sqlite:///"):]).expanduser()
            else:
                try:
                    import sqlalchemy  # noqa: F401  (optional)
                except ImportError:
                    raise StoreError(f"database URL {loc.split('://')[0]}://… needs SQLAlchemy, which is not "
                                     "installed; use a file path for SQLite") from None
                self._engine = sqlalchemy.create_engine(loc)
        else:
            self._path = Path(loc).expanduser()
        self._init()

    # -- backend plumbing ------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        assert self._path is not None
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self._path, timeout=10)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open scenario library {self._path}: {exc}") from None
        return conn

    def _execute(self, sql: str, params: dict | None = None, *, fetch: bool = False, script: list | None = None,
                 on_conflict: str | None = None):
        """Run statements in ONE transaction; ``script`` = list of (sql, params) run in order.
        ``on_conflict``: message of the :class:`StoreError` raised when a statement violates a
        constraint (e.g. the primary key: a name saved meanwhile by another process)."""
        statements = script if script is not None else [(sql, params or {})]
        if self._engine is not None:
            import sqlalchemy

            try:
                with self._engine.begin() as conn:
                    result = None
                    for stmt, p in statements:
                        result = conn.execute(sqlalchemy.text(stmt), p)
                    return [tuple(r) for r in result] if fetch else None
            except sqlalchemy.exc.IntegrityError:
                if on_conflict:
                    raise StoreError(on_conflict) from None
                raise
        conn = self._connect()
        try:
            with conn:  # commits on success, rolls back on any exception
                cur = None
                for stmt, p in statements:
                    cur = conn.execute(stmt, p)
                return cur.fetchall() if fetch else None
        except sqlite3.IntegrityError as exc:
            if on_conflict:
                raise StoreError(on_conflict) from None
            raise StoreError(f"scenario library {self.location}: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"scenario library {self.location} is not usable: {exc}") from None
        finally:
            conn.close()

    def _init(self) -> None:
        self._execute(SCHEMA)

    # -- public API ------------------------------------------------------------------------------
    def save(self, name: str, lever_values: dict[str, float], *, model_hash: str = "",
             description: str = "", overwrite: bool = True) -> SavedScenario:
        """Save (or replace) a named scenario. Lever values are validated first; only levers that
        differ from baseline are stored, so a later change of defaults shows through."""
        name = validate_name(name)
        if not isinstance(description, str):
            raise StoreError(f"description must be text, got {type(description).__name__}")
        if not isinstance(model_hash, str):
            raise StoreError(f"model_hash must be text, got {type(model_hash).__name__}")
        if not hasattr(lever_values, "items"):
            raise StoreError(f"lever values must be a mapping lever -> number, got {type(lever_values).__name__}")
        base = levers_mod.defaults()
        stored = {}
        for key, value in lever_values.items():
            lever = levers_mod.lever_or_error(key, where=f"scenario '{name}'")
            value = lever.validate(value, where=f"scenario '{name}'")
            if value != base[lever.name]:
                stored[lever.name] = value
        if len(description) > 2000:
            raise StoreError("description is longer than 2000 characters")
        exists = bool(self._execute("SELECT 1 FROM scenarios WHERE name = :name", {"name": name}, fetch=True))
        if exists and not overwrite:
            raise StoreError(f"a scenario called '{name}' already exists")
        if not exists and len(self.names()) >= MAX_SCENARIOS:
            raise StoreError(f"the library holds {MAX_SCENARIOS} scenarios; delete some first")
        row = {"name": name, "levers_json": json.dumps(stored, sort_keys=True), "model_hash": model_hash,
               "description": description, "saved_at": _now()}
        insert = ("INSERT INTO scenarios (name, levers_json, model_hash, description, saved_at) "
                  "VALUES (:name, :levers_json, :model_hash, :description, :saved_at)", row)
        # overwrite=False: the INSERT alone decides (primary key), so of several processes saving the
        # same new name at once exactly one succeeds; the check above only gives the early message
        script = [("DELETE FROM scenarios WHERE name = :name", {"name": name}), insert] if overwrite else [insert]
        self._execute("", script=script, on_conflict=f"a scenario called '{name}' already exists")
        return self.get(name)

    def names(self) -> list[str]:
        return [r[0] for r in self._execute("SELECT name FROM scenarios ORDER BY name", fetch=True)]

    def get(self, name: str) -> SavedScenario:
        name = validate_name(name)
        rows = self._execute("SELECT name, levers_json, model_hash, description, saved_at FROM scenarios "
                             "WHERE name = :name", {"name": name}, fetch=True)
        if not rows:
            raise StoreError(f"no saved scenario called '{name}'")
        n, text, model_hash, description, saved_at = rows[0]
        values, notes = _levers_from_json(text, f"saved scenario '{n}'")
        return SavedScenario(n, values, model_hash or "", description or "", saved_at or "", notes)

    def all(self) -> list[SavedScenario]:
        """Every saved scenario that can be read. Rows whose name no longer validates (written by
        another tool or an older version) are skipped and listed in :attr:`skipped`, so that one
        bad row does not hide the whole library."""
        rows = self._execute("SELECT name, levers_json, model_hash, description, saved_at FROM scenarios "
                             "ORDER BY name", fetch=True)
        out, self.skipped = [], []
        for n, text, model_hash, description, saved_at in rows:
            try:
                validate_name(n)
            except StoreError as exc:
                self.skipped.append(f"{str(n)[:40]!r}: {exc}")
                continue
            values, notes = _levers_from_json(str(text), f"saved scenario '{n}'")
            out.append(SavedScenario(n, values, str(model_hash or ""), str(description or ""),
                                     str(saved_at or ""), notes))
        return out

    def delete(self, name: str) -> None:
        name = validate_name(name)
        self._execute("DELETE FROM scenarios WHERE name = :name", {"name": name})

    def __repr__(self) -> str:
        return f"ScenarioStore({self.location!r})"
