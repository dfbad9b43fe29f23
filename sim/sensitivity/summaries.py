"""Output specifications: which model variable, which regions, which summary.

Grammar of one ``--outputs`` item (items are comma separated; commas inside
``(...)`` or ``[...]`` do not split)::

    VAR                     per-year value; region-subscripted -> summed over all regions
    VAR[Urumqi]             one region (any subscript coordinate)
    VAR[Urumqi+Changji]     sum of the listed regions
    VAR[tns_core]           a named aggregate (JobSpec.aggregates: name -> regions)
    cum(SERIES, Y0, Y1)     Σ value·Δt over calendar years Y0..Y1 inclusive (e.g. cumulative CO2)
    mean|max|min(SERIES[, Y0, Y1])
    first_below(SERIES, THRESHOLD[, SENTINEL])   first saved time with value < THRESHOLD
    first_above(SERIES, THRESHOLD[, SENTINEL])   first saved time with value > THRESHOLD

``SERIES`` is any of the first four forms.  Summaries are *scalar* outputs:
one number per run.  In the (run, output, year) output array they are
broadcast to every year column so a single array shape serves all outputs;
the analysis treats them once, with year = NA.

``first_*`` returns the sentinel when the threshold is never crossed; the
default sentinel is the last simulated time + 1, a finite number so variance
based methods still work (a NaN would poison every index).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .errors import SensitivityInputError, did_you_mean

SCALAR_FUNCS = {"cum", "cumulative", "mean", "max", "min", "first_below", "first_above"}
_FUNC_RE = re.compile(r"^\s*([A-Za-z_]+)\s*\((.*)\)\s*$", re.S)
_SERIES_RE = re.compile(r"^\s*([^\[\]\(\),]+?)\s*(?:\[\s*([^\[\]]+?)\s*\])?\s*$")


@dataclass(frozen=True)
class OutputSpec:
    """One analysed output; ``label`` is the canonical text used in files and reports."""

    label: str
    var: str
    select: tuple[str, ...] | None = None  # region tokens (names or aggregate names)
    func: str | None = None  # None => per-year series
    args: tuple[float, ...] = ()

    @property
    def scalar(self) -> bool:
        return self.func is not None


def split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside (), [] — so summaries can take arguments."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
            if depth < 0:
                raise SensitivityInputError(f"Unbalanced brackets in outputs {text!r}.")
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if depth:
        raise SensitivityInputError(f"Unbalanced brackets in outputs {text!r}.")
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _parse_series(text: str) -> tuple[str, tuple[str, ...] | None]:
    m = _SERIES_RE.match(text)
    if not m:
        raise SensitivityInputError(
            f"Cannot parse output {text!r}: expected VAR or VAR[region] (regions joined by '+')."
        )
    var, sel = m.group(1), m.group(2)
    tokens = None
    if sel is not None:
        tokens = tuple(t.strip() for t in sel.split("+"))
        if any(not t for t in tokens):
            raise SensitivityInputError(f"Empty region name in output {text!r}.")
    return var, tokens


def _series_label(var: str, select: tuple[str, ...] | None) -> str:
    return var if select is None else f"{var}[{'+'.join(select)}]"


def _num(tok: str, what: str, item: str) -> float:
    try:
        return float(tok)
    except ValueError:
        raise SensitivityInputError(f"{what} in {item!r} must be a number (got {tok!r}).") from None


def parse_output(item: str) -> OutputSpec:
    """Parse one output item (see module docstring)."""
    m = _FUNC_RE.match(item)
    if not m:
        var, sel = _parse_series(item)
        return OutputSpec(label=_series_label(var, sel), var=var, select=sel)
    func = m.group(1).lower()
    if func not in SCALAR_FUNCS:
        raise SensitivityInputError(
            f"Unknown summary {func!r} in {item!r}; known: {', '.join(sorted(SCALAR_FUNCS))}."
            + did_you_mean(func, SCALAR_FUNCS)
        )
    func = "cum" if func == "cumulative" else func
    args = split_top_level(m.group(2))
    if not args:
        raise SensitivityInputError(f"Summary {item!r} needs a variable as first argument.")
    var, sel = _parse_series(args[0])
    nums = tuple(_num(a, "Argument", item) for a in args[1:])
    if func == "cum" and len(nums) != 2:
        raise SensitivityInputError(f"{item!r}: write cum(VAR, FIRST_YEAR, LAST_YEAR).")
    if func in ("mean", "max", "min") and len(nums) not in (0, 2):
        raise SensitivityInputError(f"{item!r}: write {func}(VAR) or {func}(VAR, FIRST_YEAR, LAST_YEAR).")
    if func.startswith("first_") and len(nums) not in (1, 2):
        raise SensitivityInputError(f"{item!r}: write {func}(VAR, THRESHOLD[, SENTINEL]).")
    if len(nums) == 2 and func in ("cum", "mean", "max", "min") and nums[0] > nums[1]:
        raise SensitivityInputError(f"{item!r}: first year {nums[0]:g} is after last year {nums[1]:g}.")
    label = f"{func}({', '.join([_series_label(var, sel)] + [f'{x:g}' for x in nums])})"
    return OutputSpec(label=label, var=var, select=sel, func=func, args=nums)


def parse_outputs(outputs: str | Sequence[str | OutputSpec]) -> list[OutputSpec]:
    """``"a,b[x],cum(c,2020,2060)"`` or a list of items -> specs; duplicates rejected."""
    items: list[str | OutputSpec]
    if isinstance(outputs, str):
        items = list(split_top_level(outputs))
    else:
        items = []
        for o in outputs:
            items.extend([o] if isinstance(o, OutputSpec) else split_top_level(o))
    specs = [o if isinstance(o, OutputSpec) else parse_output(o) for o in items]
    if not specs:
        raise SensitivityInputError("--outputs is empty: name at least one model variable.")
    labels = [s.label for s in specs]
    dup = {x for x in labels if labels.count(x) > 1}
    if dup:
        raise SensitivityInputError(f"Output(s) listed twice: {sorted(dup)}.")
    return specs


# --------------------------------------------------------------------------- reduction


def _norm(name: str) -> str:
    return re.sub(r"[\s_]+", "_", name.strip().lower())


def find_variable(names: Sequence[str], var: str) -> str | None:
    """Exact match first, then a case/space/underscore-insensitive one (Vensim vs Python names)."""
    if var in names:
        return var
    target = _norm(var)
    for n in names:
        if _norm(n) == target:
            return n
    return None


def select_series(da, spec: OutputSpec, aggregates: Mapping[str, Sequence[str]] | None,
                  sample_dim: str, time_dim: str) -> np.ndarray:
    """Reduce an xarray DataArray (sample, time, *subscripts) to (n_sample, n_time).

    Selected regions are summed; any subscript dimension not selected on is
    summed too ("VAR" means the whole-belt total).
    """
    extra = [d for d in da.dims if d not in (sample_dim, time_dim)]
    if spec.select is not None:
        regions: list[str] = []
        agg_ci = {k.lower(): v for k, v in (aggregates or {}).items()}
        for tok in spec.select:
            if aggregates and tok in aggregates:
                regions.extend(str(r) for r in aggregates[tok])
            elif tok.lower() in agg_ci:  # "core" finds the model's "Core" subrange
                regions.extend(str(r) for r in agg_ci[tok.lower()])
            else:
                regions.append(tok)
        by_dim: dict[str, list] = {}
        for reg in regions:
            hit = None
            for d in extra:
                vals = [str(v) for v in da[d].values] if d in da.coords else []
                low = [v.lower() for v in vals]
                if reg in vals or reg.lower() in low:  # exact first, then case-insensitive
                    i = vals.index(reg) if reg in vals else low.index(reg.lower())
                    hit = (d, da[d].values[i])
                    break
            if hit is None:
                known = [str(v) for d in extra if d in da.coords for v in da[d].values]
                if not extra:
                    raise SensitivityInputError(
                        f"Output {spec.label!r}: {spec.var!r} has no subscripts, so [{reg}] cannot "
                        "be selected; drop the brackets."
                    )
                names = known + list(aggregates or {})
                raise SensitivityInputError(
                    f"Output {spec.label!r}: unknown region or aggregate {reg!r}."
                    + did_you_mean(reg, names)
                )
            by_dim.setdefault(hit[0], []).append(hit[1])
        for d, vals in by_dim.items():
            da = da.sel({d: vals}).sum(d)
        extra = [d for d in extra if d not in by_dim]
    if extra:
        da = da.sum(extra)
    return np.asarray(da.transpose(sample_dim, time_dim).values, dtype=np.float64)


def year_indices(time: np.ndarray, years: Sequence[int]) -> np.ndarray:
    """Index of each requested year on the saved time axis (exact match within 1e-6)."""
    idx = []
    for y in years:
        hits = np.flatnonzero(np.abs(time - y) < 1e-6)
        if hits.size == 0:
            raise SensitivityInputError(
                f"Year {y} is not on the model's saved time axis "
                f"({time[0]:g}–{time[-1]:g}); pick years inside the run."
            )
        idx.append(int(hits[0]))
    return np.asarray(idx, dtype=np.intp)


def integer_years(time: np.ndarray) -> list[int]:
    """All whole years on the saved time axis (what --every-year means)."""
    return [int(round(t)) for t in time if abs(t - round(t)) < 1e-6]


def reduce_series(spec: OutputSpec, series: np.ndarray, time: np.ndarray,
                  years: Sequence[int]) -> np.ndarray:
    """(n, n_time) series -> (n, n_years) values (scalars broadcast over the year columns)."""
    n = series.shape[0]
    if spec.func is None:
        return series[:, year_indices(time, years)]
    if spec.func in ("cum", "mean", "max", "min"):
        if spec.args:
            y0, y1 = spec.args
            mask = (time >= y0 - 1e-9) & (time < y1 + 1 - 1e-9)  # calendar years y0..y1 inclusive
        else:
            mask = np.ones(time.shape, dtype=bool)
        if not mask.any():
            raise SensitivityInputError(
                f"Output {spec.label!r}: no saved times between {spec.args[0]:g} and "
                f"{spec.args[1]:g} (run covers {time[0]:g}–{time[-1]:g})."
            )
        window = series[:, mask]
        if spec.func == "cum":
            # Δt is the saving interval: annual values × 1 yr, quarterly × 0.25 yr, ...
            dt = float(np.median(np.diff(time))) if time.size > 1 else 1.0
            val = window.sum(axis=1) * dt
        elif spec.func == "mean":
            val = window.mean(axis=1)
        elif spec.func == "max":
            val = window.max(axis=1)
        else:
            val = window.min(axis=1)
    else:  # first_below / first_above
        thr = spec.args[0]
        sentinel = spec.args[1] if len(spec.args) > 1 else float(time[-1]) + 1.0
        crossed = series < thr if spec.func == "first_below" else series > thr
        any_cross = crossed.any(axis=1)
        first = np.argmax(crossed, axis=1)
        val = np.where(any_cross, time[first], sentinel)
    return np.repeat(np.asarray(val, dtype=np.float64)[:, None], len(years), axis=1).reshape(n, len(years))
