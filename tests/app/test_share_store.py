"""sim.share (links) and sim.store (saved-scenario library) on their own."""
from __future__ import annotations

import json
import sqlite3

import pytest

from sim import levers as levers_mod, scenarios, share, store as store_mod
from sim.model import DEFAULT_MODEL, model_hash

HASH = model_hash(DEFAULT_MODEL)
DEFAULTS = levers_mod.defaults()


# ---------------------------------------------------------------------------------------- share
@pytest.mark.parametrize("name", scenarios.available())
def test_every_preset_round_trips_through_a_link(name):
    values = scenarios.load(name).levers
    params = share.encode(values, HASH, region="core", lang="zh")
    assert params["m"] == HASH and params["region"] == "core" and params["lang"] == "zh"
    assert len(params) == 3 + len(scenarios.load(name).overrides)  # only deltas travel
    state = share.decode(params, HASH)
    assert state.levers == values and not state.errors and not state.notices
    assert (state.region, state.lang) == ("core", "zh")


def test_link_values_are_plain_numbers():
    values = dict(DEFAULTS, farmland_retirement_pct_per_yr=0.1 + 0.2, policy_start_year=2030.0)
    params = share.encode(values, HASH)
    # lossless (issue 15): the shortest text that reads back as the same float, not 10 digits
    assert params["L2"] == repr(0.1 + 0.2) and params["T1"] == "2030"
    assert share.decode(params, HASH).levers["farmland_retirement_pct_per_yr"] == 0.1 + 0.2
    url = share.share_url("http://host:8501/?old=1", values, HASH)
    assert url.startswith("http://host:8501/?m=") and "old=1" not in url


def test_lever_constant_names_are_accepted_too():
    state = share.decode({"new_reclamation_pct_of_bau": "5", "m": HASH}, HASH)
    assert state.levers["new_reclamation_pct_of_bau"] == 5.0 and not state.errors


@pytest.mark.parametrize("params, fragment", [
    ({"L1": "1;DROP TABLE"}, "is not a number"),
    ({"L1": "0x10"}, "is not a number"),
    ({"L1": "1_0"}, "is not a number"),
    ({"L1": "inf"}, "is not a number"),
    ({"L1": "-1"}, "outside its range"),
    ({"T1": "2030.5"}, "is a year"),
    ({"L1": ["1", "2"]}, "given 2 times"),
    ({"L1": "1", "new_reclamation_pct_of_bau": "2"}, "given twice"),
    ({"x" * 100: "1"}, "too long"),
    ({"lang": "fr"}, "unknown language"),
    ({"m": "'; --"}, "not a model hash"),
])
def test_tampered_params_are_reported_and_ignored(params, fragment):
    state = share.decode(params, HASH)
    assert any(fragment in e for e in state.errors), state.errors
    assert all(len(e) < 200 for e in state.errors)  # untrusted text is never echoed at length
    if "given twice" not in fragment:
        assert state.levers == DEFAULTS


def test_too_many_params_are_refused_entirely():
    params = {f"k{i}": "1" for i in range(100)}
    state = share.decode(params, HASH)
    assert state.levers == DEFAULTS and "ignored entirely" in state.errors[0]


def test_model_version_notices():
    assert share.decode({"m": "abcdef0123456789", "L1": "5"}, HASH).notices == ["old_model"]
    assert share.decode({"L1": "5"}, HASH).notices == ["no_model"]
    assert share.decode({"m": HASH[:8], "L1": "5"}, HASH).notices == []  # short hash prefix is fine
    assert share.decode({}, HASH).empty


# ---------------------------------------------------------------------------------------- store
def test_save_get_list_delete_and_persistence(tmp_path):
    path = tmp_path / "sub" / "lib.sqlite"
    lib = store_mod.ScenarioStore(path)
    s2 = scenarios.load("S2_cae_strategy").levers
    saved = lib.save("CAE 2016 – full", s2, model_hash=HASH)
    assert saved.levers == s2 and saved.model_hash == HASH and saved.saved_at
    lib.save("草案 二", DEFAULTS)
    again = store_mod.ScenarioStore(path)  # a new process would do the same
    assert again.names() == sorted(["CAE 2016 – full", "草案 二"]) or again.names() == ["CAE 2016 – full", "草案 二"]
    assert again.get("CAE 2016 – full").levers == s2
    # only deltas are stored
    stored = json.loads(sqlite3.connect(path).execute(
        "SELECT levers_json FROM scenarios WHERE name='CAE 2016 – full'").fetchone()[0])
    assert stored == scenarios.load("S2_cae_strategy").overrides
    again.save("CAE 2016 – full", DEFAULTS)  # overwrite
    assert lib.get("CAE 2016 – full").levers == DEFAULTS
    with pytest.raises(store_mod.StoreError, match="already exists"):
        lib.save("CAE 2016 – full", DEFAULTS, overwrite=False)
    lib.delete("草案 二")
    assert lib.names() == ["CAE 2016 – full"]
    with pytest.raises(store_mod.StoreError, match="no saved scenario"):
        lib.get("草案 二")


@pytest.mark.parametrize("name", ["", "   ", "../etc/passwd", "a;b", "x" * 81, "<script>", "name\n2", "-lead",
                                  None, 42])
def test_bad_names_are_refused(tmp_path, name):
    lib = store_mod.ScenarioStore(tmp_path / "lib.sqlite")
    with pytest.raises(store_mod.StoreError):
        lib.save(name, DEFAULTS)
    assert lib.names() == []


def test_bad_lever_values_are_refused_before_writing(tmp_path):
    lib = store_mod.ScenarioStore(tmp_path / "lib.sqlite")
    with pytest.raises(Exception, match="outside its range"):
        lib.save("ok", dict(DEFAULTS, new_reclamation_pct_of_bau=1000))
    with pytest.raises(Exception, match="unknown lever"):
        lib.save("ok", {"bogus": 1})
    assert lib.names() == []


def test_write_is_atomic(tmp_path, monkeypatch):
    """A failure between the DELETE and the INSERT of an overwrite leaves the old row intact."""
    lib = store_mod.ScenarioStore(tmp_path / "lib.sqlite")
    lib.save("keep", dict(DEFAULTS, new_reclamation_pct_of_bau=10))
    real = sqlite3.Connection.execute

    def flaky(self, sql, *args):
        if sql.startswith("INSERT"):
            raise sqlite3.OperationalError("disk I/O error (simulated)")
        return real(self, sql, *args)

    monkeypatch.setattr(store_mod.sqlite3, "connect",
                        lambda *a, **k: _Wrapped(real_connect(*a, **k), flaky))
    with pytest.raises(store_mod.StoreError, match="simulated"):
        lib.save("keep", DEFAULTS)
    monkeypatch.undo()
    assert lib.get("keep").levers["new_reclamation_pct_of_bau"] == 10


real_connect = sqlite3.connect


class _Wrapped:
    """sqlite3.Connection proxy whose execute is replaced (Connection itself is immutable)."""

    def __init__(self, conn, execute):
        self._conn, self._execute = conn, execute

    def execute(self, sql, *args):
        return self._execute(self._conn, sql, *args)

    def __enter__(self):
        self._conn.__enter__()
        return self

    def __exit__(self, *exc):
        return self._conn.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self._conn, name)


def test_stale_rows_are_read_safely(tmp_path):
    """Rows written by an older registry: unknown or out-of-range levers are dropped with a note."""
    path = tmp_path / "lib.sqlite"
    lib = store_mod.ScenarioStore(path)
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO scenarios VALUES ('old', ?, 'abc', '', 'then')",
                     (json.dumps({"L1": 50, "retired_lever": 3, "I5": 99}),))
        conn.execute("INSERT INTO scenarios VALUES ('junk', 'not json', '', '', 'then')")
    old = lib.get("old")
    assert old.levers["new_reclamation_pct_of_bau"] == 50
    assert old.levers["renewable_electricity_target_pct"] == DEFAULTS["renewable_electricity_target_pct"]
    assert len(old.notes) == 2
    assert lib.get("junk").levers == DEFAULTS and lib.get("junk").notes


def test_not_a_database_gives_a_clear_error(tmp_path):
    path = tmp_path / "lib.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(store_mod.StoreError, match="not usable"):
        store_mod.ScenarioStore(path)


def test_locations_env_and_urls(tmp_path, monkeypatch):
    monkeypatch.setenv("OASIS_SD_DB", str(tmp_path / "env.sqlite"))
    assert store_mod.ScenarioStore().location == str(tmp_path / "env.sqlite")
    monkeypatch.delenv("OASIS_SD_DB")
    assert store_mod.default_location().endswith("scenarios.sqlite")
    url_lib = store_mod.ScenarioStore(f"sqlite:///{tmp_path / 'url.sqlite'}")
    url_lib.save("a", DEFAULTS)
    assert (tmp_path / "url.sqlite").exists()
    try:
        import sqlalchemy  # noqa: F401
    except ImportError:
        with pytest.raises(store_mod.StoreError, match="needs SQLAlchemy"):
            store_mod.ScenarioStore("postgresql://user@localhost/db")
