"""Unsupported constructs fail at compile time; compiled models are cached
on disk by content hash."""
import os

import pytest

from sim import engine
from sim.engine import cache

HEADER = """
FINAL TIME = 10 ~ Month ~ |
INITIAL TIME = 0 ~ Month ~ |
SAVEPER = 1 ~ Month ~ |
TIME STEP = 1 ~ Month ~ |
"""


def _write(tmp_path, body, name="m.mdl"):
    p = tmp_path / name
    p.write_text("{UTF-8}\n" + body + HEADER)
    return p


@pytest.mark.parametrize("body,construct", [
    ("x = GET XLS CONSTANTS('data.xlsx', 'Sheet1', 'B2') ~ ~ |\n",
     "GET XLS"),
    ("x = RANDOM UNIFORM(0, 1, 3) ~ ~ |\n", "RANDOM UNIFORM"),
    ("x = ALLOCATE BY PRIORITY(1, 1, 1, 1, 1) ~ ~ |\n", "ALLOCATE"),
    ("x = y + 1 ~ ~ |\ny = x * 2 ~ ~ |\n", "algebraic loop"),
    ("x = 1 ~ ~ |\nTIME STEP2 = IF THEN ELSE(Time > 1, 1, 2) ~ ~ |\n", None),
])
def test_unsupported_constructs_raise_at_compile(tmp_path, body, construct):
    p = _write(tmp_path, body)
    if construct is None:       # supported: must compile
        engine.compile(p, use_cache=False)
        return
    with pytest.raises(engine.UnsupportedConstruct) as err:
        engine.compile(p, use_cache=False)
    assert construct.lower() in str(err.value).lower()
    # the error names the variable (either member of a loop)
    assert err.value.variable in ("x", "y")
    assert repr(err.value.variable) in str(err.value)


def test_macro_is_rejected(tmp_path):
    body = (":MACRO: DOUBLE(a)\nDOUBLE = 2 * a ~ ~ |\n:END OF MACRO:\n"
            "x = DOUBLE(3) ~ ~ |\n")
    p = _write(tmp_path, body)
    with pytest.raises(engine.UnsupportedConstruct, match="macro"):
        engine.compile(p, use_cache=False)


def test_disk_cache_keyed_by_content(tmp_path, monkeypatch):
    monkeypatch.setenv("OASIS_SD_CACHE", str(tmp_path / "cache"))
    p = _write(tmp_path, "s = INTEG(r, 1) ~ ~ |\nr = 0.1 * s ~ ~ |\n")
    m1 = engine.compile(p, use_cache=False)   # no cache used
    assert not (tmp_path / "cache").exists()
    m2 = engine.compile(p)
    entry = cache.cache_dir() / m2.model_hash / "ir.pkl"
    assert entry.is_file()
    mtime = entry.stat().st_mtime_ns
    engine._memo.clear()
    m3 = engine.compile(p)
    assert entry.stat().st_mtime_ns == mtime      # loaded, not rebuilt
    assert m1.model_hash == m2.model_hash == m3.model_hash
    assert float(m3.run()["s"].values[0, -1]) == pytest.approx(1.1 ** 10)
    p.write_text(p.read_text().replace("0.1 * s", "0.2 * s"))
    m4 = engine.compile(p)
    assert m4.model_hash != m3.model_hash
    assert float(m4.run()["s"].values[0, -1]) == pytest.approx(1.2 ** 10)
    assert os.listdir(tmp_path / "cache")


def test_missing_pysd_fixture_fails_instead_of_regenerating(monkeypatch, tmp_path):
    """A missing reference fixture is a test failure naming the regeneration command; the test
    run never starts pysd nor writes into tests/fixtures on its own (issue 16)."""
    import eng_refcache

    monkeypatch.delenv(eng_refcache.REGENERATE_ENV, raising=False)
    model = next((eng_refcache.REPO / "tests" / "fixtures" / "sd-test-models").rglob("*.mdl"))
    params = {"no_such_constant_for_a_new_key": 1.2345}
    path = eng_refcache.fixture_path(model, params, "never-committed")
    assert not path.exists()
    with pytest.raises(pytest.fail.Exception, match=eng_refcache.REGENERATE_ENV):
        eng_refcache.reference(model, params, "never-committed")
    assert not path.exists()
