"""Fuzz the scenario-file parser and the calibration data loader with malformed input.

Contract: either a complete, validated result, or a clear error of the library's own type
(``OasisError`` for scenarios, ``DataError`` for data) — never another exception type, never a
partial result. Defects found this way are pinned by regression tests at the bottom (the
same input classes stay in the fuzzers' reach)."""
import datetime
import math

import pytest
import tomli_w
from hypothesis import example, given, strategies as st

from sim import levers, scenarios
from sim.data import SERIES_COLUMNS, UNITS, DataError, load_series
from sim.errors import OasisError

LEVER_NAMES = [lv.name for lv in levers.levers()] + [lv.id for lv in levers.levers()]


def _scenario_ok(text):
    try:
        meta, overrides = scenarios.parse_scenario_text(text, "fuzz.toml")
    except OasisError as exc:
        assert str(exc).startswith("fuzz.toml"), f"error does not name the file: {exc}"
        return
    assert isinstance(meta, dict) and isinstance(overrides, dict)
    for name, value in overrides.items():
        lv = levers.lever(name)
        assert lv.low <= value <= lv.high and math.isfinite(value)
    for value in meta.values():
        assert isinstance(value, str)


@given(st.text(max_size=300))
@example("[levers]\nL1 = [1, 2]")
@example("[levers]\nL1 = 1979-05-27")
@example("[levers]\nL1 = nan")
@example("[scenario]\ninherits = { a = 1 }")
@example("[levers.sub]\nx = 1")
@example("\x00[levers]")
def test_random_scenario_text(text):
    _scenario_ok(text)


SCALARS = st.one_of(
    st.integers(-10 ** 6, 10 ** 6), st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.text(max_size=20), st.dates(), st.datetimes(min_value=datetime.datetime(1, 1, 2)),
    st.lists(st.integers(0, 100), max_size=3))
KEYS = st.one_of(st.sampled_from(LEVER_NAMES), st.text(min_size=1, max_size=15))


@given(levers_table=st.dictionaries(KEYS, st.one_of(SCALARS, st.dictionaries(st.text(min_size=1, max_size=5), SCALARS,
                                                                           max_size=2)), max_size=5),
       meta=st.dictionaries(st.sampled_from(["title", "title_zh", "inherits", "description", "source", "colour"]),
                            SCALARS, max_size=3),
       extra=st.dictionaries(st.text(min_size=1, max_size=8), SCALARS, max_size=1))
def test_structured_toml(levers_table, meta, extra):
    doc = {"scenario": meta, "levers": levers_table, **{k: v for k, v in extra.items() if k not in ("scenario", "levers")}}
    text = tomli_w.dumps(doc)
    _scenario_ok(text)


# ------------------------------------------------------------------ data loader
HEADER = ",".join(SERIES_COLUMNS)
FIELD = st.one_of(st.sampled_from(["population_10k", "xinjiang", "1990", "2016", "1529.16", "nan", "inf", "-1",
                                   "1e400", "%", "10^4 persons", "km2", "src_a", "", "99999", "0x10", "1_000"]),
                  st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12))


def _write(tmp_path, content: bytes):
    p = tmp_path / "series.csv"
    p.write_bytes(content)
    return p


def _data_ok(path, expected_rows=None):
    try:
        df = load_series(path, catalog=False)
    except DataError as exc:
        assert str(path) in str(exc)
        return
    assert list(df.columns) == SERIES_COLUMNS
    assert df["value"].map(math.isfinite).all()
    for unit, value in zip(df["unit"], df["value"]):
        assert UNITS[unit].minimum <= value <= UNITS[unit].maximum
    assert not df.duplicated(["series_id", "geography", "year"]).any()
    if expected_rows is not None:
        assert len(df) == expected_rows, "partial output: rows were dropped"


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)


@given(st.one_of(TEXT, TEXT.map(lambda t: HEADER + "\n" + t), TEXT.map(lambda t: HEADER + "\na,b,2000,1,%,s," + t)))
@example("")
@example(HEADER)
@example(HEADER + "\n" + "a,b,2000,1,%,s,\n" * 2)
@example(HEADER + '\na,b,2000,1,%,s,"unterminated')
@example(HEADER + "\na,b,2000,1,%,s,\x00")
def test_random_text(tmp_path_factory, text):
    # UTF-8 only: non-UTF-8 bytes are known defect D-data-1 (regression test below)
    _data_ok(_write(tmp_path_factory.mktemp("d"), text.encode("utf-8")))


@given(rows=st.lists(st.lists(FIELD, min_size=5, max_size=9), max_size=6),
       header=st.sampled_from([HEADER, HEADER.upper(), ",".join(reversed(SERIES_COLUMNS)), HEADER + ",extra", HEADER[:-5]]))
def test_structured_rows(tmp_path_factory, rows, header):
    import csv
    import io
    buf = io.StringIO()
    buf.write(header + "\n")
    w = csv.writer(buf, lineterminator="\n")
    for r in rows:
        w.writerow(r)
    text = buf.getvalue()
    path = _write(tmp_path_factory.mktemp("d"), text.encode("utf-8"))
    nonempty = sum(1 for r in rows if r)  # csv skips nothing else; wrong-length rows are errors
    _data_ok(path, expected_rows=nonempty if header == HEADER else None)


# ------------------------------------------------------------------ regressions (defects found by fuzzing, fixed)
def test_huge_integer_lever_value_is_a_clear_error():
    with pytest.raises(OasisError):
        scenarios.parse_scenario_text("[levers]\nnew_reclamation_pct_of_bau = " + "9" * 400, "x.toml")


def test_non_utf8_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError):
        load_series(_write(tmp_path, b"\xff\xfe" + HEADER.encode()), catalog=False)


def test_oversized_field_is_a_data_error(tmp_path):
    content = (HEADER + "\na,b,2000,1,%,s," + "x" * 200_000 + "\n").encode()
    with pytest.raises(DataError):
        load_series(_write(tmp_path, content), catalog=False)
