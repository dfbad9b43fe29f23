"""The committed calibration tables: reproducible from raw, consistent, and true to the raw files.

Spot checks read the raw files independently with the csv module (not via build_series.py).
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from sim.data import load_geographies, load_references, load_series, load_sources, series_values

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "calibration" / "data"
RAW = DATA / "raw"
SCRIPT = REPO / "calibration" / "scripts" / "build_series.py"
OUTPUTS = ("series.csv", "sources.csv", "references.csv", "geographies.csv", "anchors.csv")
SIX = ("urumqi_changji", "shihezi_manas_shawan", "kuitun_dushanzi_wusu_karamay", "bole_ebinur",
       "turpan_hami", "rest_of_xinjiang")


def _build_module():
    spec = importlib.util.spec_from_file_location("build_series_under_test", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses need the module registered
    spec.loader.exec_module(mod)
    return mod


def _raw_rows(name: str) -> list[dict[str, str]]:
    lines = (RAW / name).read_text(encoding="utf-8").splitlines()
    while lines and lines[0].startswith(("#", '"#')):
        lines.pop(0)
    return list(csv.DictReader(lines))


@pytest.fixture(scope="module")
def df():
    return load_series()


def val(df, sid, geo, year):
    return float(series_values(df, sid, geo).loc[year])


# --- reproducibility and provenance ---------------------------------------------------------

def test_committed_tables_equal_fresh_build(tmp_path):
    summary = _build_module().build(RAW, tmp_path)
    for name in OUTPUTS:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), (
            f"{name} differs from a fresh build: run python calibration/scripts/build_series.py")
    assert summary["unmapped_counties"] == []
    assert not list(tmp_path.glob("*.tmp")), "temporary files left behind"


def test_raw_copies_are_verbatim_and_complete():
    listed = {}
    for line in (DATA / "raw_checksums.sha256").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name.strip()] = digest
    present = {p.name for p in RAW.iterdir() if p.is_file()}
    assert present == set(listed)
    assert {"README.md", "SOURCES.md"} <= present
    for name, digest in listed.items():
        assert hashlib.sha256((RAW / name).read_bytes()).hexdigest() == digest, name


def test_build_script_reads_only_the_project_raw_copy():
    text = SCRIPT.read_text() + (SCRIPT.parent / "_meta.py").read_text()
    assert "/work/shared" not in text and "../shared" not in text


# --- catalogue consistency ---------------------------------------------------------------------

def test_catalogue_consistent(df):
    src = load_sources()
    refs = set(load_references()["source_id"])
    geos = load_geographies().set_index("geography")
    assert set(src["series_id"]) == set(df["series_id"])
    by_series = src.set_index("series_id")
    for sid, sub in df.groupby("series_id"):
        row = by_series.loc[sid]
        assert sub["unit"].nunique() == 1 and sub["unit"].iloc[0] == row["unit"]
        assert set(sub["source_id"]) == set(row["source_ids"].split(";"))
        assert set(sub["geography"]) == set(row["geographies"].split(";"))
        assert row["measures"] and row["citation"] and row["raw_files"]
    assert set(df["source_id"]) <= refs
    assert set(df["geography"]) <= set(geos.index)
    for reg in SIX:
        assert geos.loc[reg, "model_regions"] == reg and geos.loc[reg, "mapping"] == "exact"
    assert geos.loc["xinjiang", "model_regions"].split(";") == list(SIX)
    assert geos.loc["tns_core", "model_regions"].split(";") == [
        "urumqi_changji", "shihezi_manas_shawan", "kuitun_dushanzi_wusu_karamay"]


def test_every_raw_file_named_in_sources_exists():
    for files in load_sources()["raw_files"]:
        for f in files.split(";"):
            assert (RAW / f.strip().split(" ")[0]).is_file(), f


# --- spot checks against the raw files ----------------------------------------------------------

def test_co2_total_2016_equals_raw_ceads(df):
    raw = {int(r["year"]): float(r["Scope_1_Total"]) for r in _raw_rows("ceads_xinjiang_co2_by_fuel_1997_2019.csv")}
    assert raw[2016] == 373.6125
    assert val(df, "co2_total_mt", "xinjiang", 2016) == 373.6125
    for y, v in raw.items():
        assert val(df, "co2_total_mt", "xinjiang", y) == v


def test_ceads_2001_outlier_flagged(df):
    rows = df[(df["source_id"] == "ceads_province") & (df["year"] == 2001)]
    assert len(rows) > 0 and rows["note"].str.contains("OUTLIER").all()
    assert not df[(df["source_id"] == "ceads_province") & (df["year"] != 2001)]["note"].str.contains(
        "OUTLIER").any()


def test_ceads_sectors_sum_to_total(df):
    for y in range(1997, 2020):
        tot = sum(val(df, f"co2_sector_{s}_mt", "xinjiang", y) for s in (
            "agriculture", "industry_excl_power", "power_heat", "construction", "transport",
            "wholesale_retail_catering", "others", "household_urban", "household_rural"))
        assert tot == pytest.approx(val(df, "co2_total_mt", "xinjiang", y), abs=2e-3)


def test_region_co2_sums_equal_county_file_total(df):
    county_total = defaultdict(float)
    for r in _raw_rows("county_co2_xinjiang_1997_2017_chen2020.csv"):
        county_total[int(r["year"])] += float(r["co2_Mt"])
    assert sorted(county_total) == list(range(1997, 2018))
    for y, tot in county_total.items():
        regions = sum(val(df, "co2_chen2020_mt", reg, y) for reg in SIX)
        assert regions == pytest.approx(tot, abs=1e-5)
        assert val(df, "co2_chen2020_mt", "xinjiang", y) == pytest.approx(tot, abs=1e-5)
        shares = sum(val(df, "co2_share_chen2020_pct", reg, y) for reg in SIX)
        assert shares == pytest.approx(100.0, abs=1e-3)


def test_tns_core_co2_matches_raw_aggregate_and_region_union(df):
    for r in _raw_rows("tns_core_co2_from_county_1997_2017.csv"):
        y = int(r["year"])
        ours = val(df, "co2_chen2020_mt", "tns_core", y)
        assert ours == pytest.approx(float(r["tns_core_co2_Mt"]), abs=1e-3)
        union = sum(val(df, "co2_chen2020_mt", reg, y)
                    for reg in ("urumqi_changji", "shihezi_manas_shawan", "kuitun_dushanzi_wusu_karamay"))
        assert ours == pytest.approx(union, abs=1e-5)
        assert val(df, "co2_share_chen2020_pct", "tns_core", y) / 100 == pytest.approx(
            float(r["tns_share"]), abs=6e-4)


def test_population_vintages(df):
    raw = {int(r["year"]): r for r in _raw_rows("xinjiang_population_1975_2019.csv")}
    for y, r in raw.items():
        col = "pop_10k_persons_compendium60y" if y <= 2008 else "pop_10k_persons_CSY_yearend"
        assert val(df, "population_10k", "xinjiang", y) == float(r[col])
    note_1990 = df[(df.series_id == "population_10k") & (df.year == 1990)]["note"].iloc[0]
    assert "JUMP 1989->1990" in note_1990


def test_gdp_one_vintage_and_suspect_rows_excluded(df):
    g = series_values(df, "gdp_current_100m_yuan", "xinjiang")
    assert list(g.index) == list(range(1975, 2012))
    suspect = {int(r["year"]): float(r["gdp_100m_yuan_current"])
               for r in _raw_rows("xinjiang_gdp_1975_2019_gcamchina_raw.csv") if r["flag"].startswith("SUSPECT")}
    assert g.loc[2010] == 5437.47 and g.loc[2010] != suspect[2010]
    assert g.loc[1990] == 261.44


def test_real_gdp_chain(df):
    growth = {int(r["year"]): float(r["gdp_growth_comparable_prices_pct"])
              for r in _raw_rows("xinjiang_energy_growth_elasticity_xsy_1980_2009.csv")}
    real = series_values(df, "gdp_real_1990prices_100m_yuan", "xinjiang")
    assert list(real.index) == list(range(1990, 2010))
    level = 261.44
    for y in range(1991, 2010):
        level *= 1 + growth[y] / 100
        assert real.loc[y] == pytest.approx(level, abs=1e-3)
    assert real.loc[1991] == pytest.approx(261.44 * 1.144, abs=1e-4)


def test_sector_shares_2002_2011(df):
    for r in _raw_rows("xinjiang_gdp_sectors_2002_2011_nbs_echarts.csv"):
        y = int(r["year"])
        assert val(df, "va_primary_share_pct", "xinjiang", y) == pytest.approx(
            100 * float(r["primary_100m_yuan"]) / float(r["gdp_100m_yuan"]), abs=1e-4)
        total = sum(val(df, f"va_{s}_share_pct", "xinjiang", y) for s in ("primary", "secondary", "tertiary"))
        assert total == pytest.approx(100.0, abs=0.01)


def test_electricity_and_renewable_share(df):
    hydro = series_values(df, "electricity_generation_hydro_100m_kwh", "xinjiang")
    assert 2003 not in hydro.index and 2006 not in hydro.index  # missing in source, not zero
    assert val(df, "renewable_share_generation_pct", "xinjiang", 2016) == pytest.approx(
        (211 + 220 + 67) / 2693 * 100, abs=1e-4)
    for r in _raw_rows("xinjiang_electricity_generation_by_fuel_1994_2017_cpsy_gcamchina.csv"):
        if r["renewable_share_hydro_wind_solar_OWN_DERIVATION"]:
            assert val(df, "renewable_share_generation_pct", "xinjiang", int(r["year"])) / 100 == pytest.approx(
                float(r["renewable_share_hydro_wind_solar_OWN_DERIVATION"]), abs=6e-5)


def test_land_primary_product_and_alternative_kept_apart(df):
    assert val(df, "cropland_km2_landsat", "xinjiang", 2015) == 89642.17
    assert val(df, "cropland_km2_caslucc", "xinjiang", 2015) == 77209
    landsat_src = set(df[df.series_id.str.endswith("_km2_landsat")]["source_id"])
    caslucc_src = set(df[df.series_id.str.endswith("_km2_caslucc")]["source_id"])
    assert landsat_src == {"chinaxiv_202001_00009"} and caslucc_src == {"chinaxiv_202101_00022"}


def test_cultivated_land_definitions_never_mixed(df):
    expected = {
        "cultivated_land_landsurvey_1000ha": {"csy2004_t13_5"},
        "cultivated_land_statistical_1000ha": {"xsy2003_t8_8"},
        "cultivated_land_survey3_10k_ha": {"tacheng_survey3", "altay_survey3", "xinhua_2022_survey3"},
    }
    for sid, srcs in expected.items():
        assert set(df[df.series_id == sid]["source_id"]) == srcs
    assert val(df, "cultivated_land_landsurvey_1000ha", "xinjiang", 1996) == 3985.7
    assert val(df, "cultivated_land_statistical_1000ha", "xinjiang", 2002) == 3364.66


def test_water_census_break_kept_apart(df):
    pre = series_values(df, "water_use_agriculture_precensus_100m_m3", "xinjiang")
    post = series_values(df, "water_use_agriculture_100m_m3", "xinjiang")
    assert max(pre.index) < 2011 <= min(post.index)
    assert post.loc[2011] == 591.75 and pre.loc[2010] == 495.95


def test_prefecture_water_2017_exact_aggregates(df):
    pref = {r["region"]: float(r["water_supply_use_2017_1e8m3"]) for r in _raw_rows("prefecture_water_use_2017.csv")}
    assert val(df, "water_use_total_100m_m3", "turpan_hami", 2017) == pytest.approx(pref["Turpan"] + pref["Hami"])
    assert val(df, "water_use_total_100m_m3", "bole_ebinur", 2017) == pref["Bortala Pref."]
    # regions that cannot be formed from prefecture totals are absent
    for reg in ("urumqi_changji", "shihezi_manas_shawan", "kuitun_dushanzi_wusu_karamay", "rest_of_xinjiang"):
        assert df[(df.series_id == "water_use_total_100m_m3") & (df.geography == reg)].empty


def test_lake_sensors_separate(df):
    assert val(df, "lake_area_km2_landsat_sep", "ebinur_lake", 1998) == 519.26
    assert val(df, "lake_area_km2_spot_vgt", "ebinur_lake", 1998) == 503


# --- second release: 2017-2019 observations and anchors ------------------------------------------

def test_second_release_observations_through_2019(df):
    assert val(df, "population_10k", "xinjiang", 2019) == 2523
    assert val(df, "co2_total_mt", "xinjiang", 2019) == 455.2746
    assert val(df, "urbanisation_rate_pct", "xinjiang", 2019) == 51.87
    assert val(df, "renewable_share_generation_pct", "xinjiang", 2017) == pytest.approx(
        (256 + 318 + 107) / 3030 * 100, abs=1e-4)
    # the conflicting 2017 household-registered population is not an observation
    assert val(df, "population_10k", "xinjiang", 2017) == 2445
    # one GDP vintage per series: the 2019 post-census figure is not in the first-published series
    assert 2019 not in series_values(df, "gdp_current_100m_yuan", "xinjiang").index
    assert val(df, "gdp_current_revised_100m_yuan", "xinjiang", 2019) == 13597.11


def test_projections_and_targets_are_not_in_series():
    from sim.data import load_anchors
    a = load_anchors()
    assert set(a["kind"]) == {"observation", "projection", "target"}
    s = load_series()
    assert not set(a["anchor_id"]) & set(s["series_id"])
    caps = a[(a.anchor_id == "total_water_use_cap") & (a.geography == "xinjiang")]
    assert caps.set_index("year")["value"].to_dict() == {2015: 515.6, 2020: 515.97, 2025: 563.0, 2030: 526.74}
    ssp2 = a[(a.anchor_id == "population") & (a.scenario == "ssp2") & (a.geography == "xinjiang")]
    assert len(ssp2) > 10 and (ssp2["kind"][ssp2["year"] > 2019] == "projection").all()
    ranged = a[a.anchor_id == "co2_annual_reduction_rate_after_2030"].iloc[0]
    assert (ranged["year"], ranged["year_end"], ranged["value"], ranged["value_high"]) == (2030, 2060, 8.0, 10.0)
