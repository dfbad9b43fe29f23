"""Run-time side: :class:`CompiledModel` (parameters, time grid, outputs)."""
from __future__ import annotations

import difflib
import hashlib
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from . import functions as F
from .cache import save_source
from .codegen import dynamic_outputs, generate_control, generate_simulate
from .compiler import CONTROL_VARS, ModelIR
from .errors import (ParameterShapeError, SimulationError,
                     UnknownParameterError, UnsupportedConstruct)

RPREC = 1e-5  # pysd Time.rprec: relative precision for final/saving time

# Large batches run in chunks of samples: numpy releases the GIL inside its
# loops, so THREADS threads work on chunks at once.  Chunks are as large as
# possible (Python overhead per operation dominates below a few thousand
# samples) but bounded to keep temporaries small (measured on Tianshan:
# 10,000 samples, 2 threads: 2048/chunk 3.0 s, 5000/chunk 2.4 s).
CHUNK = int(os.environ.get("OASIS_SD_CHUNK", "8192"))
MIN_CHUNK = 256
THREADS = int(os.environ.get("OASIS_SD_THREADS", str(min(2, os.cpu_count()
                                                             or 1))))


def _norm(name: str) -> str:
    """Case/space/underscore-insensitive key (like pysd's lookups)."""
    return re.sub(r"[\s_]+", " ", str(name).strip().lower())


@dataclass
class VariableInfo:
    """Metadata of one model variable (for ``describe``, lever checks)."""
    name: str                 # python name (pysd), e.g. cultivated_land_kha
    original_name: str        # Vensim name
    units: str
    documentation: str
    kind: str                 # stock | flow | aux | constant | lookup | control
    dims: tuple               # subscript ranges
    dependencies: tuple       # python names of the variables it uses
    limits: tuple = (None, None)
    default: object = field(default=None, repr=False)  # constants only


@dataclass
class TimeInfo:
    initial: float
    final: float
    time_step: float
    saveper: float


class CompiledModel:
    """A Vensim model compiled to a batched numpy program.

    Use :func:`sim.engine.compile` to obtain one.  ``run`` simulates many
    parameter sets at once (leading ``sample`` axis)."""

    def __init__(self, ir: ModelIR):
        self.ir = ir
        self.model_hash = ir.model_hash
        self.path = ir.source
        self.subscripts = {k: list(v) for k, v in ir.subscripts.items()}
        self._globals = {"np": np, "F": F}
        self._globals.update(ir.consts)
        self._variants = {}
        self.variables = self._build_metadata()
        self._names = {}
        for v in self.variables.values():
            self._names.setdefault(_norm(v.name), v.name)
            self._names.setdefault(_norm(v.original_name), v.name)
        ns = {}
        src = generate_control(ir)
        exec(compile(src, "<oasis-control-%s>" % ir.model_hash, "exec"),
             self._globals, ns)
        self._control = ns["control"]
        self._defaults = {k: v.default for k, v in ir.vars.items()
                          if v.kind == "constant"}
        self.time = self._time_info({}, None, None)

    # ------------------------------------------------------------ metadata
    def _build_metadata(self):
        ir = self.ir
        owners = {}
        for o in ir.objs.values():
            owners.setdefault(o.owner, set()).update(
                o.init_deps | o.out_deps | o.ddt_deps)
        out = {}
        for ident, v in ir.vars.items():
            deps = set(v.deps)
            # show what a stateful variable depends on, not its object
            for d in list(deps):
                if d in ir.objs:
                    deps.discard(d)
                    deps |= ir.objs[d].init_deps | ir.objs[d].out_deps \
                        | ir.objs[d].ddt_deps
            resolved = set()
            stack = list(deps)
            while stack:       # objects used inside objects' arguments
                d = stack.pop()
                if d in ir.objs:
                    o = ir.objs[d]
                    stack.extend(o.init_deps | o.out_deps | o.ddt_deps)
                elif d != ident:
                    resolved.add(d)
            out[ident] = VariableInfo(
                name=ident, original_name=v.name, units=v.units,
                documentation=v.documentation.strip(), kind=v.kind,
                dims=tuple(v.dims), dependencies=tuple(sorted(resolved)),
                limits=tuple(v.limits) if v.limits else (None, None),
                default=v.default)
        return out

    @property
    def constants(self):
        """Python names of the overridable constants."""
        return [k for k, v in self.variables.items() if v.kind == "constant"]

    def resolve(self, name: str) -> str:
        """Python name of a variable given its Vensim or python name."""
        key = _norm(name)
        if key in self._names:
            return self._names[key]
        cands = difflib.get_close_matches(
            key, list(self._names), n=5, cutoff=0.5)
        sugg = []
        for c in cands:
            if self._names[c] not in sugg:
                sugg.append(self._names[c])
        raise UnknownParameterError(name, sugg)

    # ---------------------------------------------------------------- time
    def _time_info(self, P, time_step, final_time) -> TimeInfo:
        ov = {"time_step": time_step, "final_time": final_time}
        consts = dict(self._defaults)
        consts.update(P)
        ctl = self._control(consts, ov)
        return TimeInfo(initial=ctl["initial_time"], final=ctl["final_time"],
                        time_step=ctl["time_step"], saveper=ctl["saveper"])

    @staticmethod
    def _time_grid(ti: TimeInfo):
        """Replicates pysd's Euler loop: time advances by repeated addition
        and a time is saved when it falls on the SAVEPER grid."""
        t = ti.initial
        dt = ti.time_step
        if not dt > 0:
            raise ValueError("TIME STEP must be > 0")
        prec = dt * RPREC
        times, save = [], []

        def in_return(t):
            delay = t - ti.initial
            return delay % ti.saveper < prec or -delay % ti.saveper < prec

        while t + dt * RPREC < ti.final:
            times.append(t)
            save.append(in_return(t))
            t = t + dt
        times.append(t)
        save.append(in_return(t))
        times = np.array(times)
        save = np.array(save, dtype=bool)
        digits = -int(np.log10(dt * RPREC))
        return times, save, np.round(times[save], digits)

    # ---------------------------------------------------------- parameters
    def _convert_param(self, ident, value):
        """-> ('const', array (S, *shape)) or ('ts', (index, values))."""
        info = self.ir.vars[ident]
        shape = info.shape
        if isinstance(value, pd.Series):
            idx = np.asarray(value.index, dtype=float)
            vals = np.asarray(value.values, dtype=float)
            if vals.ndim != 1:
                raise ParameterShapeError(
                    f"time series for {ident!r} must hold scalar values")
            order = np.argsort(idx)
            return "ts", (idx[order], vals[order])
        if isinstance(value, xr.DataArray):
            return "const", self._from_dataarray(ident, value)
        try:
            a = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise ParameterShapeError(
                f"value for {ident!r} is not numeric: {value!r}") from None
        if a.ndim == 0:
            return "const", np.full((1,) + shape, float(a))
        if shape and a.shape == shape:
            return "const", a[None, ...].copy()
        if a.shape[1:] == shape:
            return "const", a.copy()            # (n, *dims)
        if a.ndim == 1:                         # (n,) broadcast over dims
            return "const", np.broadcast_to(
                a.reshape((-1,) + (1,) * len(shape)),
                (a.shape[0],) + shape).copy()
        raise ParameterShapeError(
            f"value for {ident!r} has shape {a.shape}; expected a scalar, "
            f"(n,), {shape or '()'}" + (f", or (n, *{shape})" if shape else "")
            + f" (dims {list(info.dims)})")

    def _from_dataarray(self, ident, da):
        info = self.ir.vars[ident]
        dims = list(info.dims)
        extra = [d for d in da.dims if d not in dims and d != "sample"]
        if extra:
            raise ParameterShapeError(
                f"DataArray for {ident!r} has unknown dims {extra}; "
                f"expected a subset of {['sample'] + dims}")
        for d in da.dims:
            if d in dims and d in da.coords:
                got = [str(x) for x in da.coords[d].values]
                if sorted(got) != sorted(info.coords[d]):
                    raise ParameterShapeError(
                        f"DataArray for {ident!r}: coords of {d!r} are {got},"
                        f" expected {info.coords[d]}")
                da = da.sel({d: info.coords[d]})
            elif d in dims and da.sizes[d] != len(info.coords[d]):
                raise ParameterShapeError(
                    f"DataArray for {ident!r}: dim {d!r} has length "
                    f"{da.sizes[d]}, expected {len(info.coords[d])}")
        order = (["sample"] if "sample" in da.dims else []) + \
            [d for d in dims if d in da.dims]
        a = np.asarray(da.transpose(*order).values, dtype=float)
        if "sample" not in da.dims:
            a = a[None, ...]
        # insert missing dims
        idx = [slice(None)] + [slice(None) if d in da.dims else None
                               for d in dims]
        a = a[tuple(idx)]
        return np.broadcast_to(a, (a.shape[0],) + info.shape).copy()

    def _prepare(self, params, n):
        P = {}
        TS = {}
        sizes = set()
        for key, value in (params or {}).items():
            ident = self.resolve(key)
            v = self.ir.vars[ident]
            if v.kind != "constant":
                raise ParameterShapeError(
                    f"{key!r} is a {v.kind} variable ({ident}); only "
                    "constants can be set as parameters")
            kind, val = self._convert_param(ident, value)
            if kind == "ts":
                TS[ident] = val
            else:
                P[ident] = val
                if val.shape[0] != 1:
                    sizes.add(val.shape[0])
        if len(sizes) > 1:
            raise ParameterShapeError(
                f"parameters imply different sample counts: {sorted(sizes)}")
        implied = sizes.pop() if sizes else None
        if n is None:
            n = implied or 1
        elif implied is not None and implied != n:
            raise ParameterShapeError(
                f"n={n} but parameters have {implied} samples")
        full = dict(self._defaults)
        full.update(P)
        return full, TS, int(n)

    # ---------------------------------------------------------------- run
    def _variant(self, outputs, ts_names):
        key = (tuple(outputs), tuple(sorted(ts_names)))
        entry = self._variants.get(key)
        if entry is None:
            src = generate_simulate(self.ir, outputs, ts_names)
            tag = hashlib.sha1(repr(key).encode()).hexdigest()[:12]
            save_source(self.model_hash, "simulate_%s.py" % tag, src)
            ns = {}
            code = compile(src, "<oasis-sim-%s-%s>" % (self.model_hash, tag),
                           "exec")
            exec(code, self._globals, ns)   # our generated code only
            entry = (ns["simulate"],
                     dynamic_outputs(self.ir, outputs, ts_names))
            if len(self._variants) > 32:
                self._variants.clear()
            self._variants[key] = entry
        return entry

    def default_outputs(self):
        """Every variable except lookups (pysd's default return columns)."""
        return [k for k, v in self.variables.items() if v.kind != "lookup"]

    def run(self, params=None, *, n=None, outputs=None, time_step=None,
            final_time=None, backend=None) -> xr.Dataset:
        """Simulate; see the package docstring for the parameter formats.

        Returns an ``xarray.Dataset`` with dims ``(sample, time, *subscript
        dims)`` holding the values at SAVEPER times.  ``backend`` is
        ``"numpy"`` (default), ``"numba"`` or ``"auto"`` (numba for large
        batches when its kernel is compiled); ``None`` reads env ``OASIS_SD_BACKEND``."""
        P, TS, n = self._prepare(params, n)
        if outputs is None:
            outs = self.default_outputs()
        else:
            if isinstance(outputs, str):
                outputs = [outputs]
            outs = []
            for o in outputs:
                ident = self.resolve(o)
                if self.variables[ident].kind == "lookup":
                    raise ParameterShapeError(
                        f"{o!r} is a lookup table; it has no time series")
                if ident not in outs:
                    outs.append(ident)
        ti = self._time_info({k: v for k, v in P.items()}, time_step,
                             final_time)
        times, save, tcoord = self._time_grid(ti)
        ctl = {"initial_time": ti.initial, "final_time": ti.final,
               "time_step": ti.time_step, "saveper": ti.saveper}
        nsave = int(save.sum())
        mode = self._use_numba(backend, n, TS)
        if mode:
            from . import nbbackend
            try:
                with np.errstate(all="ignore"):
                    res = nbbackend.run_kernel(self.ir, P, TS, n, times,
                                               save, ctl, outs)
                return self._to_dataset(res, outs, n, tcoord)
            except SimulationError:
                raise
            except Exception:
                if mode == "forced":
                    raise
                nbbackend.mark_failed(self.ir, TS.keys())  # numpy instead
        fn, dyn = self._variant(outs, TS.keys())
        OUT = {o: np.empty((n, nsave) + self.ir.vars[o].shape) for o in dyn}
        # equal chunks, a multiple of THREADS of them, none above CHUNK
        nch = max(1, -(-n // CHUNK))
        if n >= 2 * MIN_CHUNK * THREADS or nch > 1:
            nch = -(-max(nch, THREADS) // THREADS) * THREADS
        bounds = np.linspace(0, n, nch + 1).astype(int)
        chunks = [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])
                  if b > a]

        def work(ab):
            a, b = ab
            Pc = {k: (v[a:b] if v.shape[0] == n and n > 1 else v)
                  for k, v in P.items()}
            Oc = {k: v[a:b] for k, v in OUT.items()}
            with np.errstate(all="ignore"):
                return fn(Pc, TS, b - a, times, save, ctl, Oc)

        if len(chunks) > 1 and THREADS > 1:
            with ThreadPoolExecutor(THREADS) as ex:
                statics = list(ex.map(work, chunks))
        else:
            statics = [work(c) for c in chunks]
        res = dict(OUT)
        for o in outs:
            if o in OUT:
                continue
            parts = [np.asarray(st[o], dtype=float) for st in statics]
            shape = self.ir.vars[o].shape
            if all(p.shape[0] == 1 for p in parts) and all(
                    np.array_equal(parts[0], p, equal_nan=True)
                    for p in parts[1:]):
                val = parts[0].reshape((1,) + shape)
            else:
                val = np.concatenate([np.broadcast_to(
                    p.reshape((-1,) + shape), (b - a,) + shape)
                    for p, (a, b) in zip(parts, chunks)])
            res[o] = np.broadcast_to(val[:, None], (n, nsave) + shape)
        return self._to_dataset(res, outs, n, tcoord)

    def _use_numba(self, backend, n, TS=()):
        # numpy by default: a run's numbers must not depend on whether a numba kernel happens
        # to be compiled on this machine; "auto" and "numba" are explicit opt-ins.
        backend = backend or os.environ.get("OASIS_SD_BACKEND") or "numpy"
        if backend == "numpy":
            return False
        from . import nbbackend
        if backend == "numba":
            if not nbbackend.AVAILABLE:
                raise ImportError("backend='numba' needs numba installed")
            return "forced"
        if backend != "auto":
            raise ValueError(f"unknown backend {backend!r}")
        if not nbbackend.AVAILABLE or n < nbbackend.NB_MIN_SAMPLES:
            return False
        return "auto" if nbbackend.is_ready(self.ir, TS) else False

    def warm_up(self, ts_params=()):
        """Compile (or load from disk) the numba kernel now; returns False
        when numba is unavailable or cannot compile this model."""
        from . import nbbackend
        if not nbbackend.AVAILABLE:
            return False
        try:
            self.run(n=1, backend="numba", outputs=self.default_outputs()[:1])
            return True
        except Exception:
            nbbackend.mark_failed(self.ir, ts_params)
            return False

    def _to_dataset(self, res, outs, n, tcoord):
        data = {}
        coords = {"sample": np.arange(n), "time": tcoord}
        for name in outs:
            v = self.ir.vars[name]
            for d in v.dims:
                if d not in coords:
                    coords[d] = list(v.coords[d])
                elif list(coords[d]) != list(v.coords[d]):
                    raise UnsupportedConstruct(
                        "dimension with different coordinates in outputs",
                        v.name, d)
            data[name] = (("sample", "time") + tuple(v.dims), res[name])
        ds = xr.Dataset(data, coords=coords)
        for name in outs:
            v = self.variables[name]
            ds[name].attrs.update(units=v.units, long_name=v.original_name)
        ds.attrs["model_hash"] = self.model_hash
        return ds

    def __repr__(self):
        return "<CompiledModel %s (%d variables) %s>" % (
            self.path, len(self.variables), self.model_hash)
