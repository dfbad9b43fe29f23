"""Pluggable evaluators: turn a block of sample rows into model outputs.

Contract (what the executors and the store rely on)::

    evaluator.prepare()            # driver process only: validate, resolve years
    evaluator.evaluate(X) -> Y     # X (n_rows, n_factors) -> Y (n_rows, n_outputs, n_years)
    evaluator.identity()           # JSON-able dict written to the manifest

Evaluators must be picklable (they travel to process-pool and Dask workers)
and **row-wise**: a row's outputs may depend only on that row.  That, plus
generating all samples up front, is what makes results bit-identical for any
chunking or backend.

* :class:`ModelEvaluator` runs the batched engine (``sim.engine``).  The
  compiled model is not pickled; each worker process compiles (or loads from
  the engine's disk cache) on first use and keeps it in a per-process cache.
* :class:`FunctionEvaluator` wraps a plain ``f(X) -> array`` (e.g. SALib's
  Ishigami) so analytic tests go through exactly the same job machinery.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .. import model as _model_info
from .errors import SensitivityInputError, did_you_mean
from .factors import Factor
from .summaries import (
    OutputSpec,
    find_variable,
    integer_years,
    parse_outputs,
    reduce_series,
    select_series,
    year_indices,
)

DEFAULT_MODEL = str(_model_info.DEFAULT_MODEL)  # absolute: jobs may start from any directory


@runtime_checkable
class Evaluator(Protocol):
    output_labels: list[str]
    scalar_mask: list[bool]
    years: list[int]

    def prepare(self) -> None: ...

    def identity(self) -> dict[str, Any]: ...

    def evaluate(self, X: np.ndarray) -> np.ndarray: ...


def evaluate_chunk(evaluator: Evaluator, X: np.ndarray) -> np.ndarray:
    """Module-level entry point shipped to workers (plain function => cheap to pickle)."""
    Y = np.asarray(evaluator.evaluate(X), dtype=np.float64)
    expected = (X.shape[0], len(evaluator.output_labels), len(evaluator.years))
    if Y.shape != expected:
        raise RuntimeError(f"evaluator returned shape {Y.shape}, expected {expected}")
    return Y


# --------------------------------------------------------------------------- functions


class FunctionEvaluator:
    """Evaluate ``func(X, **kwargs)``; result (n,), (n, n_out) or (n, n_out, n_years).

    Lower-dimensional results are broadcast over the missing axes, so a scalar
    test function needs no knowledge of years.
    """

    def __init__(self, func: Callable[..., np.ndarray], outputs: Sequence[str] = ("y",),
                 years: Sequence[int] = (0,), kwargs: Mapping[str, Any] | None = None,
                 scalar: Sequence[bool] | None = None):
        self.func = func
        self.output_labels = list(outputs)
        self.years = [int(y) for y in years]
        self.kwargs = dict(kwargs or {})
        self.scalar_mask = list(scalar) if scalar is not None else [False] * len(self.output_labels)
        if not self.output_labels or not self.years:
            raise SensitivityInputError("FunctionEvaluator needs at least one output and one year.")

    def prepare(self) -> None:
        return None

    def identity(self) -> dict[str, Any]:
        f = self.func
        name = f"{getattr(f, '__module__', '?')}.{getattr(f, '__qualname__', repr(f))}"
        return {"kind": "function", "function": name,
                "kwargs": {k: repr(v) for k, v in sorted(self.kwargs.items())}}

    def evaluate(self, X: np.ndarray) -> np.ndarray:
        Y = np.asarray(self.func(X, **self.kwargs), dtype=np.float64)
        n, n_out, n_y = X.shape[0], len(self.output_labels), len(self.years)
        if Y.ndim == 1:
            Y = Y[:, None, None]
        elif Y.ndim == 2:
            Y = Y[:, :, None]
        return np.ascontiguousarray(np.broadcast_to(Y, (n, n_out, n_y)))


# --------------------------------------------------------------------------- model

# Per-process cache of compiled models: a Dask/process-pool worker evaluates
# many chunks but should compile (or read the engine's disk cache) only once.
_COMPILED: dict[tuple[str, str], Any] = {}


def _default_compile(path: str):
    try:
        from sim import engine  # noqa: PLC0415 - optional dependency owned by another module
    except ImportError as exc:
        raise SensitivityInputError(
            f"The batched engine sim.engine is not available ({exc}); it is needed to run the model."
        ) from exc
    return engine.compile(path)


def _compile(path: str, compile_fn: Callable[[str], Any] | None):
    key = (path, getattr(compile_fn, "__qualname__", "default"))
    if key not in _COMPILED:
        _COMPILED[key] = (compile_fn or _default_compile)(path)
    return _COMPILED[key]


def _model_names(compiled: Any, attrs: Sequence[str]) -> list[str] | None:
    """Names the compiled model advertises, if it has any such attribute (engine API is young)."""
    for a in attrs:
        v = getattr(compiled, a, None)
        if callable(v):
            try:
                v = v()
            except TypeError:
                continue
        if v is not None and not isinstance(v, str):
            try:
                names = [str(x) for x in v]
            except TypeError:
                continue
            if names:
                return names
    return None


class ModelEvaluator:
    """Run the compiled SD model for a block of factor samples and reduce to outputs.

    ``years=None`` means every whole year on the model's saved time axis
    (resolved by :meth:`prepare`, which must run in the driver before the
    evaluator is shipped to workers).
    """

    def __init__(self, mdl_path: str | os.PathLike = DEFAULT_MODEL, factors: Sequence[Factor] = (),
                 outputs: str | Sequence[str | OutputSpec] = (), years: Sequence[int] | None = None,
                 aggregates: Mapping[str, Sequence[str]] | None = None,
                 compile_fn: Callable[[str], Any] | None = None,
                 engine_backend: str = "numpy",
                 base_params: Mapping[str, float] | None = None):
        # Absolute path so spawned workers with another cwd still find the model.
        self.mdl_path = str(Path(mdl_path).resolve())
        self.factors = list(factors)
        self.specs = parse_outputs(outputs)
        self.output_labels = [s.label for s in self.specs]
        self.scalar_mask = [s.scalar for s in self.specs]
        self._requested_years = None if years is None else [int(y) for y in years]
        self.years: list[int] = list(self._requested_years or [])
        self.aggregates = {k: list(v) for k, v in (aggregates or {}).items()}
        self.compile_fn = compile_fn
        self.model_hash: str | None = None
        # The engine can run with numpy or a numba kernel; "auto" would pick per batch size and
        # per disk-cache state, so the same row could get different bits in different chunks.
        # We always pin one backend (and record it in the manifest).
        if engine_backend not in ("numpy", "numba"):
            raise SensitivityInputError(
                f"engine backend {engine_backend!r}: use 'numpy' or 'numba'.")
        self.engine_backend = engine_backend
        # Fixed constants for every run (e.g. the calibrated parameters), under the factors:
        # a factor that sets the same constant wins.  Constants the model lacks are dropped
        # in prepare() (as sim.runner does), so the identity lists only what was applied.
        self.base_params: dict[str, float] = {}
        for k, v in (base_params or {}).items():
            try:
                fv = float(v)
            except (TypeError, ValueError):
                fv = float("nan")
            if not np.isfinite(fv):
                raise SensitivityInputError(f"Nominal parameter {k!r} = {v!r} is not a finite number.")
            self.base_params[str(k)] = fv
        self._run_kwargs: dict[str, Any] = {}
        self._var_map: dict[str, str] = {}  # output var as typed -> name in the Dataset
        self._request: dict[str, str] = {}  # output var as typed -> name to ask the engine for

    def _compiled(self):
        # The compiled model lives in a per-process cache, never on self, so pickling the
        # evaluator for a worker ships only paths, factors and output specs.
        return _compile(self.mdl_path, self.compile_fn)

    def prepare(self) -> None:
        """Compile, then probe one run at the factor defaults to validate names and years."""
        if not Path(self.mdl_path).exists():
            raise SensitivityInputError(f"Model file {self.mdl_path!r} does not exist.")
        cm = self._compiled()
        self.model_hash = str(getattr(cm, "model_hash", "") or "")
        try:
            takes_backend = "backend" in inspect.signature(cm.run).parameters
        except (TypeError, ValueError):  # pragma: no cover - builtins without signatures
            takes_backend = False
        if takes_backend:
            self._run_kwargs = {"backend": self.engine_backend}
        elif self.engine_backend != "numpy":
            raise SensitivityInputError(
                f"This engine has no selectable backend; engine backend {self.engine_backend!r} "
                "is not available (use 'numpy').")
        base_vars = list(dict.fromkeys(s.var for s in self.specs))
        # Subscript subranges declared in the model (e.g. Belt, Core) are named aggregates
        # for free; aggregates given in the job take precedence.
        subs = getattr(cm, "subscripts", None)
        if isinstance(subs, Mapping):
            for name, members in subs.items():
                self.aggregates.setdefault(str(name), [str(m) for m in members])
        resolve = getattr(cm, "resolve", None)
        if callable(resolve):
            for v in base_vars:
                try:
                    self._request[v] = resolve(v)
                except LookupError as exc:
                    sugg = list(getattr(exc, "suggestions", []) or [])
                    hint = f" Did you mean: {', '.join(map(str, sugg))}?" if sugg else ""
                    raise SensitivityInputError(f"Unknown output variable {v!r}.{hint}") from exc
        known = _model_names(cm, ("variables", "variable_names", "names", "outputs"))
        if known is not None:
            for v in base_vars:
                hit = self._request.get(v) or find_variable(known, v)
                if hit is None:
                    raise SensitivityInputError(f"Unknown output variable {v!r}." + did_you_mean(v, known))
                self._request[v] = hit  # ask the engine for its own spelling of the name
        consts = _model_names(cm, ("constants", "constant_names", "parameters"))
        varied = {f.constant for f in self.factors}
        self.base_params = {k: v for k, v in sorted(self.base_params.items())
                            if k not in varied and (consts is None or k in consts)}
        if consts is not None:
            for f in self.factors:
                if f.constant not in consts:
                    raise SensitivityInputError(
                        f"Factor {f.name!r} sets constant {f.constant!r}, which the model does not "
                        "define." + did_you_mean(f.constant, consts)
                    )
        probe_x = np.array([[f.default if f.default is not None and f.low <= f.default <= f.high
                             else 0.5 * (f.low + f.high) for f in self.factors]])
        try:
            # With the numba backend this probe also compiles (or loads) the kernel once here.
            ds = cm.run(params=self._params(probe_x), n=1, outputs=self._request_names(),
                        **self._run_kwargs)
        except (KeyError, ValueError, LookupError) as exc:
            raise SensitivityInputError(
                f"The model rejected the requested outputs/factors: {exc}. Check the names in "
                "--outputs and the factor constants."
            ) from exc
        names = list(ds.data_vars)
        for v in base_vars:
            hit = find_variable(names, self._request.get(v, v))
            if hit is None:
                raise SensitivityInputError(f"Unknown output variable {v!r}." + did_you_mean(v, names))
            self._var_map[v] = hit
        time = self._time(ds)
        if self._requested_years is None:
            self.years = integer_years(time)
            if not self.years:
                raise SensitivityInputError("The model's saved time axis has no whole years.")
        else:
            year_indices(time, self.years)  # raises with the run's span if a year is outside
        self._reduce(ds)  # exercises region selection/summaries -> errors surface now

    def _request_names(self) -> list[str]:
        return list(dict.fromkeys(self._request.get(s.var, s.var) for s in self.specs))

    def identity(self) -> dict[str, Any]:
        ident = {"kind": "model", "model_path": self.mdl_path, "model_hash": self.model_hash,
                 "aggregates": self.aggregates, "engine_backend": self.engine_backend}
        if self.base_params:  # only when set, so jobs without nominal overrides keep their identity
            ident["base_params"] = dict(self.base_params)
        return ident

    def _params(self, X: np.ndarray) -> dict[str, np.ndarray]:
        # Copies: the engine may keep references, and column views are strided.
        # Discrete levers (switch/year) are discretised row by row (Factor.model_values).
        params = {k: np.full(X.shape[0], v) for k, v in self.base_params.items()}
        params.update({f.constant: np.ascontiguousarray(f.model_values(X[:, j]), dtype=np.float64)
                       for j, f in enumerate(self.factors)})
        return params

    @staticmethod
    def _dims(ds) -> tuple[str, str]:
        dims = list(ds.dims)
        sample = "sample" if "sample" in dims else dims[0]
        time = "time" if "time" in dims else [d for d in dims if d != sample][0]
        return sample, time

    def _time(self, ds) -> np.ndarray:
        _, tdim = self._dims(ds)
        return np.asarray(ds[tdim].values, dtype=np.float64)

    def _reduce(self, ds) -> np.ndarray:
        sdim, tdim = self._dims(ds)
        time = self._time(ds)
        cols = []
        series_cache: dict[tuple, np.ndarray] = {}
        for spec in self.specs:
            key = (spec.var, spec.select)
            if key not in series_cache:
                name = self._var_map.get(spec.var) or find_variable(list(ds.data_vars), spec.var)
                series_cache[key] = select_series(ds[name], spec, self.aggregates, sdim, tdim)
            cols.append(reduce_series(spec, series_cache[key], time, self.years))
        return np.stack(cols, axis=1)

    def evaluate(self, X: np.ndarray) -> np.ndarray:
        cm = self._compiled()
        # Same output names as the validated probe run in prepare().
        ds = cm.run(params=self._params(X), n=X.shape[0], outputs=self._request_names(),
                    **self._run_kwargs)
        return self._reduce(ds)
