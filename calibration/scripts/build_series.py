#!/usr/bin/env python3
"""Build the tidy calibration series of Oasis-SD from the verbatim raw copies.

Reads only ``calibration/data/raw/`` (verbatim copies of the shared data folder, provenance
included) and writes, atomically (temp file + rename), four tables into ``calibration/data/``:

``series.csv``
    one row per observation: ``series_id,geography,year,value,unit,source_id,note``
``sources.csv``
    one row per ``series_id``: unit, geographies, years, what is measured, citation, raw files,
    derivation, caveats, known outliers
``references.csv``
    one row per ``source_id`` (citation + raw file)
``geographies.csv``
    one row per geography id: description and which model regions it maps to

Nothing is invented: every value is either copied from a raw file or computed from copied
values by a derivation written in this script (and stated in ``sources.csv`` / the row note).
Gaps stay gaps (no row). The output is deterministic: rows are sorted and floats are written
with ``format(value, '.10g')``.

Usage::

    python calibration/scripts/build_series.py [--raw DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[2]))
from _meta import GEOGRAPHIES, REFERENCES, SIX_REGIONS  # noqa: E402

from sim.io import atomic_write_text  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
DEFAULT_RAW = REPO / "calibration" / "data" / "raw"
DEFAULT_OUT = REPO / "calibration" / "data"

SERIES_COLUMNS = ["series_id", "geography", "year", "value", "unit", "source_id", "note"]
SOURCES_COLUMNS = [
    "series_id",
    "unit",
    "geographies",
    "years",
    "measures",
    "citation",
    "source_ids",
    "raw_files",
    "derivation",
    "caveats",
    "outliers",
]

CEADS_2001_NOTE = (
    "SOURCE OUTLIER 2001: the CEADs 2001 sheet has oil-related CO2 far below neighbouring years "
    "(data error in the source); do not fit to this point"
)


# --------------------------------------------------------------------------------------------
# raw readers
# --------------------------------------------------------------------------------------------
def read_raw(raw_dir: Path, name: str) -> list[dict[str, str]]:
    """Read a raw CSV as a list of dicts of strings, skipping leading ``#`` comment lines."""
    text = (raw_dir / name).read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines) and (lines[i].startswith("#") or lines[i].startswith('"#')):
        i += 1
    reader = csv.DictReader(io.StringIO("".join(lines[i:])))
    return [dict(r) for r in reader]


def num(text: str) -> float:
    """Parse a number as printed in a raw file (raises on anything else)."""
    v = float(text.strip())
    if not math.isfinite(v):
        raise ValueError(f"non-finite number {text!r}")
    return v


def blank(text: str | None) -> bool:
    return text is None or text.strip() == ""


# --------------------------------------------------------------------------------------------
# collector
# --------------------------------------------------------------------------------------------
@dataclass
class SeriesMeta:
    unit: str
    measures: str
    derivation: str = ""
    caveats: str = ""
    outliers: str = ""


@dataclass
class Builder:
    meta: dict[str, SeriesMeta] = field(default_factory=dict)
    rows: list[tuple[str, str, int, float, str, str]] = field(default_factory=list)

    def series(self, sid: str, unit: str, measures: str, derivation: str = "", caveats: str = "",
               outliers: str = "") -> None:
        if sid in self.meta:
            raise ValueError(f"series {sid} declared twice")
        self.meta[sid] = SeriesMeta(unit, measures, derivation, caveats, outliers)

    def add(self, sid: str, geo: str, year: int, value: float, source_id: str, note: str = "") -> None:
        if sid not in self.meta:
            raise ValueError(f"series {sid} not declared")
        if geo not in GEOGRAPHIES:
            raise ValueError(f"geography {geo} not in _meta.GEOGRAPHIES")
        if source_id not in REFERENCES:
            raise ValueError(f"source_id {source_id} not in _meta.REFERENCES")
        if not math.isfinite(value):
            raise ValueError(f"{sid} {geo} {year}: non-finite value")
        self.rows.append((sid, geo, int(year), float(value), source_id, note.strip()))


def fmt(v: float) -> str:
    out = format(v, ".10g")
    return "0" if out == "-0" else out


# --------------------------------------------------------------------------------------------
# population, urbanisation, employment
# --------------------------------------------------------------------------------------------
def build_population(b: Builder, raw: Path) -> None:
    b.series(
        "population_10k", "10^4 persons",
        "Xinjiang year-end total population (incl. XPCC)",
        derivation="1975-2008 from the China Compendium of Statistics column, 2009-2019 from the China "
        "Statistical Yearbook year-end column (the two columns agree to rounding in their 2000-2008 "
        "overlap)",
        caveats="Level jumps at census years: 1989->1990 +75.0 (+5.2%) and 1999->2000 +74.4 (+4.2%) "
        "coincide with the 1990 and 2000 censuses (re-basing, not growth; the raw files do not say so); "
        "2014->2015 +62 (+2.7%) is also unusually large (2015 1% sample "
        "survey year). Fit growth rates across these years with care.",
        outliers="1990 and 2000 level jumps (census)",
    )
    rows = read_raw(raw, "xinjiang_population_1975_2019.csv")
    prev = None
    for r in rows:
        y = int(r["year"])
        if y <= 2008:
            v = num(r["pop_10k_persons_compendium60y"])
            note = "vintage: China Compendium of Statistics 1949-2008 (year-end)"
        else:
            v = num(r["pop_10k_persons_CSY_yearend"])
            note = "vintage: China Statistical Yearbook (year-end)"
        if y == 1990:
            note += "; JUMP 1989->1990 +75.00 (+5.2%) coincides with the 1990 census (level re-basing, not growth)"
        if y == 2000:
            note += "; JUMP 1999->2000 +74.41 (+4.2%) coincides with the 2000 census (level re-basing, not growth)"
        if y == 2015:
            note += "; 2014->2015 +62 (+2.7%) unusually large (1% sample survey year)"
        b.add("population_10k", "xinjiang", y, v, "gcamchina_population", note)
        prev = v
    del prev

    # XSY2006 table 2-3: urban/rural population and employment at benchmark years
    add2 = read_raw(raw, "xinjiang_gdp_sector_points_addendum2.csv")
    b.series(
        "urban_population_10k", "10^4 persons",
        "Xinjiang urban (resident) population, 2000-census urban definition",
        caveats="XSY2006 t2-3 urban population changes definition in 2000 (urban falls 822.53 -> 624.18); "
        "only 2000 onward are in this series. 2003 is the end-2003 sample survey (china.org.cn). The 2017 "
        "tns_deng point is Deng's table (resident basis presumed).",
    )
    b.series(
        "urban_population_pre2000def_10k", "10^4 persons",
        "Xinjiang urban population under the pre-2000 statistical definition (XSY2006 t2-3)",
        caveats="Definition break in 2000: NOT comparable with urban_population_10k or urbanisation rates.",
    )
    b.series("employment_10k", "10^4 persons", "Xinjiang total employment (XSY2006 t2-3, benchmark years)")
    pop_xsy: dict[int, float] = {}
    urb_xsy: dict[int, float] = {}
    for r in add2:
        var = r["variable"]
        if var == "year-end population":
            pop_xsy[int(r["year_or_period"])] = num(r["value"])
        elif var == "urban population":
            y = int(r["year_or_period"])
            urb_xsy[y] = num(r["value"])
            if y >= 2000:
                b.add("urban_population_10k", "xinjiang", y, num(r["value"]), "xsy2006_t2_3",
                      "XSY2006 t2-3 (2000-census definition)")
            else:
                b.add("urban_population_pre2000def_10k", "xinjiang", y, num(r["value"]), "xsy2006_t2_3",
                      "pre-2000 definition; break in 2000")
        elif var == "employment":
            b.add("employment_10k", "xinjiang", int(r["year_or_period"]), num(r["value"]), "xsy2006_t2_3")
    b.add("urban_population_10k", "xinjiang", 2003, 665.11, "chinaorg_2003_urban",
          "end-2003 sample survey: urban 6.6511 million (converted to 10^4 persons)")

    # urbanisation rate (resident basis)
    b.series(
        "urbanisation_rate_pct", "%",
        "Urban share of resident (changzhu) population",
        derivation="2000 and 2005 = urban_population_10k / XSY2006 year-end population x 100 (derived); "
        "other points read",
        caveats="Points only (annual series is a gap). Bases: 2000/2005 yearbook, 2003 sample survey, 2010 "
        "census (raw row marked own derivation '56.53 - 13.73', operands not identified), 2014 text, 2016 "
        "Deng Tab.2 with OCR-garbled header (column inferred, medium confidence). XPCC point year is "
        "approximate (~2015). tns_deng 2017 = Deng's TNS definition.",
    )
    for y in (2000, 2005):
        b.add("urbanisation_rate_pct", "xinjiang", y, round(urb_xsy[y] / pop_xsy[y] * 100.0, 4),
              "xsy2006_t2_3", f"derived = {urb_xsy[y]} / {pop_xsy[y]} x 100 (XSY2006 t2-3)")
    anchors = read_raw(raw, "gdp_anchor_points.csv")
    for r in anchors:
        if r["variable"] == "urbanization rate":
            b.add("urbanisation_rate_pct", "xinjiang", int(r["year"]), num(r["value"]), "chinaorg_2003_urban",
                  "end-2003 sample survey")
    b.series(
        "urbanisation_rate_hukou_pct", "%",
        "Urban share of household-registration (hukou) population (non-agricultural hukou basis)",
        caveats="Different basis from urbanisation_rate_pct; do not mix.",
    )
    src_map = {
        "ChinaXiv-201909.00150 text": "chinaxiv_201909_00150",
        "ChinaXiv-201909.00168 Tab.2 (column inferred)": "chinaxiv_201909_00168",
        "ChinaXiv-201811.00056 text": "chinaxiv_201811_00056",
        "OWN DERIVATION: 56.53 - 13.73": "urbanization_points_own_derivation",
        "ChinaXiv-201702.00135 text": "chinaxiv_201702_00135",
        "ChinaXiv-202101.00029": "chinaxiv_202101_00029",
        "OWN DERIVATION from the 7th census communiqué (2020 rate minus the reported change since the 2010 "
        "census)": "urbanization_points_own_derivation",
        "Xinjiang 2019 Statistical Communique (as quoted by thepaper.cn; jiangsulong.com mirror)":
            "xj_communique_2019",
        "OWN DERIVATION: 51.87 - 0.96": "xj_communique_2019",
    }
    geo_map = {"Xinjiang": "xinjiang", "XPCC (Bingtuan)": "xpcc", "TNS (Deng definition)": "tns_deng"}
    for r in read_raw(raw, "xinjiang_urbanization_points.csv"):
        if r["variable"] == "resident_population":
            continue  # 2018 communique 2486.76 = the yearbook's 2487 to rounding (population_10k)
        sid = "urbanisation_rate_hukou_pct" if r["variable"].endswith("household_registration") \
            else "urbanisation_rate_pct"
        yr = r["year"].strip()
        note = r["note"].strip()
        if yr.startswith("~"):
            note = f"year approximate ({yr}); " + note
            yr = yr[1:]
        if r["variable"] == "urbanization_rate_census":
            note = ("2010 census basis; raw row: OWN DERIVATION from the 7th census communique (2020 rate minus "
                    "the reported change since the 2010 census)")
        if r["source"].startswith("OWN DERIVATION: 51.87"):
            note = "derived = 51.87 (2019) - 0.96 (reported change vs 2018), 2019 communique"
        elif r["source"].startswith("Xinjiang 2019 Statistical"):
            note = "2019 communique: urban 1308.79 of 2523.22 x10^4"
        if "column inferred" in r["source"]:
            note = "Deng 2019 Tab.2, header OCR-garbled, column inferred (medium confidence)"
        b.add(sid, geo_map[r["geography"]], int(yr), num(r["value"]), src_map[r["source"]], note)

    b.series(
        "population_regional_points_10k", "10^4 persons",
        "Population of TNS aggregates (prefecture statistics quoted in papers)",
        caveats="tns_4city 2015: year not explicit in the source table (appears to be 2015). tns_deng 2017: "
        "Deng's TNS definition incl. XPCC divisions.",
    )
    b.add("population_regional_points_10k", "tns_4city", 2015, 499.34, "chinaxiv_202101_00015",
          "Zhuang et al. Tab.3; year not explicit (appears to be 2015)")


# --------------------------------------------------------------------------------------------
# GDP
# --------------------------------------------------------------------------------------------
def build_gdp(b: Builder, raw: Path) -> None:
    b.series(
        "gdp_current_100m_yuan", "10^8 yuan current",
        "Xinjiang GDP at current prices, first-published yearbook vintage (pre-2013-economic-census)",
        derivation="1975-2009 from gcam-china GDP_raw (CSY + Compendium); 2010-2011 from the NBS ECharts "
        "provincial dataset (same pre-2013-census vintage; it reproduces GDP_raw 2002-2009 to 0.05)",
        caveats="One vintage only. gcam-china rows 2010-2016 are flagged SUSPECT in the raw file (e.g. 2010 "
        "6647.28 vs NBS 5437.47) and are NOT used. 2012-2016 in this vintage is a gap. Post-census revised "
        "values are in gdp_current_revised_100m_yuan, XSY2006 values in gdp_current_xsy2006_100m_yuan, "
        "preliminary communique values in gdp_current_preliminary_100m_yuan.",
    )
    for r in read_raw(raw, "xinjiang_gdp_1975_2019_gcamchina_raw.csv"):
        y = int(r["year"])
        if r["flag"].startswith("SUSPECT"):
            continue
        if not r["flag"].startswith("OK"):
            raise ValueError(f"unexpected GDP flag {r['flag']!r}")
        if y > 2011:
            continue  # 2019 (flag OK) is the post-census vintage: gdp_current_revised_100m_yuan
        b.add("gdp_current_100m_yuan", "xinjiang", y, num(r["gdp_100m_yuan_current"]), "gcamchina_gdp_raw")
    nbs = {int(r["year"]): r for r in read_raw(raw, "xinjiang_gdp_sectors_2002_2011_nbs_echarts.csv")}
    for y in (2010, 2011):
        b.add("gdp_current_100m_yuan", "xinjiang", y, num(nbs[y]["gdp_100m_yuan"]), "nbs_echarts_gdp",
              "NBS ECharts dataset (gcam-china 2010+ rows SUSPECT, not used)")

    # primary/secondary/tertiary value added 2002-2011 (NBS) and shares
    for sec in ("primary", "secondary", "tertiary"):
        b.series(
            f"va_{sec}_current_100m_yuan", "10^8 yuan current",
            f"Xinjiang {sec} industry value added at current prices (NBS, pre-2013-census vintage)",
            caveats="2002-2011 only; 1990-2001 and 2012-2016 annual split is a gap (benchmark points in "
            f"va_{sec}_xsy2006_100m_yuan).",
        )
        b.series(
            f"va_{sec}_share_pct", "%",
            f"{sec.capitalize()} industry share of Xinjiang GDP (NBS 2002-2011)",
            derivation=f"va_{sec}_current_100m_yuan / gdp (same NBS table) x 100",
            caveats="P+S+T = GDP to within 0.05 in the raw table.",
        )
        for y, r in sorted(nbs.items()):
            va = num(r[f"{sec}_100m_yuan"])
            b.add(f"va_{sec}_current_100m_yuan", "xinjiang", y, va, "nbs_echarts_gdp")
            b.add(f"va_{sec}_share_pct", "xinjiang", y, round(va / num(r["gdp_100m_yuan"]) * 100.0, 4),
                  "nbs_echarts_gdp", "derived = VA / GDP x 100")

    # XSY2006 benchmark years (post-2004-census revised, rounded)
    add2 = read_raw(raw, "xinjiang_gdp_sector_points_addendum2.csv")
    b.series(
        "gdp_current_xsy2006_100m_yuan", "10^8 yuan current",
        "Xinjiang GDP at current prices, XSY2006 vintage (post-2004-economic-census revision), benchmark "
        "years",
        caveats="Printed rounded to integers; differs from the first-published vintage (1990: 274 vs "
        "261.44).",
    )
    xsy: dict[tuple[str, int], float] = {}
    for r in add2:
        if r["type"] != "READ" or r["source"].startswith("People"):
            continue
        var = r["variable"]
        key = {"GDP": "gdp", "primary VA": "primary", "secondary VA": "secondary",
               "tertiary VA": "tertiary"}.get(var)
        if key is None:
            continue
        xsy[(key, int(r["year_or_period"]))] = num(r["value"])
    for sec in ("primary", "secondary", "tertiary"):
        b.series(
            f"va_{sec}_xsy2006_100m_yuan", "10^8 yuan current",
            f"Xinjiang {sec} value added, XSY2006 vintage, benchmark years 1985-2005",
            caveats="Printed rounded to integers (+/-0.5).",
        )
        b.series(
            f"va_{sec}_share_xsy2006_pct", "%",
            f"{sec.capitalize()} share of GDP, XSY2006 vintage, benchmark years 1985-2005",
            derivation=f"va_{sec}_xsy2006_100m_yuan / gdp_current_xsy2006_100m_yuan x 100",
            caveats="Computed from integer-rounded values (error up to ~0.5 percentage point in 1985).",
        )
    for (key, y), v in sorted(xsy.items()):
        if key == "gdp":
            b.add("gdp_current_xsy2006_100m_yuan", "xinjiang", y, v, "xsy2006_t2_3", "printed rounded")
        else:
            b.add(f"va_{key}_xsy2006_100m_yuan", "xinjiang", y, v, "xsy2006_t2_3", "printed rounded")
            b.add(f"va_{key}_share_xsy2006_pct", "xinjiang", y, round(v / xsy[("gdp", y)] * 100.0, 4),
                  "xsy2006_t2_3", "derived from integer-rounded values")

    # reported share points (mixed vintages) and other GDP vintages
    for sec in ("primary", "secondary", "tertiary"):
        b.series(
            f"va_{sec}_share_reported_pct", "%",
            f"{sec.capitalize()} share of Xinjiang GDP as reported in press/secondary sources",
            caveats="Mixed vintages (preliminary/yearbook); 2006 from a secondary web page. 2002 differs "
            "from the NBS-derived share (19.1 vs 18.9 primary).",
        )
    b.series(
        "gdp_current_revised_100m_yuan", "10^8 yuan current",
        "Xinjiang GDP at current prices, revised vintage as in XSY2021 key-year table (post-2013-census)",
        caveats="2019 from XSY2020 (post-2018-census), equal to the gcam-china GDP_raw 2019 row (flag OK).",
    )
    b.series(
        "gdp_current_preliminary_100m_yuan", "10^8 yuan current",
        "Xinjiang GDP at current prices, preliminary (communique/press) vintage",
        caveats="2006 is from a secondary web page, rounded.",
    )
    b.series(
        "gdp_current_unknown_vintage_100m_yuan", "10^8 yuan current",
        "Xinjiang GDP at current prices whose vintage is not stated",
        caveats="2016: Deng 2019 Tab.2 with OCR-garbled header (column inferred).",
    )
    share_src = {"english.ts.cn": "tscn_2006", "china.org.cn": "chinaorg_2004_review",
                 "qnyxjy": "qnyxjy_2006"}
    last_src = None
    for r in read_raw(raw, "gdp_anchor_points.csv"):
        var, y = r["variable"], int(r["year"])
        if r["source"].strip() != "same":
            last_src = next((v for k, v in share_src.items() if k in r["source"]), None)
        sid_src = last_src
        if var == "sector shares P:S:T":
            parts = [num(x) for x in r["value"].split(":")]
            for sec, v in zip(("primary", "secondary", "tertiary"), parts):
                b.add(f"va_{sec}_share_reported_pct", "xinjiang", y, v, sid_src)
        elif var == "GDP / P / S / T":
            m = re.match(r"\s*([\d.]+) / ([\d.]+) / ([\d.]+) / ([\d.]+) \(shares ([\d.:]+)\)", r["value"])
            if not m:
                raise ValueError(f"cannot parse {r['value']!r}")
            b.add("gdp_current_preliminary_100m_yuan", "xinjiang", y, num(m.group(1)), sid_src,
                  "preliminary/press figure")
            for sec, v in zip(("primary", "secondary", "tertiary"), m.group(5).split(":")):
                b.add(f"va_{sec}_share_reported_pct", "xinjiang", y, num(v), sid_src)
        elif var.startswith("GDP (revised"):
            b.add("gdp_current_revised_100m_yuan", "xinjiang", y, num(r["value"]), "xsy2021_key_years",
                  r["variable"])
        elif var == "GDP" and r["geography"].strip() == "Xinjiang" and y == 2019:
            b.add("gdp_current_revised_100m_yuan", "xinjiang", y, num(r["value"]), "xsy2020_prefecture_gdp",
                  "XSY2020 (post-2018-economic-census); = gcam-china GDP_raw 2019 (flag OK)")
    for r in add2:
        if r["variable"] == "sector shares P:S:T":
            for sec, v in zip(("primary", "secondary", "tertiary"), r["value"].split(":")):
                b.add(f"va_{sec}_share_reported_pct", "xinjiang", int(r["year_or_period"]), num(v),
                      "people_daily_2019_scio")
    for r in read_raw(raw, "xinjiang_gdp_points_addendum.csv"):
        if r["geography"] == "Xinjiang" and r["variable"] == "GDP_preliminary":
            src = "xj_communique_2018" if r["year"] == "2018" else "news_2015_gdp_preliminary"
            b.add("gdp_current_preliminary_100m_yuan", "xinjiang", int(r["year"]), num(r["value"]),
                  src, "preliminary vintage")
        elif r["geography"] == "Xinjiang" and r["variable"] == "GDP":
            b.add("gdp_current_unknown_vintage_100m_yuan", "xinjiang", int(r["year"]), num(r["value"]),
                  "chinaxiv_201909_00168", "Deng 2019 Tab.2, column inferred (medium confidence)")

    # real GDP (scripted derivation)
    growth = {int(r["year"]): num(r["gdp_growth_comparable_prices_pct"])
              for r in read_raw(raw, "xinjiang_energy_growth_elasticity_xsy_1980_2009.csv")}
    b.series(
        "gdp_real_growth_pct", "% per year",
        "Xinjiang GDP growth over preceding year at comparable prices (XSY)",
        caveats="1980, 1985 and 1990-2009 only (1981-1984, 1986-1989 not in the table).",
    )
    for y, g in sorted(growth.items()):
        b.add("gdp_real_growth_pct", "xinjiang", y, g, "xsy_energy_elasticity")
    gdp_nominal = {y: v for (sid, geo, y, v, s, n) in b.rows if sid == "gdp_current_100m_yuan"}
    b.series(
        "gdp_real_1990prices_100m_yuan", "10^8 yuan 1990 prices",
        "Xinjiang real GDP at constant 1990 prices",
        derivation="OWN DERIVATION (scripted): Y_1990 = nominal 1990 GDP of gdp_current_100m_yuan "
        "(261.44); Y_t = Y_{t-1} x (1 + g_t/100) for t = 1991..2009 with g_t = gdp_real_growth_pct. "
        "Only 1990-2009: the growth table is annual only for 1990-2009 (1981-84, 1986-89 missing, none "
        "after 2009), so no real level exists outside these years.",
        caveats="Mixes the first-published nominal 1990 level with XSY growth rates (XSY2006/XSY2011 "
        "vintages); use for growth shape, not for level comparisons with revised GDP.",
    )
    level = gdp_nominal[1990]
    b.add("gdp_real_1990prices_100m_yuan", "xinjiang", 1990, level, "gcamchina_gdp_raw",
          "base year: real = nominal 1990")
    for y in range(1991, 2010):
        level = level * (1.0 + growth[y] / 100.0)
        b.add("gdp_real_1990prices_100m_yuan", "xinjiang", y, round(level, 4), "xsy_energy_elasticity",
              f"derived: previous x (1 + {growth[y]}/100)")

    # prefecture GDP aggregated to geographies where the prefecture mapping is exact
    b.series(
        "gdp_current_prefecture_stats_100m_yuan", "10^8 yuan current",
        "GDP at current prices of prefecture-level units summed to model geographies",
        derivation="bole_ebinur = Bortala Pref.; turpan_hami = Turpan + Hami; tns_4city = Urumqi + Changji "
        "Pref. + Shihezi + Karamay (sums of published prefecture GDP). tns_deng 2017 read from Deng.",
        caveats="Only geographies whose prefecture composition is exact. urumqi_changji, "
        "shihezi_manas_shawan, kuitun_dushanzi_wusu_karamay and rest_of_xinjiang cannot be formed from "
        "prefecture totals (Manas County is in Changji Pref., Shawan and Wusu in Tacheng, Kuitun in Ili). "
        "Whether XPCC units inside Bortala/Hami are included in the prefecture figures is not stated. 2017 "
        "values are rounded. Years after 2016 are outside the Xinjiang calibration window.",
    )
    pref17 = None
    pref19: dict[str, float] = {}
    for r in read_raw(raw, "gdp_anchor_points.csv"):
        if r["year"] == "2017" and r["variable"] == "GDP":
            names = [x.strip() for x in r["geography"].split("/")]
            vals = [num(x) for x in r["value"].split("/")]
            pref17 = dict(zip(names, vals))
        elif r["year"] == "2019" and r["variable"] == "GDP":
            pref19[r["geography"].strip()] = num(r["value"])
        elif r["year"] == "2015" and r["geography"].startswith("Tianshan N-slope"):
            gdp, pop, _w = (num(x) for x in r["value"].split("/"))
            b.add("gdp_current_prefecture_stats_100m_yuan", "tns_4city", 2015, gdp, "chinaxiv_202101_00015",
                  "Zhuang et al. Tab.3; year not explicit (appears to be 2015)")
    assert pref17 is not None
    agg17 = {
        "bole_ebinur": ["Bortala"],
        "turpan_hami": ["Turpan", "Hami"],
        "tns_4city": ["Urumqi", "Changji", "Shihezi", "Karamay"],
    }
    agg19 = {
        "bole_ebinur": ["Bortala Pref."],
        "turpan_hami": ["Turpan", "Hami"],
        "tns_4city": ["Urumqi", "Changji Pref.", "Shihezi", "Karamay"],
    }
    for geo, parts in agg17.items():
        b.add("gdp_current_prefecture_stats_100m_yuan", geo, 2017, round(sum(pref17[p] for p in parts), 4),
              "xsy2018_prefecture_gdp", _parts_note(parts) + " (rounded prefecture values)")
    for geo, parts in agg19.items():
        b.add("gdp_current_prefecture_stats_100m_yuan", geo, 2019, round(sum(pref19[p] for p in parts), 4),
              "xsy2020_prefecture_gdp", _parts_note(parts))


def _parts_note(parts: list[str]) -> str:
    return f"{parts[0]} (single prefecture)" if len(parts) == 1 else "sum of " + " + ".join(parts)


# --------------------------------------------------------------------------------------------
# CO2
# --------------------------------------------------------------------------------------------
CEADS_SECTORS = [
    "agriculture", "industry_excl_power", "power_heat", "construction", "transport",
    "wholesale_retail_catering", "others", "household_urban", "household_rural",
]

# county DISTCODE -> model region (README table; XPCC cities assigned to the region they lie in)
REGION_CODES: dict[str, set[int]] = {
    "urumqi_changji": {650102, 650103, 650104, 650105, 650106, 650107, 650109, 650121,
                       652301, 652302, 652323, 652325, 652327, 652328, 659004},
    "shihezi_manas_shawan": {659001, 652324, 654223},
    "kuitun_dushanzi_wusu_karamay": {650202, 650203, 650204, 650205, 654003, 654202},
    "bole_ebinur": {652701, 652722, 652723},
    "turpan_hami": {652101, 652122, 652123, 652201, 652223},
}
# every other unit of these prefecture code prefixes (southern Xinjiang, Ili, Tacheng, Altay) and
# the XPCC cities Alar (659002) and Tumxuk (659003) in southern Xinjiang
REST_PREFIXES = ("6528", "6529", "6530", "6531", "6532", "6540", "6542", "6543")
REST_CODES = {659002, 659003}
# units named in the README region table but absent from the county file (no separate data)
README_UNITS_ABSENT = {"Barkol County (turpan_hami)", "Alashankou City (bole_ebinur)"}
# sanity: expected English name fragment for the TNS-region codes
CODE_NAME_CHECK = {652324: "Manas", 654223: "Shawan", 654003: "Kuytun", 654202: "Wusu",
                   659001: "Shihezi", 659004: "Wujiaqu", 650202: "Dushanzi", 652723: "quan"}


def county_region(code: int) -> str | None:
    for reg, codes in REGION_CODES.items():
        if code in codes:
            return reg
    if code in REST_CODES or str(code).startswith(REST_PREFIXES):
        return "rest_of_xinjiang"
    return None


def county_region_sums(raw: Path) -> tuple[dict[tuple[str, int], float], list[str]]:
    """Sum Chen et al. (2020) county CO2 by model region and year; return sums and unmapped units."""
    rows = read_raw(raw, "county_co2_xinjiang_1997_2017_chen2020.csv")
    sums: dict[tuple[str, int], float] = {}
    unmapped: set[str] = set()
    for r in rows:
        code = int(r["DISTCODE地区代码"])
        name = r["County Name.1"].strip()
        if code in CODE_NAME_CHECK and CODE_NAME_CHECK[code] not in name:
            raise ValueError(f"county code {code} is {name!r}, expected {CODE_NAME_CHECK[code]}")
        reg = county_region(code)
        if reg is None:
            unmapped.add(f"{code} {name}")
            continue
        key = (reg, int(r["year"]))
        sums[key] = sums.get(key, 0.0) + num(r["co2_Mt"])
    return sums, sorted(unmapped)


def build_co2(b: Builder, raw: Path) -> list[str]:
    fuel = {int(r["year"]): r for r in read_raw(raw, "ceads_xinjiang_co2_by_fuel_1997_2019.csv")}
    agg = {int(r["year"]): r for r in read_raw(raw, "ceads_xinjiang_co2_by_sector_agg_1997_2019.csv")}
    b.series(
        "co2_total_mt", "Mt CO2",
        "Xinjiang (incl. XPCC) scope-1 CO2 from fossil fuels and cement process, CEADs apparent-consumption "
        "inventory",
        caveats="Apparent consumption: coal burned in Xinjiang power plants that export electricity is "
        "counted in Xinjiang.",
        outliers=CEADS_2001_NOTE,
    )
    for y, r in sorted(fuel.items()):
        b.add("co2_total_mt", "xinjiang", y, num(r["Scope_1_Total"]), "ceads_province",
              CEADS_2001_NOTE if y == 2001 else "")
    fuel_series = {
        "co2_coal_related_mt": ("coal_related", "coal-fuel columns (raw, cleaned, washed coal, briquettes, "
                                "coke, coke-oven gas, other gas, other coking products)"),
        "co2_oil_related_mt": ("oil_related", "oil-fuel columns (crude oil, gasoline, kerosene, diesel, fuel "
                               "oil, LPG, refinery gas, other petroleum products)"),
        "co2_natural_gas_mt": ("Natural_Gas", "natural gas"),
        "co2_process_mt": ("Process", "cement process emissions"),
    }
    for sid, (col, what) in fuel_series.items():
        b.series(sid, "Mt CO2", f"Xinjiang scope-1 CO2 from {what} (CEADs)",
                 derivation="coal_related / oil_related are the raw file's column sums" if "related" in col
                 else "", outliers=CEADS_2001_NOTE)
        for y, r in sorted(fuel.items()):
            b.add(sid, "xinjiang", y, num(r[col]), "ceads_province", CEADS_2001_NOTE if y == 2001 else "")
    for sec in CEADS_SECTORS:
        sid = f"co2_sector_{sec}_mt"
        b.series(
            sid, "Mt CO2",
            f"Xinjiang scope-1 CO2 of aggregated sector '{sec}' (own aggregation of the 47 CEADs sectors, "
            "shipped in the raw folder)",
            caveats="Sector sums reproduce co2_total_mt (sum_check column). Household emissions drop sharply "
            "in 2005 (urban 6.90 -> 2.57) and 2006 (rural 4.94 -> 2.28): probably a source method change."
            if sec.startswith("household") else "Sector sums reproduce co2_total_mt (sum_check column).",
            outliers=CEADS_2001_NOTE,
        )
        for y, r in sorted(agg.items()):
            b.add(sid, "xinjiang", y, num(r[sec]), "ceads_province", CEADS_2001_NOTE if y == 2001 else "")

    sums, unmapped = county_region_sums(raw)
    years = sorted({y for (_, y) in sums})
    b.series(
        "co2_chen2020_mt", "Mt CO2",
        "CO2 of model regions from county estimates (Chen et al. 2020, night-light downscaling of provincial "
        "totals)",
        derivation="Sum of the 94 county units of county_co2_xinjiang_1997_2017_chen2020.csv mapped to "
        "regions by DISTCODE (README county table; XPCC cities Shihezi->shihezi_manas_shawan, "
        "Wujiaqu->urumqi_changji, Alar/Tumxuk->rest_of_xinjiang). xinjiang = sum of the six regions; "
        "tns_core = urumqi_changji + shihezi_manas_shawan + kuitun_dushanzi_wusu_karamay.",
        caveats="Modelled, not measured. The county sum is a different vintage/method from CEADs: its "
        "ratio to co2_total_mt ranges 0.73 (1998) to 1.28 (2011) (2016: 304.2 vs 373.6 Mt): use for "
        "regional SHARES, not levels. "
        "Barkol (turpan_hami) and Alashankou (bole_ebinur) have no separate row in the county file; XPCC "
        "cities created after 2011 are absent too. Jump 2010->2011 (+39%).",
    )
    b.series(
        "co2_share_chen2020_pct", "%",
        "Share of a geography in the Xinjiang county-sum CO2 (Chen et al. 2020)",
        derivation="co2_chen2020_mt[geography] / co2_chen2020_mt[xinjiang] x 100",
    )
    regions_total = {y: sum(sums[(reg, y)] for reg in SIX_REGIONS) for y in years}
    tns_regions = ("urumqi_changji", "shihezi_manas_shawan", "kuitun_dushanzi_wusu_karamay")
    for y in years:
        tot = regions_total[y]
        for reg in SIX_REGIONS:
            b.add("co2_chen2020_mt", reg, y, round(sums[(reg, y)], 6), "chen2020_county")
            b.add("co2_share_chen2020_pct", reg, y, round(sums[(reg, y)] / tot * 100.0, 4), "chen2020_county")
        tns = sum(sums[(reg, y)] for reg in tns_regions)
        b.add("co2_chen2020_mt", "xinjiang", y, round(tot, 6), "chen2020_county", "sum of the six regions")
        b.add("co2_chen2020_mt", "tns_core", y, round(tns, 6), "chen2020_county",
              "sum of urumqi_changji, shihezi_manas_shawan, kuitun_dushanzi_wusu_karamay")
        b.add("co2_share_chen2020_pct", "tns_core", y, round(tns / tot * 100.0, 4), "chen2020_county")
    return unmapped


# --------------------------------------------------------------------------------------------
# electricity and energy
# --------------------------------------------------------------------------------------------
def build_energy(b: Builder, raw: Path) -> None:
    rows = read_raw(raw, "xinjiang_electricity_generation_by_fuel_1994_2017_cpsy_gcamchina.csv")
    fuels = {"coal_thermal": "coal_1e8kWh", "hydro": "hydro_1e8kWh", "wind": "wind_1e8kWh",
             "solar": "solar_1e8kWh", "other": "other_1e8kWh"}
    common_cav = ("2003 and 2006 are all-zero rows in the source = MISSING (no row here). Gross generation "
                  "inside Xinjiang incl. electricity exported by UHV lines. Floating residues ~1e-14 in the "
                  "source are written as 0.")
    for f in fuels:
        extra = ""
        if f == "coal_thermal":
            extra = " 'coal' is the thermal column used by GCAM (likely coal-fired incl. small gas/other " \
                    "thermal)."
        if f == "other":
            extra = " 1998-2005 'other' (1.5-2.36) is unallocated in the source (possibly early wind; not " \
                    "assumed here)."
        b.series(f"electricity_generation_{f}_100m_kwh", "10^8 kWh",
                 f"Xinjiang electricity generation, {f.replace('_', '/')} (CPSY via gcam-china)",
                 caveats=common_cav + extra)
    b.series("electricity_generation_total_100m_kwh", "10^8 kWh",
             "Xinjiang total electricity generation (sum of fuel columns)",
             derivation="coal + hydro + nuclear + wind + solar + other (nuclear is 0 in all years); equals the "
             "raw OWN DERIVATION total_sum column", caveats=common_cav)
    b.series("renewable_share_generation_pct", "%",
             "Share of hydro + wind + solar in Xinjiang electricity generation",
             derivation="(hydro + wind + solar) / total x 100 (scripted; reproduces the raw "
             "renewable_share column x 100); 'other' is NOT counted as renewable",
             caveats=common_cav + " Describes the generation mix, not consumption.")
    for r in rows:
        y = int(r["year"])
        if blank(r["total_sum_1e8kWh_OWN_DERIVATION"]):
            if "MISSING" not in r["notes"]:
                raise ValueError(f"electricity {y}: blank total without MISSING note")
            continue
        vals = {f: num(r[c]) for f, c in fuels.items()}
        vals = {f: (0.0 if abs(v) < 1e-9 else v) for f, v in vals.items()}
        nuclear = num(r["nuclear_1e8kWh"])
        total = sum(vals.values()) + nuclear
        if abs(total - num(r["total_sum_1e8kWh_OWN_DERIVATION"])) > 0.011:
            raise ValueError(f"electricity {y}: total mismatch")
        share = (vals["hydro"] + vals["wind"] + vals["solar"]) / total * 100.0
        if abs(share / 100.0 - num(r["renewable_share_hydro_wind_solar_OWN_DERIVATION"])) > 6e-5:
            raise ValueError(f"electricity {y}: renewable share mismatch")
        for f, v in vals.items():
            note = "floating residue in source written as 0" if (f == "other" and v == 0.0
                                                                  and num(r[fuels[f]]) != 0.0) else ""
            b.add(f"electricity_generation_{f}_100m_kwh", "xinjiang", y, v, "cpsy_gcamchina_elec", note)
        b.add("electricity_generation_total_100m_kwh", "xinjiang", y, round(total, 6), "cpsy_gcamchina_elec")
        b.add("renewable_share_generation_pct", "xinjiang", y, round(share, 4), "cpsy_gcamchina_elec")

    # energy balance (LBL / gcam-china)
    cols = {
        "final_energy_total_mtce": ("total_consumption_all_fuels_Mtce", "total", "all fuels, all end uses"),
        "final_energy_coal_mtce": ("coal_total_consumption_Mtce", "coal", "coal (all end uses)"),
        "final_energy_petroleum_mtce": ("petroleum_total_consumption_Mtce", "petroleum", "petroleum products"),
        "final_energy_natural_gas_mtce": ("natural_gas_total_consumption_Mtce", "natural_gas", "natural gas"),
        "final_energy_electricity_mtce": ("electricity_total_consumption_Mtce", "electricity",
                                          "electricity at calorific value"),
        "final_energy_industry_mtce": ("industry_all_fuels_Mtce", "industry",
                                       "industry incl. non-energy use, all fuels"),
        "final_energy_residential_mtce": ("residential_all_fuels_Mtce", "residential", "residential, all fuels"),
        "final_energy_transport_mtce": ("transport_telecom_postal_all_fuels_Mtce", "transport",
                                        "transport, telecom and post, all fuels"),
        "final_energy_agriculture_mtce": ("agriculture_all_fuels_Mtce", "agriculture", "agriculture, all fuels"),
        "tpes_mtce": ("total_primary_energy_supply_Mtce", "TPES", "total primary energy supply"),
    }
    fe_cav = ("'Total Consumption' of the LBL balance = sum of end uses; EXCLUDES power/heat transformation "
              "losses, electricity and heat at calorific value -> NOT the official provincial total energy "
              "consumption. Years 1986-1989 and 1991-1994 are gaps; 2015+ not read (gap).")
    for sid, (_col, _kw, what) in cols.items():
        if sid == "tpes_mtce":
            b.series(sid, "Mtce", "Xinjiang total primary energy supply (production + imports - exports + "
                     "stock change), LBL China Energy Databook via gcam-china",
                     caveats="Closer to, but not identical with, the official total energy consumption. "
                     "2012 not captured (gap). Years 1986-1989, 1991-1994 gaps.")
        else:
            b.series(sid, "Mtce", f"Xinjiang final energy consumption: {what} (LBL balance via gcam-china)",
                     derivation="1997 industry = 8.082025 (read) + 4.313988 (Industry-NonEnergy Use, listed "
                     "separately in 1997 only) so that the definition matches other years"
                     if sid == "final_energy_industry_mtce" else "",
                     caveats=fe_cav + (" 2013 industry not captured (gap)."
                                       if sid == "final_energy_industry_mtce" else ""))
    for r in read_raw(raw, "xinjiang_energy_balance_1985_2014_gcamchina_lbl.csv"):
        y = int(r["year"])
        notes = r["notes"]
        for sid, (col, kw, _what) in cols.items():
            if blank(r[col]):
                continue
            v = num(r[col])
            note = ""
            if y == 1997 and sid == "final_energy_industry_mtce":
                v = round(v + 4.313988, 6)
                note = "derived = 8.082025 + 4.313988 non-energy use (listed separately in 1997)"
            elif re.search(rf"\b{kw}\b", notes) and "rounded" in notes:
                note = "value printed rounded in source"
            b.add(sid, "xinjiang", y, v, "lbl_gcamchina_energy", note)


# --------------------------------------------------------------------------------------------
# land: cover, oasis, cultivated land, crops
# --------------------------------------------------------------------------------------------
def build_land(b: Builder, raw: Path) -> None:
    landsat_cls = {"forest": "forest_km2", "grassland": "grassland_km2", "cropland": "cropland_km2",
                   "wetland": "wetland_km2", "builtup": "artificial_surface_km2", "other_land": "other_km2"}
    prim = ("PRIMARY land product: Landsat classification of ChinaXiv-202001.00009 (1975-2015; chosen over "
            "the CAS LUCC alternative because it covers 1975 and 1990, i.e. the model start, with one "
            "classification, and its period changes reproduce its levels).")
    for c in landsat_cls:
        b.series(f"{c}_km2_landsat", "km2", f"Xinjiang {c.replace('_', ' ')} area, Landsat land cover",
                 caveats=prim + (" 'builtup' = artificial surface class." if c == "builtup" else "")
                 + " Remote-sensing definition: not comparable with statistical or survey cultivated land.")
    for r in read_raw(raw, "xinjiang_landcover_1975_2015_km2.csv"):
        for c, col in landsat_cls.items():
            b.add(f"{c}_km2_landsat", "xinjiang", int(r["year"]), num(r[col]), "chinaxiv_202001_00009")
    alt_cls = {"cropland": "cropland_km2", "forest": "forest_km2", "grassland": "grassland_km2",
               "water": "water_km2", "builtup": "built_up_km2", "unused": "unused_km2"}
    for c in alt_cls:
        b.series(f"{c}_km2_caslucc", "km2", f"Xinjiang {c} area, CAS LUCC classification (ALTERNATIVE product)",
                 caveats="Alternative to the primary *_km2_landsat series; classes differ a lot (CAS LUCC / "
                 "Landsat): grassland ~2.0-2.1x, forest 0.6-0.7x, built-up 0.5-0.6x, cropland 0.84-0.90. "
                 "Never mix with *_km2_landsat in one fit.")
    for r in read_raw(raw, "xinjiang_landuse_2000_2015_km2_alt.csv"):
        for c, col in alt_cls.items():
            b.add(f"{c}_km2_caslucc", "xinjiang", int(r["year"]), num(r[col]), "chinaxiv_202101_00022")

    # oasis share (Xinjiang, He Ke 2018) and TNS/regional oasis share + expansion (Zhuang 2021)
    b.series("oasis_share_of_area_pct", "%", "Oasis area as share of the geography's total area",
             caveats="Oasis = cropland + forest + medium/high-cover grassland + water (no glaciers) + built-up "
             "(NLUD-type interpretation). Xinjiang (He Ke et al. 2018; area 1.6649e6 km2; 'mid-1970s' is "
             "stored as 1975) and regions (Zhuang et al. 2021, 1990 and 2015) are different studies.")
    b.series("artificial_oasis_share_of_oasis_pct", "%",
             "Artificial oasis (cropland, orchards, reservoirs, built-up) as share of oasis area",
             caveats="natural share = 100 - this value (not stored). 'mid-1970s' stored as 1975.")
    for r in read_raw(raw, "xinjiang_oasis_share_1970s_2015.csv"):
        p = r["period"].strip()
        y, note = (1975, "mid-1970s (stored as 1975)") if p == "mid-1970s" else (int(p), "")
        b.add("oasis_share_of_area_pct", "xinjiang", y, num(r["oasis_share_of_xinjiang_area_pct"]),
              "chinaxiv_201811_00059", note)
        b.add("artificial_oasis_share_of_oasis_pct", "xinjiang", y,
              num(r["artificial_oasis_share_of_oasis_pct"]), "chinaxiv_201811_00059", note)
    b.series("oasis_expansion_rate_km2_per_yr", "km2/yr",
             "Mean oasis expansion speed over a period, stored at the period's end year",
             caveats="Period means (1990-2000, 2000-2005, 2005-2010, 2010-2015) stored at 2000/2005/2010/2015; "
             "the 1990-2015 mean (also in the raw file) is not stored (derivable).")
    reg_map = {"Tianshan N-slope": "tns_4city", "South Xinjiang": "south_xinjiang",
               "NW part of N. Xinjiang": "nw_north_xinjiang", "East Xinjiang": "turpan_hami"}
    for r in read_raw(raw, "tns_oasis_expansion_1990_2015.csv"):
        geo = next(v for k, v in reg_map.items() if r["region"].startswith(k))
        extra = "East Xinjiang (Hami; Turpan) = model region turpan_hami; " if geo == "turpan_hami" else ""
        b.add("oasis_share_of_area_pct", geo, 1990, num(r["oasis_share_1990_pct"]), "chinaxiv_202101_00015",
              extra + "Zhuang et al. 2021")
        b.add("oasis_share_of_area_pct", geo, 2015, num(r["oasis_share_2015_pct"]), "chinaxiv_202101_00015",
              extra + "Zhuang et al. 2021")
        for col, (y0, y1) in {"speed_1990_2000_km2_per_yr": (1990, 2000), "speed_2000_2005": (2000, 2005),
                              "speed_2005_2010": (2005, 2010), "speed_2010_2015": (2010, 2015)}.items():
            b.add("oasis_expansion_rate_km2_per_yr", geo, y1, num(r[col]), "chinaxiv_202101_00015",
                  f"{extra}mean over {y0}-{y1}")

    b.series("cultivated_land_rs_increment_10k_ha", "10^4 ha",
             "Increase of remote-sensing cultivated land over a period (gross RS area), stored at period end",
             caveats="Remote-sensing definition (gross area, not net of field ridges). Periods: 1970s-1990, "
             "1990-2000, 2000-2005, 2005-2010, 2010-2015. The level column of the raw file is an OWN "
             "ESTIMATE there and is not used.")
    for r in read_raw(raw, "xinjiang_rs_cultivated_land_increments_1970s_2015.csv"):
        if not r["kind"].startswith("read"):
            continue
        p = r["period_or_year"]
        y1 = int(p.split("-")[-1])
        b.add("cultivated_land_rs_increment_10k_ha", "xinjiang", y1, num(r["value_10k_hm2"]),
              "chinaxiv_201811_00059", f"increase over {p}")

    # official cultivated land: three definitions, never mixed
    b.series("cultivated_land_landsurvey_1000ha", "10^3 ha",
             "Cultivated land, land-survey basis (1996 1st national land survey, as reported in CSY2004)",
             caveats="Land-survey definition; NOT comparable with statistical year-end area or RS cropland.")
    b.series("cultivated_land_statistical_1000ha", "10^3 ha",
             "Cultivated land, year-end statistical area (Xinjiang Statistical Yearbook)",
             caveats="Statistical year-end definition (under-reports vs survey). Changji county detail in "
             "raw (Changji city 45.25, Fukang 19.60, Hutubi 42.65, Manas 47.13, Qitai 73.08, Jimsar 31.38, "
             "Mori 35.06 = 294.15, 13.92 less than the prefecture total 308.07).")
    b.series("cultivated_land_survey3_10k_ha", "10^4 ha",
             "Cultivated land, 3rd national land survey (2019-12-31), prefecture communiques",
             caveats="Third-survey definition; not comparable with 1996 survey basis or statistics.")
    geo_cl = {"Xinjiang": "xinjiang", "Xinjiang total incl. XPCC": "xinjiang",
              "Xinjiang local (excl. XPCC)": "xinjiang_local", "Urumqi city": "urumqi_city",
              "Karamay city": "karamay_city", "Changji Pref.": "changji_pref",
              "Ili Kazak Auton. Pref. (incl. Tacheng & Altay)": "ili_pref_incl_tacheng_altay",
              "Tacheng Pref.": "tacheng_pref", "Altay Pref.": "altay_pref"}
    for r in read_raw(raw, "cultivated_land_official_points.csv"):
        y_txt = r["year"]
        geo = geo_cl[r["geography"]]
        if y_txt.startswith("1996"):
            b.add("cultivated_land_landsurvey_1000ha", geo, 1996, num(r["cultivated_land"]), "csy2004_t13_5",
                  "land survey basis; reported in CSY2004 table 13-5")
        elif y_txt.startswith("2002"):
            b.add("cultivated_land_statistical_1000ha", geo, 2002, num(r["cultivated_land"]), "xsy2003_t8_8",
                  "year-end statistical area")
        elif "3rd national land survey" in y_txt and geo == "xinjiang":
            mu = num(r["cultivated_land"].split()[0])
            b.add("cultivated_land_survey3_10k_ha", geo, 2019, round(mu / 15 / 1e4, 4), "xinhua_2022_survey3",
                  "2019-12-31, 3rd survey: 1.06e8 mu (printed rounded) / 15 mu per ha")
        elif "2nd survey" in y_txt:
            continue  # OWN DERIVATION from rounded inputs, low precision: not an observation
        elif "3rd survey" in y_txt:
            src = "tacheng_survey3" if geo == "tacheng_pref" else "altay_survey3"
            note = "2019-12-31, 3rd survey" + ("; Wusu + Shawan = 58.29% of it" if geo == "tacheng_pref" else "")
            b.add("cultivated_land_survey3_10k_ha", geo, 2019, num(r["cultivated_land"]), src, note)
        else:
            raise ValueError(f"unexpected cultivated-land row {y_txt!r}")

    # crops (2002 sown areas)
    sown = {"total_sown_area": "sown_area_total_1000ha", "sown_area_grain": "sown_area_grain_1000ha",
            "sown_area_cotton": "sown_area_cotton_1000ha", "sown_area_wheat": "sown_area_wheat_1000ha",
            "sown_area_corn": "sown_area_corn_1000ha"}
    for sid in sown.values():
        b.series(sid, "10^3 ha", f"Crop sown area: {sid[len('sown_area_'):-len('_1000ha')]} "
                 "(Xinjiang Statistical Yearbook 2003 t8-16)",
                 caveats="2002 only. Cotton areas 2007-2017 were revised after the 3rd agricultural census and "
                 "measured by remote sensing from 2016 (break); later NBS cotton areas are not stored.")
    geo_sown = {"Xinjiang": "xinjiang", "Changji Prefecture": "changji_pref", "Urumqi City": "urumqi_city",
                "Karamay City": "karamay_city"}
    for r in read_raw(raw, "tns_definitions_and_crop_points.csv"):
        if r["year"] != "2002" or r["variable"] not in sown:
            continue
        sid = sown[r["variable"]]
        geo = geo_sown[r["geography"]]
        b.add(sid, geo, 2002, num(r["value"]), "xsy2003_t8_16", "incl. XPCC" if geo == "xinjiang" else "")
        m = re.match(r"local ([\d.]+)", r["note"])
        if geo == "xinjiang" and m:
            b.add(sid, "xinjiang_local", 2002, num(m.group(1)), "xsy2003_t8_16", "local regions (excl. XPCC)")
        m = re.match(r"grain ([\d.]+)", r["note"])
        if geo != "xinjiang" and m:
            b.add("sown_area_grain_1000ha", geo, 2002, num(m.group(1)), "xsy2003_t8_16")
    b.series("cotton_output_10k_t", "10^4 t", "Lint cotton output (NBS annual releases)",
             caveats="2014 is local only (excl. XPCC), stored under xinjiang_local.")
    for r in read_raw(raw, "xinjiang_cotton_area_output_2014_2019_points.csv"):
        if r["variable"] in ("cotton output", "cotton output (first release)"):
            src = f"nbs_cotton_{r['year']}"
            note = "first release (revised after the 3rd agricultural census)" if "first" in r["variable"] else ""
            b.add("cotton_output_10k_t", "xinjiang", int(r["year"]), num(r["value"]), src, note)

    # Manas basin
    b.series("cropland_km2_aerial_landsat", "km2",
             "Cultivated land (remote sensing / aerial photo) of the Manas River basin (3.09e4 km2)",
             derivation="1976-2006 = 1958 level + cumulated period changes of Tab.1 (raw rows marked derived)",
             caveats="Remote-sensing definition.")
    for r in read_raw(raw, "manas_basin_cultivated_land_1958_2015.csv"):
        note = "" if r["type"].startswith("read") else f"derived in raw file: {r['type']}"
        if r["type"].startswith("read (text"):
            note = "read from text (= derived 6609.31)"
        b.add("cropland_km2_aerial_landsat", "manas_basin", int(r["year"]), num(r["cultivated_km2"]),
              "chinaxiv_201909_00094", note)
    wang_land = {"actual_oasis_area": "oasis_area_km2", "agricultural_land_area": "agricultural_land_km2_rs",
                 "forest_area": "forest_km2_rs", "grassland_area": "grassland_km2_rs"}
    wang_water = {"water_use_domestic": "water_use_domestic_10k_m3",
                  "water_use_industry": "water_use_industry_10k_m3",
                  "water_use_livestock": "water_use_livestock_10k_m3",
                  "water_use_nonvegetation_total": "water_use_nonvegetation_total_10k_m3"}
    b.series("oasis_area_km2", "km2", "Oasis area (remote sensing) of a Manas basin delineation",
             caveats="manas_basin_wang2019 (whole basin per Wang et al. 2019) and manas_basin_midlower "
             "(middle-lower reaches, ChinaXiv-201909.00020) are different extents; 2006 midlower is an own "
             "derivation in the raw file (9174.7 - 3266). Wang 2015 drop (20110 -> 16168) is large.")
    for s in ("agricultural_land_km2_rs", "forest_km2_rs", "grassland_km2_rs"):
        b.series(s, "km2", f"{s.split('_km2')[0].replace('_', ' ')} area, remote-sensing land use of a "
                 "sub-region (Manas basin / TNS agglomeration)",
                 caveats="Each geography comes from a different study/classification; compare only within a "
                 "geography. TNS agglomeration forest/glacier halving 2005->2018 likely reflects "
                 "classification differences (raw note).")
    for s in wang_water.values():
        b.series(s, "10^4 m3", f"Manas basin {s.split('water_use_')[1].split('_10k')[0]} water use "
                 "(non-vegetation uses)",
                 caveats="2020 and 2030 values in the raw file are projections and are NOT stored.")
    for r in read_raw(raw, "manas_basin_landuse_oasis_water_2000_2015.csv"):
        var, y = r["variable"], int(r["year"])
        if "PROJECTION" in r["note"]:
            continue
        if var in wang_land:
            b.add(wang_land[var], "manas_basin_wang2019", y, num(r["value"]), "chinaxiv_201901_00086")
        elif var in wang_water:
            b.add(wang_water[var], "manas_basin_wang2019", y, num(r["value"]), "chinaxiv_201901_00086")
    b.series("oasis_area_change_km2", "km2 change", "Net change of oasis area over a period, stored at period end",
             caveats="Changes, not levels (Manas middle-lower reaches).")
    b.series("cropland_share_of_oasis_pct", "%", "Cropland share of oasis area (landscape PLAND)")
    b.series("grassland_share_of_oasis_pct", "%", "Grassland share of oasis area (landscape PLAND)")
    b.series("water_share_of_oasis_pct", "%", "Water share of oasis area (landscape PLAND)")
    for r in read_raw(raw, "manas_oasis_area_points.csv"):
        p, kind = r["year_or_period"], r["kind"]
        if kind == "read: oasis area (middle-lower reaches)":
            b.add("oasis_area_km2", "manas_basin_midlower", int(p), num(r["value"]), "chinaxiv_201909_00020")
        elif kind.startswith("OWN DERIVATION"):
            b.add("oasis_area_km2", "manas_basin_midlower", int(p), num(r["value"]), "chinaxiv_201909_00020",
                  "derived in raw file: " + kind)
        elif kind.startswith("read: oasis area change"):
            y0, y1 = p.split("-")
            b.add("oasis_area_change_km2", "manas_basin_midlower", int(y1), num(r["value"]),
                  "chinaxiv_201909_00020", f"change over {p}")
        elif kind.startswith("read: cropland share"):
            b.add("cropland_share_of_oasis_pct", "manas_basin_midlower", int(p), num(r["value"]),
                  "chinaxiv_201909_00020")
        elif kind in ("read: grassland share", "read: water share"):
            sid = "grassland_share_of_oasis_pct" if "grassland" in kind else "water_share_of_oasis_pct"
            for y, v in zip(p.split("/"), r["value"].split("/")):
                b.add(sid, "manas_basin_midlower", int(y), num(v), "chinaxiv_201909_00020")
        else:
            raise ValueError(f"unexpected manas oasis row {kind!r}")
    for c in ("cropland", "water", "builtup", "unused"):
        b.series(f"{c}_km2_rs", "km2", f"{c} area, remote-sensing land use of a sub-region "
                 "(Manas basin XPCC/local land, TNS urban agglomeration)",
                 caveats="Each geography comes from a different study/classification; compare only within a "
                 "geography. '1970s' (MSS 1972-78) is stored as 1975.")
    rs_map = {"cropland_area": "cropland_km2_rs", "forest_area": "forest_km2_rs",
              "grassland_area": "grassland_km2_rs", "water_area": "water_km2_rs", "built_area": "builtup_km2_rs",
              "built-up land_area": "builtup_km2_rs", "unused_area": "unused_km2_rs",
              "unused land_area": "unused_km2_rs"}
    for r in read_raw(raw, "manas_basin_xpcc_vs_local_landuse_1970s_2015_km2.csv"):
        if r["variable"] not in rs_map:
            continue
        geo = "manas_basin_xpcc_land" if r["geography"].startswith("XPCC") else "manas_basin_local_land"
        y, note = (1975, "1970s (MSS 1972-78), stored as 1975") if r["year"] == "1970s" else (int(r["year"]), "")
        b.add(rs_map[r["variable"]], geo, y, num(r["value"]), "chinaxiv_201807_00004", note)
    for r in read_raw(raw, "tns_urban_agglomeration_landuse_2005_2018_km2.csv"):
        if r["variable"] not in rs_map:
            continue
        b.add(rs_map[r["variable"]], "tns_urban_agglomeration_liang", int(r["year"]), num(r["value"]),
              "chinaxiv_202203_00097", r["note"])


# --------------------------------------------------------------------------------------------
# water
# --------------------------------------------------------------------------------------------
def build_water(b: Builder, raw: Path) -> None:
    b.series("water_use_total_100m_m3", "10^8 m3", "Total water use (withdrawal) of all sectors",
             caveats="Points only; annual series is a gap. 2017 Xinjiang/bole_ebinur/turpan_hami/tns_4city from "
             "the prefecture table (prefecture rows sum exactly to the Xinjiang total 551.11, so XPCC use is "
             "included in the prefectures). xpcc 1985-2007 from Shao & Chen 2010. tns_deng 2017 from Deng.")
    b.series("water_use_agriculture_100m_m3", "10^8 m3",
             "Agricultural water use, census-consistent basis (2011 first national water census onward)",
             caveats="STRUCTURAL BREAK at 2011: the water census raised reported agricultural use (+~96 vs 2010 "
             "bulletin). Pre-2011 bulletin-basis values are in water_use_agriculture_precensus_100m_m3 and "
             "must not be fitted together with this series.")
    b.series("water_use_agriculture_precensus_100m_m3", "10^8 m3",
             "Agricultural water use, Water Resources Bulletin basis before the 2011 water census",
             caveats="Not comparable with water_use_agriculture_100m_m3 (2011 census break).")
    b.series("water_use_agriculture_quota_estimate_100m_m3", "10^8 m3",
             "Agricultural water use estimated by authors from gross irrigation quota (430 m3/mu)",
             caveats="Not a metered statistic (Deng, TNS 2017).")
    for s, what in (("industry", "Industrial"), ("domestic", "Domestic (urban + rural)"),
                    ("ecological", "Ecological (off-stream environmental)")):
        b.series(f"water_use_{s}_100m_m3", "10^8 m3", f"{what} water use (Deng tables, 2016/2017)",
                 caveats="Deng's sector split; domestic differs in definition from the bulletin-based "
                 "water_use_domestic_bulletin_100m_m3 (2015 9.2 vs 2016 13.9).")
    b.series("water_supply_total_100m_m3", "10^8 m3", "Total water supply (all sources)")
    b.series("water_supply_surface_100m_m3", "10^8 m3", "Water supply from surface water")
    b.series("water_supply_groundwater_100m_m3", "10^8 m3", "Water supply from groundwater")
    geo_w = {"Xinjiang": "xinjiang", "North Xinjiang": "north_xinjiang", "South Xinjiang": "south_xinjiang",
             "East Xinjiang": "east_xinjiang", "XPCC (Bingtuan)": "xpcc"}
    var_w = {"water_use_total": "water_use_total_100m_m3", "water_use_domestic": "water_use_domestic_100m_m3",
             "water_use_industry": "water_use_industry_100m_m3",
             "water_use_agriculture": "water_use_agriculture_100m_m3",
             "water_use_ecological": "water_use_ecological_100m_m3",
             "water_supply_surface": "water_supply_surface_100m_m3",
             "water_supply_groundwater": "water_supply_groundwater_100m_m3",
             "water_supply_total": "water_supply_total_100m_m3"}
    for r in read_raw(raw, "xinjiang_water_use_points_addendum.csv"):
        var, geo_txt = r["variable"], r["geography"]
        if var not in var_w or geo_txt not in geo_w or not re.fullmatch(r"\d{4}", r["year"].strip()):
            continue
        y = int(r["year"])
        geo = geo_w[geo_txt]
        src = r["source"]
        if src.startswith("Deng Mingjiang 2019"):
            sid_src, note = "chinaxiv_201909_00168", "Deng 2019 Tab.3"
        elif src.startswith("Li Jiang"):
            sid_src, note = "chinaxiv_202102_00062", "text: fell from 590.1 (2012) to 548.8 (2018)"
        elif src.startswith("Liu Hongxia"):
            sid_src, note = "chinaxiv_202101_00022", "text 5.77x10^10 m3; also Yan Long et al. 2019 (577.2)"
        elif src.startswith("2014 Xinjiang Water"):
            sid_src, note = "xj_water_bulletin_2014", "2014 bulletin (dry year)"
        elif src.startswith("Zhang Pei"):
            sid_src = "zhang_pei_2021"
            note = r["note"]
        elif src.startswith("Shao"):
            sid_src, note = "shao_chen_2010", r["note"]
        else:
            raise ValueError(f"unexpected water source {src!r}")
        sid = var_w[var]
        if var == "water_use_agriculture" and y < 2011:
            sid = "water_use_agriculture_precensus_100m_m3"
            note = "bulletin basis (before 2011 census break)"
        if var == "water_use_agriculture" and y == 2011:
            note = "STRUCTURAL BREAK: first water census basis (+~96 vs 2010 bulletin)"
        b.add(sid, geo, y, num(r["value"]), sid_src, note)
    b.series("water_use_per_capita_m3", "m3/person", "Water use per capita (MWR bulletin)")
    b.series("water_use_per_10k_yuan_gdp_m3", "m3 per 10^4 yuan", "Water use per 10^4 yuan GDP (current prices)")
    for r in read_raw(raw, "xinjiang_water_use_points_addendum2.csv"):
        sid = "water_use_per_capita_m3" if r["variable"] == "water use per capita" \
            else "water_use_per_10k_yuan_gdp_m3"
        b.add(sid, "xinjiang", int(r["year"]), num(r["value"]),
              "huajing_2019_water" if r["year"] == "2019" else "mwr_bulletin_2012")

    # domestic and ecological water 2000-2015 (bulletin-based, Liu Hongxia Tab.5)
    b.series("water_use_domestic_bulletin_100m_m3", "10^8 m3",
             "Domestic water use 2003-2015 (Xinjiang Water Resources Bulletin via Liu et al. Tab.5)",
             caveats="Break at 2003 (15.5 -> 6.2, likely definitional change in the bulletin, not verified): "
             "2000-2002 are in water_use_domestic_bulletin_pre2003_100m_m3.")
    b.series("water_use_domestic_bulletin_pre2003_100m_m3", "10^8 m3",
             "Domestic water use 2000-2002 (bulletin, before the 2003 definitional break)",
             caveats="Not comparable with 2003+ values.")
    b.series("water_use_ecological_bulletin_100m_m3", "10^8 m3",
             "Ecological water use 2000-2015 (bulletin via Liu et al. Tab.5)",
             caveats="2000-2003 identical (18.1) - possibly carried forward in the source. Large fall 2010 "
             "-> 2012 (17.4 -> 4.0).",
             outliers="2000-2003 constant 18.1 (suspect)")
    for r in read_raw(raw, "xinjiang_water_footprint_domestic_eco_water_2000_2015.csv"):
        y = int(r["year"])
        sid = "water_use_domestic_bulletin_100m_m3" if y >= 2003 else "water_use_domestic_bulletin_pre2003_100m_m3"
        b.add(sid, "xinjiang", y, num(r["domestic_water_use_1e8m3"]), "chinaxiv_202101_00022",
              "definition break 15.5 -> 6.2 between 2002 and 2003" if y == 2003 else "")
        b.add("water_use_ecological_bulletin_100m_m3", "xinjiang", y, num(r["ecological_water_use_1e8m3"]),
              "chinaxiv_202101_00022", "value identical 2000-2003 (suspect carry-forward)" if y <= 2003 else "")

    # prefecture water 2017 -> exact geographies
    pref = {r["region"]: r for r in read_raw(raw, "prefecture_water_use_2017.csv")}
    exact = {"xinjiang": ["Xinjiang total"], "bole_ebinur": ["Bortala Pref."], "turpan_hami": ["Turpan", "Hami"],
             "tns_4city": ["Urumqi", "Changji Pref.", "Shihezi", "Karamay"]}
    b.series("irrigated_area_10k_ha", "10^4 ha", "Irrigated area by prefecture, 2017 (Li Jiang et al. Tab.1)",
             caveats="Prefecture sum 605.24 vs printed Xinjiang total 605.21.")
    b.series("surface_water_resources_100m_m3", "10^8 m3", "Surface water resources, 2017 (Li Jiang Tab.1)",
             caveats="Prefecture sum 790.04 vs printed total 790.05.")
    b.series("reservoir_capacity_100m_m3", "10^8 m3", "Total reservoir capacity, 2017 (Li Jiang Tab.1)",
             caveats="Shihezi blank in the source -> tns_4city not formed (gap).")
    cols = {"water_use_total_100m_m3": "water_supply_use_2017_1e8m3",
            "irrigated_area_10k_ha": "irrigated_area_1e4hm2",
            "surface_water_resources_100m_m3": "surface_water_resources_1e8m3",
            "reservoir_capacity_100m_m3": "reservoir_total_capacity_1e8m3"}
    for geo, parts in exact.items():
        for sid, col in cols.items():
            if any(blank(pref[p][col]) for p in parts):
                continue
            v = round(sum(num(pref[p][col]) for p in parts), 6)
            note = "2017 prefecture table (unit read as 10^8 m3)" if len(parts) == 1 else \
                "sum of " + " + ".join(parts) + " (2017 prefecture table)"
            b.add(sid, geo, 2017, v, "chinaxiv_202102_00062", note)

    # Deng TNS 2017
    deng = read_raw(raw, "tns_2017_socioeconomic_water_deng.csv")
    b.series("irrigated_area_10k_mu", "10^4 mu", "Irrigated area (farmland + orchards + grassland), Deng TNS 2017",
             caveats="1 ha = 15 mu. Deng's TNS definition.")
    b.series("va_primary_prefecture_stats_100m_yuan", "10^8 yuan current",
             "Primary value added of TNS aggregates (Deng 2017)")
    b.series("va_secondary_prefecture_stats_100m_yuan", "10^8 yuan current",
             "Secondary value added of TNS aggregates (Deng 2017)")
    b.series("va_tertiary_prefecture_stats_100m_yuan", "10^8 yuan current",
             "Tertiary value added of TNS aggregates (Deng 2017)")
    dmap = {
        ("TNS segment: TNS total (Deng definition)", "total_population"): "population_regional_points_10k",
        ("TNS segment: TNS total (Deng definition)", "urban_population"): "urban_population_10k",
        ("TNS segment: TNS total (Deng definition)", "irrigated_area_total"): "irrigated_area_10k_mu",
        ("TNS segment: TNS total (Deng definition)", "GDP"): "gdp_current_prefecture_stats_100m_yuan",
        ("TNS segment: TNS total (Deng definition)", "VA_primary"): "va_primary_prefecture_stats_100m_yuan",
        ("TNS segment: TNS total (Deng definition)", "VA_secondary"): "va_secondary_prefecture_stats_100m_yuan",
        ("TNS segment: TNS total (Deng definition)", "VA_tertiary"): "va_tertiary_prefecture_stats_100m_yuan",
        ("TNS total (Deng definition)", "water_use_industry"): "water_use_industry_100m_m3",
        ("TNS total (Deng definition)", "water_use_domestic_urban_rural"): "water_use_domestic_100m_m3",
        ("TNS total (Deng definition)", "water_use_ecological_supply"): "water_use_ecological_100m_m3",
        ("TNS total (Deng definition)", "water_use_agriculture"): "water_use_agriculture_quota_estimate_100m_m3",
        ("TNS total (Deng definition)", "water_use_total"): "water_use_total_100m_m3",
        ("TNS total (Deng definition)", "water_supply_groundwater"): "water_supply_groundwater_100m_m3",
        ("TNS total (Deng definition)", "water_supply_total"): "water_supply_total_100m_m3",
    }
    for r in deng:
        key = (r["geography"], r["variable"])
        if key in dmap and r["year"] == "2017":
            note = "Deng TNS definition, 2017"
            if r["variable"] == "water_use_agriculture":
                note += "; authors' estimate from gross irrigation quota 430 m3/mu"
            b.add(dmap[key], "tns_deng", 2017, num(r["value"]), "chinaxiv_202101_00029", note)

    b.series("water_diversion_artificial_oasis_100m_m3", "10^8 m3",
             "Water diverted to the artificial oasis of the Manas River basin",
             caveats="= 74.5% of mean annual runoff (single point).")
    for r in read_raw(raw, "xinjiang_water_use_points_addendum.csv"):
        if r["variable"] == "artificial_oasis_water_diversion":
            b.add("water_diversion_artificial_oasis_100m_m3", "manas_basin_wang2019", int(r["year"]),
                  num(r["value"]), "chinaxiv_201901_00086", r["note"])


# --------------------------------------------------------------------------------------------
# groundwater, lakes, air
# --------------------------------------------------------------------------------------------
def build_groundwater_lakes_air(b: Builder, raw: Path) -> None:
    b.series("gwsa_trend_csr_mm_per_yr", "mm/yr",
             "Trend of groundwater storage anomaly (GRACE CSR - GLDAS), stored at period end",
             caveats="Trend over 2003-2016 (stored at 2016); +/-0.85 mm/yr.")
    b.series("gwsa_trend_jpl_mm_per_yr", "mm/yr",
             "Trend of groundwater storage anomaly (GRACE JPL - GLDAS), stored at period end",
             caveats="Trend over 2003-2016 (stored at 2016); +/-0.91 mm/yr.")
    b.series("gws_trend_csr_cm_per_yr", "cm/yr", "Groundwater storage trend (GRACE CSR mascon), stored at period end",
             caveats="Periods 2003-2012 and 2012-2021. Tianshan & Yili valley, not the TNS plain.")
    b.series("tws_trend_mm_per_yr", "mm/yr", "Terrestrial water storage trend (GRACE), stored at period end",
             caveats="Not Xinjiang/TNS-specific. Northern arid NW China 2002-08..2013-12.")
    for r in read_raw(raw, "groundwater_grace_points_addendum.csv"):
        v = r["value"].strip()
        if r["geography"] == "Xinjiang" and r["variable"] in ("GWSA_trend_CSR", "GWSA_trend_JPL"):
            sid = "gwsa_trend_csr_mm_per_yr" if r["variable"].endswith("CSR") else "gwsa_trend_jpl_mm_per_yr"
            b.add(sid, "xinjiang", 2016, num(v), "hu2019_grace", f"trend over {r['year']}; {r['note']}")
        elif r["geography"].startswith("Tianshan Mountains") and r["variable"] == "GWS_trend":
            y0, y1 = r["year"].split("-")
            b.add("gws_trend_csr_cm_per_yr", "tianshan_yili", int(y1), num(v), "water2024_tianshan",
                  f"trend over {r['year']}")
    for r in read_raw(raw, "groundwater_points.csv"):
        q = r["quantity"]
        if q.startswith("TWS trend northern ANC"):
            b.add("tws_trend_mm_per_yr", "nw_china_arid_north", 2013, num(r["value"]), "cao2018_grace",
                  f"trend over {r['period']}")
        elif q == "TWS trend ANC whole":
            b.add("tws_trend_mm_per_yr", "nw_china_arid", 2013, num(r["value"]), "cao2018_grace",
                  f"trend over {r['period']}")
        elif q.startswith("GW level decline rate"):
            zone = q[len("GW level decline rate "):]
            zid = {"upper alluvial-pluvial plain": "upper_alluvial_plain", "spillover zone": "spillover_zone",
                   "upper fine-soil plain": "upper_fine_soil_plain",
                   "lower fine-soil plain": "lower_fine_soil_plain"}[zone]
            sid = f"groundwater_level_decline_{zid}_m_per_yr"
            b.series(sid, "m/yr", f"Mean groundwater-level decline rate, Manas basin typical profile, {zone}",
                     caveats="Positive = falling water table. Mean over 2010-2014 stored at 2014; ranges in note.")
            val = r["value"]
            m = re.search(r"mean ([\d.]+)", val)
            value = num(m.group(1)) if m else num(val)
            b.add(sid, "manas_basin_wells_profile", 2014, value, "wei2017_manas_wells",
                  f"mean over {r['period']}; as printed: {val}")

    # lakes
    b.series("lake_area_km2_spot_vgt", "km2", "Ebinur Lake water area, SPOT/VEGETATION NDVI+NDWI annual means",
             caveats="Sensor/season: SPOT-VGT annual mean. Do not mix with Landsat September scenes.")
    b.series("lake_area_km2_landsat_sep", "km2", "Ebinur Lake water area, Landsat NDWI September scenes",
             caveats="Sensor/season: Landsat, September (low-water season).")
    b.series("lake_area_km2_literature", "km2",
             "Lake area as stated in literature text (Deng, ChinaXiv-202101.00029)",
             caveats="Rounded text statements: '1950s' stored as 1955; 'currently ~540' stored as 2019. "
             "Wide error; Manas Lake after drying is a gap (no number).")
    for r in read_raw(raw, "ebinur_lake_area_points.csv"):
        p, method = r["year_or_period"], r["method"]
        m = re.match(r"(\d{4})(-09)?\b", p)
        if not m or "-" in p[4:] and not p.endswith("-09"):
            continue  # ranges and bounds ('2011-2020', '1990s (minimum)') are not point observations
        y = int(m.group(1))
        if method.startswith("SPOT") or (method.startswith("same") and "NDWI" not in method and y <= 2005
                                          and not p.endswith("-09")):
            note = "SPOT-VGT annual mean" + (f"; {p}" if p != str(y) else "")
            if "text" in method:
                note += "; text: area reached 791 km2 during 2001-2002 increase"
            b.add("lake_area_km2_spot_vgt", "ebinur_lake", y, num(r["lake_area_km2"]), "spot_vgt_ebinur", note)
        elif p.endswith("-09"):
            b.add("lake_area_km2_landsat_sep", "ebinur_lake", y, num(r["lake_area_km2"]), "zhang_fei_2015",
                  "Landsat NDWI, September scene")
    for r in read_raw(raw, "ebinur_manas_lake_points_addendum.csv"):
        if r["variable"] != "lake_area" or not r["source"].startswith("Deng"):
            continue
        geo = {"Ebinur Lake": "ebinur_lake", "Manas Lake": "manas_lake"}[r["geography"]]
        yr = r["year"]
        if yr == "1950s":
            y, note = 1955, "1950s (decade statement, stored as 1955)"
        elif yr.startswith("~2018-2020"):
            y, note = 2019, "~2018-2020 ('basically maintained at ~540'), stored as 2019"
        else:
            y, note = int(yr), "text statement"
        b.add("lake_area_km2_literature", geo, y, num(r["value"]), "chinaxiv_202101_00029", note)

    # air-pollutant emissions
    reas = {"SO2 total": "so2_emissions_reas_t", "SO2 power plants (combustion)": "so2_power_emissions_reas_t",
            "SO2 from hard coal (all sectors)": "so2_hard_coal_emissions_reas_t",
            "NOx total": "nox_emissions_reas_t", "NOx power plants (combustion)": "nox_power_emissions_reas_t",
            "PM10 total": "pm10_emissions_reas_t", "PM2.5 total": "pm25_emissions_reas_t",
            "BC total": "bc_emissions_reas_t", "OC total": "oc_emissions_reas_t", "CO total": "co_emissions_reas_t",
            "NH3 total": "nh3_emissions_reas_t", "NMVOC total": "nmvoc_emissions_reas_t"}
    for var, sid in reas.items():
        b.series(sid, "t/yr", f"Xinjiang anthropogenic emissions, {var} (REAS v2.1 modelled inventory, 2007)",
                 caveats="Modelled bottom-up inventory, single year; not official statistics."
                 + (" NOx as NO2." if var.startswith("NOx") else ""))
    b.series("so2_emissions_official_10k_t", "10^4 t/yr", "Xinjiang SO2 emissions, official environmental statistics",
             caveats="Single point (2009); annual official series is a gap. Not comparable with REAS (different "
             "method).")
    b.series("cod_emissions_official_10k_t", "10^4 t/yr", "Xinjiang chemical oxygen demand discharge, official")
    for r in read_raw(raw, "xinjiang_air_pollutant_emissions_points.csv"):
        if r["geography"] == "Xinjiang (XING)" and r["variable"] in reas:
            b.add(reas[r["variable"]], "xinjiang", int(r["year"]), num(r["value"]), "reas_v21",
                  r["source_location"])
        elif r["geography"] == "Xinjiang" and r["variable"] == "SO2 total (official statistics)":
            b.add("so2_emissions_official_10k_t", "xinjiang", int(r["year"]), num(r["value"]), "xjtv_2009_env")
        elif r["geography"] == "Xinjiang" and r["variable"] == "COD total (official statistics)":
            b.add("cod_emissions_official_10k_t", "xinjiang", int(r["year"]), num(r["value"]), "xjtv_2009_env")

    # air-quality concentrations (2017-2019 means) for the four TNS cities
    conc = {"PM2.5_annual": "pm25", "PM10_annual": "pm10", "SO2_annual": "so2", "NO2_annual": "no2"}
    for p in conc.values():
        b.series(f"{p}_conc_2017_2019_mean_ugm3", "ug/m3",
                 f"Annual mean {p.upper()} concentration averaged over 2017-2019, stored at 2018",
                 caveats="3-year mean of city monitoring stations (Li Shuting et al. Tab.2); OCR header lost the "
                 "NO2 label, values assigned in printed order (raw note).")
    b.series("pm25_conc_annual_ugm3", "ug/m3", "Annual mean PM2.5 concentration, single year",
             caveats="Urumqi 2017 from the Xinjiang monitoring release.")
    city = {"Urumqi": "urumqi_city", "Changji": "changji_city", "Shihezi": "shihezi_city", "Wujiaqu": "wujiaqu_city"}
    for r in read_raw(raw, "tns_air_quality_points.csv"):
        if r["geography"] in city and r["year"] == "2017-2019 mean" and r["variable"] in conc:
            b.add(f"{conc[r['variable']]}_conc_2017_2019_mean_ugm3", city[r["geography"]], 2018, num(r["value"]),
                  "chinaxiv_202208_00059", "mean of 2017-2019, stored at 2018")
        elif r["geography"] == "Urumqi" and r["year"] == "2017" and r["variable"] == "PM2.5_annual":
            b.add("pm25_conc_annual_ugm3", "urumqi_city", 2017, num(r["value"]), "xj_aq_release_2017",
                  r["note"])



# --------------------------------------------------------------------------------------------
# second release: 2017-2019 observation points (rows of kind 'observation' only)
# --------------------------------------------------------------------------------------------
OBS_FILE = "observations_2017_2019_points.csv"
# rows of the points file deliberately NOT used as observations (reason kept here and in README.md)
OBS_EXCLUDED = {
    "population_total_yearend": "CONFLICT with the yearbook 2445 (xinjiang_population_1975_2019.csv); "
                                "2287 is probably household-registered population (flagged in the raw row)",
    "installed_capacity_grid_total": "no model counterpart (capacity); year not printed",
    "installed_capacity_renewable": "no model counterpart (capacity); year not printed",
}


def build_observations_2017_2019(b: Builder, raw: Path) -> None:
    b.series("population_census_10k", "10^4 persons", "Resident population at the 2010 census (communique)",
             derivation="persons / 10^4 (OWN conversion)")
    b.series("irrigated_area_developed_10k_mu", "10^4 mu",
             "Developed irrigated area of Xinjiang (全疆发展灌溉面积)",
             caveats="= 620.3e4 ha; cf. 605.21e4 ha in ChinaXiv-202102.00062 (different definition).")
    b.series("water_saving_irrigated_area_10k_mu", "10^4 mu", "Water-saving irrigated area of Xinjiang",
             caveats="66 % of the irrigated area (raw note).")
    b.series("installed_capacity_pv_10k_kw", "10^4 kW", "Installed PV capacity, cumulative at year end")
    b.series("installed_capacity_wind_10k_kw", "10^4 kW", "Installed wind capacity, cumulative at year end")
    b.series("generation_share_pv_pct", "%", "PV share of grid electricity generation")
    b.series("generation_share_wind_pct", "%", "Wind share of grid electricity generation")
    b.series("renewable_share_generation_drc_pct", "%",
             "Share of new + renewable energy (incl. hydro) in Xinjiang generation, DRC release",
             caveats="YEAR NOT PRINTED in the source, inferred ~2017 from curtailment figures (verify); DRC "
             "definition, differs from renewable_share_generation_pct (CPSY, 22.48 % in 2017).")
    b.series("energy_consumption_total_prelim_mtce", "Mtce",
             "Xinjiang total energy consumption, preliminary estimate ('经初步测算')",
             derivation="1.84 x 10^8 tce = 184 Mtce (OWN conversion)",
             caveats="YEAR NOT PRINTED in the source, inferred ~2017 (verify). Official total energy "
             "consumption basis, not comparable with tpes_mtce / final_energy_total_mtce.")
    b.series("renewable_share_energy_consumption_pct", "%",
             "Renewable share of Xinjiang energy consumption, DRC release",
             caveats="YEAR NOT PRINTED, inferred ~2017 (verify).")
    src_of = {"Urumqi 6th census": "urumqi_census6", "李江": "li_liu_zhao_2020", "Xinhua 2015-02-08": "xinhua_2015_renewables",
              "Xinjiang DRC release": "xj_drc_jpaw_2017"}
    mapping = {
        "gdp_nominal": ("gdp_current_preliminary_100m_yuan", 1.0),
        "urbanization_rate": ("urbanisation_rate_pct", 1.0),
        "irrigated_area_developed": ("irrigated_area_developed_10k_mu", 1.0),
        "water_saving_irrigated_area": ("water_saving_irrigated_area_10k_mu", 1.0),
        "water_use_per_capita": ("water_use_per_capita_m3", 1.0),
        "water_use_per_10k_yuan_gdp": ("water_use_per_10k_yuan_gdp_m3", 1.0),
        "installed_capacity_pv": ("installed_capacity_pv_10k_kw", 1.0),
        "installed_capacity_wind": ("installed_capacity_wind_10k_kw", 1.0),
        "generation_pv_share": ("generation_share_pv_pct", 1.0),
        "generation_wind_share": ("generation_share_wind_pct", 1.0),
        "generation_renewable_share": ("renewable_share_generation_drc_pct", 1.0),
        "energy_consumption_total": ("energy_consumption_total_prelim_mtce", 100.0),
        "renewable_share_energy_consumption": ("renewable_share_energy_consumption_pct", 1.0),
        "population_census": ("population_census_10k", 1e-4),
    }
    b.series("water_saving_irrigated_share_pct", "%",
             "Share of the developed irrigated area of Xinjiang under water-saving irrigation",
             derivation="water_saving_irrigated_area_10k_mu / irrigated_area_developed_10k_mu x 100 (OWN)")
    geo_of = {"Xinjiang": "xinjiang", "Urumqi": "urumqi_city"}
    areas: dict[str, tuple[int, float]] = {}
    for r in read_raw(raw, OBS_FILE):
        if r["kind"] != "observation":
            continue  # targets go to anchors.csv
        var = r["series"]
        if var in OBS_EXCLUDED:
            continue
        sid, factor = mapping[var]
        src = next(v for k, v in src_of.items() if r["source"].startswith(k))
        yr = r["year"].strip()
        note = r["note"].strip()
        if yr.startswith("~"):
            note = "YEAR INFERRED (~2017, not printed in the source; verify); " + note
            yr = re.match(r"~(\d{4})", yr).group(1)
        value = num(r["value"]) * factor
        if factor != 1.0:
            note = f"OWN conversion from {r['value']} {r['unit']}; " + note
        b.add(sid, geo_of[r["geography"]], int(yr), round(value, 6), src, note)
        if var in ("irrigated_area_developed", "water_saving_irrigated_area"):
            areas[var] = (int(yr), value)
    # the share of irrigated land under water-saving irrigation: the model's state variable
    (y_irr, irr), (y_ws, ws) = areas["irrigated_area_developed"], areas["water_saving_irrigated_area"]
    assert y_irr == y_ws, "irrigated and water-saving areas must be of the same year"
    b.add("water_saving_irrigated_share_pct", "xinjiang", y_ws, round(100 * ws / irr, 3), "li_liu_zhao_2020",
          f"OWN derivation: {ws:g} / {irr:g} x 100 (10^4 mu, same source and year; raw note: 66 %)")


# --------------------------------------------------------------------------------------------
# anchors: projections, targets (and the base-year values of projection sources) - NOT calibration data
# --------------------------------------------------------------------------------------------
ANCHOR_COLUMNS = ["anchor_id", "kind", "geography", "scenario", "year", "year_end", "value", "value_high",
                  "unit", "source_id", "period", "note"]
ANCHOR_GEO = {"Xinjiang": "xinjiang", "China": "china", "TNS (Deng: Mulei-Wenquan incl. XPCC)": "tns_deng",
              "TNS (Deng)": "tns_deng", "NW China 5 provinces": "nw_china_5_provinces",
              "China (sum of 31 provinces)": "china_31_provinces"}


def _anchor_id(text: str) -> str:
    out = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return out


def _period(text: str) -> tuple[str, str, str]:
    """(year, year_end, approximate-note) from '2030', '2011-2015', '~2027', 'future (~2035)', 'long-run'."""
    t = text.strip()
    if re.fullmatch(r"\d{4}", t):
        return t, "", ""
    m = re.fullmatch(r"(\d{4})-(\d{4})", t)
    if m:
        return m.group(1), m.group(2), ""
    m = re.search(r"~(\d{4})", t)
    if m:
        return m.group(1), "", "year approximate"
    if t == "long-run":
        return "", "", ""
    raise ValueError(f"unexpected anchor period {text!r}")


def _value(text: str) -> tuple[float, str]:
    t = text.strip()
    m = re.fullmatch(r"([\d.]+)-([\d.]+)", t)
    if m:
        return num(m.group(1)), fmt(num(m.group(2)))
    return num(t), ""


def build_anchors(raw: Path) -> list[list[str]]:
    rows: list[list[str]] = []
    src_targets = [("国办发〔2013〕2号", "state_council_2013_2"), ("国务院关于《新疆", "state_council_2024_70"),
                   ("新疆《“十三五”", "xj_13fyp_ghg_plan"), ("中共中央 国务院", "cpc_sc_2021_carbon"),
                   ("国务院《关于实行", "state_council_2012_3"), ("国发〔2012〕3号", "state_council_2012_3"),
                   ("Deng Mingjiang (expert", "chinaxiv_202110_00028"),
                   ("Chinese Academy of Engineering", "chinaxiv_202110_00028"),
                   ("CAE", "chinaxiv_202110_00028"), ("Deng Mingjiang, ChinaXiv-202101.00029", "chinaxiv_202101_00029"),
                   ("Cai", "cai_cao_lei_2021"), ("Tsinghua", "tsinghua_iccsd_2020"), ("董棒棒", "chinaxiv_201906_00055"),
                   ("Xinjiang Government Work Report", "xj_gov_work_report_2022")]

    def src_id(text: str) -> str:
        for k, v in src_targets:
            if text.startswith(k):
                return v
        raise ValueError(f"unknown anchor source {text[:60]!r}")

    def add(aid, kind, geo, scen, period, value, unit, sid, note):
        y, ye, approx = _period(period)
        if isinstance(value, str):
            v, vh = _value(value)
        else:
            v, vh = value, ""
        if kind not in ("observation", "projection", "target"):
            raise ValueError(f"unexpected kind {kind!r}")
        if geo not in GEOGRAPHIES or sid not in REFERENCES:
            raise ValueError(f"anchor {aid}: unknown geography/source {geo!r}/{sid!r}")
        note = "; ".join(x for x in (approx, note.strip()) if x)
        rows.append([aid, kind, geo, scen, y, ye, fmt(v), vh, unit, sid, period.strip(), note])

    for name in ("policy_targets_xinjiang_china.csv", "projection_points_literature.csv", OBS_FILE):
        for r in read_raw(raw, name):
            if name == OBS_FILE and r["kind"] == "observation":
                continue
            if ":" in r["value"]:  # '85:5:10' structure shares -> one row per part
                parts = r["value"].split(":")
                labels = r["series"].rsplit("_", 3)[1:] if r["series"].startswith("water_use_structure") else None
                assert labels and len(labels) == len(parts), r["series"]
                for lab, part in zip(labels, parts):
                    add(_anchor_id(f"water_use_share_{lab}"), r["kind"], ANCHOR_GEO[r["geography"]], "",
                        r["year"], part, r["unit"], src_id(r["source"]), r["note"])
                continue
            add(_anchor_id(r["series"]), r["kind"], ANCHOR_GEO[r["geography"]], "", r["year"], r["value"],
                r["unit"], src_id(r["source"]), r["note"])
    for name, sid in (("gcamchina_xinjiang_pop_gdp_projection_2019_2100.csv", "gcamchina_ssp_projection"),
                      ("ssp_china_national_growth_inputs_gcamchina.csv", "gcamchina_ssp_inputs")):
        for r in read_raw(raw, name):
            scen = _anchor_id(r["scenario"].replace("GCAM-China ", ""))
            add(_anchor_id(r["series"]), r["kind"], ANCHOR_GEO[r["geography"]], scen, r["year"], r["value"],
                r["unit"], sid, r["note"] if len(r["note"]) < 200 else r["note"][:200].rsplit(" ", 1)[0] + " ...")
    rows.sort(key=lambda r: (r[0], r[2], r[3], int(r[4]) if r[4] else 9999, r[5], r[1]))
    seen = set()
    for r in rows:
        key = (r[0], r[2], r[3], r[4], r[5], r[1])
        if key in seen:
            raise ValueError(f"duplicate anchor {key}")
        seen.add(key)
    return rows

# --------------------------------------------------------------------------------------------
# output
# --------------------------------------------------------------------------------------------
def year_ranges(years: list[int]) -> str:
    ys = sorted(set(years))
    out, start, prev = [], ys[0], ys[0]
    for y in ys[1:] + [None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        out.append(str(start) if start == prev else f"{start}-{prev}")
        if y is not None:
            start = prev = y
    return ";".join(out)


def write_atomic(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    atomic_write_text(path, buf.getvalue(), make_parents=True)  # the project's one atomic writer


def build(raw_dir: Path = DEFAULT_RAW, out_dir: Path = DEFAULT_OUT) -> dict[str, object]:
    """Build all tables from ``raw_dir`` into ``out_dir``; return a small summary."""
    b = Builder()
    build_population(b, raw_dir)
    build_gdp(b, raw_dir)
    unmapped = build_co2(b, raw_dir)
    build_energy(b, raw_dir)
    build_land(b, raw_dir)
    build_water(b, raw_dir)
    build_groundwater_lakes_air(b, raw_dir)
    build_observations_2017_2019(b, raw_dir)

    rows = sorted(b.rows, key=lambda r: (r[0], r[1], r[2]))
    seen: set[tuple[str, str, int]] = set()
    for r in rows:
        key = (r[0], r[1], r[2])
        if key in seen:
            raise ValueError(f"duplicate observation {key}")
        seen.add(key)
    unused = set(b.meta) - {r[0] for r in rows}
    if unused:
        raise ValueError(f"declared series without rows: {sorted(unused)}")

    series_rows = [[sid, geo, str(y), fmt(v), b.meta[sid].unit, src, note] for sid, geo, y, v, src, note in rows]
    write_atomic(out_dir / "series.csv", SERIES_COLUMNS, series_rows)

    src_rows = []
    for sid in sorted(b.meta):
        m = b.meta[sid]
        mine = [r for r in rows if r[0] == sid]
        sids = sorted({r[4] for r in mine})
        geos = sorted({r[1] for r in mine})
        years = year_ranges([r[2] for r in mine])
        citation = " | ".join(REFERENCES[s][0] for s in sids)
        raw_files = "; ".join(sorted({f.strip() for s in sids for f in REFERENCES[s][1].split(";")}))
        src_rows.append([sid, m.unit, ";".join(geos), years, m.measures, citation, ";".join(sids), raw_files,
                         m.derivation, m.caveats, m.outliers])
    write_atomic(out_dir / "sources.csv", SOURCES_COLUMNS, src_rows)

    anchors = build_anchors(raw_dir)
    write_atomic(out_dir / "anchors.csv", ANCHOR_COLUMNS, anchors)

    used_refs = sorted({r[4] for r in rows} | {a[9] for a in anchors})
    write_atomic(out_dir / "references.csv", ["source_id", "citation", "raw_files"],
                 [[s, REFERENCES[s][0], REFERENCES[s][1]] for s in used_refs])
    write_atomic(out_dir / "geographies.csv", ["geography", "description", "model_regions", "mapping"],
                 [[g, d, regs, mp] for g, (d, regs, mp) in sorted(GEOGRAPHIES.items())])
    return {"rows": len(rows), "series": len(b.meta), "anchors": len(anchors), "unmapped_counties": unmapped,
            "readme_units_absent": sorted(README_UNITS_ABSENT)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--raw", type=Path, default=DEFAULT_RAW, help="raw directory (default: %(default)s)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: %(default)s)")
    args = ap.parse_args(argv)
    summary = build(args.raw, args.out)
    print(f"wrote {summary['rows']} observations of {summary['series']} series and {summary['anchors']} "
          f"anchors (projections/targets) to {args.out}")
    print("county units not mapped to a region:", summary["unmapped_counties"] or "none")
    print("README units absent from the county file:", ", ".join(summary["readme_units_absent"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
