"""SALib analysis per output and per year, plus the convergence check.

Result schema (tidy, one row per index value)::

    method, output, year, factor, factor2, index, value, conf, n

``year`` is NA for scalar summary outputs; ``factor`` is a factor or group
name; ``factor2`` is set only for second-order (S2) pairs; ``conf`` is the
half-width of the bootstrap confidence interval (NaN where the method has
none: Morris mu/sigma, PAWN); ``n`` is the N the value was computed with.

Cost control: Sobol' second-order indices cost ~D² bootstraps, so they are
computed only for the *report years* (and scalar outputs); every other year
gets S1/ST from the first-order rows (A, AB_j, B) of the same design, as
SALib's ``calc_second_order=False`` analysis of those rows.

Sobol' runs through the vectorised estimator in :mod:`.saltelli` (all
outputs × years at once; equal to SALib's ``sobol.analyze`` to ~1e-12, same
bootstrap resamples); ``AnalysisSettings(sobol_backend="salib")`` calls SALib
per output-year instead (the reference, used by the tests).  The other
methods call SALib's analysers, one output-year per task, in a process pool
when the work is large.
"""

from __future__ import annotations

import contextlib
import io
import math
import multiprocessing as mp
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .sampling import MethodOptions, n_groups, nested_sizes, prefix_rows

COLUMNS = ["method", "output", "year", "factor", "factor2", "index", "value", "conf", "n"]

# The index used to rank factors and judge convergence, per method.
HEADLINE = {"sobol": "ST", "fast": "S1", "morris": "mu_star", "pawn": "median", "delta": "delta"}

CONVERGENCE_TOL = 0.05  # absolute, on indices normalised to [0, 1]
CONVERGENCE_TOP_K = 5
POOL_MIN_WORK = 5_000_000  # output values × factors; below this analysis runs in-process
SOBOL_BACKENDS = ("numpy", "salib")


@dataclass(frozen=True)
class AnalysisSettings:
    num_resamples: int = 100
    conf_level: float = 0.95
    seed: int = 1  # must be non-zero: SALib's sobol/pawn ignore a falsy seed (=> random CIs)
    workers: int = 1
    sobol_backend: str = "numpy"  # "numpy": vectorised (.saltelli); "salib": per output-year

    def __post_init__(self) -> None:
        if self.sobol_backend not in SOBOL_BACKENDS:
            raise ValueError(f"sobol_backend must be one of {SOBOL_BACKENDS}; got {self.sobol_backend!r}.")


def unit_names(problem: dict) -> list[str]:
    """Factor names, or group names in first-appearance order (SALib's order)."""
    groups = problem.get("groups")
    return list(dict.fromkeys(groups)) if groups else list(problem["names"])


def sobol_first_order_rows(n_rows: int, d: int) -> np.ndarray:
    """Rows of a second-order Saltelli design that form the first-order design (A, AB_j, B)."""
    block = 2 * d + 2
    within = np.r_[0:d + 1, block - 1]
    return (np.arange(n_rows // block)[:, None] * block + within[None, :]).ravel()


def _quiet():
    """SALib (delta, pawn) prints notices and warns on degenerate outputs; keep logs clean."""
    stack = contextlib.ExitStack()
    # record=True swallows warnings even when an analyser resets the filters itself
    # (SALib's delta calls warnings.simplefilter("once") and replaces formatwarning globally).
    stack.enter_context(warnings.catch_warnings(record=True))
    warnings.simplefilter("ignore")
    fmt = warnings.formatwarning
    stack.callback(setattr, warnings, "formatwarning", fmt)
    stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
    stack.enter_context(np.errstate(all="ignore"))
    return stack


def analyse_vector(method: str, problem: dict, X: np.ndarray, y: np.ndarray,
                   options: MethodOptions, settings: AnalysisSettings,
                   second_order: bool) -> list[tuple[str, str | None, str, float, float]]:
    """Run one SALib analyser on one output vector -> [(factor, factor2, index, value, conf)]."""
    names = unit_names(problem)
    out: list[tuple[str, str | None, str, float, float]] = []
    nan = float("nan")
    r, cl, seed = settings.num_resamples, settings.conf_level, settings.seed
    with _quiet():
        if method == "sobol":
            from SALib.analyze import sobol

            if options.calc_second_order and not second_order:
                y = y[sobol_first_order_rows(len(y), n_groups(problem))]
            s2 = options.calc_second_order and second_order
            Si = sobol.analyze(problem, y, calc_second_order=s2, num_resamples=r,
                               conf_level=cl, seed=seed)
            for key in ("S1", "ST"):
                out += [(nm, None, key, float(v), float(c))
                        for nm, v, c in zip(names, Si[key], Si[f"{key}_conf"])]
            if s2:
                for i in range(len(names)):
                    for j in range(i + 1, len(names)):
                        out.append((names[i], names[j], "S2", float(Si["S2"][i, j]),
                                    float(Si["S2_conf"][i, j])))
        elif method == "fast":
            from SALib.analyze import fast

            Si = fast.analyze(problem, y, M=options.M, num_resamples=r, conf_level=cl, seed=seed)
            for key in ("S1", "ST"):
                out += [(nm, None, key, float(v), float(c))
                        for nm, v, c in zip(names, Si[key], Si[f"{key}_conf"])]
        elif method == "morris":
            from SALib.analyze import morris

            Si = morris.analyze(problem, X, y, num_resamples=r, conf_level=cl,
                                num_levels=options.num_levels, seed=seed)
            names = [str(n) for n in Si["names"]]
            out += [(nm, None, "mu_star", float(v), float(c))
                    for nm, v, c in zip(names, Si["mu_star"], Si["mu_star_conf"])]
            out += [(nm, None, "mu", float(v), nan) for nm, v in zip(names, Si["mu"])]
            out += [(nm, None, "sigma", float(v), nan) for nm, v in zip(names, Si["sigma"])]
        elif method == "pawn":
            from SALib.analyze import pawn

            Si = pawn.analyze(problem, X, y, S=10, seed=seed)
            names = [str(n) for n in Si["names"]]
            for key in ("median", "mean", "minimum", "maximum", "CV"):
                out += [(nm, None, key, float(v), nan) for nm, v in zip(names, Si[key])]
        elif method == "delta":
            from SALib.analyze import delta

            Si = delta.analyze(problem, X, y, num_resamples=r, conf_level=cl, seed=seed,
                               method="all")
            out += [(nm, None, "delta", float(v), float(c))
                    for nm, v, c in zip(names, Si["delta_raw"], Si["delta_raw_conf"])]
            out += [(nm, None, "S1", float(v), float(c))
                    for nm, v, c in zip(names, Si["S1"], Si["S1_conf"])]
        else:  # pragma: no cover
            raise ValueError(method)
    return out


# --------------------------------------------------------------------------- task plumbing
# A task is one output column (of Y reshaped to rows × outputs·years) analysed on the
# leading ``rows`` rows.  SALib tasks run in worker processes that receive the (large)
# design matrix once through the pool initializer, not once per task.

_STATE: dict[str, Any] = {}
CONSTANT = "constant"
Result = tuple[list[tuple[str, str | None, str, float, float]], str | None]  # (values, error)


def _init_state(method, problem, X, options, settings):
    _STATE.update(method=method, problem=problem, X=X, options=options, settings=settings)


@dataclass(frozen=True)
class Task:
    output: str
    year: int | None
    second_order: bool
    n: int  # N the vector corresponds to (prefix size for convergence)
    rows: int  # leading rows of X / y to use


def _failure(task: Task, why: str) -> str:
    yr = "" if task.year is None else f" year {task.year}"
    return f"analysis of {task.output}{yr} (N={task.n}) failed: {why}"


def _screen(y: np.ndarray) -> str | None:
    """CONSTANT for an output with no variation across runs, a reason if unusable, else None."""
    finite = bool(np.all(np.isfinite(y)))
    if finite and np.ptp(y) == 0:
        # No variation across runs (e.g. years before a policy can act): there is no
        # sensitivity to apportion, and most estimators would divide by zero.
        return CONSTANT
    return None if finite else "output has NaN/inf values"


def _run_task(task: Task, y: np.ndarray) -> Result:
    m, p, X = _STATE["method"], _STATE["problem"], _STATE["X"]
    Xs = X[: task.rows] if X is not None else None
    why = _screen(y)
    if why is not None:
        return [], why if why == CONSTANT else _failure(task, why)
    try:
        return analyse_vector(m, p, Xs, y, _STATE["options"], _STATE["settings"], task.second_order), None
    except Exception as exc:  # noqa: BLE001 - one bad output must not sink the whole job
        return [], _failure(task, str(exc))


def _year_ranges(years: list) -> str:
    """[1990, 1991, 1992, 2000] -> '1990–1992, 2000' (None -> 'the summary')."""
    ys = sorted(y for y in years if y is not None)
    if not ys:
        return "the summary"
    parts, start, prev = [], ys[0], ys[0]
    for y in ys[1:] + [None]:
        if y is not None and y == prev + 1:
            prev = y
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if y is not None:
            start = prev = y
    return ", ".join(parts)


def _star(args):
    return _run_task(*args)


def _salib_results(method: str, problem: dict, X: np.ndarray, Y2: np.ndarray,
                   options: MethodOptions, settings: AnalysisSettings,
                   jobs: Sequence[tuple[Task, int]]) -> list[Result]:
    """One SALib call per task (in a spawn pool if settings.workers > 1 and the work is large)."""
    need_x = method in ("morris", "pawn", "delta")
    x_arg = X if need_x else None
    vectors = [(t, np.ascontiguousarray(Y2[:t.rows, c])) for t, c in jobs]
    # A spawned pool costs ~3 s (imports SALib/scipy per worker): only worth it for big analyses.
    work = sum(t.rows for t, _ in jobs) * (len(problem["names"]) if method == "sobol" else 1)
    if settings.workers > 1 and len(jobs) > 2 * settings.workers and work >= POOL_MIN_WORK:
        with ProcessPoolExecutor(settings.workers, mp_context=mp.get_context("spawn"),
                                 initializer=_init_state,
                                 initargs=(method, problem, x_arg, options, settings)) as pool:
            return list(pool.map(_star, vectors, chunksize=max(1, len(jobs) // (8 * settings.workers))))
    _init_state(method, problem, x_arg, options, settings)
    return [_run_task(t, y) for t, y in vectors]


def _sobol_results(problem: dict, Y2: np.ndarray, options: MethodOptions,
                   settings: AnalysisSettings, jobs: Sequence[tuple[Task, int]]) -> list[Result]:
    """All Sobol' tasks through the vectorised estimator, grouped by (rows, second order)."""
    from .saltelli import sobol_analyze

    names = unit_names(problem)
    d = len(names)
    results: list[Result | None] = [None] * len(jobs)
    groups: dict[tuple[int, bool], list[int]] = {}
    screens: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for i, (task, col) in enumerate(jobs):
        if task.rows not in screens:  # per prefix: which columns are finite / vary at all
            head = Y2[:task.rows]
            screens[task.rows] = (np.isfinite(head).all(axis=0), np.ptp(head, axis=0))
        finite, ptp = screens[task.rows]
        if not finite[col]:
            results[i] = ([], _failure(task, "output has NaN/inf values"))
        elif ptp[col] == 0:
            results[i] = ([], CONSTANT)
        else:
            s2 = options.calc_second_order and task.second_order
            groups.setdefault((task.rows, s2), []).append(i)
    pairs = [(a, b) for a in range(d) for b in range(a + 1, d)]
    for (rows, s2), members in groups.items():
        sel = None
        if options.calc_second_order and not s2:
            sel = sobol_first_order_rows(rows, d)
        elif rows != Y2.shape[0]:
            sel = np.arange(rows)
        cols = np.array([jobs[i][1] for i in members])
        try:
            res = sobol_analyze(Y2, d, s2, settings.num_resamples, settings.conf_level,
                                settings.seed, rows=sel, columns=cols)
        except Exception as exc:  # noqa: BLE001 - report per task, like the SALib path
            for i in members:
                results[i] = ([], _failure(jobs[i][0], str(exc)))
            continue
        for k, i in enumerate(members):
            vals = [(nm, None, key, float(v), float(c)) for key in ("S1", "ST")
                    for nm, v, c in zip(names, getattr(res, key)[:, k], getattr(res, key + "_conf")[:, k])]
            if s2:
                vals += [(names[a], names[b], "S2", float(res.S2[a, b, k]), float(res.S2_conf[a, b, k]))
                         for a, b in pairs]
            results[i] = (vals, None)
    return results  # type: ignore[return-value]


def run_tasks(method: str, problem: dict, X: np.ndarray, Y2: np.ndarray, options: MethodOptions,
              settings: AnalysisSettings, jobs: Sequence[tuple[Task, int]],
              report_constant: bool = True) -> tuple[pd.DataFrame, list[str]]:
    """Run analysis tasks ``(task, column of Y2)``; rows come out in task order (deterministic)."""
    if method == "sobol" and settings.sobol_backend == "numpy":
        results = _sobol_results(problem, Y2, options, settings, jobs)
    else:
        results = _salib_results(method, problem, X, Y2, options, settings, jobs)
    records = [(t.output, t.year, f, f2, k, v, c, t.n)
               for (t, _), (vals, _) in zip(jobs, results) for f, f2, k, v, c in vals]
    errors = [e for _, e in results if e and e != CONSTANT]
    constant: dict[str, list] = {}
    for (task, _), (_, e) in zip(jobs, results):
        if e == CONSTANT and report_constant:
            constant.setdefault(task.output, []).append(task.year)
    for out, yrs in constant.items():
        where = "" if all(y is None for y in yrs) else f" in {_year_ranges(yrs)}"
        errors.append(f"{out} does not vary across runs{where}: no indices there.")
    cols = [c for c in COLUMNS if c != "method"]
    df = pd.DataFrame.from_records(records, columns=cols) if records else pd.DataFrame(columns=cols)
    df.insert(0, "method", method)
    df["year"] = df["year"].astype("Int64")
    df["n"] = df["n"].astype("int64")
    return df, errors


def _as_columns(Y: np.ndarray) -> np.ndarray:
    """(rows, outputs, years) -> (rows, outputs·years) view; column of (o, yi) is o·years + yi."""
    return Y.reshape(Y.shape[0], -1)


def analyse_job(method: str, problem: dict, X: np.ndarray, Y: np.ndarray, n: int,
                outputs: Sequence[str], years: Sequence[int], scalar_mask: Sequence[bool],
                report_years: Sequence[int], options: MethodOptions,
                settings: AnalysisSettings, analysis_years: Sequence[int] | None = None
                ) -> tuple[pd.DataFrame, list[str]]:
    """Indices for every output × year (scalar outputs once, year = NA).

    ``analysis_years`` restricts the per-year analysis (None = all ``years``).
    """
    jobs = []
    rows, n_years = X.shape[0], Y.shape[2]
    for o, label in enumerate(outputs):
        if scalar_mask[o]:
            jobs.append((Task(label, None, True, n, rows), o * n_years))
            continue
        for yi, year in enumerate(years):
            if analysis_years is not None and year not in analysis_years:
                continue
            jobs.append((Task(label, int(year), year in report_years, n, rows), o * n_years + yi))
    return run_tasks(method, problem, X, _as_columns(Y), options, settings, jobs)


# --------------------------------------------------------------------------- convergence


def convergence_check(method: str, problem: dict, X: np.ndarray, Y: np.ndarray, n: int,
                      outputs: Sequence[str], years: Sequence[int], scalar_mask: Sequence[bool],
                      check_years: Sequence[int], full: pd.DataFrame, options: MethodOptions,
                      settings: AnalysisSettings, tol: float = CONVERGENCE_TOL,
                      top_k: int = CONVERGENCE_TOP_K
                      ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Re-analyse nested sub-samples (N/8, N/4, N/2) and judge whether the top indices settled.

    Criterion (stated in warnings and the README): for every checked output
    and year, take the ``top_k`` factors by the headline index at full N; the
    indices have *settled* when each of them moved by at most ``tol`` between
    N/2 and N.  Indices are on [0, 1] except Morris mu*, which is divided by
    the largest mu* at full N first.  Returns (detail, verdicts, warnings).
    """
    key = HEADLINE[method]
    sizes = nested_sizes(method, n)
    verdict_cols = ["output", "year", "n_half", "n", "max_change", "tolerance", "settled", "worst_factor"]
    detail_full = full[(full["index"] == key) & full["factor2"].isna()].copy()
    if len(sizes) < 2:
        why = ("FAST designs are not nested, so sub-samples are not valid designs"
               if method == "fast" else f"N={n} is too small to form sub-samples")
        return detail_full, pd.DataFrame(columns=verdict_cols), [f"convergence not checked: {why}."]
    targets: list[tuple[int, str, int | None, int]] = []  # (o, label, year, year index)
    for o, label in enumerate(outputs):
        if scalar_mask[o]:
            targets.append((o, label, None, 0))
        else:
            targets += [(o, label, int(y), years.index(y)) for y in check_years if y in years]
    jobs = []
    for n_sub in sizes[:-1]:
        rows = prefix_rows(method, n_sub, problem, options)
        jobs += [(Task(label, year, False, n_sub, rows), o * Y.shape[2] + yi)
                 for o, label, year, yi in targets]
    sub, errors = run_tasks(method, problem, X, _as_columns(Y), options, settings, jobs,
                            report_constant=False)
    sub = sub[sub["index"] == key]
    detail = pd.concat([sub, detail_full], ignore_index=True)
    wanted = {(t[1], t[2]) for t in targets}
    keep = [(o, None if pd.isna(y) else int(y)) in wanted
            for o, y in zip(detail["output"], detail["year"])]
    # a boolean mask, also when empty (detail[[]] would select no *columns*: KeyError 'output'
    # for a job whose outputs do not vary at all)
    detail = detail[np.asarray(keep, dtype=bool)] if len(detail) else detail
    verdicts, warns = [], list(errors)
    n_half = sizes[-2]
    for _, label, year, _ in targets:
        sel = (detail["output"] == label) & (detail["year"].isna() if year is None
                                             else detail["year"] == year)
        d = detail[sel]
        at_n = d[d["n"] == n].set_index("factor")["value"].dropna()
        at_half = d[d["n"] == n_half].set_index("factor")["value"]
        if at_n.empty:
            continue
        scale = float(at_n.abs().max()) if method == "morris" else 1.0
        scale = scale if scale > 0 and math.isfinite(scale) else 1.0
        top = at_n.sort_values(ascending=False).index[:top_k]
        changes = (at_n[top] - at_half.reindex(top)).abs() / scale
        max_change = float(changes.max()) if changes.notna().any() else float("nan")
        worst = str(changes.idxmax()) if changes.notna().any() else ""
        settled = bool(max_change <= tol)
        verdicts.append({"output": label, "year": year, "n_half": n_half, "n": n,
                         "max_change": max_change, "tolerance": tol, "settled": settled,
                         "worst_factor": worst})
        if not settled:
            where = label if year is None else f"{label} in {year}"
            norm = " (normalised by max mu*)" if method == "morris" else ""
            warns.append(
                f"{key} indices for {where} have not settled: {worst!r} moved by "
                f"{max_change:.3f}{norm} between N={n_half} and N={n} (criterion: each of the top "
                f"{top_k} factors moves ≤ {tol}); increase --n."
            )
    vdf = pd.DataFrame(verdicts, columns=verdict_cols)
    vdf["year"] = vdf["year"].astype("Int64")
    detail = detail.sort_values(["output", "year", "factor", "n"], na_position="first",
                                ignore_index=True)
    return detail, vdf, warns
