"""Helpers behind ``app.py``: runs, the uncertainty ensemble, chart tables, observed overlays,
reference lines, red-line status and the Trust-tab files.

Everything here is plain Python/pandas/xarray (no Streamlit), so it is testable on its own and the
app stays a thin layer. Indicator definitions come from :mod:`sim.indicators`; levers from
:mod:`sim.levers`; observations from :mod:`sim.data`.
"""
from __future__ import annotations

import hashlib
import inspect
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from . import indicators, levers as levers_mod, redlines
from .errors import InputError
from .model import REPO_ROOT

CARD_YEARS = (2030, 2035, 2060)
HEADLINE = ["gdp", "co2", "water_use", "cultivated_land", "natural_oasis", "ebinur_inflow"]
SECTORS = {
    "land": ["cultivated_land", "natural_oasis", "natural_artificial_ratio", "ebinur_area"],
    "water": ["water_use", "overdraft", "groundwater_storage", "ebinur_inflow", "agri_water_share",
              "manas_inflow"],
    "economy": ["gdp", "tertiary_share", "population", "water_per_gdp"],
    "emissions": ["co2", "co2_intensity", "so2", "renewable_share"],
}
LOWER_IS_BETTER = {"co2", "co2_intensity", "so2", "water_use", "overdraft", "water_per_gdp", "agri_water_share"}
EXTRA_OUTPUTS = ["farmland_floor_kha", "water_use_cap_1e8m3_per_yr", "built_up_land_kha"]


def app_outputs() -> list[str]:
    """Model variables the app needs (indicator parts, red-line flags, reference lines)."""
    names = set(EXTRA_OUTPUTS) | redlines.required_outputs()
    for ind in indicators.ALL_INDICATORS.values():
        names.add(ind.numerator)
        if ind.denominator:
            names.add(ind.denominator)
    return sorted(names)


# ------------------------------------------------------------------------------------------------
# Uncertainty ensemble (pluggable: a calibration/ensemble.* file replaces the prior sample)
# ------------------------------------------------------------------------------------------------
ENSEMBLE_FILES = [REPO_ROOT / "calibration" / "ensemble.csv", REPO_ROOT / "calibration" / "ensemble.parquet"]
PRIOR_SEED = 20240601
PRIOR_N = 100
PRIOR_WIDTH = 0.25  # ± this fraction of the documented range, around the default


@dataclass(frozen=True)
class Ensemble:
    """Parameter draws: constant -> array (n,). ``kind`` is "prior" or "file"."""

    params: dict = field(hash=False)
    n: int
    kind: str
    source: str
    seed: int | None = None

    @property
    def k(self) -> int:
        return len(self.params)


def prior_ensemble(n: int = PRIOR_N, seed: int = PRIOR_SEED, width: float = PRIOR_WIDTH,
                   model_path=None) -> Ensemble:
    """Fixed-seed Latin hypercube over the uncertain parameters, narrowed to ±``width`` of each
    documented range around the default (clipped to the range)."""
    from scipy.stats import qmc

    params = levers_mod.parameters(model_path) if model_path else levers_mod.parameters()
    unit = qmc.LatinHypercube(d=len(params), seed=seed).random(n)
    draws = {}
    for j, p in enumerate(params):
        half = width * (p.high - p.low)
        lo, hi = max(p.low, p.default - half), min(p.high, p.default + half)
        draws[p.constant] = lo + unit[:, j] * (hi - lo)
    return Ensemble(draws, n, "prior", "levers.parameters()", seed)


def ensemble_from_file(path: Path) -> Ensemble:
    """Draws from a table (one column per model constant, one row per draw; CSV or Parquet).
    Columns that are not uncertain parameters (e.g. ``draw``, ``weight``, ``loss``) are ignored."""
    frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    known = {p.constant for p in levers_mod.parameters()}
    cols = [c for c in frame.columns if c in known]
    if not cols or frame.empty:
        raise InputError(f"{path}: no column names an uncertain parameter")
    values = frame[cols].astype(float)
    if not np.isfinite(values.to_numpy()).all():
        raise InputError(f"{path}: non-finite parameter values")
    return Ensemble({c: values[c].to_numpy() for c in cols}, len(values), "file", str(path))


def load_ensemble(n: int = PRIOR_N) -> Ensemble:
    """The calibrated ensemble if a ``calibration/ensemble.*`` file exists, else the prior sample."""
    for path in ENSEMBLE_FILES:
        if path.exists():
            return ensemble_from_file(path)
    return prior_ensemble(n)


def run(model, lever_values: dict[str, float], ensemble: Ensemble | None = None) -> xr.Dataset:
    """One scenario on the batched engine, with the calibrated parameters (if any) under the
    levers (:func:`sim.runner.lever_params`). With an ensemble, sample 0 is the central run
    (calibrated values, else model defaults) and samples 1..n are the ensemble draws, in one
    batch (:func:`sim.runner.ensemble_params`)."""
    from . import runner

    kw = _backend_kw(model)
    if ensemble is None:
        return model.run(runner.lever_params(lever_values), outputs=app_outputs(), **kw)
    params, n = runner.ensemble_params(lever_values, ensemble.params, ensemble.n)
    return model.run(params, n=n, outputs=app_outputs(), **kw)


APP_BACKEND = os.environ.get("OASIS_SD_APP_BACKEND", "numpy")


def _backend_kw(model) -> dict:
    """Interactive runs use the numpy backend (no JIT pause on the first band run), where the
    engine lets callers choose; ``OASIS_SD_APP_BACKEND`` overrides."""
    try:
        accepts = "backend" in inspect.signature(model.run).parameters
    except (TypeError, ValueError):
        accepts = False
    return {"backend": APP_BACKEND} if accepts and APP_BACKEND else {}


def results_digest(ds: xr.Dataset) -> str:
    """Fingerprint of the central run (sample 0) of a result, to tell whether results changed."""
    h = hashlib.sha1()
    for name in sorted(ds.data_vars):
        h.update(name.encode())
        h.update(np.ascontiguousarray(ds[name].isel(sample=0).values, dtype=float).tobytes())
    return h.hexdigest()[:12]


# ------------------------------------------------------------------------------------------------
# Indicator tables for cards and charts
# ------------------------------------------------------------------------------------------------
def central(ds: xr.Dataset, key: str, geography: str) -> pd.Series:
    """Indicator over a geography, central run, indexed by year."""
    da = indicators.indicator(ds, key, geography).isel(sample=0)
    return pd.Series(da.values, index=pd.Index(da.time.values.astype(int), name="year"))


def band(ds: xr.Dataset, key: str, geography: str, q=(0.05, 0.95)) -> pd.DataFrame | None:
    """5-95 % band over the ensemble samples (1..n), or None for a single run."""
    if ds.sizes.get("sample", 1) < 3:
        return None
    da = indicators.indicator(ds, key, geography).isel(sample=slice(1, None))
    qs = np.nanquantile(da.values, q, axis=0)
    return pd.DataFrame({"year": da.time.values.astype(int), "lo": qs[0], "hi": qs[1]})


def value_at(series: pd.Series, year: int) -> float:
    return float(series.loc[year]) if year in series.index else float("nan")


@dataclass
class Card:
    key: str
    label_en: str
    label_zh: str
    units: str
    values: dict  # year -> (scenario value, baseline value, relative change % or nan)
    lower_is_better: bool


def cards(summary: Summary, base: Summary, keys=HEADLINE, years=CARD_YEARS) -> list[Card]:
    """Headline cards: value at ``years`` and change vs the baseline summary (same geography)."""
    out = []
    for key in keys:
        ind = indicators.ALL_INDICATORS[key]
        s, b = summary.central[key], base.central[key]
        vals = {}
        for y in years:
            v, bv = value_at(s, y), value_at(b, y)
            rel = (v - bv) / abs(bv) * 100 if bv != 0.0 and np.isfinite(bv) else float("nan")
            vals[y] = (v, bv, rel)
        out.append(Card(key, ind.label_en, ind.label_zh, ind.units, vals, key in LOWER_IS_BETTER))
    return out


def fmt_number(value: float) -> str:
    """Compact display: 3-4 significant figures, thousands separated."""
    if value is None or not np.isfinite(value):
        return "–"
    a = abs(value)
    if a >= 1000:
        return f"{value:,.0f}"
    if a >= 100:
        return f"{value:.0f}"
    if a >= 10:
        return f"{value:.1f}"
    if a >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


# ------------------------------------------------------------------------------------------------
# Observed data overlays (calibration/data/series.csv)
# ------------------------------------------------------------------------------------------------
# indicator -> list of (series_id, scale to the indicator's units, fixed data geography or None)
OBSERVED = {
    "population": [("population_10k", 1.0, None)],
    "gdp": [("gdp_real_1990prices_100m_yuan", 1.0, None)],
    "tertiary_share": [("va_tertiary_share_pct", 1.0, None)],
    "cultivated_land": [("cropland_km2_landsat", 0.1, None)],  # km² -> kha
    "water_use": [("water_use_total_100m_m3", 1.0, None)],
    "co2": [("co2_chen2020_mt", 1.0, None), ("co2_total_mt", 1.0, None)],
    "so2": [("so2_emissions_official_10k_t", 10.0, None)],  # 10⁴ t -> kt
    "renewable_share": [("renewable_share_generation_pct", 1.0, "xinjiang")],  # model: one Xinjiang grid
    "ebinur_area": [("lake_area_km2_spot_vgt", 1.0, "ebinur_lake"), ("lake_area_km2_landsat_sep", 1.0, "ebinur_lake"),
                    ("lake_area_km2_literature", 1.0, "ebinur_lake")],
}
DATA_GEOGRAPHY = {"core": "tns_core"}  # app geography -> series.csv geography (others: same id)


def observed(series: pd.DataFrame, key: str, geography: str, start_year: int = 1985) -> pd.DataFrame:
    """Observations matching an indicator and geography: columns year, value, source."""
    frames = []
    geo = DATA_GEOGRAPHY.get(geography, geography)
    for series_id, scale, fixed_geo in OBSERVED.get(key, []):
        g = fixed_geo or geo
        sub = series[(series["series_id"] == series_id) & (series["geography"] == g) & (series["year"] >= start_year)]
        if sub.empty:
            continue
        frames.append(pd.DataFrame({"year": sub["year"].astype(int).to_numpy(),
                                    "value": sub["value"].to_numpy() * scale,
                                    "source": series_id}))
    if not frames:
        return pd.DataFrame({"year": pd.Series(dtype=int), "value": pd.Series(dtype=float),
                             "source": pd.Series(dtype=str)})
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------------------------------
# Red lines and targets: all in sim.redlines (shared with the CLI)
# ------------------------------------------------------------------------------------------------
RedLine = redlines.LineStatus
reference_lines = redlines.reference_lines


def ebinur_shortfall_year(ds: xr.Dataset, lever_values: dict[str, float], sample: int = 0) -> float | None:
    """First year (after full phase-in) in which Ebinur inflow is below the minimum-inflow lever."""
    return redlines.line_status(ds, redlines.LINE["ebinur_min_inflow"], lever_values, "belt", (), sample).first_year


def red_lines(ds: xr.Dataset, lever_values: dict[str, float], geography: str) -> list[RedLine]:
    """The red-line scorecard of the central run (:func:`sim.redlines.status`)."""
    return redlines.status(ds, lever_values, geography)


# ------------------------------------------------------------------------------------------------
# Compare
# ------------------------------------------------------------------------------------------------
def comparison_table(summaries: dict[str, Summary], keys=HEADLINE, years=(2035, 2060),
                     lang: str = "en") -> pd.DataFrame:
    """Rows: indicator (year); columns: units + one per scenario summary."""
    rows = []
    for key in keys:
        ind = indicators.ALL_INDICATORS[key]
        label = ind.label_zh if lang == "zh" else ind.label_en
        for y in years:
            row = {"indicator": f"{label} ({y})", "units": ind.units}
            for name, summ in summaries.items():
                row[name] = value_at(summ.central[key], y)
            rows.append(row)
    return pd.DataFrame(rows).set_index("indicator")


# ------------------------------------------------------------------------------------------------
# Summary: everything the page shows for one run and one geography (small, cacheable)
# ------------------------------------------------------------------------------------------------
@dataclass
class Summary:
    geography: str
    central: pd.DataFrame  # index year, one column per indicator key
    bands: dict  # indicator key -> DataFrame(year, lo, hi); empty without an ensemble
    references: dict  # indicator key -> [(i18n label key, DataFrame(year, value))]
    red_lines: list
    n_samples: int = 1
    digest: str = ""  # fingerprint of the central run (see results_digest)


def summarise(ds: xr.Dataset, lever_values: dict[str, float], geography: str) -> Summary:
    first = ds.isel(sample=[0])
    cols = {}
    for key, ind in indicators.ALL_INDICATORS.items():
        if ind.numerator in ds and (not ind.denominator or ind.denominator in ds):
            cols[key] = indicators.indicator(first, key, geography).isel(sample=0).values
    years = pd.Index(ds.time.values.astype(int), name="year")
    central_frame = pd.DataFrame(cols, index=years)
    bands = {}
    if ds.sizes.get("sample", 1) >= 3:
        for key in cols:
            bands[key] = band(ds, key, geography)
    refs = {key: reference_lines(first, lever_values, key, geography) for key in cols}
    return Summary(geography, central_frame, bands, refs, red_lines(first, lever_values, geography),
                   int(ds.sizes.get("sample", 1)), results_digest(first))


# ------------------------------------------------------------------------------------------------
# Trust tab files
# ------------------------------------------------------------------------------------------------
SENSITIVITY_FILE = REPO_ROOT / "sensitivity" / "reference" / "indices.csv"
SENSITIVITY_COLUMNS = ["method", "output", "year", "factor", "index", "value", "conf"]
FIT_REPORT_FILES = [REPO_ROOT / "calibration" / "REPORT.md"]
FIT_STAT_FILES = [REPO_ROOT / "calibration" / "fit_statistics.csv",
                  REPO_ROOT / "calibration" / "reference" / "fit_statistics.csv"]
MAX_REPORT_BYTES = 512 * 1024


def load_sensitivity(path: Path | None = None) -> pd.DataFrame | None:
    """The committed sensitivity indices (default ``SENSITIVITY_FILE``), or None if not computed yet."""
    path = Path(path) if path is not None else SENSITIVITY_FILE
    if not path.exists():
        return None
    frame = pd.read_csv(path)
    missing = [c for c in SENSITIVITY_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: missing columns {missing}")
    return frame


def fit_report() -> tuple[str | None, pd.DataFrame | None, list[Path]]:
    """(markdown report text, fit-statistics table, files found)."""
    text, stats, found = None, None, []
    for path in FIT_REPORT_FILES:
        if path.exists():
            text = path.read_text(encoding="utf-8", errors="replace")[:MAX_REPORT_BYTES]
            found.append(path)
            break
    for path in FIT_STAT_FILES:
        if path.exists():
            stats = pd.read_csv(path)
            found.append(path)
            break
    return text, stats, found
