"""The sensitivity job: spec -> samples -> chunked evaluation -> analysis -> report.

``run_job(JobSpec(...), progress=callback) -> JobResult`` is the one entry
point; the CLI only parses arguments into a :class:`JobSpec`
(:func:`add_arguments` / :func:`spec_from_args` keep it thin).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .analysis import AnalysisSettings, analyse_job, convergence_check
from .errors import ChunkResultError, CorruptJobFileError, OutputDirMismatchError, SensitivityInputError
from .evaluators import DEFAULT_MODEL, Evaluator, ModelEvaluator
from .executors import default_workers, make_backend, parse_scheduler
from .factors import Factor, problem_dict, resolve_factors, resolve_groups
from .progress import ProgressCallback, ProgressTracker
from .sampling import METHODS, MethodOptions, generate, total_rows, validate_method, validate_n
from .store import FORMAT, IDENTITY_KEYS, JobStore, iter_chunk_layout, manifest_differences, sha256_array

log = logging.getLogger("sim.sensitivity")
log.addHandler(logging.NullHandler())  # library: the caller decides whether warnings are shown

PREFERRED_REPORT_YEARS = (2030, 2035, 2060)
NOMINAL_CHOICES = ("calibrated", "model")


@dataclass
class JobSpec:
    """Everything that defines a sensitivity job (CLI flags map 1:1 onto the first fields)."""

    method: str
    factors: str | Path | Sequence[Factor] = "levers"
    outputs: str | Sequence[str] = ()
    n: int = 1024
    years: Sequence[int] | None = None  # None (and every_year False) => every year
    every_year: bool = False
    groups: str | Path | Mapping[str, Sequence[str]] | None = None
    seed: int = 42
    scheduler: str = "local"
    workers: int | None = None  # None => all cores
    chunk_size: int | None = None  # None => default_chunk_size(total rows)
    out: str | Path | None = None  # None => runs/sensitivity/<method>-<job digest>
    resume: bool = False
    model: str | Path = DEFAULT_MODEL
    engine_backend: str = "numpy"  # "numba": faster after a one-off JIT compile (disk-cached)
    # Values of the model constants that are not factors: "calibrated" (the calibrated
    # parameters, calibration/calibrated.toml, as sim.runner and the app use; none if that
    # file is missing), "model" (the model file's own values), or an explicit mapping.
    nominal: str | Mapping[str, float] = "calibrated"
    # method knobs
    calc_second_order: bool = True
    num_levels: int = 4
    fast_m: int = 4
    num_resamples: int = 100
    conf_level: float = 0.95
    # analysis/report
    report_years: Sequence[int] | None = None
    aggregates: Mapping[str, Sequence[str]] | None = None
    analyse: bool = True
    # Per-year indices for every year (True) or only the report years (False).  None: every
    # year, except for delta whose KDE bootstrap costs ~25 s per output-year at 30 factors.
    analyse_every_year: bool | None = None
    convergence: bool = True
    report: bool = True
    retries: int = 2
    # injection points (tests, benchmarks)
    evaluator: Evaluator | None = None
    registry: Any = None
    compile_fn: Callable[[str], Any] | None = None

    def method_options(self) -> MethodOptions:
        return MethodOptions(calc_second_order=self.calc_second_order,
                             num_levels=self.num_levels, M=self.fast_m)


@dataclass
class JobResult:
    out_dir: Path
    manifest: dict[str, Any]
    factors: list[Factor]
    outputs: list[str]
    years: list[int]
    X: np.ndarray
    Y: np.ndarray
    indices: pd.DataFrame
    convergence: pd.DataFrame
    convergence_summary: pd.DataFrame
    warnings: list[str]
    runs_total: int
    runs_evaluated: int
    runs_resumed: int
    chunks_total: int
    chunks_resumed: int
    eval_seconds: float
    total_seconds: float
    backend: str
    workers: int
    report_paths: dict[str, Path] = field(default_factory=dict)
    # wall seconds per stage: prepare (model compile, checks), sample, evaluate, assemble,
    # analyse, convergence, report; also in the manifest as "timings_s"
    timings: dict[str, float] = field(default_factory=dict)

    def top(self, output: str, year: int | None = None, index: str | None = None,
            k: int = 10) -> pd.DataFrame:
        """Top-k factors for one output/year by ``index`` (default: the method's headline)."""
        from .analysis import HEADLINE

        key = index or HEADLINE[self.manifest["method"]]
        df = self.indices
        sel = (df["output"] == output) & (df["index"] == key)
        sel &= df["year"].isna() if year is None else (df["year"] == year)
        return df[sel].sort_values("value", ascending=False).head(k)


# --------------------------------------------------------------------------- parsing helpers


def parse_years(text: str | Sequence[int] | None) -> list[int] | None:
    """``"2030,2035,2060"`` or ``"2020-2030"`` (inclusive range) -> sorted unique years."""
    if text is None:
        return None
    items = text.split(",") if isinstance(text, str) else list(text)
    years: set[int] = set()
    for item in items:
        s = str(item).strip()
        if not s:
            continue
        try:
            if "-" in s[1:]:
                a, b = s.split("-", 1)
                lo, hi = int(a), int(b)
                if lo > hi:
                    raise SensitivityInputError(f"--years range {s!r} is inverted.")
                years.update(range(lo, hi + 1))
            else:
                years.add(int(float(s)) if float(s).is_integer() else _bad_year(s))
        except ValueError:
            raise SensitivityInputError(f"--years: {s!r} is not a year (write e.g. 2030,2035,2060).") from None
    if not years:
        raise SensitivityInputError("--years is empty.")
    return sorted(years)


def _bad_year(s: str) -> int:
    raise SensitivityInputError(f"--years: {s!r} is not a whole year.")


def default_chunk_size(n_rows: int) -> int:
    """~64 chunks per job, clamped to [32, 1024] rows.

    Depends only on the job (never on the machine or worker count) so a
    resumed job on another machine computes the same chunk layout.
    """
    return int(min(1024, max(32, math.ceil(n_rows / 64))))


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``oasis-sd sensitivity`` options to an argparse (sub)parser."""
    p = parser
    p.add_argument("--method", required=True, choices=METHODS)
    p.add_argument("--factors", default="levers", help="levers | parameters | all | FILE.toml")
    p.add_argument("--outputs", required=True,
                   help="VAR[,VAR[region],cum(VAR,2020,2060),first_below(VAR,THR)...]")
    p.add_argument("--n", type=int, required=True, help="base sample size N (power of 2 for sobol)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--years", help="comma separated years, e.g. 2030,2035,2060 (default: every year)")
    g.add_argument("--every-year", action="store_true")
    p.add_argument("--groups", help="TOML file with a [groups] table, or 'strategy'")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--scheduler", default="local", help="local | local-cluster | tcp://host:8786")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument("--chunk-size", type=int, default=None)
    p.add_argument("--out", default=None)
    p.add_argument("--resume", action="store_true")
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--no-second-order", action="store_true", help="sobol: skip S2 (fewer runs)")
    p.add_argument("--engine-backend", choices=("numpy", "numba"), default="numpy",
                   help="batched engine backend (numba: faster after a one-off compile)")
    p.add_argument("--nominal", choices=NOMINAL_CHOICES, default="calibrated",
                   help="values of the constants that are not factors: the calibrated parameters "
                        "(calibration/calibrated.toml, if present) or the model file's own")
    p.add_argument("--report-years", default=None)
    p.add_argument("--num-resamples", type=int, default=100)
    p.add_argument("--no-convergence", action="store_true")
    p.add_argument("--no-report", action="store_true")
    return p


def spec_from_args(ns: argparse.Namespace) -> JobSpec:
    """Build a JobSpec from parsed arguments (see :func:`add_arguments`)."""
    return JobSpec(
        method=ns.method, factors=ns.factors, outputs=ns.outputs, n=ns.n,
        years=parse_years(ns.years), every_year=bool(ns.every_year), groups=ns.groups,
        seed=ns.seed, scheduler=ns.scheduler, workers=ns.workers, chunk_size=ns.chunk_size,
        out=ns.out, resume=ns.resume, model=getattr(ns, "model", DEFAULT_MODEL),
        calc_second_order=not getattr(ns, "no_second_order", False),
        engine_backend=getattr(ns, "engine_backend", "numpy"),
        nominal=getattr(ns, "nominal", "calibrated"),
        report_years=parse_years(getattr(ns, "report_years", None)),
        num_resamples=getattr(ns, "num_resamples", 100),
        convergence=not getattr(ns, "no_convergence", False),
        report=not getattr(ns, "no_report", False),
    )


# --------------------------------------------------------------------------- the job


def _package_version() -> str:
    try:
        import sim

        return str(getattr(sim, "__version__", "unknown"))
    except ImportError:  # pragma: no cover
        return "unknown"


def _salib_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("SALib")
    except PackageNotFoundError:  # pragma: no cover
        return "unknown"


def choose_report_years(years: Sequence[int], explicit: Sequence[int] | None,
                        every_year: bool) -> list[int]:
    """Years for bar charts, S2 and convergence: all explicit years, else a few landmarks."""
    if explicit:
        return list(explicit)
    preferred = [y for y in PREFERRED_REPORT_YEARS if y in years]
    if preferred:
        return preferred
    ys = list(years)
    return sorted({ys[0], ys[len(ys) // 2], ys[-1]})


def _validate_spec(spec: JobSpec) -> None:
    if spec.method not in METHODS:
        validate_method(spec.method, {})
    parse_scheduler(spec.scheduler)
    if spec.chunk_size is not None and (not isinstance(spec.chunk_size, int) or spec.chunk_size < 1):
        raise SensitivityInputError(f"--chunk-size must be a positive integer (got {spec.chunk_size!r}).")
    if spec.workers is not None and spec.workers < 1:
        raise SensitivityInputError(f"--workers must be ≥ 1 (got {spec.workers}).")
    if spec.years is not None and spec.every_year:
        raise SensitivityInputError("Give either --years or --every-year, not both.")
    if not isinstance(spec.seed, int) or spec.seed < 0:
        raise SensitivityInputError(f"--seed must be a non-negative integer (got {spec.seed!r}).")
    if not (0 < spec.conf_level < 1):
        raise SensitivityInputError(f"conf_level must be in (0, 1) (got {spec.conf_level}).")


def nominal_params(nominal: str | Mapping[str, float], model: str | Path,
                   warn: Callable[[str], None] = log.warning) -> dict[str, float]:
    """The fixed constants under the factors for ``JobSpec.nominal`` (see there), from
    :func:`sim.runner.nominal_params` (the one lever/calibration → parameter path)."""
    if not isinstance(nominal, Mapping) and nominal not in NOMINAL_CHOICES:
        raise SensitivityInputError(
            f"--nominal must be one of {', '.join(NOMINAL_CHOICES)} (got {nominal!r}).")
    try:
        from sim import runner
    except ImportError:  # pragma: no cover - sensitivity package used without the model package
        return dict(nominal) if isinstance(nominal, Mapping) else {}
    return runner.nominal_params(nominal, model, warn=warn)


def _build_evaluator(spec: JobSpec, factors: list[Factor], warn: Callable[[str], None]) -> Evaluator:
    if spec.evaluator is not None:
        return spec.evaluator
    if not spec.outputs:
        raise SensitivityInputError("--outputs is required: name at least one model variable.")
    years = None if (spec.every_year or spec.years is None) else list(spec.years)
    return ModelEvaluator(spec.model, factors, spec.outputs, years=years,
                          aggregates=spec.aggregates, compile_fn=spec.compile_fn,
                          engine_backend=spec.engine_backend,
                          base_params=nominal_params(spec.nominal, spec.model, warn))


def build_manifest(spec: JobSpec, factors: list[Factor], groups: list[str] | None,
                   evaluator: Evaluator, X: np.ndarray, chunk_size: int, n_chunks: int) -> dict:
    return {
        "format": FORMAT,
        "package_version": _package_version(),
        "salib_version": _salib_version(),
        "numpy_version": np.__version__,
        "method": spec.method,
        "method_options": spec.method_options().relevant(spec.method),
        "n": int(spec.n),
        "seed": int(spec.seed),
        "chunk_size": int(chunk_size),
        "total_rows": int(X.shape[0]),
        "n_chunks": int(n_chunks),
        "factors": [{"name": f.name, "constant": f.constant, "low": f.low, "high": f.high,
                     "kind": f.kind, "units": f.units} for f in factors],
        "groups": groups,
        "outputs": list(evaluator.output_labels),
        "scalar_outputs": [lbl for lbl, s in zip(evaluator.output_labels, evaluator.scalar_mask) if s],
        "years": [int(y) for y in evaluator.years],
        "evaluator": evaluator.identity(),
        "samples_sha256": sha256_array(X),
    }


def _check_finite(idx: int, start: int, Y: np.ndarray, outputs: Sequence[str], years: Sequence[int]) -> None:
    """A chunk whose outputs hold NaN/inf is an error naming the chunk, the runs (0-based rows of
    samples.npy) and the first output/year affected; it is not stored."""
    bad = ~np.isfinite(np.asarray(Y, dtype=float))
    if not bad.any():
        return
    rows = np.flatnonzero(bad.reshape(bad.shape[0], -1).any(axis=1))
    r, o, y = np.argwhere(bad)[0]
    runs = ", ".join(str(start + int(i)) for i in rows[:10]) + (" …" if len(rows) > 10 else "")
    raise ChunkResultError(
        f"chunk {idx}: the model gave NaN/inf in {len(rows)} run(s) ({runs}), first in "
        f"{outputs[o]} {years[y] if len(years) > y else ''} (run {start + int(r)}); the factor values of those "
        "runs are rows of samples.npy. Narrow the factor ranges or fix the model.")


def job_digest(manifest: Mapping[str, Any]) -> str:
    """Short hash of the identity fields: the same job always maps to the same default dir."""
    ident = {k: manifest.get(k) for k in IDENTITY_KEYS}
    ev = dict(ident.get("evaluator") or {})
    ev.pop("model_path", None)
    ident["evaluator"] = ev
    return hashlib.sha256(json.dumps(ident, sort_keys=True, default=str).encode()).hexdigest()[:10]


def _check_out_dir(store: JobStore, manifest: dict, resume: bool) -> dict | None:
    """Return the stored manifest to resume from, None for a fresh job; refuse mismatches."""
    old = store.read_manifest()
    if old is None:
        if not store.is_empty_or_absent():
            raise OutputDirMismatchError(
                f"Output directory {store.root} is not empty and holds no sensitivity job "
                "(no manifest.json); choose another --out."
            )
        return None
    diffs = manifest_differences(old, manifest)
    if not resume:
        if diffs:
            raise OutputDirMismatchError(
                f"Output directory {store.root} already holds a different job ("
                + "; ".join(diffs) + "). Choose another --out or delete the directory."
            )
        raise OutputDirMismatchError(
            f"Output directory {store.root} already holds this job "
            f"(status: {old.get('status', 'unknown')}). Pass --resume to continue or re-analyse "
            "it, or choose another --out."
        )
    if diffs:
        raise OutputDirMismatchError(
            f"Cannot resume: {store.root} holds a different job (" + "; ".join(diffs) + "). "
            "Re-run with the original settings, or use a new --out."
        )
    return old


def run_job(spec: JobSpec, progress: ProgressCallback | None = None) -> JobResult:
    """Run (or resume) a sensitivity job; see the package README for the full contract."""
    t_start = time.monotonic()
    warn_list: list[str] = []
    timings: dict[str, float] = {}
    clock = [t_start]

    def lap(stage: str) -> None:
        now = time.monotonic()
        timings[stage] = round(now - clock[0], 3)
        clock[0] = now

    def warn(msg: str) -> None:
        warn_list.append(msg)
        log.warning(msg)

    # 1. Validate everything cheap before touching disk or starting workers.
    _validate_spec(spec)
    factors = resolve_factors(spec.factors, spec.registry)
    groups = resolve_groups(spec.groups, factors)
    problem = problem_dict(factors, groups)
    validate_method(spec.method, problem)
    options = spec.method_options()
    validate_n(spec.method, spec.n, problem, options)
    evaluator = _build_evaluator(spec, factors, warn)
    evaluator.prepare()  # compiles the model, validates outputs/years in the driver
    years = [int(y) for y in evaluator.years]
    outputs = list(evaluator.output_labels)
    if spec.report_years is not None:
        missing = [y for y in spec.report_years if y not in years]
        if missing:
            raise SensitivityInputError(f"Report year(s) {missing} are not among the job's years.")
    report_years = choose_report_years(
        years, spec.report_years or (None if spec.every_year or spec.years is None else years),
        spec.every_year)

    lap("prepare")

    # 2. Samples: generated once, up front; chunks are row ranges of this matrix.
    X = generate(spec.method, problem, spec.n, spec.seed, options)
    n_rows = X.shape[0]
    assert n_rows == total_rows(spec.method, spec.n, problem, options)
    chunk_size = spec.chunk_size or default_chunk_size(n_rows)
    layout = {i: (a, b) for i, a, b in iter_chunk_layout(n_rows, chunk_size)}
    manifest = build_manifest(spec, factors, groups, evaluator, X, chunk_size, len(layout))
    out_dir = Path(spec.out) if spec.out else Path("runs/sensitivity") / f"{spec.method}-{job_digest(manifest)}"
    store = JobStore(out_dir, job=job_digest(manifest))

    # 3. Output directory: fresh, or a matching job when resuming.
    old = _check_out_dir(store, manifest, spec.resume)
    try:
        backend = None
        try:
            if "://" in parse_scheduler(spec.scheduler):
                # Connect before writing anything, so an unreachable scheduler leaves no half-made job.
                backend = make_backend(spec.scheduler, spec.workers, spec.retries)
            removed = store.clean_tmp()
            if removed:
                warn(f"removed {removed} leftover *.tmp file(s) from an interrupted write")
            row_shape = (len(outputs), len(years))
            if old is None:
                manifest["created"] = _dt.datetime.now(_dt.UTC).isoformat()
                manifest["status"] = "running"
                store.write_samples(X)
                store.write_manifest(manifest)
                done: set[int] = set()
            else:
                manifest = {**old, **{k: manifest[k] for k in manifest if k not in ("created",)},
                            "status": "running"}
                manifest.pop("error", None)
                store.write_manifest(manifest)
                try:
                    store.read_samples(manifest["samples_sha256"])
                except CorruptJobFileError as exc:
                    # X was regenerated from the spec and matches the manifest's hash: restore the file
                    warn(f"{exc}; rewritten from the job specification")
                    store.write_samples(X)
                done = store.finished_chunks(layout, row_shape, warn=warn)

            # 4. Evaluate the missing chunks; persist each as it arrives.
            todo = [(i, a, b) for i, (a, b) in sorted(layout.items()) if i not in done]
            resumed_rows = sum(layout[i][1] - layout[i][0] for i in done)
            tracker = ProgressTracker(n_rows, len(layout), resumed_rows, len(done), progress)
            tracker.emit("evaluate")
            backend_name, n_workers = "none", 0
            lap("sample")  # generating and storing the samples, directory checks, manifest
            t_eval = time.monotonic()
            if todo:
                backend = backend or make_backend(spec.scheduler, spec.workers, spec.retries)
                backend_name, n_workers = backend.name, backend.workers
                if spec.workers and "://" in spec.scheduler:
                    warn("--workers is ignored with an external scheduler: the cluster decides.")

                def on_result(idx: int, Y_chunk: np.ndarray) -> None:
                    a, b = layout[idx]
                    _check_finite(idx, a, Y_chunk, outputs, years)
                    store.write_chunk(idx, a, b, Y_chunk)
                    tracker.chunk_done(b - a)

                backend.run(evaluator, X, todo, on_result)
        finally:
            # Also on Ctrl-C / errors: stop workers (or a LocalCluster we started); finished
            # chunks are already on disk for --resume.
            if backend is not None:
                backend.close()
        eval_seconds = time.monotonic() - t_eval
        lap("evaluate")

        # 5. Assemble from disk (the exact bytes a later --resume would see) and analyse.
        Y = store.assemble(layout, n_rows, row_shape)
        store.write_outputs(Y)
        lap("assemble")
        settings = AnalysisSettings(num_resamples=spec.num_resamples, conf_level=spec.conf_level,
                                    seed=spec.seed + 1,  # SALib treats seed 0 as "no seed"
                                    workers=min(spec.workers or default_workers(), default_workers()))
        empty = pd.DataFrame()
        indices, conv, conv_summary = empty, empty, empty
        if spec.analyse:
            tracker.emit("analyse")
            every = spec.analyse_every_year
            if every is None:
                every = spec.method != "delta"
                if not every and len(years) > len(report_years):
                    warn(f"delta: per-year indices computed for the report years {report_years} only "
                         "(its bootstrap is slow); set analyse_every_year=True for all years.")
            indices, errors = analyse_job(spec.method, problem, X, Y, spec.n, outputs, years,
                                          evaluator.scalar_mask, report_years, options, settings,
                                          analysis_years=None if every else report_years)
            for e in errors:
                warn(e)
            store.write_csv("indices.csv", indices)
            lap("analyse")
            if spec.convergence:
                conv, conv_summary, cwarn = convergence_check(
                    spec.method, problem, X, Y, spec.n, outputs, years, evaluator.scalar_mask,
                    report_years, indices, options, settings)
                for w in cwarn:
                    warn(w)
                store.write_csv("convergence.csv", conv)
                store.write_csv("convergence_summary.csv", conv_summary)
                lap("convergence")

        result = JobResult(
            out_dir=out_dir, manifest=manifest, factors=factors, outputs=outputs, years=years, X=X, Y=Y,
            indices=indices, convergence=conv, convergence_summary=conv_summary, warnings=warn_list,
            runs_total=n_rows, runs_evaluated=n_rows - resumed_rows, runs_resumed=resumed_rows,
            chunks_total=len(layout), chunks_resumed=len(done), eval_seconds=eval_seconds,
            total_seconds=0.0, backend=backend_name, workers=n_workers, timings=timings,
        )
        if spec.analyse and spec.report:
            tracker.emit("report")
            from .report import write_report

            result.report_paths = write_report(result, store, report_years)
            lap("report")
        result.total_seconds = time.monotonic() - t_start
        timings["total"] = round(result.total_seconds, 3)
        manifest.update(status="complete",
                        finished=_dt.datetime.now(_dt.UTC).isoformat(),
                        report_years=report_years, warnings=warn_list, timings_s=timings)
        store.write_manifest(manifest)
        tracker.emit("done")
        return result
    except BaseException as exc:
        # never leave the manifest saying "running" for a job that stopped
        if store.manifest_path.exists() and manifest.get("status") == "running":
            manifest.update(status="failed" if not isinstance(exc, KeyboardInterrupt) else "interrupted",
                            error=f"{type(exc).__name__}: {exc}"[:2000],
                            finished=_dt.datetime.now(_dt.UTC).isoformat())
            try:
                store.write_manifest(manifest)
            except OSError:
                pass
        raise
