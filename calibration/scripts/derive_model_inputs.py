"""Derive the model's data-based constants from calibration/data (a committed, scripted derivation).

Every constant of ``sd_models/tianshan.mdl`` whose documentation cites data is computed here from
``calibration/data/series.csv`` or the raw copies in ``calibration/data/raw/``; the result is
written (atomically) to ``calibration/derived/model_inputs.csv`` with the formula and sources.
``tests/model/test_model_inputs.py`` checks that the .mdl carries these values.

Run:  python calibration/scripts/derive_model_inputs.py
"""
from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sim import data  # noqa: E402
from sim.io import atomic_write_text  # noqa: E402

OUT = ROOT / "calibration" / "derived" / "model_inputs.csv"
RAW = ROOT / "calibration" / "data" / "raw"


def _value(series, sid: str, year: int, geography: str = "xinjiang") -> float:
    rows = series[(series.series_id == sid) & (series.year == year) & (series.geography == geography)]
    if len(rows) != 1:
        raise LookupError(f"{sid} {geography} {year}: expected one observation, found {len(rows)}")
    return float(rows.value.iloc[0])


def _prefecture_2017(column: str) -> dict[str, float]:
    with open(RAW / "prefecture_water_use_2017.csv", encoding="utf-8") as fh:
        return {row["region"]: float(row[column]) for row in csv.DictReader(fh) if row[column]}


def derive() -> list[dict]:
    """Rows: constant, value, units, formula, sources."""
    s = data.load_series()
    rows = []

    def add(constant, value, units, formula, sources):
        rows.append({"constant": constant, "value": value, "units": units, "formula": formula, "sources": sources})

    pop90 = _value(s, "population_10k", 1990)
    add("xinjiang_population_1990_10k", pop90, "10k persons", "population 1990", "population_10k")
    add("xinjiang_secondary_va_1990_1e8yuan", _value(s, "va_secondary_xsy2006_100m_yuan", 1990), "1e8 yuan/Year",
        "secondary VA 1990 (current = constant 1990 prices)", "va_secondary_xsy2006_100m_yuan")
    add("xinjiang_tertiary_va_1990_1e8yuan", _value(s, "va_tertiary_xsy2006_100m_yuan", 1990), "1e8 yuan/Year",
        "tertiary VA 1990", "va_tertiary_xsy2006_100m_yuan")
    crop90_kha = _value(s, "cropland_km2_landsat", 1990) / 10
    add("xinjiang_cropland_1990_kha", crop90_kha, "kha", "cropland km2 / 10", "cropland_km2_landsat")
    add("primary_va_per_ha_1990_yuan", _value(s, "va_primary_xsy2006_100m_yuan", 1990) * 1e8 / (crop90_kha * 1e3),
        "yuan/ha/Year", "primary VA 1990 [1e8 yuan] * 1e8 / (cropland 1990 [kha] * 1e3)",
        "va_primary_xsy2006_100m_yuan; cropland_km2_landsat")
    area_kha = 166490.0  # 1.6649e6 km2, SOURCES.md (xinjiang_oasis_share note); not a series
    oasis_share = _value(s, "oasis_share_of_area_pct", 1990) / 100
    natural_share = 1 - _value(s, "artificial_oasis_share_of_oasis_pct", 1990) / 100
    add("xinjiang_natural_oasis_1990_kha", area_kha * oasis_share * natural_share, "kha",
        "Xinjiang area 166490 kha * oasis share 1990 * (1 - artificial share of oasis 1990)",
        "oasis_share_of_area_pct; artificial_oasis_share_of_oasis_pct; raw/SOURCES.md (area)")
    builtup90_kha = _value(s, "builtup_km2_landsat", 1990) / 10
    # Urban population 1990 on the resident basis is the model's own initial value (sum over
    # regions of population x urban_share_1990), because the 1990 yearbook figure uses the old
    # non-agricultural definition; see urban_share_1990 in the model.
    from sim import model as model_mod
    info = model_mod.load()
    shares = _array(info, "belt_population_share_1990")
    urban = _array(info, "urban_share_1990")
    pop_shares = shares + [1 - sum(shares)]
    urban90 = sum(pop90 * p * u for p, u in zip(pop_shares, urban))
    add("built_up_land_per_urban_resident_m2", builtup90_kha * 1000 / urban90, "m2/person",
        "built-up 1990 [kha] * 1000 / model urban population 1990 [10k persons]",
        "builtup_km2_landsat; model initial urban population")
    add("household_energy_per_capita_tce", _value(s, "final_energy_residential_mtce", 1990) * 100 / pop90,
        "tce/person/Year", "residential final energy 1990 [Mtce] * 100 / population 1990 [10k]",
        "final_energy_residential_mtce; population_10k")
    add("xinjiang_surface_water_resources_1e8m3_per_yr", _value(s, "surface_water_resources_100m_m3", 2017),
        "1e8 m3/Year", "Xinjiang surface water resources 2017", "surface_water_resources_100m_m3")
    pref = _prefecture_2017("surface_water_resources_1e8m3")
    add("belt_mean_surface_runoff_1e8m3_per_yr[urumqi_changji]", pref["Urumqi"] + pref["Changji Pref."],
        "1e8 m3/Year", "Urumqi + Changji Pref. surface water resources 2017", "raw/prefecture_water_use_2017.csv")
    add("belt_mean_surface_runoff_1e8m3_per_yr[bole_ebinur]", pref["Bortala Pref."], "1e8 m3/Year",
        "Bortala Pref. surface water resources 2017", "raw/prefecture_water_use_2017.csv")
    add("belt_mean_surface_runoff_1e8m3_per_yr[turpan_hami]", pref["Turpan"] + pref["Hami"], "1e8 m3/Year",
        "Turpan + Hami surface water resources 2017", "raw/prefecture_water_use_2017.csv")
    # --- model v2: water and land (issue 12) ---
    with open(RAW / "policy_targets_xinjiang_china.csv", encoding="utf-8") as fh:
        targets = {(r["series"], r["geography"], r["year"]): float(r["value"]) for r in csv.DictReader(fh)}
    add("xinjiang_cultivated_land_retention_2035_kha",
        targets[("cultivated_land_retention_min", "Xinjiang", "2035")] * 1e4 / 15 / 1000, "kha",
        "2035 cultivated land retention [1e4 mu] * 1e4 / 15 [ha/mu] / 1000", "raw/policy_targets_xinjiang_china.csv")
    return rows


def _array(info, name: str) -> list[float]:
    """Numeric values of a constant array definition in the model."""
    expr = info.variable(name).equations[0].split("=", 1)[1]
    return [float(x) for x in expr.replace(";", ",").split(",")]


def _write_csv(path: Path, fieldnames: list[str], rows: list[dict]) -> Path:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fieldnames, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return atomic_write_text(path, buf.getvalue(), make_parents=True)


def write(rows: list[dict], path: Path = OUT) -> Path:
    return _write_csv(path, ["constant", "value", "units", "formula", "sources"],
                      [{**r, "value": f"{r['value']:.6g}"} for r in rows])


# --- model v2: population and economy (helper P, issue 11) -------------------------------------
# Lookup tables of the .mdl (growth paths by year), written to calibration/derived/model_lookups.csv.
# Source: raw/gcamchina_xinjiang_pop_gdp_projection_2019_2100.csv (GCAM-China SSP reproduction,
# 2019 and 5-yearly 2020-2100) and raw/ssp_china_national_growth_inputs_gcamchina.csv.
# Rates are continuous: ln(X(t1)/X(t0)) / (t1 - t0) over each interval [t0, t1) of the file, written
# as a step function (points at t0 and t1 - 0.01) so that the Euler integration of the model
# (TIME STEP 0.25) reproduces the tabulated growth exactly.
LOOKUPS = ROOT / "calibration" / "derived" / "model_lookups.csv"
GCAM_FILE = "gcamchina_xinjiang_pop_gdp_projection_2019_2100.csv"
SSP_FILE = "ssp_china_national_growth_inputs_gcamchina.csv"
LOOKUP_LAST_YEAR = 2070  # beyond the model horizon (2060); lookups clamp outside their range


def _gcam_path(series: str, geography: str, scenario: str) -> dict[int, float]:
    with open(RAW / GCAM_FILE, encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if not r["series"].startswith("#")]
    out = {int(r["year"]): float(r["value"]) for r in rows
           if r["series"] == series and r["geography"].startswith(geography) and r["scenario"] == scenario}
    if not out:
        raise LookupError(f"{GCAM_FILE}: no rows for {series} / {geography} / {scenario}")
    return out


def _interval_rates(path: dict[int, float]) -> list[tuple[int, int, float]]:
    import math

    years = sorted(y for y in path if y <= LOOKUP_LAST_YEAR)
    return [(a, b, math.log(path[b] / path[a]) / (b - a)) for a, b in zip(years, years[1:])]


def _step_points(intervals: list[tuple[int, int, float]]) -> list[tuple[float, float]]:
    """A step function as lookup points: the rate of [a, b) at a and at b - 0.01."""
    pts = []
    for a, b, r in intervals:
        pts += [(float(a), r), (b - 0.01, r)]
    return pts


def _ssp_national_rate(series: str, period: str, scenario: str) -> float:
    with open(RAW / SSP_FILE, encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["series"] == series and r["year"] == period and r["scenario"] == scenario and r["geography"] == "China":
                return float(r["value"]) / 100
    raise LookupError(f"{SSP_FILE}: {series} {period} {scenario}")


def derive_lookups() -> list[dict]:
    """Rows: lookup, x (year), y (rate 1/Year), formula, sources."""
    rows = []

    def add(name, intervals, formula, sources):
        for x, y in _step_points(intervals):
            rows.append({"lookup": name, "x": x, "y": y, "formula": formula, "sources": sources})

    for name, ssp in (("xinjiang_population_growth_ssp2_per_yr", "SSP2"),
                      ("xinjiang_population_growth_ssp3_per_yr", "SSP3"),
                      ("xinjiang_population_growth_ssp4_per_yr", "SSP4")):
        add(name, _interval_rates(_gcam_path("population", "Xinjiang", f"GCAM-China {ssp}")),
            f"ln(P(t1)/P(t0))/(t1-t0), Xinjiang population, GCAM-China {ssp}", f"raw/{GCAM_FILE}")
    for name, ssp in (("national_gdp_per_capita_growth_ssp2_per_yr", "SSP2"),
                      ("national_gdp_per_capita_growth_ssp3_per_yr", "SSP3"),
                      ("national_gdp_per_capita_growth_ssp5_per_yr", "SSP5")):
        # 2011-2019: the SSP input rates (GDP growth minus population growth = per-capita growth)
        hist = [(a, b, _ssp_national_rate("gdp_growth_rate", period, ssp)
                 - _ssp_national_rate("population_growth_rate", period, ssp))
                for a, b, period in ((2011, 2016, "2011-2015"), (2016, 2019, "2016-2020"))]
        add(name, hist, f"China GDP growth - population growth (SSP input rates 2011-2015, 2016-2020), {ssp}",
            f"raw/{SSP_FILE}")
        add(name, _interval_rates(_gcam_path("gdp_per_capita_real", "China", f"GCAM-China {ssp}")),
            f"ln(y(t1)/y(t0))/(t1-t0), China GDP per capita (2010 USD), GCAM-China {ssp}", f"raw/{GCAM_FILE}")
    return rows


def lookup_definitions(rows: list[dict] | None = None) -> dict[str, list[tuple[float, float]]]:
    """Lookup name -> [(x, y)] as written into the .mdl (rounded as in the csv)."""
    out: dict[str, list[tuple[float, float]]] = {}
    for r in rows if rows is not None else derive_lookups():
        out.setdefault(r["lookup"], []).append((float(f"{r['x']:.6g}"), float(f"{r['y']:.6g}")))
    return out


def derive_p() -> list[dict]:
    """Constants of the population/economy sectors derived from data (rows as in derive())."""
    rows = []
    pop19 = _gcam_path("population", "Xinjiang", "GCAM-China SSP2")[2019]
    y_xj = _gcam_path("gdp_per_capita_real", "Xinjiang", "GCAM-China SSP2")[2019]
    y_cn = _gcam_path("gdp_per_capita_real", "China", "GCAM-China SSP2")[2019]
    rows.append({"constant": "xinjiang_to_national_gdp_per_capita_2019", "value": y_xj / y_cn, "units": "Dmnl",
                 "formula": "Xinjiang / China GDP per capita 2019 (2010 USD)", "sources": f"raw/{GCAM_FILE}"})
    del pop19
    return rows


def write_lookups(rows: list[dict], path: Path = LOOKUPS) -> Path:
    return _write_csv(path, ["lookup", "x", "y", "formula", "sources"],
                      [{**r, "x": f"{r['x']:.6g}", "y": f"{r['y']:.6g}"} for r in rows])


def mdl_lookup_text(name: str, points: list[tuple[float, float]]) -> str:
    """The Vensim lookup body for ``name`` (pasted into the .mdl; tests compare it)."""
    lo = min(y for _, y in points)
    hi = max(y for _, y in points)
    body = ",".join(f"({x:.6g},{y:.6g})" for x, y in points)
    return f"[({points[0][0]:.6g},{lo:.6g})-({points[-1][0]:.6g},{hi:.6g})],{body}"


if __name__ == "__main__":
    print(f"wrote {write(derive())}")
    print(f"wrote {write_lookups(derive_lookups())}")
