"""Benchmark: pysd vs sim.engine on one model, side by side in one process.

    .venv/bin/python bench/engine.py [--model sd_models/tianshan.mdl]
        [--sizes 1,100,1000,10000] [--pysd-runs 1] [--no-pysd]

Reports pysd single-run time, engine single-run time and their ratio, then
engine throughput for batches keeping ~10 output variables (runs/s, wall
time, peak memory).  Wall times are measured without tracing; peak memory
comes from a second, traced run (tracemalloc sees numpy's allocations) and
the process max RSS is printed too.
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sim import engine  # noqa: E402


def pick_outputs(model, k=10):
    """~k output variables: stocks first, then flows/auxiliaries."""
    order = {"stock": 0, "flow": 1, "aux": 2}
    cands = sorted((v for v in model.variables.values() if v.kind in order),
                   key=lambda v: (order[v.kind], v.name))
    return [v.name for v in cands[:k]]


def random_params(model, n, seed=0):
    rng = np.random.default_rng(seed)
    params = {}
    for name in model.constants:
        d = np.asarray(model.variables[name].default, dtype=float)[0]
        if "year" in name and np.all(d > 1900):
            params[name] = np.broadcast_to(d, (n,) + d.shape).copy()
        else:
            params[name] = d * rng.uniform(0.9, 1.1, size=(n,) + d.shape)
    return params


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(REPO / "sd_models" / "tianshan.mdl"))
    ap.add_argument("--sizes", default="1,100,1000,10000")
    ap.add_argument("--pysd-runs", type=int, default=1)
    ap.add_argument("--no-pysd", action="store_true")
    ap.add_argument("--outputs", type=int, default=10)
    ap.add_argument("--backend", default="numpy",
                    help="numpy, numba or auto for the batch table")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore")

    t = time.perf_counter()
    model = engine.compile(args.model)
    print(f"model        {args.model}")
    print(f"compile      {time.perf_counter() - t:.2f} s (cached after first)")
    print(f"variables    {len(model.variables)}; subscripts "
          f"{ {k: len(v) for k, v in model.subscripts.items()} }")
    ti = model.time
    print(f"time         {ti.initial}..{ti.final} dt={ti.time_step} "
          f"saveper={ti.saveper}")
    outs = pick_outputs(model, args.outputs)
    print(f"outputs      {len(outs)}: {', '.join(outs)}")
    import os

    from sim.engine import runtime
    print(f"backend      {args.backend} (batches), chunk={runtime.CHUNK} "
          f"threads={runtime.THREADS} cores={os.cpu_count()}")
    if args.backend == "numba":
        t = time.perf_counter()
        ok = model.warm_up()
        print(f"numba kernel {'ready' if ok else 'FAILED'} in "
              f"{time.perf_counter() - t:.1f} s (compiled once, then cached)")
    print()

    model.run()   # warm up (code generation)
    eng_single = best_of(lambda: model.run(), 5)
    print(f"engine single run (all {len(model.variables)} vars): "
          f"{eng_single * 1000:.1f} ms")
    model.run(outputs=outs)
    eng_single_o = best_of(lambda: model.run(outputs=outs), 5)
    print(f"engine single run ({len(outs)} outputs):       "
          f"{eng_single_o * 1000:.1f} ms")
    if not args.no_pysd:
        from sim.engine import pysd_reference
        pysd_reference.run(args.model)            # translate once
        pysd_t = best_of(lambda: pysd_reference.run(args.model),
                         args.pysd_runs)
        print(f"pysd single run (all vars):              {pysd_t:.2f} s")
        print(f"ratio pysd/engine (all vars):            "
              f"{pysd_t / eng_single:.0f}x")
    print()
    print(f"{'n':>7} {'wall s':>8} {'runs/s':>10} {'peak MiB':>9} "
          f"{'s per 1k':>9}")
    for n in [int(s) for s in args.sizes.split(",")]:
        params = random_params(model, n)
        bk = args.backend
        model.run(params if n > 1 else None, outputs=outs, n=n,
                  backend=bk)  # warm-up
        # wall time without tracemalloc (it slows every allocation down)
        wall = best_of(lambda: model.run(params, outputs=outs, backend=bk),  # noqa: B023 - called in this iteration
                       3 if n <= 1000 else 1)
        tracemalloc.start()
        ds = model.run(params, outputs=outs, backend=bk)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert ds.sizes["sample"] == n
        print(f"{n:>7} {wall:>8.3f} {n / wall:>10.1f} {peak / 2**20:>9.1f} "
              f"{wall / n * 1000:>9.3f}")
        del ds
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nprocess max RSS: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
