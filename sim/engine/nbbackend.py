"""Optional numba backend: one fused, parallel kernel per model.

numpy evaluates every equation for all samples at once, which is fast for
single runs but memory-bound for large batches (~500 array operations per
Euler step for Tianshan).  The kernel generated here runs each sample's
whole simulation with scalar code, from the same IR and schedule as the
numpy backend.

The kernel module is written to the engine cache directory and compiled by
numba with ``cache=True``: the first compilation of a model takes a while
(tens of seconds to minutes), later processes load it from disk.  The
``auto`` backend therefore only uses a kernel that is already compiled
(``warm_up`` or ``backend="numba"`` compiles it).  The kernel loops
over a range of samples without the GIL; ``THREADS`` threads share the
batch.  Used automatically
(any batch size) when numba is importable and the kernel is compiled;
``OASIS_SD_BACKEND=numpy|numba`` forces a backend.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .cache import _atomic_write, cache_dir
from .codegen import generate_kernel
from .errors import SimulationError

try:  # numba is optional
    import numba  # noqa: F401
    AVAILABLE = True
except Exception:  # pragma: no cover - depends on the environment
    AVAILABLE = False

NB_MIN_SAMPLES = int(os.environ.get("OASIS_SD_NB_MIN", "1"))
THREADS = int(os.environ.get("OASIS_SD_THREADS", str(min(2, os.cpu_count()
                                                             or 1))))
_lock = threading.Lock()
_kernels = {}


_failed = set()
_ready = set()


def _kernel_path(ir, src):
    tag = hashlib.sha1(src.encode()).hexdigest()[:12]
    return cache_dir() / ir.model_hash / ("nbkernel_%s.py" % tag), tag


def is_ready(ir, ts_params=()):
    """True when the kernel is compiled in this process or in numba's disk
    cache (so ``auto`` never makes a caller wait for a first compile)."""
    key = (ir.model_hash, tuple(sorted(ts_params)))
    if key in _failed:
        return False
    if key in _ready or (key in _kernels and _kernels[key][0].signatures):
        return True
    src = generate_kernel(ir, ts_params)[0]
    path, _ = _kernel_path(ir, src)
    pyc = path.parent / "__pycache__"
    ok = pyc.is_dir() and any(pyc.glob(path.stem + ".kernel-*.nbi"))
    if ok:
        _ready.add(key)
    return ok


def mark_failed(ir, ts_params=()):
    _failed.add((ir.model_hash, tuple(sorted(ts_params))))


def load_kernel(ir, ts_params):
    """(kernel, constants order, time-series order, outputs order)."""
    key = (ir.model_hash, tuple(sorted(ts_params)))
    with _lock:
        if key in _kernels:
            return _kernels[key]
        src, consts, ts_list, outs = generate_kernel(ir, ts_params)
        path, tag = _kernel_path(ir, src)
        if not path.is_file() or path.read_text() != src:
            _atomic_write(path, src.encode())
        name = "oasis_nbkernel_%s_%s" % (ir.model_hash, tag)
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod     # numba's disk cache re-imports by name
        spec.loader.exec_module(mod)
        for cname, value in ir.consts.items():   # frozen into the kernel
            setattr(mod, cname, np.ascontiguousarray(value))
        entry = (mod.kernel, consts, ts_list, outs)
        _kernels[key] = entry
        return entry


def _compile_once(kernel, *args):
    """Compile (or load from numba's disk cache) with an empty sample range.

    numba's SSA pass recurses deeply on large kernels (Tianshan: ~1,400
    lines), so this runs in a helper thread with a 512 MiB stack and a raised
    recursion limit."""
    with _lock:
        if kernel.signatures:
            return
        errors = []

        def target():
            try:
                kernel(0, 0, *args)
            except BaseException as err:  # re-raised in the caller
                errors.append(err)

        old_limit = sys.getrecursionlimit()
        old_stack = threading.stack_size()
        sys.setrecursionlimit(max(old_limit, 200000))
        try:
            threading.stack_size(512 * 1024 * 1024)
            th = threading.Thread(target=target, name="oasis-numba-compile")
            th.start()
        finally:
            threading.stack_size(old_stack)
        th.join()
        sys.setrecursionlimit(old_limit)
        if errors:
            raise errors[0]


def run_kernel(ir, P, TS, n, times, save, ctl, wanted):
    """Run the fused kernel; returns ``{output: (n, nsave, *dims)}``."""
    kernel, consts, ts_list, outs = load_kernel(ir, TS.keys())
    nsave = int(save.sum())
    CS = tuple(np.ascontiguousarray(P[c], dtype=float) for c in consts)
    TSI = tuple(np.ascontiguousarray(TS[k][0], dtype=float) for k in ts_list)
    TSV = tuple(np.ascontiguousarray(TS[k][1], dtype=float) for k in ts_list)
    wanted = set(wanted)
    OS = tuple(
        np.empty((n, nsave) + ir.vars[o].shape) if o in wanted
        else np.empty((1, 1) + ir.vars[o].shape) for o in outs)
    WANT = np.array([o in wanted for o in outs], dtype=np.bool_)
    ERR = np.zeros(n, dtype=np.int8)
    ctl_arr = np.array([ctl["initial_time"], ctl["final_time"],
                        ctl["time_step"], ctl["saveper"]], dtype=float)
    times = np.ascontiguousarray(times, dtype=float)
    save = np.ascontiguousarray(save, dtype=np.bool_)
    _compile_once(kernel, times, save, ctl_arr, CS, TSI, TSV, OS, WANT, ERR)
    # the kernel releases the GIL: split the samples over THREADS threads
    threads = max(1, min(THREADS, n // 16))
    bounds = np.linspace(0, n, threads + 1).astype(np.int64)

    def work(i):
        kernel(bounds[i], bounds[i + 1], times, save, ctl_arr, CS, TSI, TSV,
               OS, WANT, ERR)

    if threads == 1:
        work(0)
    else:
        with ThreadPoolExecutor(threads) as ex:
            list(ex.map(work, range(threads)))
    if ERR.any():
        raise SimulationError(
            "a delay time is smaller than TIME STEP for samples "
            f"{np.flatnonzero(ERR)[:10].tolist()}")
    return {o: a for o, a in zip(outs, OS) if o in wanted}
