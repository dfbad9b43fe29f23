"""Committed baseline outputs: key outputs of every preset at 5-year steps + the model hash.

The baseline lives in ``tests/baseline/baseline.json``; ``tests/baseline/test_baseline.py``
fails when the current model's outputs differ from it. After an intended model change, review
the differences and regenerate with::

    python -m sim.checks.baseline --update        (or: oasis-sd baseline --update)
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from .. import geography
from ..errors import OasisError
from ..io import atomic_write
from ..model import DEFAULT_MODEL, REPO_ROOT, model_hash

BASELINE_FILE = REPO_ROOT / "tests" / "baseline" / "baseline.json"
REGENERATE = "python -m sim.checks.baseline --update"
YEARS = list(range(1990, 2061, 5))
RTOL = 1e-6  # outputs are deterministic; this only absorbs float formatting and BLAS noise
KEY_OUTPUTS = [
    "population_10k", "gdp_1e8yuan", "cultivated_land_kha", "natural_oasis_kha", "transition_zone_kha",
    "built_up_land_kha", "groundwater_storage_1e8m3", "total_water_use_1e8m3_per_yr",
    "agricultural_water_use_1e8m3_per_yr", "ecological_water_use_1e8m3_per_yr",
    "surface_outflow_1e8m3_per_yr", "co2_emissions_mt", "so2_emissions_kt", "energy_use_mtce",
    "ebinur_lake_volume_1e8m3", "manas_lake_volume_1e8m3", "ebinur_lake_inflow_1e8m3_per_yr",
    "renewable_share_of_electricity",
]


def generate(model_path: Path | str = DEFAULT_MODEL) -> dict:
    """Key outputs of every preset (one batched run)."""
    from .. import engine, scenarios
    from . import matrix as matrix_mod

    compiled = engine.compile(model_path)
    names = scenarios.available()
    scs = [matrix_mod.Scenario(n, matrix_mod.preset_params(n)) for n in names]
    params, n = matrix_mod.engine_params(scs, compiled)
    ds = compiled.run(params, n=n, outputs=KEY_OUTPUTS).sel(time=YEARS)
    out = {"model_hash": model_hash(model_path), "years": YEARS, "regenerate": REGENERATE, "presets": {}}
    for i, name in enumerate(names):
        entry = {}
        for var in KEY_OUTPUTS:
            da = ds[var].isel(sample=i)
            dim = geography.REGION_DIM
            if dim in da.dims:
                entry[var] = {str(r): [float(f"{v:.8g}") for v in da.sel({dim: r}).values]
                              for r in da[dim].values}
            else:
                entry[var] = [float(f"{v:.8g}") for v in da.values]
        out["presets"][name] = entry
    return out


def write(path: Path | str = BASELINE_FILE, model_path: Path | str = DEFAULT_MODEL) -> Path:
    data = generate(model_path)
    lines = ["{", f' "model_hash": {json.dumps(data["model_hash"])},', f' "regenerate": {json.dumps(REGENERATE)},',
             f' "years": {json.dumps(data["years"])},', ' "presets": {']
    names = list(data["presets"])
    for i, name in enumerate(names):
        lines.append(f"  {json.dumps(name)}: {{")
        entry = data["presets"][name]
        for j, (var, val) in enumerate(entry.items()):
            comma = "," if j < len(entry) - 1 else ""
            lines.append(f"   {json.dumps(var)}: {json.dumps(val, separators=(',', ':'))}{comma}")
        lines.append("  }" + ("," if i < len(names) - 1 else ""))
    lines += [" }", "}", ""]
    text = "\n".join(lines)
    json.loads(text)  # well-formed

    def _write(tmp):
        Path(tmp).write_text(text, encoding="utf-8")
        Path(tmp).chmod(0o644)
    return atomic_write(path, _write)


def load(path: Path | str = BASELINE_FILE) -> dict:
    path = Path(path)
    if not path.exists():
        raise OasisError(f"no baseline file {path}; create it with `{REGENERATE}`")
    from ..io import read_text_file

    text = read_text_file(path, what="baseline file")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise OasisError(f"{path}: not valid JSON ({exc}); regenerate with `{REGENERATE}`") from None


def differences(current: dict, baseline: dict, rtol: float = RTOL) -> list[str]:
    """Human-readable differences between two baseline documents (empty = same outputs)."""
    diffs = []
    if current["years"] != baseline.get("years"):
        return [f"saved years differ: {baseline.get('years')} vs {current['years']}"]
    years = current["years"]
    bp, cp = baseline.get("presets", {}), current["presets"]
    for name in sorted(set(bp) | set(cp)):
        if name not in bp or name not in cp:
            diffs.append(f"preset {name}: {'added' if name in cp else 'removed'}")
            continue
        for var in sorted(set(bp[name]) | set(cp[name])):
            if var not in bp[name] or var not in cp[name]:
                diffs.append(f"{name} {var}: {'added' if var in cp[name] else 'removed'}")
                continue
            b, c = bp[name][var], cp[name][var]
            cells = ({"": (b, c)} if isinstance(b, list) and isinstance(c, list) else
                     {r: (b.get(r), c.get(r)) for r in sorted(set(b) | set(c))} if isinstance(b, dict) and isinstance(c, dict)
                     else None)
            if cells is None:
                diffs.append(f"{name} {var}: shape changed")
                continue
            for region, (bv, cv) in cells.items():
                if bv is None or cv is None or len(bv) != len(cv):
                    diffs.append(f"{name} {var}[{region}]: shape changed")
                    continue
                bv, cv = np.asarray(bv, float), np.asarray(cv, float)
                close = np.isclose(cv, bv, rtol=rtol, atol=1e-12 * max(1.0, float(np.nanmax(np.abs(bv)))), equal_nan=True)
                if not close.all():
                    j = int(np.argmin(close))
                    rel = abs(cv[j] - bv[j]) / max(abs(bv[j]), 1e-300)
                    reg = f"[{region}]" if region else ""
                    diffs.append(f"{name} {var}{reg} {years[j]}: baseline {bv[j]:.8g}, now {cv[j]:.8g} (rel {rel:.2g})")
    return diffs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sim.checks.baseline",
                                description="Check or regenerate tests/baseline/baseline.json")
    p.add_argument("--update", action="store_true", help="regenerate the baseline from the current model")
    p.add_argument("--model", default=str(DEFAULT_MODEL))
    p.add_argument("--file", default=str(BASELINE_FILE))
    args = p.parse_args(argv)
    try:
        return run(args)
    except OasisError as exc:
        print(f"baseline: error: {exc}", file=sys.stderr)
        return 2


def run(args) -> int:
    if args.update:
        path = write(args.file, args.model)
        print(f"wrote {path}")
        return 0
    diffs = differences(generate(args.model), load(args.file))
    if not diffs:
        print(f"outputs match the baseline {args.file}")
        return 0
    print(f"{len(diffs)} outputs differ from the baseline {args.file}:")
    for d in diffs[:50]:
        print("  " + d)
    print(f"if the change is intended, regenerate with `{REGENERATE}` and commit the file")
    return 1


if __name__ == "__main__":
    sys.exit(main())
