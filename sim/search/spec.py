"""Search spec files: objectives, red lines, constraints and optimiser settings (TOML).

Example (``search/example_spec.toml``)::

    [search]
    title = "GDP vs water use, red lines kept 2025-2060"
    geography = "belt"                  # belt, core, xinjiang or one region
    levers = "all"                      # or a list of lever names / ids (L1, W3, ...)
    fixed = { policy_start_year = 2025 }  # levers held at a value (not searched)

    [[objective]]
    indicator = "gdp"                   # key of sim.indicators.ALL_INDICATORS
    year = 2035
    sense = "max"                       # "max" or "min"

    [red_lines]
    keep = "all"                        # or a list: farmland_floor, water_cap, groundwater, ecological
    from = 2025
    to = 2060

    [[constraint]]                      # optional: indicator bounds
    indicator = "overdraft"
    year = 2035
    max = 0.0

    [optimiser]
    pop_size = 48
    generations = 30
    seed = 1

Every error names the file, line, field and the allowed values; TOML is parsed, never executed.
"""
from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .. import indicators, levers as levers_mod, redlines
from ..errors import OasisError, UnknownNameError
from ..geography import regions_of
from ..io import read_text_file
from ..scenarios import _line_of
from .evaluate import RED_LINE_ALIASES, Metric, red_line_flag

MAX_SPEC_BYTES = 64 * 1024
FIRST_YEAR, LAST_YEAR = 1990, 2060  # model run span [year]


class SpecError(OasisError, ValueError):
    """A malformed search spec (message carries file:line and field)."""


class InfeasibleError(OasisError):
    """No lever setting in the search satisfied every constraint."""


@dataclass(frozen=True)
class Objective:
    metric: Metric
    sense: str  # "max" | "min"

    @property
    def sign(self) -> float:
        """+1 for min, -1 for max: pymoo minimises ``sign * value``."""
        return -1.0 if self.sense == "max" else 1.0


@dataclass(frozen=True)
class Constraint:
    """``low <= metric <= high`` (either side may be open)."""

    metric: Metric
    low: float | None = None
    high: float | None = None

    def describe(self) -> str:
        u = self.metric.units()
        parts = []
        if self.low is not None:
            parts.append(f"≥ {self.low:g}")
        if self.high is not None:
            parts.append(f"≤ {self.high:g}")
        return f"{self.metric.indicator} {self.metric.year} {' and '.join(parts)} {u}"


@dataclass
class SearchSpec:
    title: str
    geography: str
    levers: list[str]  # lever constants searched
    fixed: dict[str, float]
    objectives: list[Objective]
    red_lines: list[str]  # model flags
    window: tuple[int, int]
    constraints: list[Constraint] = field(default_factory=list)
    pop_size: int = 48
    generations: int = 30
    seed: int = 1
    source: str = "<spec>"


_TOP = {"search", "objective", "red_lines", "constraint", "optimiser"}


def _loc(where: str, text: str, key: str) -> str:
    line = _line_of(text, key)
    return f"{where}:{line}" if line else where


def _int(value, name: str, loc: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not (low <= value <= high):
        raise SpecError(f"{loc}: '{name}' must be a whole number in [{low}, {high}], got {value!r}")
    return value


def _num(value, name: str, loc: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
        raise SpecError(f"{loc}: '{name}' must be a finite number, got {value!r}")
    return float(value)


def _check_keys(table: dict, allowed: set[str], where: str, text: str, what: str) -> None:
    for key in table:
        if key not in allowed:
            raise UnknownNameError(f"field of {what}", key, sorted(allowed), where=_loc(where, text, key))


def _metric(entry: dict, where: str, text: str, geography: str, what: str) -> Metric:
    if "indicator" not in entry:
        raise SpecError(f"{where}: {what} needs 'indicator' (one of {', '.join(indicators.ALL_INDICATORS)})")
    key = entry["indicator"]
    if not isinstance(key, str) or key not in indicators.ALL_INDICATORS:
        raise UnknownNameError("indicator", str(key), indicators.ALL_INDICATORS, where=_loc(where, text, str(key)))
    if "year" not in entry:
        raise SpecError(f"{_loc(where, text, key)}: {what} '{key}' needs 'year' in [{FIRST_YEAR}, {LAST_YEAR}]")
    year = _int(entry["year"], "year", _loc(where, text, "year"), FIRST_YEAR, LAST_YEAR)
    geo = entry.get("geography", geography)
    regions_of(geo)
    return Metric(key, year, geo)


def parse_spec(text: str, where: str = "<spec>") -> SearchSpec:
    """Parse and validate a search spec document (see module docstring)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{where}: not valid TOML ({exc})") from None
    _check_keys(data, _TOP, where, text, "a search spec")
    search = data.get("search", {})
    _check_keys(search, {"title", "geography", "levers", "fixed"}, where, text, "[search]")
    geography = search.get("geography", "belt")
    try:
        regions_of(geography)
    except UnknownNameError as exc:
        raise SpecError(f"{_loc(where, text, 'geography')}: {exc}") from None

    # levers searched and fixed
    all_levers = levers_mod.levers()
    fixed: dict[str, float] = {}
    for key, value in (search.get("fixed") or {}).items():
        loc = _loc(where, text, key)
        lv = levers_mod.lever_or_error(key, where=loc)
        fixed[lv.name] = lv.validate(value, where=loc)
    chosen = search.get("levers", "all")
    if chosen == "all":
        names = [lv.name for lv in all_levers]
    elif isinstance(chosen, list) and all(isinstance(c, str) for c in chosen):
        names = [levers_mod.lever_or_error(c, where=_loc(where, text, c)).name for c in chosen]
    else:
        raise SpecError(f"{_loc(where, text, 'levers')}: 'levers' must be \"all\" or a list of lever names")
    names = [n for n in dict.fromkeys(names) if n not in fixed]
    if not names:
        raise SpecError(f"{_loc(where, text, 'levers')}: no lever left to search (all are fixed)")

    # objectives
    objs = data.get("objective", [])
    if not isinstance(objs, list) or not objs:
        raise SpecError(f"{where}: no objective: add at least one [[objective]] table with indicator, year "
                        "and sense = \"max\" | \"min\"")
    objectives = []
    for entry in objs:
        _check_keys(entry, {"indicator", "year", "sense", "geography"}, where, text, "[[objective]]")
        metric = _metric(entry, where, text, geography, "objective")
        sense = entry.get("sense")
        if sense not in ("max", "min"):
            raise SpecError(f"{_loc(where, text, 'sense')}: objective '{metric.indicator}': 'sense' must be "
                            f"\"max\" or \"min\", got {sense!r}")
        objectives.append(Objective(metric, sense))
    if len({o.metric for o in objectives}) != len(objectives):
        raise SpecError(f"{where}: the same indicator and year is given twice as an objective")

    # red lines
    rl = data.get("red_lines", {})
    _check_keys(rl, {"keep", "from", "to"}, where, text, "[red_lines]")
    keep = rl.get("keep", [])
    if keep == "all":
        flags = list(redlines.FLAGS)
    elif isinstance(keep, list):
        flags = []
        for name in keep:
            try:
                flags.append(red_line_flag(str(name)))
            except UnknownNameError as exc:
                raise SpecError(f"{_loc(where, text, str(name))}: {exc}") from None
    else:
        raise SpecError(f"{_loc(where, text, 'keep')}: 'keep' must be \"all\" or a list of red lines "
                        f"({', '.join(RED_LINE_ALIASES)})")
    lo = _int(rl.get("from", 2025), "from", _loc(where, text, "from"), FIRST_YEAR, LAST_YEAR)
    hi = _int(rl.get("to", LAST_YEAR), "to", _loc(where, text, "to"), FIRST_YEAR, LAST_YEAR)
    if lo > hi:
        raise SpecError(f"{_loc(where, text, 'from')}: red-line window from {lo} to {hi} is empty")

    # constraints
    constraints = []
    for entry in data.get("constraint", []):
        _check_keys(entry, {"indicator", "year", "min", "max", "geography"}, where, text, "[[constraint]]")
        metric = _metric(entry, where, text, geography, "constraint")
        loc = _loc(where, text, metric.indicator)
        low = _num(entry["min"], "min", loc) if "min" in entry else None
        high = _num(entry["max"], "max", loc) if "max" in entry else None
        if low is None and high is None:
            raise SpecError(f"{loc}: constraint on '{metric.indicator}' needs 'min' and/or 'max'")
        if low is not None and high is not None and low > high:
            raise InfeasibleError(f"{loc}: constraint on '{metric.indicator}' {metric.year} is infeasible: "
                                  f"min {low:g} > max {high:g}")
        constraints.append(Constraint(metric, low, high))

    opt = data.get("optimiser", {})
    _check_keys(opt, {"pop_size", "generations", "seed", "algorithm"}, where, text, "[optimiser]")
    if opt.get("algorithm", "nsga2") != "nsga2":
        raise SpecError(f"{_loc(where, text, 'algorithm')}: algorithm must be \"nsga2\"")
    return SearchSpec(
        title=str(search.get("title", Path(where).stem)), geography=geography, levers=names, fixed=fixed,
        objectives=objectives, red_lines=flags, window=(lo, hi), constraints=constraints,
        pop_size=_int(opt.get("pop_size", 48), "pop_size", _loc(where, text, "pop_size"), 4, 10000),
        generations=_int(opt.get("generations", 30), "generations", _loc(where, text, "generations"), 1, 10000),
        seed=_int(opt.get("seed", 1), "seed", _loc(where, text, "seed"), 0, 2**31 - 1), source=where)


def load_spec(path: str | Path) -> SearchSpec:
    """Read and validate a search spec file."""
    return parse_spec(read_text_file(path, what="search spec", max_bytes=MAX_SPEC_BYTES, error=SpecError), str(path))
