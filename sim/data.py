"""Load and validate the calibration data tables of ``calibration/data/``.

The tables are written by ``calibration/scripts/build_series.py`` (never by hand):

``series.csv``
    tidy observations, one row each: ``series_id,geography,year,value,unit,source_id,note``.
    ``year`` is an integer calendar year, ``value`` a finite float in ``unit``.
``sources.csv``
    one row per ``series_id``: unit, geographies, years, what is measured, citation, raw files,
    derivation, caveats and outliers.
``references.csv``
    one row per ``source_id`` (citation and raw file).
``geographies.csv``
    one row per geography id, with the model regions it maps to.
``anchors.csv``
    projections, targets and the base-year values of projection sources (``kind`` =
    projection / target / observation). NOT calibration data: long-run anchors (SSP envelope),
    red lines and plausibility checks. ``anchor_id,kind,geography,scenario,year,year_end,value,
    value_high,unit,source_id,period,note``.

Every loader validates what it reads and raises :class:`DataError` on the first problem; the
message names the file, the line number (1 = header), the field, what was expected and, for
unknown names, the nearest valid name (``difflib``).

Units are a closed list (:data:`UNITS`) with physical bounds (no negative areas, emissions,
population; shares within 0-100). This module holds no model knowledge: it only knows the file
format and the units.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import OasisError, nearest

__all__ = [
    "DataError",
    "Unit",
    "UNITS",
    "SERIES_COLUMNS",
    "SOURCES_COLUMNS",
    "DEFAULT_DATA_DIR",
    "load_series",
    "load_sources",
    "load_references",
    "load_geographies",
    "load_anchors",
    "ANCHOR_COLUMNS",
    "ANCHOR_KINDS",
    "series_values",
]

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1] / "calibration" / "data"

SERIES_COLUMNS = ["series_id", "geography", "year", "value", "unit", "source_id", "note"]
SOURCES_COLUMNS = [
    "series_id", "unit", "geographies", "years", "measures", "citation", "source_ids", "raw_files",
    "derivation", "caveats", "outliers",
]
REFERENCES_COLUMNS = ["source_id", "citation", "raw_files"]
GEOGRAPHIES_COLUMNS = ["geography", "description", "model_regions", "mapping"]
ANCHOR_COLUMNS = ["anchor_id", "kind", "geography", "scenario", "year", "year_end", "value", "value_high",
                  "unit", "source_id", "period", "note"]
ANCHOR_KINDS = ("observation", "projection", "target")

_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_YEAR = re.compile(r"^[0-9]{4}$")
# a plain ASCII decimal number: no digit-group underscores (``1_234.5``), no non-ASCII digits
# (``١٩٩٥``, fullwidth), no hex; ``nan``/``inf`` pass here and are refused as not finite
_NUMBER = re.compile(r"^\s*[+-]?(?:(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|nan|inf|infinity)\s*$",
                     re.IGNORECASE | re.ASCII)
YEAR_MIN, YEAR_MAX = 1800, 2100


@dataclass(frozen=True)
class Unit:
    """An allowed unit: what it means and the closed range a value in it must lie in."""

    description: str
    minimum: float = -math.inf
    maximum: float = math.inf


_NONNEG = 0.0
UNITS: dict[str, Unit] = {
    "10^4 persons": Unit("ten thousand persons", _NONNEG),
    "%": Unit("percent share, 0-100", 0.0, 100.0),
    "% per year": Unit("percent change over the preceding year (may be negative)", -100.0),
    "10^8 yuan current": Unit("hundred million yuan, current prices", _NONNEG),
    "10^8 yuan 1990 prices": Unit("hundred million yuan at constant 1990 prices", _NONNEG),
    "Mt CO2": Unit("million tonnes CO2 per year", _NONNEG),
    "10^8 kWh": Unit("hundred million kWh per year (= 100 GWh)", _NONNEG),
    "Mtce": Unit("million tonnes of coal equivalent per year", _NONNEG),
    "km2": Unit("square kilometres (area level)", _NONNEG),
    "km2 change": Unit("square kilometres, change over a period (may be negative)"),
    "km2/yr": Unit("square kilometres per year, rate of change (may be negative)"),
    "10^3 ha": Unit("thousand hectares", _NONNEG),
    "10^4 ha": Unit("ten thousand hectares", _NONNEG),
    "10^4 mu": Unit("ten thousand mu (15 mu = 1 ha)", _NONNEG),
    "10^8 m3": Unit("hundred million cubic metres (per year for flows)", _NONNEG),
    "10^4 m3": Unit("ten thousand cubic metres per year", _NONNEG),
    "m3/person": Unit("cubic metres per person per year", _NONNEG),
    "m3 per 10^4 yuan": Unit("cubic metres per ten thousand yuan of GDP", _NONNEG),
    "mm/yr": Unit("millimetres (water equivalent) per year, trend (signed)"),
    "cm/yr": Unit("centimetres (water equivalent) per year, trend (signed)"),
    "m/yr": Unit("metres per year, water-table decline rate (positive = falling)"),
    "t/yr": Unit("tonnes per year", _NONNEG),
    "10^4 t/yr": Unit("ten thousand tonnes per year", _NONNEG),
    "10^4 t": Unit("ten thousand tonnes (annual output)", _NONNEG),
    "ug/m3": Unit("micrograms per cubic metre (concentration)", _NONNEG),
    "10^4 kW": Unit("ten thousand kilowatts (installed capacity)", _NONNEG),
}


class DataError(OasisError, ValueError):
    """Invalid calibration data. Carries ``file``, ``line``, ``field`` and ``expected``.

    An :class:`~sim.errors.OasisError`: the CLI prints the message and exits 2."""

    def __init__(self, file: str | Path, line: int, field: str, expected: str, got: object = None,
                 suggestion: str | None = None) -> None:
        self.file = str(file)
        self.line = line
        self.field = field
        self.expected = expected
        self.got = got
        self.suggestion = suggestion
        msg = f"{self.file}:{line}: field '{field}': expected {expected}"
        if got is not None:
            msg += f", got {got!r}"
        if suggestion:
            msg += f" (did you mean {suggestion!r}?)"
        super().__init__(msg)


def _nearest(name: str, candidates) -> str | None:
    match = nearest(name, candidates, 1, ignore_case=False, substring=False)
    return match[0] if match else None


def _read_rows(path: Path, columns: list[str]) -> list[tuple[int, dict[str, str]]]:
    """Read a UTF-8 CSV with header ``columns``; encoding and CSV-syntax errors become DataError."""
    path = Path(path)
    reader = None
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            return _rows_of(path, reader, columns)
    except UnicodeDecodeError as exc:
        # the decoder reports a byte offset; the line is where the reader had got to
        line = (reader.line_num + 1) if reader is not None else 1
        raise DataError(path, line, "encoding", "UTF-8 text", f"byte 0x{exc.object[exc.start]:02x}") from None
    except csv.Error as exc:
        raise DataError(path, (reader.line_num if reader is not None else 0) or 1, "row",
                        "a well-formed CSV row", str(exc)) from None
    except FileNotFoundError:
        raise DataError(path, 0, "file", "an existing file (file not found)") from None
    except IsADirectoryError:
        raise DataError(path, 0, "file", "a CSV file, not a directory") from None
    except OSError as exc:
        raise DataError(path, 0, "file", "a readable CSV file", exc.strerror or str(exc)) from None


def _rows_of(path: Path, reader, columns: list[str]) -> list[tuple[int, dict[str, str]]]:
    """Check the header is exactly ``columns``; return (line number, row dict) pairs."""
    try:
        header = next(reader)
    except StopIteration:
        raise DataError(path, 1, "header", "a header line " + ",".join(columns), "") from None
    if header != columns:
        for col in columns:
            if col not in header:
                wrong = [h for h in header if h not in columns]
                raise DataError(path, 1, col, f"column '{col}' in header {','.join(columns)}",
                                wrong[0] if wrong else None, _nearest(wrong[0], columns) if wrong else None)
        for h in header:
            if h not in columns:
                raise DataError(path, 1, h, f"only the columns {','.join(columns)}", h, _nearest(h, columns))
        raise DataError(path, 1, "header", f"columns in the order {','.join(columns)}", ",".join(header))
    out = []
    for record in reader:
        line = reader.line_num
        if not record:
            continue
        if len(record) != len(columns):
            raise DataError(path, line, "row", f"{len(columns)} fields", f"{len(record)} fields")
        out.append((line, dict(zip(columns, record))))
    return out


def _check_id(path: Path, line: int, field: str, text: str) -> str:
    if not _ID.match(text):
        raise DataError(path, line, field, "a lower-case id matching [a-z][a-z0-9_]*", text)
    return text


def _check_known(path: Path, line: int, field: str, text: str, known, what: str) -> None:
    if known is not None and text not in known:
        raise DataError(path, line, field, f"a {what} listed in the catalogue", text, _nearest(text, known))


def _check_unit(path: Path, line: int, field: str, text: str) -> Unit:
    if text not in UNITS:
        raise DataError(path, line, field, "a unit from sim.data.UNITS", text, _nearest(text, UNITS))
    return UNITS[text]


def _check_unique_id(path: Path, line: int, field: str, text: str, seen: dict[str, int],
                     expected: str = "a unique id") -> str:
    """A valid id not seen on an earlier line (``seen`` maps id -> line and is updated)."""
    ident = _check_id(path, line, field, text)
    if ident in seen:
        raise DataError(path, line, field, f"{expected} (already on line {seen[ident]})", ident)
    seen[ident] = line
    return ident


def load_references(path: str | Path | None = None) -> pd.DataFrame:
    """Load ``references.csv`` (``source_id,citation,raw_files``); ids must be unique."""
    path = Path(path) if path is not None else DEFAULT_DATA_DIR / "references.csv"
    rows = _read_rows(path, REFERENCES_COLUMNS)
    seen: dict[str, int] = {}
    for line, r in rows:
        _check_unique_id(path, line, "source_id", r["source_id"], seen)
        if not r["citation"].strip():
            raise DataError(path, line, "citation", "a non-empty citation", "")
    return pd.DataFrame([r for _, r in rows], columns=REFERENCES_COLUMNS)


def load_geographies(path: str | Path | None = None) -> pd.DataFrame:
    """Load ``geographies.csv``; ``model_regions`` is a ``;``-separated list (may be empty)."""
    path = Path(path) if path is not None else DEFAULT_DATA_DIR / "geographies.csv"
    rows = _read_rows(path, GEOGRAPHIES_COLUMNS)
    seen: dict[str, int] = {}
    allowed = ("exact", "partial", "outside", "unmapped")
    for line, r in rows:
        _check_unique_id(path, line, "geography", r["geography"], seen)
        if r["mapping"] not in allowed:
            raise DataError(path, line, "mapping", "one of " + ", ".join(allowed), r["mapping"],
                            _nearest(r["mapping"], allowed))
    return pd.DataFrame([r for _, r in rows], columns=GEOGRAPHIES_COLUMNS)


def load_sources(path: str | Path | None = None, *, references_path: str | Path | None = None,
                 check_references: bool = True) -> pd.DataFrame:
    """Load ``sources.csv``: one row per ``series_id`` with its unit and provenance.

    Checks unique series ids, units from :data:`UNITS`, a non-empty citation and (unless
    ``check_references`` is false) that every listed source id is in ``references.csv``
    (default: beside ``sources.csv``).
    """
    path = Path(path) if path is not None else DEFAULT_DATA_DIR / "sources.csv"
    refs = None
    if check_references:
        rpath = Path(references_path) if references_path is not None else path.with_name("references.csv")
        refs = set(load_references(rpath)["source_id"])
    rows = _read_rows(path, SOURCES_COLUMNS)
    seen: dict[str, int] = {}
    for line, r in rows:
        _check_unique_id(path, line, "series_id", r["series_id"], seen, "one row per series_id")
        _check_unit(path, line, "unit", r["unit"])
        if not r["citation"].strip():
            raise DataError(path, line, "citation", "a non-empty citation", "")
        for s in filter(None, r["source_ids"].split(";")):
            _check_known(path, line, "source_ids", s, refs, "source_id")
    return pd.DataFrame([r for _, r in rows], columns=SOURCES_COLUMNS)


def load_series(path: str | Path | None = None, *, catalog: bool = True) -> pd.DataFrame:
    """Load and validate ``series.csv``; return a DataFrame with the columns of :data:`SERIES_COLUMNS`.

    dtypes: ``year`` int64, ``value`` float64 (in the row's ``unit``), all others str (``note`` is
    ``""`` when empty). Rows are returned in file order.

    Checks: exact header; ids ``[a-z][a-z0-9_]*``; integer year in 1800-2100; finite value; unit
    from :data:`UNITS` and within its bounds (no negative areas/emissions/population, shares
    0-100); exactly one unit per series; no duplicate ``(series_id, geography, year)``. With
    ``catalog=True`` (default) also: series ids listed in ``sources.csv`` with the same unit,
    geographies listed in ``geographies.csv``, source ids listed in ``references.csv`` - all read
    from the directory of ``path``.

    Raises :class:`DataError` naming file, line, field and the expected content.
    """
    path = Path(path) if path is not None else DEFAULT_DATA_DIR / "series.csv"
    known_series = known_geo = known_src = None
    if catalog:
        src = load_sources(path.with_name("sources.csv"), references_path=path.with_name("references.csv"))
        known_series = dict(zip(src["series_id"], src["unit"]))
        known_geo = set(load_geographies(path.with_name("geographies.csv"))["geography"])
        known_src = set(load_references(path.with_name("references.csv"))["source_id"])

    rows = _read_rows(path, SERIES_COLUMNS)
    unit_of: dict[str, tuple[str, int]] = {}
    seen: dict[tuple[str, str, int], int] = {}
    out = {c: [] for c in SERIES_COLUMNS}
    for line, r in rows:
        sid = _check_id(path, line, "series_id", r["series_id"])
        _check_known(path, line, "series_id", sid, known_series, "series_id")
        geo = _check_id(path, line, "geography", r["geography"])
        _check_known(path, line, "geography", geo, known_geo, "geography")
        ytxt = r["year"].strip()
        if not _YEAR.match(ytxt) or not YEAR_MIN <= int(ytxt) <= YEAR_MAX:
            raise DataError(path, line, "year", f"an integer year {YEAR_MIN}-{YEAR_MAX}", r["year"])
        year = int(ytxt)
        try:
            if not _NUMBER.match(r["value"]):
                raise ValueError(r["value"])
            value = float(r["value"])
        except ValueError:
            raise DataError(path, line, "value", "a number", r["value"]) from None
        if not math.isfinite(value):
            raise DataError(path, line, "value", "a finite number", r["value"])
        unit = _check_unit(path, line, "unit", r["unit"])
        if sid in unit_of and unit_of[sid][0] != r["unit"]:
            first_unit, first_line = unit_of[sid]
            raise DataError(path, line, "unit", f"'{first_unit}' (one unit per series; see line {first_line})",
                            r["unit"])
        unit_of.setdefault(sid, (r["unit"], line))
        if known_series is not None and known_series[sid] != r["unit"]:
            raise DataError(path, line, "unit", f"'{known_series[sid]}' as in sources.csv for {sid}", r["unit"])
        if not unit.minimum <= value <= unit.maximum:
            raise DataError(path, line, "value",
                            f"a value in [{unit.minimum}, {unit.maximum}] for unit '{r['unit']}'", r["value"])
        src_id = _check_id(path, line, "source_id", r["source_id"])
        _check_known(path, line, "source_id", src_id, known_src, "source_id")
        key = (sid, geo, year)
        if key in seen:
            raise DataError(path, line, "year",
                            f"one row per (series_id, geography, year); {sid}/{geo}/{year} already on line "
                            f"{seen[key]}", year)
        seen[key] = line
        for c, v in zip(SERIES_COLUMNS, (sid, geo, year, value, r["unit"], src_id, r["note"])):
            out[c].append(v)
    df = pd.DataFrame(out, columns=SERIES_COLUMNS)
    df["year"] = df["year"].astype("int64")
    df["value"] = df["value"].astype("float64")
    for c in ("series_id", "geography", "unit", "source_id", "note"):
        df[c] = df[c].astype(object)
    return df


def load_anchors(path: str | Path | None = None, *, catalog: bool = True) -> pd.DataFrame:
    """Load and validate ``anchors.csv`` (projections and targets; never calibration data).

    Checks: exact header; ids ``[a-z][a-z0-9_]*`` (``scenario`` may be empty); ``kind`` one of
    :data:`ANCHOR_KINDS`; ``year`` an integer year or empty (only for ``period`` 'long-run');
    ``year_end`` empty or an integer year >= ``year``; ``value`` a finite number, ``value_high``
    empty or a number >= ``value``; a non-empty ``unit`` (free text: anchors carry units such as
    '% vs 2015' that are not in :data:`UNITS`); with ``catalog=True`` geographies and source ids
    listed beside the file. Returns ``year``/``year_end`` as nullable ``Int64`` and
    ``value``/``value_high`` as float (NaN when empty).
    """
    path = Path(path) if path is not None else DEFAULT_DATA_DIR / "anchors.csv"
    known_geo = known_src = None
    if catalog:
        known_geo = set(load_geographies(path.with_name("geographies.csv"))["geography"])
        known_src = set(load_references(path.with_name("references.csv"))["source_id"])
    rows = _read_rows(path, ANCHOR_COLUMNS)
    out = {c: [] for c in ANCHOR_COLUMNS}

    def year_of(line: int, field: str, text: str):
        t = text.strip()
        if not t:
            return None
        if not _YEAR.match(t) or not YEAR_MIN <= int(t) <= YEAR_MAX:
            raise DataError(path, line, field, f"an integer year {YEAR_MIN}-{YEAR_MAX} or empty", text)
        return int(t)

    def number_of(line: int, field: str, text: str, required: bool):
        if not text.strip() and not required:
            return math.nan
        if not _NUMBER.match(text) or not math.isfinite(float(text)):
            raise DataError(path, line, field, "a finite number" + ("" if required else " or empty"), text)
        return float(text)

    for line, r in rows:
        _check_id(path, line, "anchor_id", r["anchor_id"])
        if r["kind"] not in ANCHOR_KINDS:
            raise DataError(path, line, "kind", "one of " + ", ".join(ANCHOR_KINDS), r["kind"],
                            _nearest(r["kind"], ANCHOR_KINDS))
        _check_id(path, line, "geography", r["geography"])
        _check_known(path, line, "geography", r["geography"], known_geo, "geography")
        if r["scenario"]:
            _check_id(path, line, "scenario", r["scenario"])
        year = year_of(line, "year", r["year"])
        if year is None and r["period"].strip() != "long-run":
            raise DataError(path, line, "year", "an integer year (empty only for period 'long-run')", r["year"])
        year_end = year_of(line, "year_end", r["year_end"])
        if year_end is not None and (year is None or year_end < year):
            raise DataError(path, line, "year_end", f"a year >= year {year}", r["year_end"])
        value = number_of(line, "value", r["value"], True)
        high = number_of(line, "value_high", r["value_high"], False)
        if not math.isnan(high) and high < value:
            raise DataError(path, line, "value_high", f"a number >= value {value}", r["value_high"])
        if not r["unit"].strip():
            raise DataError(path, line, "unit", "a non-empty unit", "")
        _check_id(path, line, "source_id", r["source_id"])
        _check_known(path, line, "source_id", r["source_id"], known_src, "source_id")
        for c, v in zip(ANCHOR_COLUMNS, (r["anchor_id"], r["kind"], r["geography"], r["scenario"], year, year_end,
                                          value, high, r["unit"], r["source_id"], r["period"], r["note"])):
            out[c].append(v)
    df = pd.DataFrame(out, columns=ANCHOR_COLUMNS)
    for c in ("year", "year_end"):
        df[c] = pd.array(df[c].tolist(), dtype="Int64")
    for c in ("value", "value_high"):
        df[c] = df[c].astype("float64")
    return df


def series_values(df: pd.DataFrame, series_id: str, geography: str) -> pd.Series:
    """Return one series as a float ``pandas.Series`` indexed by year (sorted).

    Raises ``KeyError`` naming the nearest series id / geography if there is no such series.
    """
    mask = (df["series_id"] == series_id) & (df["geography"] == geography)
    if not mask.any():
        if series_id not in set(df["series_id"]):
            hint = _nearest(series_id, set(df["series_id"]))
            raise KeyError(f"no series {series_id!r}" + (f" (did you mean {hint!r}?)" if hint else ""))
        geos = set(df.loc[df["series_id"] == series_id, "geography"])
        raise KeyError(f"series {series_id!r} has no geography {geography!r}; it has {sorted(geos)}")
    sub = df.loc[mask, ["year", "value"]].sort_values("year")
    return pd.Series(sub["value"].to_numpy(), index=pd.Index(sub["year"].to_numpy(), name="year"),
                     name=f"{series_id}@{geography}")
