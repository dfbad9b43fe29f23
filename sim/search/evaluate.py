"""Batched evaluation for lever search, robustness and discovery.

One evaluator (:class:`SearchEvaluator`) turns design rows — values of some model constants
(levers being searched, calibrated-ensemble parameters, deep uncertainties) — into metric values
(indicators at a year over a geography, from :mod:`sim.indicators`) and red-line breach counts.
It follows the sensitivity :class:`~sim.sensitivity.evaluators.Evaluator` contract (row-wise,
picklable, ``evaluate(X) -> (n, n_out, 1)``), so every large job runs through the same executors
(in-process, process pool, Dask) and the same chunked, resumable :class:`JobStore` as sensitivity
jobs (:func:`evaluate_design`).

Red lines are judged by :func:`sim.redlines.breach_years` (the one red-line module).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import indicators, redlines
from ..model import DEFAULT_MODEL
from ..sensitivity.executors import Backend, InProcessBackend
from ..sensitivity.factors import Factor
from ..sensitivity.store import JobStore, iter_chunk_layout, sha256_array

# Red lines are judged in sim.redlines (the one red-line module); re-exported for the search code.
RED_LINE_ALIASES = redlines.ALIASES
red_line_flag = redlines.flag_of
red_line_breach_years = redlines.breach_years


@dataclass(frozen=True)
class Metric:
    """An indicator (key of :data:`sim.indicators.ALL_INDICATORS`) at a year over a geography."""

    indicator: str
    year: int
    geography: str = "belt"

    @property
    def label(self) -> str:
        return f"{self.indicator}@{self.year}"

    def units(self) -> str:
        return indicators.ALL_INDICATORS[self.indicator].units


def metric_outputs(metrics: Sequence[Metric], flags: Sequence[str]) -> list[str]:
    """Model variables the engine must save for these metrics and flags."""
    names = set(flags)
    for m in metrics:
        ind = indicators.ALL_INDICATORS[m.indicator]
        names.add(ind.numerator)
        if ind.denominator:
            names.add(ind.denominator)
    return sorted(names)


_COMPILED: dict[str, object] = {}


def _compiled(path: str):
    if path not in _COMPILED:
        from .. import engine

        _COMPILED[path] = engine.compile(path)
    return _COMPILED[path]


class SearchEvaluator:
    """Design rows -> metric values and red-line breach counts, on the batched engine.

    Parameters
    ----------
    factors : sequence of Factor
        Column j of a design row sets constant ``factors[j].constant`` (switch and year levers are
        discretised by :meth:`Factor.model_values`, as in sensitivity jobs).
    metrics : sequence of Metric
        Outputs 0..m-1: indicator values [indicator units].
    red_lines : sequence of str
        Model flags; outputs m.. are breach counts [years] in ``window``.
    window : (float, float)
        Years [year] over which red lines must be kept.
    base_params : mapping
        Constants for every run (calibrated parameters, BAU/fixed levers), under the factors.
    steps : sequence of float or None, optional
        Grid step per factor [factor units]; values are snapped to ``low + k * step``.
    """

    def __init__(self, factors: Sequence[Factor], metrics: Sequence[Metric], red_lines: Sequence[str] = (),
                 window: tuple[float, float] = (2025, 2060), base_params: Mapping[str, float] | None = None,
                 mdl_path: str | Path = DEFAULT_MODEL, geography: str = "belt",
                 steps: Sequence[float | None] | None = None):
        self.factors = list(factors)
        # slider grid per factor (registry ``step``): values are snapped to low + k*step, so a design
        # is exactly what the app's sliders and a scenario file can hold; None = no snapping
        self.steps = list(steps) if steps is not None else [None] * len(self.factors)
        self.metrics = list(metrics)
        self.red_lines = list(red_lines)
        self.window = (float(window[0]), float(window[1]))
        self.geography = geography
        self.mdl_path = str(Path(mdl_path).resolve())
        varied = {f.constant for f in self.factors}
        self.base_params = {k: float(v) for k, v in sorted((base_params or {}).items()) if k not in varied}
        self.output_labels = [m.label for m in self.metrics] + [f"breach_years:{f}" for f in self.red_lines]
        self.scalar_mask = [True] * len(self.output_labels)
        self.years = [0]

    def prepare(self) -> None:
        cm = _compiled(self.mdl_path)
        known = set(cm.constants)
        self.base_params = {k: v for k, v in self.base_params.items() if k in known}

    def identity(self) -> dict:
        return {"kind": "search", "model_hash": _model_hash(self.mdl_path),
                "factors": [f.to_dict() for f in self.factors],
                "metrics": [vars(m) for m in self.metrics], "red_lines": self.red_lines,
                "window": list(self.window), "geography": self.geography, "base_params": self.base_params,
                "steps": self.steps}

    def model_values(self, X: np.ndarray) -> np.ndarray:
        """The values the engine receives for design rows ``X`` (n, n_factors): switch and year
        levers discretised (:meth:`Factor.model_values`), then snapped to the factor's step grid."""
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        out = np.empty_like(X)
        for j, (f, step) in enumerate(zip(self.factors, self.steps)):
            v = np.asarray(f.model_values(X[:, j]), dtype=np.float64)
            if step:
                v = np.clip(np.round(f.low + np.round((v - f.low) / step) * step, 10), f.low, f.high)
            out[:, j] = v
        return out

    def params(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """Engine parameters for design rows ``X`` (n, n_factors)."""
        n = X.shape[0]
        p = {k: np.full(n, v) for k, v in self.base_params.items()}
        V = self.model_values(X)
        p.update({f.constant: np.ascontiguousarray(V[:, j]) for j, f in enumerate(self.factors)})
        return p

    def evaluate(self, X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        cm = _compiled(self.mdl_path)
        ds = cm.run(params=self.params(X), n=X.shape[0], outputs=metric_outputs(self.metrics, self.red_lines),
                    backend="numpy")
        cols = []
        for m in self.metrics:
            da = indicators.indicator(ds, m.indicator, m.geography)
            cols.append(np.asarray(da.sel(time=m.year).values, dtype=float).reshape(X.shape[0]))
        for flag in self.red_lines:
            cols.append(red_line_breach_years(ds, flag, self.geography, *self.window))
        Y = np.stack(cols, axis=1) if cols else np.zeros((X.shape[0], 0))
        return Y[:, :, None]


def _model_hash(path: str) -> str:
    from ..model import model_hash

    try:
        return model_hash(path)
    except OSError:
        return ""


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:20]


def evaluate_design(evaluator, X: np.ndarray, *, backend: Backend | None = None, store_dir: str | Path | None = None,
                    chunk_size: int | None = None, warn: Callable[[str], None] | None = None) -> np.ndarray:
    """Evaluate all rows of ``X`` in chunks through a sensitivity executor backend.

    With ``store_dir`` every finished chunk is persisted in a :class:`JobStore` whose job digest
    covers the evaluator identity and the design (SHA-256 of ``X``); a rerun with the same
    directory reuses the chunks already on disk and evaluates only the rest, so an interrupted job
    resumes with bit-identical results. Rows are independent, so neither the backend nor the chunk
    size changes a value.

    Returns
    -------
    numpy.ndarray
        Shape (n_rows, n_outputs): the evaluator's outputs (year axis dropped).
    """
    X = np.ascontiguousarray(np.atleast_2d(np.asarray(X, dtype=np.float64)))
    n = X.shape[0]
    row_shape = (len(evaluator.output_labels), len(evaluator.years))
    chunk = int(chunk_size or max(16, min(1024, -(-n // 8))))
    layout = {i: (a, b) for i, a, b in iter_chunk_layout(n, chunk)}
    store = None
    done: set[int] = set()
    if store_dir is not None:
        ident = {"format": "oasis-sd-search/1", "evaluator": evaluator.identity(), "chunk_size": chunk,
                 "samples_sha256": sha256_array(X), "outputs": list(evaluator.output_labels)}
        store = JobStore(store_dir, job=_digest(ident))
        store.clean_tmp()
        old = store.read_manifest()
        if old is None or old.get("job") != store.job:
            if store.chunks_dir.is_dir():  # another design in this folder: its chunks are not ours
                for p in store.chunks_dir.glob("chunk-*.npz"):
                    p.unlink()
            store.write_manifest({**ident, "job": store.job})
            store.write_samples(X)
        else:
            done = store.finished_chunks(layout, row_shape, warn=warn)
    Y = np.empty((n, *row_shape))
    for idx in done:
        a, b, y = store.read_chunk(idx)
        Y[a:b] = y
    todo = [(i, a, b) for i, (a, b) in sorted(layout.items()) if i not in done]
    if todo:
        def on_result(idx: int, Yc: np.ndarray) -> None:
            a, b = layout[idx]
            Y[a:b] = Yc
            if store is not None:
                store.write_chunk(idx, a, b, Yc)

        own = backend is None
        backend = backend or InProcessBackend()
        try:
            backend.run(evaluator, X, todo, on_result)
        finally:
            if own:
                backend.close()
    return Y[:, :, 0]
