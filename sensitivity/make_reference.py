"""Regenerate ``sensitivity/reference/``: the baseline sensitivity result the app's Trust tab shows.

    .venv/bin/python sensitivity/make_reference.py                # run the job (~1.5 min, 2 cores) + export
    .venv/bin/python sensitivity/make_reference.py --export-only  # re-export runs/sensitivity/reference

The job is exactly ``oasis-sd sensitivity`` with the arguments in :data:`ARGS`
(printed in the README it writes); its full output (samples, 300 MB of raw
outputs, the complete indices with S2 and N) stays in the scratch directory
``runs/sensitivity/reference`` (git-ignored).  Committed, next to this
script, in ``sensitivity/reference/``:

* ``indices.csv`` — ``method,output,year,factor,index,value,conf``: S1 and ST
  with their 95 % bootstrap CI half-widths, per output and year (the columns
  ``sim.app_support.load_sensitivity`` requires; S2 pairs are left out because
  the app has no second-factor column; values rounded to 6 significant digits);
* ``convergence_summary.csv``, ``manifest.json`` (job identity, warnings, timings);
* ``report/report.md`` and its PNG charts (the self-contained HTML is not copied);
* ``README.md`` — the command, run time and how to regenerate (written here).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim import runner  # noqa: E402
from sim.app_support import SENSITIVITY_COLUMNS as APP_COLUMNS  # noqa: E402 - what the app requires
from sim.calibrate.result import ENV_VAR as CALIBRATED_ENV  # noqa: E402
from sim.sensitivity import TextProgressBar, run_job  # noqa: E402
from sim.sensitivity.job import add_arguments, spec_from_args  # noqa: E402
from sim.sensitivity.store import atomic_write_bytes  # noqa: E402

REF_DIR = ROOT / "sensitivity" / "reference"
SCRATCH = "runs/sensitivity/reference"

# Key policy indicators over the Tianshan North Slope (the five Belt regions), every year.
OUTPUTS = [
    "co2_emissions_mt[Belt]",
    "total_water_use_1e8m3_per_yr[Belt]",
    "agricultural_water_use_1e8m3_per_yr[Belt]",
    "groundwater_storage_1e8m3[Belt]",
    "cultivated_land_kha[Belt]",
    "natural_oasis_kha[Belt]",
    "desert_kha[Belt]",
    "ebinur_lake_inflow_1e8m3_per_yr",
    "ebinur_lake_area_km2",
    "gdp_1e8yuan[Belt]",
]
# N = 2048: at N = 1024 the top-5 ST of 7 output-years still moved by 0.055–0.115 between
# N/2 and N (the job's convergence criterion is ≤ 0.05); at 2048 all of them settle.
ARGS = ["--method", "sobol", "--factors", "levers", "--outputs", ",".join(OUTPUTS), "--n", "2048",
        "--every-year", "--seed", "42", "--workers", "2", "--nominal", "calibrated", "--out", SCRATCH]


def _shell(args: list[str]) -> str:
    return " ".join(f"'{a}'" if any(c in a for c in "[],") else a for a in args)


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write(path: Path, data: bytes | str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data.encode() if isinstance(data, str) else data)
    return path.stat().st_size


def app_table(indices: pd.DataFrame) -> pd.DataFrame:
    """S1/ST rows in the app's columns (S2 pairs dropped: the app has no factor2 column)."""
    first = indices[indices["factor2"].isna()] if "factor2" in indices else indices
    return first[APP_COLUMNS]


def export(scratch: Path, run_info: dict) -> dict[str, int]:
    """Copy the committed subset of a finished job in ``scratch`` to REF_DIR; return sizes."""
    manifest = json.loads((scratch / "manifest.json").read_text())
    if manifest.get("status") != "complete":
        raise SystemExit(f"{scratch} holds no complete job (status {manifest.get('status')!r}).")
    sizes: dict[str, int] = {}
    ind = pd.read_csv(scratch / "indices.csv", dtype={"year": "Int64"})
    sizes["indices.csv"] = _write(REF_DIR / "indices.csv",
                                  app_table(ind).to_csv(index=False, float_format="%.6g"))
    for name in ("convergence_summary.csv", "manifest.json"):
        sizes[name] = _write(REF_DIR / name, (scratch / name).read_bytes())
    report = REF_DIR / "report"
    keep = {"report.md"} | {p.name for p in (scratch / "report").glob("*.png")}
    for p in sorted(report.glob("*")) if report.exists() else []:
        if p.name not in keep:  # charts of outputs no longer in the job
            p.unlink()
    for name in sorted(keep):
        sizes[f"report/{name}"] = _write(report / name, (scratch / "report" / name).read_bytes())
    first_years = ind.groupby("output")["year"].min().astype(int).to_dict()
    sizes["README.md"] = _write(REF_DIR / "README.md", readme(manifest, run_info, sizes, first_years))
    return sizes


def readme(m: dict, run: dict, sizes: dict[str, int], first_years: dict[str, int]) -> str:
    t = m.get("timings_s", {})
    order = ["prepare", "sample", "evaluate", "assemble", "analyse", "convergence", "report"]
    stages = ", ".join(f"{k} {t[k]:.1f} s" for k in order if k in t)
    ev = m["evaluator"]
    base = ev.get("base_params") or {}
    cal = run.get("calibrated")
    nominal = (f"the calibrated parameters ({len(base)} constants from `{run.get('calibrated_file')}`, "
               f"sha256 `{cal[:12]}…`)" if base and cal else
               "the model file's own constant values (no `calibration/calibrated.toml` at the time)")
    total_kb = sum(sizes.values()) / 1024
    dirty = (" **with uncommitted changes to the model or calibration file**"
             if run.get("calibration_dirty") else " (model and calibration as committed)")
    warn = "\n".join(f"- {w}" for w in m.get("warnings", [])) or "- none"
    return f"""# Reference sensitivity result (baseline)

Variance-based (Sobol') global sensitivity of ten key policy indicators of the
Tianshan North Slope to the {len(m['factors'])} policy levers, every year
from the first year the levers move an output ({min(first_years.values())}–{max(first_years.values())})
to {m['years'][-1]}. The app's **Trust** tab reads `indices.csv`
(`sim.app_support.load_sensitivity`): pick an output and a year, and it ranks the
levers by S1 (first-order: share of the output's variance explained by the lever
alone) or ST (total: including its interactions), with 95 % bootstrap CIs.

## How it was made

```
.venv/bin/python sensitivity/make_reference.py
```

which runs exactly

```
oasis-sd sensitivity {_shell(ARGS)}
```

and copies the committed subset here (see the script's docstring).

* Made {run['date']} at commit `{run['commit']}`{dirty}; model `{Path(ev['model_path']).name}`
  (engine model hash `{ev['model_hash']}`), engine backend `{ev['engine_backend']}`.
* Constants that are not levers take {nominal}.
* Sobol'/Saltelli design, N = {m['n']} base points × (2·{len(m['factors'])} + 2) =
  {m['total_rows']:,} model runs; seed {m['seed']} (bootstrap seed {m['seed'] + 1},
  100 resamples); S1/ST for every year, S2 for the report years {m.get('report_years')}.
  N = 2048 rather than 1024 because at 1024 the top-5 ST of 7 output-years still moved by
  more than the convergence criterion (0.05) between N/2 and N; see `convergence_summary.csv`.
* **Run time: {t.get('total', float('nan')):.0f} s** wall on {run['cpus']} cores (2 workers),
  load average {run['load']:.1f} at the start — {stages}.

To regenerate (e.g. after a model change or a new calibration), run the command
above and commit `sensitivity/reference/`. It is deterministic: the same model,
calibration, seed and library versions give the same numbers on this machine.
`--export-only` re-exports the last run from `{SCRATCH}` without running it again.

## Files ({total_kb:.0f} KB)

| file | content |
|---|---|
| `indices.csv` | `method,output,year,factor,index,value,conf`: S1 and ST per output, year and lever; `conf` = half-width of the 95 % bootstrap CI. Years in which an output does not vary across runs (before the levers can act) have no rows. S2 pairs (report years only) are in the full `indices.csv` of the scratch run. |
| `convergence_summary.csv` | per output and report year: largest change of the top-5 ST between N/2 and N (criterion ≤ 0.05) |
| `manifest.json` | job identity (factors and bounds, outputs, years, model hash, nominal parameters, versions), warnings, stage timings |
| `report/report.md` + PNGs | ranked bars (ST, S1 ± CI) for {', '.join(map(str, m.get('report_years', [])))}, time-varying ST of the top levers, convergence |

## Warnings of the run

{warn}
"""


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--export-only", action="store_true", help=f"re-export {SCRATCH} without running")
    p.add_argument("--calibration-rev", metavar="REV",
                   help="use calibration/calibrated.toml as committed at REV (e.g. HEAD) instead of "
                        "the working-tree file, while someone is re-calibrating")
    args = p.parse_args(argv)
    os.chdir(ROOT)
    scratch = ROOT / SCRATCH
    label = None
    if args.calibration_rev and not args.export_only:
        rev = _git("rev-parse", "--short", args.calibration_rev).strip()
        text = _git("show", f"{rev}:calibration/calibrated.toml") if rev else ""
        if not rev or not text:
            raise SystemExit(f"--calibration-rev {args.calibration_rev}: no calibration/calibrated.toml there.")
        pinned = ROOT / "runs" / "sensitivity" / f"calibrated-{rev}.toml"
        _write(pinned, text)
        os.environ[CALIBRATED_ENV] = str(pinned)  # read by sim.runner.calibration_file()
        label = f"calibration/calibrated.toml at {rev}"
    cal = runner.calibration_file()  # the file the job's --nominal calibrated reads
    run_info = {
        "date": dt.date.today().isoformat(),
        "commit": _git("rev-parse", "--short", "HEAD").strip() or "?",
        "cpus": os.cpu_count(), "load": os.getloadavg()[0],
        "calibrated": _sha(cal) if cal is not None and cal.exists() else None,
        "calibrated_file": str(cal.relative_to(ROOT) if cal and cal.is_relative_to(ROOT) else cal),
        **({"calibrated_file": label} if label else {}),
        "calibration_dirty": bool(_git(
            "status", "--porcelain", "sd_models", *([] if label else ["calibration/calibrated.toml"])).strip()),
    }
    if not args.export_only:
        shutil.rmtree(scratch, ignore_errors=True)  # our own scratch dir: a fresh, timed run
        spec = spec_from_args(add_arguments(argparse.ArgumentParser()).parse_args(ARGS))
        print("oasis-sd sensitivity " + _shell(ARGS), file=sys.stderr)
        t0 = time.perf_counter()
        res = run_job(spec, progress=TextProgressBar())
        print(f"job finished in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        for w in res.warnings:
            print("warning:", w, file=sys.stderr)
        _write(scratch / "run_info.json", json.dumps(run_info, indent=1))
    elif (scratch / "run_info.json").exists():  # date, commit and load of the run, not of now
        run_info = json.loads((scratch / "run_info.json").read_text())
    sizes = export(scratch, run_info)
    for name, size in sizes.items():
        print(f"{size / 1024:8.0f} KB  sensitivity/reference/{name}")
    print(f"{sum(sizes.values()) / 1024:8.0f} KB  total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
