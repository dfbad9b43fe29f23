"""Error paths of sim.data: each DataError names the file, the line, the field and what was expected."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sim.data import UNITS, DataError, load_series, load_sources, series_values

DATA = Path(__file__).resolve().parents[2] / "calibration" / "data"
HEADER = "series_id,geography,year,value,unit,source_id,note"
GOOD = [
    "co2_total_mt,xinjiang,2015,345.7297,Mt CO2,ceads_province,",
    "co2_total_mt,xinjiang,2016,373.6125,Mt CO2,ceads_province,",
    "population_10k,xinjiang,2016,2398,10^4 persons,gcamchina_population,year-end",
]


def write_series(tmp_path: Path, lines: list[str], header: str = HEADER) -> Path:
    for name in ("sources.csv", "references.csv", "geographies.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    p = tmp_path / "series.csv"
    p.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return p


def expect_error(path: Path, line: int, field: str, **kw) -> DataError:
    with pytest.raises(DataError) as ei:
        load_series(path, **kw)
    err = ei.value
    assert Path(err.file).name == path.name
    assert (err.line, err.field) == (line, field), str(err)
    msg = str(err)
    assert f"{path.name}:{line}:" in msg and f"'{field}'" in msg and "expected" in msg
    return err


def test_good_minimal_file_loads(tmp_path):
    df = load_series(write_series(tmp_path, GOOD))
    assert list(df.columns) == HEADER.split(",")
    assert df["year"].dtype == "int64" and df["value"].dtype == "float64"
    assert series_values(df, "co2_total_mt", "xinjiang").to_dict() == {2015: 345.7297, 2016: 373.6125}


def test_bad_column_name(tmp_path):
    p = write_series(tmp_path, GOOD, header=HEADER.replace("value", "valeu"))
    err = expect_error(p, 1, "value")
    assert err.suggestion == "value"


def test_missing_column(tmp_path):
    p = write_series(tmp_path, [row.rsplit(",", 1)[0] for row in GOOD], header=HEADER.rsplit(",", 1)[0])
    expect_error(p, 1, "note")


def test_wrong_type_year(tmp_path):
    lines = GOOD[:1] + ["co2_total_mt,xinjiang,20x6,373.6125,Mt CO2,ceads_province,"]
    expect_error(write_series(tmp_path, lines), 3, "year")


def test_wrong_type_value(tmp_path):
    lines = GOOD + ["co2_total_mt,xinjiang,2014,three hundred,Mt CO2,ceads_province,"]
    expect_error(write_series(tmp_path, lines), 5, "value")


def test_wrong_field_count(tmp_path):
    lines = GOOD + ["co2_total_mt,xinjiang,2014,332.0819,Mt CO2"]
    expect_error(write_series(tmp_path, lines), 5, "row")


def test_duplicate_observation(tmp_path):
    lines = GOOD + [GOOD[1]]
    err = expect_error(write_series(tmp_path, lines), 5, "year")
    assert "already on line 3" in str(err)


def test_negative_emission_out_of_range(tmp_path):
    lines = GOOD + ["co2_total_mt,xinjiang,2014,-1.5,Mt CO2,ceads_province,"]
    expect_error(write_series(tmp_path, lines), 5, "value")


def test_share_above_100_out_of_range(tmp_path):
    lines = GOOD + ["renewable_share_generation_pct,xinjiang,2016,118.49,%,cpsy_gcamchina_elec,"]
    expect_error(write_series(tmp_path, lines), 5, "value")


def test_negative_area_out_of_range(tmp_path):
    lines = GOOD + ["cropland_km2_landsat,xinjiang,2015,-89642.17,km2,chinaxiv_202001_00009,"]
    expect_error(write_series(tmp_path, lines), 5, "value")


def test_unknown_unit_suggests_nearest(tmp_path):
    lines = GOOD + ["co2_total_mt,xinjiang,2014,332.0819,Mt C02,ceads_province,"]
    err = expect_error(write_series(tmp_path, lines), 5, "unit")
    assert err.suggestion == "Mt CO2" and "did you mean 'Mt CO2'" in str(err)


def test_two_units_in_one_series(tmp_path):
    lines = GOOD + ["co2_total_mt,xinjiang,2014,332081.9,t/yr,ceads_province,"]
    err = expect_error(write_series(tmp_path, lines), 5, "unit", catalog=False)
    assert "see line 2" in str(err)


def test_unit_must_match_catalogue(tmp_path):
    lines = [GOOD[2], "co2_total_mt,xinjiang,2014,332.0819,Mtce,ceads_province,"]
    err = expect_error(write_series(tmp_path, lines), 3, "unit")
    assert "sources.csv" in str(err)


def test_unknown_series_id_suggests_nearest(tmp_path):
    lines = GOOD + ["co2_totl_mt,xinjiang,2014,332.0819,Mt CO2,ceads_province,"]
    err = expect_error(write_series(tmp_path, lines), 5, "series_id")
    assert err.suggestion == "co2_total_mt"


def test_unknown_geography_suggests_nearest(tmp_path):
    lines = GOOD + ["co2_total_mt,xinjaing,2014,332.0819,Mt CO2,ceads_province,"]
    err = expect_error(write_series(tmp_path, lines), 5, "geography")
    assert err.suggestion == "xinjiang"


def test_unknown_source_id_suggests_nearest(tmp_path):
    lines = GOOD + ["co2_total_mt,xinjiang,2014,332.0819,Mt CO2,ceads_provinces,"]
    err = expect_error(write_series(tmp_path, lines), 5, "source_id")
    assert err.suggestion == "ceads_province"


def test_sources_file_unknown_unit(tmp_path):
    text = (DATA / "sources.csv").read_text(encoding="utf-8").splitlines()
    idx = next(i for i, row in enumerate(text) if row.startswith("co2_total_mt,"))
    text[idx] = text[idx].replace("co2_total_mt,Mt CO2,", "co2_total_mt,MtCO2,", 1)
    shutil.copy(DATA / "references.csv", tmp_path / "references.csv")
    p = tmp_path / "sources.csv"
    p.write_text("\n".join(text) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as ei:
        load_sources(p)
    assert (Path(ei.value.file).name, ei.value.line, ei.value.field) == ("sources.csv", idx + 1, "unit")
    assert ei.value.suggestion == "Mt CO2"


def test_units_have_sane_bounds():
    assert UNITS["%"].minimum == 0 and UNITS["%"].maximum == 100
    for u in ("km2", "Mt CO2", "10^4 persons", "10^8 m3", "t/yr"):
        assert UNITS[u].minimum == 0


def test_series_values_unknown_names():
    df = load_series()
    with pytest.raises(KeyError, match="did you mean 'co2_total_mt'"):
        series_values(df, "co2_totl_mt", "xinjiang")
    with pytest.raises(KeyError, match="has no geography"):
        series_values(df, "co2_total_mt", "tns_core")


# --- anchors.csv ---------------------------------------------------------------------------------

ANCHOR_HEADER = "anchor_id,kind,geography,scenario,year,year_end,value,value_high,unit,source_id,period,note"
ANCHOR_GOOD = "total_water_use_cap,target,xinjiang,,2030,,526.74,,1e8 m3/yr,state_council_2013_2,2030,"


def _anchors(tmp_path: Path, line: str) -> Path:
    for name in ("references.csv", "geographies.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    p = tmp_path / "anchors.csv"
    p.write_text("\n".join([ANCHOR_HEADER, ANCHOR_GOOD, line]) + "\n", encoding="utf-8")
    return p


@pytest.mark.parametrize("line,field", [
    ("x,forecast,xinjiang,,2030,,1,,u,state_council_2013_2,2030,", "kind"),
    ("x,target,xinjiang,,20x0,,1,,u,state_council_2013_2,2030,", "year"),
    ("x,target,xinjiang,,,,1,,u,state_council_2013_2,2030,", "year"),
    ("x,target,xinjiang,,2030,2020,1,,u,state_council_2013_2,2030,", "year_end"),
    ("x,target,xinjiang,,2030,,1_0,,u,state_council_2013_2,2030,", "value"),
    ("x,target,xinjiang,,2030,,5,4,u,state_council_2013_2,2030,", "value_high"),
    ("x,target,xinjaing,,2030,,1,,u,state_council_2013_2,2030,", "geography"),
    ("x,target,xinjiang,,2030,,1,,,state_council_2013_2,2030,", "unit"),
    ("x,target,xinjiang,,2030,,1,,u,nope,2030,", "source_id"),
])
def test_anchor_errors_name_line_and_field(tmp_path, line, field):
    from sim.data import load_anchors
    p = _anchors(tmp_path, line)
    with pytest.raises(DataError) as ei:
        load_anchors(p)
    assert (ei.value.line, ei.value.field) == (3, field), str(ei.value)
    assert "anchors.csv:3:" in str(ei.value)


def test_anchor_long_run_without_year(tmp_path):
    from sim.data import load_anchors
    df = load_anchors(_anchors(tmp_path, "x,target,xinjiang,,,,400,,1e8 m3/yr,chinaxiv_202110_00028,long-run,"))
    assert df["year"].isna().tolist() == [False, True]
