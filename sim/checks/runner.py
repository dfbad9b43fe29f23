"""Evaluate a check suite with the batched engine; print a pass/fail table."""
from __future__ import annotations

import time as time_mod
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from .. import geography
from ..errors import OasisError
from ..model import DEFAULT_MODEL
from . import expr as expr_mod, matrix as matrix_mod
from .spec import DEFAULT_CHECKS, CheckSpec, CheckSpecError, CheckSuite, load_suite

FINITE_CHUNK = 48  # samples per engine call when every output is needed (memory bound)
MAX_LISTED = 5


@dataclass
class Failure:
    scenario: str
    region: str | None
    year: float
    detail: str = ""

    def __str__(self):
        reg = f" [{self.region}]" if self.region else ""
        det = f": {self.detail}" if self.detail else ""
        return f"{self.scenario}{reg} from {self.year:g}{det}"


@dataclass
class CheckResult:
    check: CheckSpec
    matrix: str
    n_scenarios: int
    n_failing: int = 0
    failures: list[Failure] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0

    @property
    def known_defect(self) -> str:
        return self.check.defect(self.matrix)

    @property
    def passed(self) -> bool:
        return not self.error and self.n_failing == 0

    @property
    def status(self) -> str:
        if self.error:
            return "ERROR"
        if self.known_defect:
            return "KNOWN DEFECT" if not self.passed else "UNEXPECTED PASS"
        return "PASS" if self.passed else "FAIL"

    @property
    def ok(self) -> bool:
        """True when the outcome is the expected one (pass, or fail for a documented defect)."""
        return self.status in ("PASS", "KNOWN DEFECT")


@dataclass
class SuiteReport:
    results: list[CheckResult]
    model_path: Path
    model_hash: str
    seconds: float
    matrix_sizes: dict[str, int]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def table(self) -> str:
        lines = [f"model {self.model_path} (hash {self.model_hash}); "
                 f"{len(self.results)} check runs in {self.seconds:.1f} s; matrices: "
                 + ", ".join(f"{k}={v} scenarios" for k, v in self.matrix_sizes.items())]
        w = max(len(r.check.id) for r in self.results)
        wm = max(len(r.matrix) for r in self.results)
        head = f"{'check':<{w}}  {'matrix':<{wm}}  {'scen':>5}  {'status':<15}  first failure"
        lines += [head, "-" * len(head)]
        for r in self.results:
            first = r.error or (str(r.failures[0]) if r.failures else "")
            lines.append(f"{r.check.id:<{w}}  {r.matrix:<{wm}}  {r.n_scenarios:>5}  {r.status:<15}  {first}")
            if r.n_failing > 1:
                lines.append(f"{'':<{w + wm + 27}}  ... {r.n_failing} scenarios fail; more:")
                for f in r.failures[1:MAX_LISTED]:
                    lines.append(f"{'':<{w + wm + 27}}  {f}")
            if r.status in ("KNOWN DEFECT", "UNEXPECTED PASS"):
                note = "defect" if r.status == "KNOWN DEFECT" else "fixed? remove known_defect for this matrix"
                lines.append(f"{'':<{w + wm + 27}}  {note}: {r.known_defect}")
        counts = {}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        lines.append("summary: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
        return "\n".join(lines)


def _observations(suite: CheckSuite):
    refs = set()
    for c in suite.checks:
        for ast in (c.assert_ast, c.when_ast):
            if ast is not None:
                refs |= expr_mod.data_refs(ast)
    if not refs:
        return {}
    from .. import data as data_mod

    df = data_mod.load_series()
    out = {}
    for sid, geo in refs:
        try:
            out[(sid, geo)] = data_mod.series_values(df, sid, geo).to_dict()
        except KeyError as exc:
            raise OasisError(f"checks: data({sid!r}, {geo!r}): {exc}") from None
    return out


def _to_full(da, like: xr.DataArray) -> xr.DataArray:
    if not isinstance(da, xr.DataArray):
        da = xr.DataArray(bool(da))
    return da.broadcast_like(like)


def _locate(bad: xr.DataArray, matrix: matrix_mod.Matrix, operands=None) -> tuple[int, list[Failure]]:
    """Failing scenarios, sorted by first failing year; up to MAX_LISTED described."""
    other = [d for d in bad.dims if d not in ("sample", "time")]
    b = bad.transpose("sample", "time", *other).values
    flat = b.reshape(b.shape[0], b.shape[1], -1)
    any_t = flat.any(axis=2)
    failing = np.flatnonzero(any_t.any(axis=1))
    first_t = {s: int(np.argmax(any_t[s])) for s in failing}
    order = sorted(failing, key=lambda s: (first_t[s], s))
    times = bad["time"].values
    cells = [None]
    if other:
        st = bad.transpose("sample", "time", *other).stack(_cell=other)["_cell"].values
        cells = [",".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in st]
    out = []
    for s in order[:MAX_LISTED]:
        t = first_t[s]
        cell_idx = np.flatnonzero(flat[s, t])
        region = ",".join(cells[i] for i in cell_idx[:3]) if other else None
        if other and len(cell_idx) > 3:
            region += f",+{len(cell_idx) - 3}"
        detail = ""
        if operands:
            parts = []
            for label, val in operands:
                v = val
                if isinstance(v, xr.DataArray):
                    sel = {}
                    if "sample" in v.dims:
                        sel["sample"] = s
                    if "time" in v.dims:
                        sel["time"] = t
                    v = v.isel(sel)
                    if other and any(d in v.dims for d in other):
                        first = cells[cell_idx[0]].split(",")
                        v = v.sel({d: first[i] for i, d in enumerate(other) if d in v.dims})
                    v = float(v.values) if v.size == 1 else None
                if v is not None and not isinstance(v, str):
                    parts.append(f"{label} = {float(v):.6g}")
            detail = "; ".join(parts)
        out.append(Failure(matrix.scenarios[s].name, region, float(times[t]), detail))
    return len(failing), out


def _label(node) -> str:
    if isinstance(node, expr_mod.Name):
        return node.name
    if isinstance(node, expr_mod.Num):
        return f"{node.value:g}"
    if isinstance(node, expr_mod.Call):
        return f"{node.func}({', '.join(_label(a) for a in node.args)})"
    if isinstance(node, expr_mod.Str):
        return repr(node.value)
    if isinstance(node, expr_mod.BinOp):
        return f"({_label(node.left)} {node.op} {_label(node.right)})"
    if isinstance(node, expr_mod.Neg):
        return f"-{_label(node.arg)}"
    return "expr"


def evaluate_assert(check: CheckSpec, ds: xr.Dataset, matrix: matrix_mod.Matrix, observations) -> tuple[int, list[Failure]]:
    ctx = expr_mod.Context(ds, ref_index=matrix.ref_index, observations=observations,
                           geographies=geography.GEOGRAPHIES)
    value = expr_mod.evaluate(check.assert_ast, ctx)
    if not isinstance(value, xr.DataArray) or value.dtype != bool:
        raise expr_mod.ExpressionError(f"check '{check.id}': the predicate is not a comparison (true/false)")
    mask = xr.DataArray(True)
    for m in ctx.masks:
        mask = mask & m
    if check.when_ast is not None:
        wctx = expr_mod.Context(ds, ref_index=matrix.ref_index, observations=observations,
                                geographies=geography.GEOGRAPHIES)
        when = expr_mod.evaluate(check.when_ast, wctx)
        for m in wctx.masks:
            when = when & m
        mask = mask & when
    like = value
    for other in (mask,):
        like = like.broadcast_like(other) if isinstance(other, xr.DataArray) else like
    like = like.broadcast_like(xr.DataArray(np.zeros((ds.sizes["sample"], ds.sizes["time"])),
                                            dims=("sample", "time"), coords={"time": ds.time}))
    bad = (~_to_full(value, like)) & _to_full(mask, like)
    bad = geography.select(bad, check.regions) if check.regions else bad
    operands = None
    if isinstance(check.assert_ast, expr_mod.Compare):
        octx = expr_mod.Context(ds, ref_index=matrix.ref_index, observations=observations,
                                geographies=geography.GEOGRAPHIES)
        operands = [(_label(a), expr_mod.evaluate(a, octx)) for a in check.assert_ast.args]
    return _locate(bad, matrix, operands)


def evaluate_finite(check: CheckSpec, compiled, matrix: matrix_mod.Matrix) -> tuple[int, list[Failure]]:
    outputs = compiled.default_outputs() if check.variables == "all" else list(check.variables)
    failing: dict[int, tuple[float, str, str | None]] = {}
    for start in range(0, len(matrix), FINITE_CHUNK):
        chunk = matrix.scenarios[start:start + FINITE_CHUNK]
        params, n = matrix_mod.engine_params(chunk, compiled)
        ds = compiled.run(params, n=n, outputs=outputs)
        times = ds["time"].values
        for name, da in ds.data_vars.items():
            other = [d for d in da.dims if d not in ("sample", "time")]
            raw = da.transpose("sample", "time", *other).values
            vals = raw.reshape(n, len(times), -1)
            bad = ~np.isfinite(vals)
            if not bad.any():
                continue
            shape = raw.shape[2:]
            for s in np.flatnonzero(bad.any(axis=(1, 2))):
                t = int(np.argmax(bad[s].any(axis=1)))
                cell = int(np.argmax(bad[s, t]))
                region = None
                if other:
                    idx = np.unravel_index(cell, shape)
                    region = ",".join(str(da[d].values[i]) for d, i in zip(other, idx))
                key = start + s
                if key not in failing or times[t] < failing[key][0]:
                    failing[key] = (float(times[t]), f"{name} = {vals[s, t, cell]}", region)
    order = sorted(failing, key=lambda k: (failing[k][0], k))
    out = [Failure(matrix.scenarios[k].name, failing[k][2], failing[k][0], failing[k][1]) for k in order[:MAX_LISTED]]
    return len(failing), out


def run_suite(suite: CheckSuite | Path | str = DEFAULT_CHECKS, model_path: Path | str = DEFAULT_MODEL,
              only: list[str] | None = None) -> SuiteReport:
    """Run every check of ``suite`` (or those whose id is in ``only``) against ``model_path``."""
    from .. import engine

    t0 = time_mod.perf_counter()
    if not isinstance(suite, CheckSuite):
        suite = load_suite(suite)
    checks = [c for c in suite.checks if not only or c.id in only]
    if only:
        missing = set(only) - {c.id for c in checks}
        if missing:
            from ..errors import UnknownNameError
            raise UnknownNameError("check", sorted(missing)[0], [c.id for c in suite.checks])
    compiled = engine.compile(model_path)
    observations = _observations(suite)
    by_matrix: dict[str, list[CheckSpec]] = {}
    for c in checks:
        for m in c.matrices:
            by_matrix.setdefault(m, []).append(c)
    results: dict[tuple[str, str], CheckResult] = {}
    sizes = {}
    for mname, mchecks in by_matrix.items():
        users = ", ".join(f"'{c.id}'" for c in mchecks[:5]) + (" …" if len(mchecks) > 5 else "")
        try:
            mx = matrix_mod.build(suite.matrices[mname], model_path)
            params, n = matrix_mod.engine_params(mx, compiled)
        except OasisError as exc:  # unknown preset/lever/constant in the matrix, `set:` of a non-constant
            raise CheckSpecError(f"{suite.path}: matrix '{mname}' (used by check {users}): "
                                 f"{str(exc).removeprefix(f'matrix {mname!r}: ')}") from None
        sizes[mname] = len(mx)
        needed = set()
        for c in mchecks:
            if c.kind == "assert":
                needed |= expr_mod.names(c.assert_ast)
                if c.when_ast is not None:
                    needed |= expr_mod.names(c.when_ast)
        ds = None
        unknown = set()
        for name in needed:
            try:
                compiled.resolve(name)
            except Exception:
                unknown.add(name)
        for c in mchecks:
            bad = sorted(unknown & (expr_mod.names(c.assert_ast) if c.kind == "assert" else set())
                         | unknown & (expr_mod.names(c.when_ast) if c.when_ast is not None else set()))
            if bad:
                results[(c.id, mname)] = CheckResult(c, mname, len(mx), error=f"unknown model variable(s): {', '.join(bad)}")
        needed -= unknown
        if not needed and any(c.kind == "assert" and (c.id, mname) not in results for c in mchecks):
            needed = {compiled.default_outputs()[0]}  # predicates on `time` only still need the run's axes
        if needed:
            try:
                ds = compiled.run(params, n=n, outputs=sorted(needed))
            except Exception as exc:  # an unknown variable in a predicate, an engine failure
                for c in mchecks:
                    results.setdefault((c.id, mname), CheckResult(c, mname, len(mx), error=f"run failed: {exc}"))
                continue
        for c in mchecks:
            if (c.id, mname) in results:
                continue
            t1 = time_mod.perf_counter()
            res = CheckResult(c, mname, len(mx))
            try:
                if c.kind == "all_finite":
                    res.n_failing, res.failures = evaluate_finite(c, compiled, mx)
                else:
                    res.n_failing, res.failures = evaluate_assert(c, ds, mx, observations)
            except OasisError as exc:
                res.error = str(exc)
            except (ArithmeticError, TypeError, ValueError, LookupError, AttributeError, RecursionError) as exc:
                # safety net: a predicate the static checks let through still never crashes the run
                res.error = f"check '{c.id}': cannot evaluate the predicate ({type(exc).__name__}: {exc})"
            res.seconds = time_mod.perf_counter() - t1
            results[(c.id, mname)] = res
    ordered = [results[(c.id, m)] for c in checks for m in c.matrices]
    return SuiteReport(ordered, Path(model_path), compiled.model_hash, time_mod.perf_counter() - t0, sizes)
