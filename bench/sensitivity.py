"""Benchmark: a full Sobol' job on the Tianshan model, local pool vs Dask LocalCluster vs pysd.

    .venv/bin/python bench/sensitivity.py                 # N=1024, all levers, 10 outputs, every year
    .venv/bin/python bench/sensitivity.py --n 64 --pysd-runs 4    # quick look

What it measures (evaluation: sampling + chunked model runs + storing chunks;
the rest of the job — assembly, analysis, convergence check and report — is
timed once, on the ``--analyse-on`` backend, because it is the same work
whatever executes the runs; that run is the complete job, report included):

* ``local``          ``--scheduler local --workers 2`` (process pool, 1 engine thread each)
* ``local-cluster``  ``--scheduler local-cluster --workers 2`` (Dask LocalCluster)
* ``in-process``     optional (``--backends ...,in-process``): one process, engine threads
* ``pysd``           the same samples run one by one through pysd on a small subset
                     (``sim.engine.pysd_reference.run``), extrapolated to the whole job

It also checks that every backend produced bit-identical outputs, and how
closely pysd agrees with the batched engine on the subset.  Results go to
stdout (Markdown) and ``runs/bench/sensitivity-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.sensitivity import JobSpec, TextProgressBar, run_job  # noqa: E402
from sim.sensitivity.evaluators import ModelEvaluator  # noqa: E402
from sim.sensitivity.job import nominal_params  # noqa: E402

MODEL = ROOT / "sd_models" / "tianshan.mdl"
OUTPUTS = [
    "co2_emissions_mt", "so2_emissions_kt", "gdp_1e8yuan", "population_10k",
    "total_water_use_1e8m3_per_yr", "agricultural_water_use_1e8m3_per_yr",
    "groundwater_depth_m[urumqi_changji]", "ebinur_lake_area_km2", "natural_oasis_kha",
    "desert_kha",
]


def run_backend(name: str, args, out_root: Path) -> dict:
    scheduler, workers = {"local": ("local", 2), "local-cluster": ("local-cluster", 2),
                          "in-process": ("local", 1)}[name]
    out = out_root / name
    shutil.rmtree(out, ignore_errors=True)
    spec = JobSpec(method="sobol", factors=args.factors, outputs=args.outputs, n=args.n,
                   every_year=True, seed=args.seed, scheduler=scheduler, workers=workers,
                   chunk_size=args.chunk_size, out=out, model=MODEL,
                   engine_backend=args.engine_backend,
                   analyse=name == args.analyse_on, convergence=name == args.analyse_on,
                   report=name == args.analyse_on)
    print(f"\n== {name}: scheduler={scheduler} workers={workers}", file=sys.stderr)
    t0 = time.perf_counter()
    res = run_job(spec, progress=TextProgressBar())
    wall = time.perf_counter() - t0
    return {"backend": name, "scheduler": scheduler, "workers": workers, "runs": res.runs_total,
            "chunks": res.chunks_total, "eval_s": res.eval_seconds, "wall_s": wall,
            "analysis_s": res.timings.get("analyse") if spec.analyse else None,
            "timings_s": res.timings, "job_total_s": res.total_seconds,
            "runs_per_s": res.runs_total / res.eval_seconds, "Y": res.Y, "X": res.X,
            "factors": res.factors, "outputs": res.outputs, "years": res.years}


def run_pysd(args, ref: dict) -> dict:
    """Same rows through pysd, one run at a time, reduced by the same output code."""
    try:
        from sim.engine import pysd_reference

        def pysd_run(path, params, outputs):
            return pysd_reference.run(path, params=params, outputs=outputs)
    except ImportError:  # plain pysd, converted to the engine's (sample, time, *dims) format
        import pysd
        import xarray as xr

        model = pysd.read_vensim(str(MODEL))

        def pysd_run(path, params, outputs):
            model.reload()
            df = model.run(params={k: float(v[0]) for k, v in params.items()},
                           return_columns=outputs, flatten_output=False)
            data = {}
            for col in df.columns:
                cells = list(df[col])
                if isinstance(cells[0], xr.DataArray):
                    da = xr.concat(cells, dim="time").assign_coords(time=df.index.values)
                else:
                    da = xr.DataArray(np.asarray(cells, float), dims=["time"],
                                      coords={"time": df.index.values})
                data[col] = da.expand_dims(sample=[0])
            return xr.Dataset(data)

    k = args.pysd_runs
    # Same nominal (calibrated) constants under the factors as the job's engine runs.
    ev = ModelEvaluator(MODEL, ref["factors"], ref["outputs"], years=ref["years"],
                        base_params=nominal_params("calibrated", MODEL))
    ev.prepare()
    X = ref["X"][:k]
    pysd_run(MODEL, {n: v[:1] for n, v in ev._params(X).items()}, ev._request_names())  # translate/warm
    t0 = time.perf_counter()
    Ys = []
    for i in range(k):
        ds = pysd_run(MODEL, {n: v[i:i + 1] for n, v in ev._params(X).items()}, ev._request_names())
        Ys.append(ev._reduce(ds))
    per_run = (time.perf_counter() - t0) / k
    Yp = np.concatenate(Ys)
    Ye = ref["Y"][:k]
    denom = np.maximum(np.abs(Ye), 1e-9)
    return {"backend": "pysd (extrapolated)", "sampled_runs": k, "s_per_run": per_run,
            "eval_s": per_run * ref["runs"], "runs_per_s": 1.0 / per_run,
            "max_rel_diff_vs_engine": float(np.nanmax(np.abs(Yp - Ye) / denom))}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=1024)
    p.add_argument("--factors", default="levers")
    p.add_argument("--outputs", default=",".join(OUTPUTS))
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--chunk-size", type=int, default=None)
    p.add_argument("--backends", default="local,local-cluster")
    p.add_argument("--analyse-on", default="local", help="backend whose run also times the analysis")
    p.add_argument("--pysd-runs", type=int, default=8)
    p.add_argument("--engine-backend", choices=("numpy", "numba"), default="numpy",
                   help="numba: the kernel is JIT-compiled once (minutes) and disk-cached")
    args = p.parse_args(argv)
    if not MODEL.exists():
        print(f"model {MODEL} not found: the bench needs the Tianshan model", file=sys.stderr)
        return 2
    try:
        import sim.engine  # noqa: F401
        import sim.levers  # noqa: F401
    except ImportError as exc:
        print(f"bench needs sim.engine and sim.levers ({exc})", file=sys.stderr)
        return 2

    out_root = ROOT / "runs" / "bench" / "sensitivity"
    results = [run_backend(b.strip(), args, out_root) for b in args.backends.split(",") if b.strip()]
    ref = results[0]
    for r in results[1:]:
        r["identical_to_" + ref["backend"]] = bool(r["Y"].tobytes() == ref["Y"].tobytes())
    rows = results + ([run_pysd(args, ref)] if args.pysd_runs > 0 else [])

    n_f = len(ref["factors"])
    print(f"\n### Sobol' N={args.n}, {n_f} factors ({args.factors}), {len(ref['outputs'])} outputs × "
          f"{len(ref['years'])} years = {ref['runs']} runs; engine backend {args.engine_backend}; "
          f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}\n")
    print("| backend | runs | evaluation wall time | runs/s | notes |\n|---|---|---|---|---|")
    for r in rows:
        notes = []
        for k, v in r.items():
            if k.startswith("identical_to_"):
                notes.append(f"bit-identical to {k[13:]}: {v}")
        if "s_per_run" in r:
            notes.append(f"{r['sampled_runs']} runs measured, {r['s_per_run']:.3f} s/run, "
                         f"max rel. diff vs engine {r['max_rel_diff_vs_engine']:.1e}")
        if r.get("analysis_s") is not None:
            t = r["timings_s"]
            notes.append(f"full job {r['job_total_s']:.0f} s = " + ", ".join(
                f"{k} {t[k]:.1f} s" for k in ("prepare", "sample", "evaluate", "assemble", "analyse",
                                                "convergence", "report") if k in t))
        runs = r.get("runs", ref["runs"])
        print(f"| {r['backend']} | {runs} | {r['eval_s']:.1f} s | {r['runs_per_s']:.3g} | {'; '.join(notes)} |")
    slim = [{k: v for k, v in r.items() if k not in ("X", "Y", "factors", "outputs", "years")}
            for r in rows]
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = ROOT / "runs" / "bench" / f"sensitivity-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"n": args.n, "factors": args.factors, "results": slim}, indent=2))
    print(f"\n(saved {path.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
