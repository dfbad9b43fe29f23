"""Calibration targets (``calibration/targets.toml``): load, validate, pair with the observations.

A target compares one historical series (``calibration/data/series.csv``) with a small declarative
model expression::

    value = scale * (sum(variable) - sum(subtract)) / sum(per)

where every sum runs over the model regions of a geography (scalar variables are taken as they
are). No strings are evaluated. Every problem is reported as :class:`TargetFileError` naming the
file, line and field, with the nearest valid names or the allowed values.
"""
from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import geography
from ..errors import OasisError, nearest

ERROR_MODELS = ("relative", "absolute")
TARGET_FIELDS = {"name", "series", "geography", "unit", "variable", "subtract", "per", "per_geography",
                 "scale", "regions", "years", "exclude_years", "exclude_reason", "weight", "error",
                 "sigma", "reason", "fit_note"}
EXCLUDED_FIELDS = {"series", "geographies", "reason"}
SETTINGS_DEFAULTS = {"mape_threshold_pct": 10.0, "barlas_e1_threshold": 0.05, "barlas_e2_threshold": 0.30,
                     "min_points_barlas": 4}


class TargetFileError(OasisError, ValueError):
    """A malformed targets or calibration file (the message carries file, line and field)."""


@dataclass(frozen=True)
class Target:
    """One series compared with one model expression."""

    name: str
    series: str
    geography: str
    unit: str
    variables: tuple[str, ...]
    subtract: tuple[str, ...]
    per: tuple[str, ...]
    regions: tuple[str, ...]
    per_regions: tuple[str, ...]
    scale: float
    years: tuple[int, int] | None
    exclude_years: tuple[int, ...]
    exclude_reason: str
    weight: float
    error: str
    sigma: float | None
    reason: str
    line: int
    fit_note: str = ""  # documented reason if the series misses the MAPE threshold
    observed: pd.Series = field(default=None, compare=False, repr=False)  # year -> value

    @property
    def fitted(self) -> bool:
        return self.weight > 0

    @property
    def model_variables(self) -> set[str]:
        return set(self.variables) | set(self.subtract) | set(self.per)


@dataclass(frozen=True)
class Exclusion:
    series: tuple[str, ...]
    geographies: tuple[str, ...] | None
    reason: str
    line: int


@dataclass(frozen=True)
class TargetSet:
    path: Path
    targets: tuple[Target, ...]
    excluded: tuple[Exclusion, ...]
    settings: dict

    def fitted(self) -> list[Target]:
        return [t for t in self.targets if t.fitted]

    def model_variables(self) -> list[str]:
        return sorted(set().union(*(t.model_variables for t in self.targets)))


# ------------------------------------------------------------------------------------------------
# Line lookup for TOML tables (tomllib gives no positions)
# ------------------------------------------------------------------------------------------------
class TomlLines:
    """Line numbers of ``[[array]]`` entries and their fields in a TOML text."""

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def headers(self, table: str) -> list[int]:
        pat = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
        return [i + 1 for i, line in enumerate(self.lines) if pat.match(line)]

    def single(self, table: str) -> int:
        pat = re.compile(rf"^\s*\[\s*{re.escape(table)}\s*\]")
        for i, line in enumerate(self.lines):
            if pat.match(line):
                return i + 1
        return 0

    def field(self, start: int, name: str) -> int:
        """Line of ``name = ...`` in the table starting at line ``start`` (else ``start``)."""
        pat = re.compile(rf"^\s*{re.escape(name)}\s*=")
        for j in range(start, len(self.lines)):
            line = self.lines[j]
            if j >= start and re.match(r"^\s*\[", line):
                break
            if pat.match(line):
                return j + 1
        return start


def _err(path: Path, line: int, fld: str, msg: str) -> TargetFileError:
    return TargetFileError(f"{path}:{line}: field '{fld}': {msg}")


def _names(value, path, line, fld) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _err(path, line, fld, f"expected a name or a non-empty list of names, got {value!r}")


def read_toml(path: Path) -> tuple[dict, TomlLines]:
    from ..io import read_text_file

    path = Path(path)
    text = read_text_file(path, what="TOML file", max_bytes=4 * 1024 * 1024, error=TargetFileError)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TargetFileError(f"{path}: malformed TOML: {exc}") from None
    except RecursionError:
        raise TargetFileError(f"{path}: malformed TOML: nested too deeply") from None
    return data, TomlLines(text)


def _geography_regions(geographies: pd.DataFrame, geo: str) -> tuple[str, ...] | None:
    """Model regions of a geography when geographies.csv maps it exactly, else None."""
    if geo in geography.GEOGRAPHIES:
        return tuple(geography.GEOGRAPHIES[geo])
    row = geographies[geographies["geography"] == geo]
    if row.empty or row.iloc[0]["mapping"] != "exact":
        return None
    return tuple(str(row.iloc[0]["model_regions"]).split(";"))


def load_targets(path: Path | str, *, variables: dict, series: pd.DataFrame | None = None,
                 geographies: pd.DataFrame | None = None, check_coverage: bool = True) -> TargetSet:
    """Read and validate a targets file.

    ``variables`` maps model variable names to their dims (e.g. ``CompiledModel.variables``, whose
    values have ``.dims``, or plain tuples). ``series`` / ``geographies`` default to the tables in
    ``calibration/data``. With ``check_coverage`` every (series, geography) of the data must be a
    target or excluded.
    """
    from .. import data as data_mod

    path = Path(path)
    doc, lines = read_toml(path)
    if series is None:
        series = data_mod.load_series()
    if geographies is None:
        geographies = data_mod.load_geographies()
    dims = {k: (v if isinstance(v, tuple) else tuple(getattr(v, "dims", ()))) for k, v in variables.items()}
    unknown_top = set(doc) - {"settings", "target", "excluded"}
    if unknown_top:
        name = sorted(unknown_top)[0]
        raise _err(path, 1, name, "unknown table; allowed: settings, target, excluded")
    settings = dict(SETTINGS_DEFAULTS)
    for key, value in doc.get("settings", {}).items():
        if key not in SETTINGS_DEFAULTS:
            raise _err(path, lines.field(lines.single("settings"), key), key,
                       f"unknown setting; did you mean {', '.join(nearest(key, SETTINGS_DEFAULTS)) or 'one of ' + ', '.join(SETTINGS_DEFAULTS)}?")
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise _err(path, lines.field(lines.single("settings"), key), key, f"expected a number >= 0, got {value!r}")
        settings[key] = float(value)

    known_series = sorted(series["series_id"].unique())
    pairs = {(s, g) for s, g in series[["series_id", "geography"]].itertuples(index=False)}
    units = series.groupby("series_id")["unit"].first().to_dict()
    headers = lines.headers("target")
    targets: list[Target] = []
    seen: dict[tuple[str, str], list[tuple[str, set[int]]]] = {}
    names: set[str] = set()
    for i, entry in enumerate(doc.get("target", [])):
        start = headers[i] if i < len(headers) else 1
        at = lambda f: lines.field(start, f)  # noqa: E731, B023 - used within this iteration only
        for key in entry:
            if key not in TARGET_FIELDS:
                raise _err(path, at(key), key, f"unknown field; did you mean {', '.join(nearest(key, TARGET_FIELDS)) or 'one of ' + ', '.join(sorted(TARGET_FIELDS))}?")
        for req in ("series", "geography", "unit", "variable", "reason"):
            if req not in entry:
                raise _err(path, start, req, "missing (required)")
        sid, geo = entry["series"], entry["geography"]
        if sid not in units:
            hint = nearest(sid, known_series)
            raise _err(path, at("series"), "series", f"unknown series '{sid}'" + (f"; did you mean {', '.join(hint)}?" if hint else ""))
        if (sid, geo) not in pairs:
            valid = sorted(g for s, g in pairs if s == sid)
            raise _err(path, at("geography"), "geography", f"series '{sid}' has no geography '{geo}'; it has: {', '.join(valid)}")
        if entry["unit"] != units[sid]:
            raise _err(path, at("unit"), "unit", f"series '{sid}' is in '{units[sid]}', not '{entry['unit']}'")
        var_names = {}
        for fld in ("variable", "subtract", "per"):
            var_names[fld] = _names(entry.get(fld), path, at(fld), fld)
            for v in var_names[fld]:
                if v not in dims:
                    hint = nearest(v, dims)
                    raise _err(path, at(fld), fld, f"unknown model variable '{v}'" + (f"; did you mean {', '.join(hint)}?" if hint else ""))
        subscripted = [v for v in var_names["variable"] + var_names["subtract"] + var_names["per"] if dims[v]]
        regions: tuple[str, ...] = ()
        if subscripted:
            if "regions" in entry:
                reg = entry["regions"]
                if reg not in geography.GEOGRAPHIES:
                    raise _err(path, at("regions"), "regions", f"unknown model geography '{reg}'; allowed: {', '.join(geography.GEOGRAPHIES)}")
                regions = tuple(geography.GEOGRAPHIES[reg])
            else:
                found = _geography_regions(geographies, geo)
                if found is None:
                    raise _err(path, at("geography"), "geography",
                               f"'{geo}' is not mapped exactly to model regions (geographies.csv); give 'regions' explicitly or exclude the series")
                regions = found
        per_regions = regions
        if "per_geography" in entry:
            pg = entry["per_geography"]
            if pg not in geography.GEOGRAPHIES:
                raise _err(path, at("per_geography"), "per_geography", f"unknown model geography '{pg}'; allowed: {', '.join(geography.GEOGRAPHIES)}")
            per_regions = tuple(geography.GEOGRAPHIES[pg])
        scale = entry.get("scale", 1.0)
        if not isinstance(scale, (int, float)) or isinstance(scale, bool) or not math.isfinite(scale) or scale == 0:
            raise _err(path, at("scale"), "scale", f"expected a finite non-zero number, got {scale!r}")
        weight = entry.get("weight", 1.0)
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or not (0 <= weight <= 100):
            raise _err(path, at("weight"), "weight", f"expected a number in [0, 100], got {weight!r}")
        error = entry.get("error", "relative")
        if error not in ERROR_MODELS:
            raise _err(path, at("error"), "error", f"'{error}' is not an error model; allowed: {', '.join(ERROR_MODELS)}")
        sigma = entry.get("sigma")
        if error == "absolute" and (not isinstance(sigma, (int, float)) or sigma <= 0):
            raise _err(path, at("sigma"), "sigma", "the absolute error model needs sigma > 0 (in the series unit)")
        years = entry.get("years")
        if years is not None:
            if (not isinstance(years, list) or len(years) != 2 or not all(isinstance(y, int) for y in years)
                    or years[0] > years[1]):
                raise _err(path, at("years"), "years", f"expected [first, last] whole years with first <= last, got {years!r}")
            years = (years[0], years[1])
        excl = entry.get("exclude_years", [])
        if not isinstance(excl, list) or not all(isinstance(y, int) for y in excl):
            raise _err(path, at("exclude_years"), "exclude_years", f"expected a list of whole years, got {excl!r}")
        if excl and not entry.get("exclude_reason"):
            raise _err(path, at("exclude_years"), "exclude_reason", "excluded years need a reason")
        if not str(entry["reason"]).strip():
            raise _err(path, at("reason"), "reason", "must not be empty")
        obs = data_mod.series_values(series, sid, geo)
        mask = ~obs.index.isin(excl)
        if years is not None:
            mask &= (obs.index >= years[0]) & (obs.index <= years[1])
        obs = obs[mask].astype(float)
        if obs.empty:
            raise _err(path, at("years"), "years", f"no observation of {sid}@{geo} is left after the year filter")
        if error == "relative" and (obs == 0).any():
            raise _err(path, at("error"), "error", "relative error needs non-zero observations; use 'absolute' with sigma")
        name = entry.get("name", f"{sid}@{geo}")
        if name in names:
            raise _err(path, at("name") if "name" in entry else start, "name", f"duplicate target name '{name}'")
        names.add(name)
        yrs = set(int(y) for y in obs.index)
        for other, other_years in seen.get((sid, geo), []):
            overlap = yrs & other_years
            if overlap:
                raise _err(path, at("years"), "years", f"years {sorted(overlap)} of {sid}@{geo} are already in target '{other}'")
        seen.setdefault((sid, geo), []).append((name, yrs))
        targets.append(Target(name, sid, geo, entry["unit"], var_names["variable"], var_names["subtract"],
                              var_names["per"], regions, per_regions, float(scale), years, tuple(excl),
                              entry.get("exclude_reason", ""), float(weight), error,
                              float(sigma) if sigma is not None else None, entry["reason"], start,
                              fit_note=str(entry.get("fit_note", "")), observed=obs))

    excluded: list[Exclusion] = []
    ex_headers = lines.headers("excluded")
    for i, entry in enumerate(doc.get("excluded", [])):
        start = ex_headers[i] if i < len(ex_headers) else 1
        for key in entry:
            if key not in EXCLUDED_FIELDS:
                raise _err(path, lines.field(start, key), key, f"unknown field; allowed: {', '.join(sorted(EXCLUDED_FIELDS))}")
        if not str(entry.get("reason", "")).strip():
            raise _err(path, start, "reason", "every exclusion needs a reason")
        sids = _names(entry.get("series"), path, lines.field(start, "series"), "series")
        if not sids:
            raise _err(path, start, "series", "missing (required)")
        for sid in sids:
            if sid not in units:
                hint = nearest(sid, known_series)
                raise _err(path, lines.field(start, "series"), "series",
                           f"unknown series '{sid}'" + (f"; did you mean {', '.join(hint)}?" if hint else ""))
        geos = entry.get("geographies")
        geos = _names(geos, path, lines.field(start, "geographies"), "geographies") if geos is not None else None
        excluded.append(Exclusion(sids, geos, entry["reason"], start))

    tset = TargetSet(path, tuple(targets), tuple(excluded), settings)
    if check_coverage:
        missing = uncovered(tset, pairs)
        if missing:
            shown = ", ".join(f"{s}@{g}" for s, g in missing[:8])
            raise TargetFileError(f"{path}: {len(missing)} (series, geography) pair(s) of the data are neither a target "
                                  f"nor excluded with a reason: {shown}{' …' if len(missing) > 8 else ''}")
    return tset


def uncovered(tset: TargetSet, pairs) -> list[tuple[str, str]]:
    """Data pairs that are neither targets nor excluded."""
    covered = {(t.series, t.geography) for t in tset.targets}
    out = []
    for s, g in sorted(pairs):
        if (s, g) in covered:
            continue
        if any(s in ex.series and (ex.geographies is None or g in ex.geographies) for ex in tset.excluded):
            continue
        out.append((s, g))
    return out


def restrict(tset: TargetSet, end_year: int) -> TargetSet:
    """Targets with observations up to ``end_year`` only (targets left without points drop out)."""
    kept = []
    for t in tset.targets:
        obs = t.observed[t.observed.index <= end_year]
        if not obs.empty:
            kept.append(_replace_obs(t, obs))
    return TargetSet(tset.path, tuple(kept), tset.excluded, tset.settings)


def _replace_obs(t: Target, obs: pd.Series) -> Target:
    from dataclasses import replace

    return replace(t, observed=obs)


def evaluate(target: Target, arrays: dict[str, np.ndarray], region_index: dict[str, int]) -> np.ndarray:
    """Model value of a target: arrays (sample, time[, region]) -> (sample, time); regions
    summed, ``per`` by :func:`sim.geography.ratio` (NaN where the denominator is 0)."""
    def total(names, regions):
        out = 0.0
        for v in names:
            a = arrays[v]
            if a.ndim == 3:
                a = a[:, :, [region_index[r] for r in regions]].sum(axis=2)
            out = out + a
        return out

    num = total(target.variables, target.regions)
    if target.subtract:
        num = num - total(target.subtract, target.regions)
    if target.per:
        den = total(target.per, target.per_regions)
        num = geography.ratio(num, den)  # NaN where the denominator is 0
    return target.scale * np.asarray(num, dtype=float)
