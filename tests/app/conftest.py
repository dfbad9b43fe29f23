"""Shared fixtures for the app tests: AppTest sessions on a private SQLite scenario library."""
from __future__ import annotations

from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app.py"
TIMEOUT = 120  # first run of a process compiles/loads the model


@pytest.fixture
def db_path(tmp_path, monkeypatch):
    path = tmp_path / "library" / "scenarios.sqlite"
    monkeypatch.setenv("OASIS_SD_DB", str(path))
    return path


@pytest.fixture
def new_app(db_path):
    """Factory: a fresh AppTest session (optionally with query params), already run once."""
    from streamlit.testing.v1 import AppTest

    def make(query: dict | None = None, run: bool = True):
        at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
        for key, value in (query or {}).items():
            at.query_params[key] = value
        if run:
            at.run()
            assert not at.exception, [e.value for e in at.exception]
        return at

    return make
