"""Derived indicators over result Datasets.

Pure functions over ``xarray.Dataset`` results (dims sample, time[, region]): the CLI table and
the app cards use them, so an indicator is defined once. Regions, geographies and the
aggregation (sum over a geography; ratios NaN where the denominator is 0) are
:mod:`sim.geography`'s; red lines are :mod:`sim.redlines`'.
"""
from __future__ import annotations

from dataclasses import dataclass

import xarray as xr

from . import geography
from .errors import UnknownNameError


@dataclass(frozen=True)
class Indicator:
    """A headline indicator: ``numerator`` (÷ ``denominator``) summed over a geography's regions."""

    key: str
    label_en: str
    label_zh: str
    units: str
    numerator: str
    denominator: str | None = None
    scale: float = 1.0  # applied after the ratio (e.g. 100 for %)


KEY_INDICATORS = [
    Indicator("population", "Population", "人口", "10⁴ persons", "population_10k"),
    Indicator("gdp", "GDP (1990 prices)", "地区生产总值（1990年价）", "10⁸ yuan", "gdp_1e8yuan"),
    Indicator("tertiary_share", "Tertiary share of GDP", "第三产业占比", "%", "tertiary_va_1e8yuan", "gdp_1e8yuan", 100),
    Indicator("cultivated_land", "Cultivated land", "耕地面积", "kha", "cultivated_land_kha"),
    Indicator("natural_oasis", "Natural oasis", "天然绿洲面积", "kha", "natural_oasis_kha"),
    Indicator("natural_artificial_ratio", "Natural : artificial oasis", "天然/人工绿洲比", "ratio",
              "natural_oasis_kha", "artificial_oasis_kha"),
    Indicator("water_use", "Total water use", "用水总量", "10⁸ m³/yr", "total_water_use_1e8m3_per_yr"),
    Indicator("agri_water_share", "Agricultural share of water use", "农业用水占比", "%",
              "agricultural_water_use_1e8m3_per_yr", "total_water_use_1e8m3_per_yr", 100),
    Indicator("water_per_gdp", "Water use per GDP", "万元GDP用水量", "m³/10⁴ yuan",
              "total_water_use_1e8m3_per_yr", "gdp_1e8yuan", 10000),
    Indicator("overdraft", "Groundwater overdraft", "地下水超采量", "10⁸ m³/yr", "groundwater_overdraft_1e8m3_per_yr"),
    Indicator("groundwater_storage", "Groundwater storage", "地下水储量", "10⁸ m³", "groundwater_storage_1e8m3"),
    Indicator("co2", "CO₂ emissions", "CO₂排放", "Mt/yr", "co2_emissions_mt"),
    Indicator("co2_intensity", "CO₂ per GDP", "单位GDP CO₂", "t/10⁴ yuan", "co2_emissions_mt", "gdp_1e8yuan", 100),
    Indicator("so2", "SO₂ emissions", "SO₂排放", "kt/yr", "so2_emissions_kt"),
]
SCALAR_INDICATORS = [  # not region-subscripted
    Indicator("ebinur_inflow", "Ebinur Lake inflow", "艾比湖入湖水量", "10⁸ m³/yr", "ebinur_lake_inflow_1e8m3_per_yr"),
    Indicator("ebinur_area", "Ebinur Lake area", "艾比湖面积", "km²", "ebinur_lake_area_km2"),
    Indicator("manas_inflow", "Manas Lake inflow", "玛纳斯湖入湖水量", "10⁸ m³/yr", "manas_lake_inflow_1e8m3_per_yr"),
    Indicator("renewable_share", "Renewable share of electricity", "可再生能源发电占比", "%",
              "renewable_share_of_electricity", None, 100),
]
ALL_INDICATORS = {i.key: i for i in KEY_INDICATORS + SCALAR_INDICATORS}


def indicator(ds: xr.Dataset, key: str, geo: str = "belt") -> xr.DataArray:
    """Value of a headline indicator over a geography (dims: sample, time)."""
    if key not in ALL_INDICATORS:
        raise UnknownNameError("indicator", key, ALL_INDICATORS)
    ind = ALL_INDICATORS[key]
    value = geography.total(ds, ind.numerator, geo)
    if ind.denominator:
        value = geography.ratio(value, geography.total(ds, ind.denominator, geo))  # NaN where 0
    return value * ind.scale


def indicator_table(ds: xr.Dataset, years=(2020, 2030, 2035, 2060), geo: str = "belt",
                    sample: int = 0) -> list[tuple[Indicator, list[float]]]:
    """Rows (indicator, values at ``years``) for one sample, for printing or cards."""
    rows = []
    for ind in KEY_INDICATORS + SCALAR_INDICATORS:
        if ind.numerator not in ds or (ind.denominator and ind.denominator not in ds):
            continue
        series = indicator(ds, ind.key, geo).isel(sample=sample)
        rows.append((ind, [float(series.sel(time=y)) for y in years]))
    return rows
