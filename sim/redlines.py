"""Red lines: which apply, when they are breached, by how much, and the reference lines on charts.

THE red-line module: the CLI (``oasis-sd run``) and the app (:mod:`sim.app_support`) both call
:func:`status` and :func:`reference_lines`; nothing else knows which model variable is a flag,
which lever switches a line on or when a line is in force. Levers are found by their ``role``
in ``sim/levers.toml`` (:func:`sim.levers.by_role`), never by constant name.

A red line (:class:`Line`) compares a model ``value`` with a ``limit`` that it must stay above
(``keep="above"``) or below (``keep="below"``):

======================== ============================== ================================== =========
line                     value                          limit                              applies
======================== ============================== ================================== =========
farmland floor           cultivated land [kha]          farmland floor [kha]               always
total water-use cap      fresh-water demand [1e8 m3/yr] water-use cap [1e8 m3/yr]          cap lever on
groundwater overdraft    overdraft [1e8 m3/yr]          tolerance (model constant)         always
ecological red line      natural oasis [kha]            natural oasis at policy start      always
Ebinur minimum inflow    Ebinur inflow [1e8 m3/yr]      the minimum-inflow lever           lever > 0
carbon peak              CO2 emissions [Mt/yr]          the same emissions in 2030         always
======================== ============================== ================================== =========

Breaches of the first four are the model's own flags (``*_breached``, ``*_exceeded``,
``*_flag`` = 1, judged from the policy start year inside the model); a geography breaches when
any of its regions does. The Ebinur line has no model flag: it is breached in a year from the
full phase-in (start year + phase-in years) on when the inflow is below the lever value by
more than 1e-6 (relative).

The carbon line is the national target "CO2 emissions peak before 2030" (State Council / CPC
Central Committee opinion of 2021-10-24, in calibration/data/raw/policy_targets_xinjiang_china.csv),
applied to the geography shown as a documented assumption (Xinjiang has no provincial peak year
in the data): from 2031 on, emissions must not exceed their 2030 value by more than 1e-6
(relative). It has no model flag and no lever; it is judged here from ``co2_emissions_mt``.
A line is one :class:`Line` entry in :data:`LINES`.

Definitions used by the scorecard (:func:`status`):

* **margin** [units of the line]: signed distance to the limit, positive inside (kept),
  ``value - limit`` for ``keep="above"``, ``limit - value`` for ``keep="below"``; over a
  geography the smallest (tightest) regional margin. NaN while the line is not in force
  (before the policy start; where the water cap is off; before the full phase-in for Ebinur)
  or when the run lacks the variables.
* **first breach**: first saved year in which the line is breached (None: never).
* **recovery year**: first saved year after the *last* breached year, i.e. the line is kept
  from then to the end of the run (None: never breached, or still breached in the last year).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from . import geography, levers as levers_mod

YEARS = (2025, 2030, 2035, 2060)  # scorecard years
FLAG_ON = 0.5  # model flags are 0/1
EBINUR_RTOL = 1e-6
CARBON_PEAK_YEAR = 2030  # national target: CO2 peaks before 2030 (policy_targets_xinjiang_china.csv)
PEAK_RTOL = 1e-6
NO_CAP = 1e5  # the model's water-use cap is 1e6 where no cap acts


@dataclass(frozen=True)
class Line:
    """Definition of one red line (see the module docstring)."""

    key: str
    label_en: str
    label_zh: str
    units: str
    value: str  # model variable compared with the limit
    limit: str | None  # model variable holding the limit; None: the lever of ``limit_role``
    keep: str  # "above" or "below"
    flag: str | None = None  # model flag variable (1 = breached); None: judged here
    limit_role: str | None = None  # lever role giving the limit (lines without a model limit)
    applies_role: str | None = None  # lever role that must be > ``applies_above`` for the line to apply
    applies_above: float = 0.0
    in_force: str = "policy_start"  # "policy_start", "full_phase_in", "cap_set" or "after_peak_year"
    peak_year: int | None = None  # limit = the value in this year, in force after it (carbon peak)


LINES: tuple[Line, ...] = (
    Line("farmland_floor_breached", "Farmland floor", "耕地红线", "kha",
         "cultivated_land_kha", "farmland_floor_kha", "above", flag="farmland_floor_breached"),
    Line("total_water_cap_exceeded", "Total water-use cap", "用水总量控制", "10⁸ m³/yr",
         "total_fresh_water_demand_1e8m3_per_yr", "water_use_cap_1e8m3_per_yr", "below",
         flag="total_water_cap_exceeded", applies_role="water_cap_switch", applies_above=0.5, in_force="cap_set"),
    Line("groundwater_overdraft_flag", "Groundwater overdraft", "地下水超采", "10⁸ m³/yr",
         "groundwater_overdraft_1e8m3_per_yr", "groundwater_overdraft_tolerance_1e8m3_per_yr", "below",
         flag="groundwater_overdraft_flag"),
    Line("ecological_red_line_breached", "Ecological red line (natural oasis area)", "生态保护红线（天然绿洲面积）",
         "kha", "natural_oasis_kha", "natural_oasis_at_policy_start_kha", "above", flag="ecological_red_line_breached"),
    Line("ebinur_min_inflow", "Ebinur Lake minimum inflow", "艾比湖最低入湖水量", "10⁸ m³/yr",
         "ebinur_lake_inflow_1e8m3_per_yr", None, "above", limit_role="ebinur_min_inflow",
         applies_role="ebinur_min_inflow", applies_above=0.0, in_force="full_phase_in"),
    Line("carbon_peak_2030", "Carbon peak (CO2 not above 2030)", "碳达峰（二氧化碳排放不高于2030年）", "Mt/yr",
         "co2_emissions_mt", None, "below", in_force="after_peak_year", peak_year=CARBON_PEAK_YEAR),
)
LINE = {ln.key: ln for ln in LINES}
FLAGS = {ln.flag: (ln.label_en, ln.label_zh) for ln in LINES if ln.flag}  # model flag -> labels


# Short names of the flagged lines (spec files of sim.search may use them).
ALIASES = {
    "farmland_floor": "farmland_floor_breached",
    "water_cap": "total_water_cap_exceeded",
    "groundwater": "groundwater_overdraft_flag",
    "ecological": "ecological_red_line_breached",
}


def flag_of(name: str) -> str:
    """Model flag of a red line given by flag name or short alias (``groundwater``)."""
    from .errors import UnknownNameError

    if name in FLAGS:
        return name
    if name in ALIASES:
        return ALIASES[name]
    raise UnknownNameError("red line", name, list(FLAGS) + list(ALIASES))


def breach_years(ds: xr.Dataset, flag: str, geo: str, first_year: float, last_year: float) -> np.ndarray:
    """Number of saved years in ``[first_year, last_year]`` in which a flagged red line is breached,
    for every sample at once (the batched form of :func:`breached`).

    A year counts as breached when the model's flag is 1 in any region of the geography (the rule
    of :func:`breached`, used by the CLI scorecard and the app).

    Parameters
    ----------
    ds : xarray.Dataset
        Engine results with dims (sample, time[, region]) holding ``flag``.
    flag : str
        Red-line flag variable (a key of :data:`FLAGS`).
    geo : str
        'belt', 'core', 'xinjiang' or one region.
    first_year, last_year : float
        Window [year], inclusive.

    Returns
    -------
    numpy.ndarray
        Shape (sample,), breached years [count]; 0 means the red line is kept in the window.
    """
    da = geography.reduce(ds[flag], geo, "max")
    t = da.time.values
    window = (t >= first_year) & (t <= last_year)
    vals = np.asarray(da.transpose("sample", "time").values)[:, window]
    return (vals > FLAG_ON).sum(axis=1).astype(float)


def required_outputs() -> set[str]:
    """Model variables :func:`status` reads (flags, values, limits)."""
    names = set()
    for ln in LINES:
        names |= {n for n in (ln.value, ln.limit, ln.flag) if n}
    return names


# ------------------------------------------------------------------------------------------------
# Pure pieces (numpy arrays over time)
# ------------------------------------------------------------------------------------------------
def policy_years(lever_values) -> tuple[int, int]:
    """(policy start year, year of full phase-in = start + phase-in years) of a lever dict."""
    start = int(levers_mod.role_value(lever_values, "policy_start"))
    ramp = int(round(levers_mod.role_value(lever_values, "policy_ramp")))
    return start, start + ramp


def applies(line: Line, lever_values) -> bool:
    """Whether ``line`` applies under these levers (e.g. the water cap line only with a cap)."""
    if line.applies_role is None:
        return True
    return levers_mod.role_value(lever_values, line.applies_role) > line.applies_above


def margin(value, limit, keep: str) -> np.ndarray:
    """Signed distance to the limit, positive inside: ``value - limit`` (keep above) or
    ``limit - value`` (keep below) [units of the line]."""
    value, limit = np.asarray(value, dtype=float), np.asarray(limit, dtype=float)
    if keep == "above":
        return value - limit
    if keep == "below":
        return limit - value
    raise ValueError(f"keep must be 'above' or 'below', got {keep!r}")


def first_breach(years, breached) -> float | None:
    """First year in which ``breached`` (bool array over ``years``) is true, else None."""
    hits = np.flatnonzero(np.asarray(breached, dtype=bool))
    return float(np.asarray(years)[hits[0]]) if hits.size else None


def recovery_year(years, breached) -> float | None:
    """First year after the last breach (kept from then to the end), else None (never
    breached, or breached in the last year)."""
    b = np.asarray(breached, dtype=bool)
    hits = np.flatnonzero(b)
    if not hits.size or hits[-1] == b.size - 1:
        return None
    return float(np.asarray(years)[hits[-1] + 1])


# ------------------------------------------------------------------------------------------------
# Over a result Dataset (dims sample, time[, region])
# ------------------------------------------------------------------------------------------------
def _in_force(line: Line, years: np.ndarray, lever_values) -> np.ndarray:
    if line.in_force == "after_peak_year":
        return years > line.peak_year
    start, full = policy_years(lever_values)
    return years >= (full if line.in_force == "full_phase_in" else start)


def _peak_limit(series: xr.DataArray, peak_year: int) -> xr.DataArray:
    """The series' value in ``peak_year`` broadcast over time (NaN if the run lacks that year)."""
    t = series.time.values
    hit = np.flatnonzero(np.abs(t - peak_year) < 1e-9)
    if not hit.size:
        return xr.full_like(series, np.nan)
    return xr.full_like(series, 0.0) + series.isel(time=int(hit[0]))


def breached(ds: xr.Dataset, line: Line, lever_values, geo: str = "belt", sample: int = 0) -> np.ndarray:
    """Bool per saved time: the line is breached (in any region of ``geo``)."""
    years = ds.time.values
    if line.flag is not None:
        da = geography.reduce(ds[line.flag].isel(sample=sample), geo, "max")
        return np.asarray(da.values > FLAG_ON)
    if line.peak_year is not None:
        if line.value not in ds:
            return np.zeros(years.shape, dtype=bool)
        value = geography.total(ds, line.value, geo).isel(sample=sample)
        limit = _peak_limit(value, line.peak_year).values
        with np.errstate(invalid="ignore"):
            return _in_force(line, years, lever_values) & (value.values > limit + PEAK_RTOL * np.abs(limit))
    target = levers_mod.role_value(lever_values, line.limit_role)
    value = geography.total(ds, line.value, geo).isel(sample=sample).values
    return (years >= policy_years(lever_values)[1]) & (value < target * (1 - EBINUR_RTOL))


def margins(ds: xr.Dataset, line: Line, lever_values, geo: str = "belt", sample: int = 0) -> np.ndarray:
    """Margin per saved time (see the module docstring), NaN where not in force or not computable."""
    years = ds.time.values
    if line.value not in ds or (line.limit is not None and line.limit not in ds):
        return np.full(years.shape, np.nan)
    if line.peak_year is not None:  # a total over the geography, compared with its own peak-year value
        value = geography.total(ds, line.value, geo).isel(sample=sample)
        m = margin(value.values, _peak_limit(value, line.peak_year).values, line.keep)
        return np.where(_in_force(line, years, lever_values), m, np.nan)
    value = ds[line.value].isel(sample=sample)
    if line.limit is None:
        limit = xr.full_like(value, levers_mod.role_value(lever_values, line.limit_role))
    else:
        limit = ds[line.limit].isel(sample=sample)
    value, limit = xr.broadcast(value, limit)
    m = value.copy(data=margin(value.values, limit.values, line.keep))
    if line.in_force == "cap_set":
        m = m.where(limit < NO_CAP)
    m = geography.reduce(m, geo, "min")
    out = np.asarray(m.values, dtype=float)
    return np.where(_in_force(line, years, lever_values), out, np.nan)


@dataclass
class YearStatus:
    breached: bool | None  # None: the line does not apply, or the year is not in the run
    margin: float  # see the module docstring; NaN when not in force


@dataclass
class LineStatus:
    """Status of one red line in one run and geography (what the CLI prints and the app shows)."""

    key: str
    label_en: str
    label_zh: str
    first_year: float | None  # first year breached (None = kept, or the line does not apply)
    applicable: bool = True
    recovery_year: float | None = None
    units: str = ""
    by_year: dict = field(default_factory=dict)  # year -> YearStatus


def line_status(ds: xr.Dataset, line: Line, lever_values, geo: str = "belt", years=YEARS,
                sample: int = 0) -> LineStatus:
    ok = applies(line, lever_values)
    if not ok:
        return LineStatus(line.key, line.label_en, line.label_zh, None, False, None, line.units,
                          {y: YearStatus(None, float("nan")) for y in years})
    t = ds.time.values
    b = breached(ds, line, lever_values, geo, sample)
    m = margins(ds, line, lever_values, geo, sample)
    by_year = {}
    for y in years:
        hit = np.flatnonzero(np.abs(t - y) < 1e-9)
        by_year[y] = YearStatus(bool(b[hit[0]]), float(m[hit[0]])) if hit.size else YearStatus(None, float("nan"))
    return LineStatus(line.key, line.label_en, line.label_zh, first_breach(t, b), True,
                      recovery_year(t, b), line.units, by_year)


def status(ds: xr.Dataset, lever_values, geo: str = "belt", years=YEARS, sample: int = 0) -> list[LineStatus]:
    """The scorecard: one :class:`LineStatus` per red line, in :data:`LINES` order."""
    return [line_status(ds, ln, lever_values, geo, years, sample) for ln in LINES]


def scorecard_lines(rows: list[LineStatus], years=YEARS) -> list[str]:
    """The scorecard as text lines (the CLI's red-line block)."""
    head = f"{'red line':<48}{'first breach':>13}{'recovery':>10}" + "".join(f"{y:>15}" for y in years)
    out = [head, "-" * len(head)]
    for r in rows:
        label = f"{r.label_en} [{r.units}]"
        if not r.applicable:
            out.append(f"{label:<48}{'not applicable (not set in this scenario)':>45}")
            continue
        first = f"{int(r.first_year)}" if r.first_year is not None else "never"
        rec = f"{int(r.recovery_year)}" if r.recovery_year is not None else "–"
        cells = []
        for y in years:
            s = r.by_year.get(y)
            if s is None or s.breached is None:
                cells.append(f"{'–':>15}")
                continue
            word = "BREACH" if s.breached else "ok"
            mtxt = f"{s.margin:+.3g}" if np.isfinite(s.margin) else "n/a"
            cells.append(f"{word + ' ' + mtxt:>15}")
        out.append(f"{label:<48}{first:>13}{rec:>10}" + "".join(cells))
    out.append("(cells: status and margin to the limit, positive = inside; n/a = not yet in force)")
    return out


# ------------------------------------------------------------------------------------------------
# Reference lines on the app's charts
# ------------------------------------------------------------------------------------------------
def reference_lines(ds: xr.Dataset, lever_values, key: str, geo: str) -> list[tuple[str, pd.DataFrame]]:
    """Red lines / targets to draw on an indicator's chart: [(i18n label key, frame year,value)]."""
    start, full = policy_years(lever_values)
    years = ds.time.values.astype(int)
    out = []
    if key == "cultivated_land" and "farmland_floor_kha" in ds:
        floor = geography.total(ds, "farmland_floor_kha", geo).isel(sample=0).values
        m = years >= start
        out.append(("ref_farmland_floor", pd.DataFrame({"year": years[m], "value": floor[m]})))
    elif key == "water_use" and applies(LINE["total_water_cap_exceeded"], lever_values):
        cap = geography.total(ds, "water_use_cap_1e8m3_per_yr", geo).isel(sample=0).values
        m = (years >= start) & (cap < NO_CAP)
        out.append(("ref_water_cap", pd.DataFrame({"year": years[m], "value": cap[m]})))
    elif key == "overdraft":
        out.append(("ref_overdraft_zero", pd.DataFrame({"year": [int(years[0]), int(years[-1])], "value": [0.0, 0.0]})))
    elif key == "ebinur_inflow" and applies(LINE["ebinur_min_inflow"], lever_values):
        target = levers_mod.role_value(lever_values, "ebinur_min_inflow")
        out.append(("ref_ebinur_min", pd.DataFrame({"year": [full, int(years[-1])], "value": [target, target]})))
    elif key == "co2" and "co2_emissions_mt" in ds:
        ln = LINE["carbon_peak_2030"]
        co2 = geography.total(ds, ln.value, geo).isel(sample=0)
        level = _peak_limit(co2, ln.peak_year).values
        m = years >= ln.peak_year
        out.append(("ref_carbon_peak", pd.DataFrame({"year": years[m], "value": level[m]})))
    elif key == "renewable_share":
        target = levers_mod.role_value(lever_values, "renewable_target")
        out.append(("ref_renewable_target", pd.DataFrame({"year": [full, int(years[-1])], "value": [target, target]})))
    return out
