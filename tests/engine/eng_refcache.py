"""pysd reference outputs cached as test fixtures.

pysd needs ~20 s per Tianshan run, so its outputs are stored under
``tests/fixtures/engine-ref/<key>.npz`` where ``key`` hashes the model file
content and the parameter set.  When the model changes the key changes and
the fixture is missing: the test then FAILS with the command that regenerates
it, because a silent regeneration would turn a fast test into a ~50 s-per-run
pysd job and change the repository during a test run.  Regenerate explicitly::

    OASIS_SD_REGENERATE_FIXTURES=1 .venv/bin/python -m pytest -q tests/engine -m pysd

(files of the previous model version with the same tag are then deleted;
commit the change).  The comparison itself always runs.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

REPO = Path(__file__).resolve().parents[2]
REF_DIR = REPO / "tests" / "fixtures" / "engine-ref"
DRAW_SPEC = "v1-pm20pct-years5-seed20240601"
N_DRAWS = 12


def file_hash(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def param_key(params) -> str:
    h = hashlib.sha256()
    for k in sorted(params or {}):
        v = params[k]
        h.update(k.encode())
        if hasattr(v, "index") and hasattr(v, "values") and \
           not isinstance(v, np.ndarray):
            h.update(np.asarray(v.index, dtype=float).tobytes())
            h.update(np.asarray(v.values, dtype=float).tobytes())
        else:
            h.update(np.ascontiguousarray(np.asarray(v, dtype=float)).tobytes())
    return h.hexdigest()[:16]


def random_draws(model, n=N_DRAWS, seed=20240601, ranges=None):
    """Random values for every constant: uniform within +-20% of the
    default (dates such as 1990/2025 are shifted by +-5 years instead), or
    within ``ranges[name] = (lo, hi)`` when a lever registry provides them.
    Returns ``{python name: array (n, *dims)}``."""
    rng = np.random.default_rng(seed)
    params = {}
    for name in sorted(model.constants):
        info = model.variables[name]
        default = np.asarray(info.default, dtype=float)[0]
        if ranges and name in ranges:
            lo, hi = ranges[name]
            vals = rng.uniform(lo, hi, size=(n,) + default.shape)
        elif np.all((default >= 1900) & (default <= 2100)) and \
                "year" in name.lower():
            vals = default + np.round(rng.uniform(-5, 5, size=(n,) +
                                                  default.shape))
        else:
            vals = default * rng.uniform(0.8, 1.2, size=(n,) + default.shape)
        params[name] = vals
    return params


def _is_project_model(model_path) -> bool:
    """Models of the project (sd_models/) change over time; their old
    fixtures are dropped when regenerated.  Test fixtures never change."""
    try:
        Path(model_path).resolve().relative_to(REPO / "sd_models")
        return True
    except ValueError:
        return False


def _drop_stale(path: Path):
    """Remove fixtures of older versions of the same model/tag (keeps the
    repository small when a model changes)."""
    stem, tag = path.name.split("-")[:2]
    for old in REF_DIR.glob(f"{stem}-{tag}-*.npz"):
        if old != path:
            old.unlink()


def _save(path: Path, ds: xr.Dataset, drop_stale=False):
    arrays = {"__time__": ds.time.values}
    meta = {}
    for name in ds.data_vars:
        a = np.asarray(ds[name].values, dtype=float)
        # variables constant in time are stored once (keeps fixtures small)
        if a.shape[1] > 1 and np.array_equal(a, np.repeat(a[:, :1],
                                                          a.shape[1], 1),
                                             equal_nan=True):
            arrays[name] = a[:, :1]
            meta[name] = {"dims": list(ds[name].dims), "static": True}
        else:
            arrays[name] = a
            meta[name] = {"dims": list(ds[name].dims), "static": False}
    coords = {d: [str(x) for x in ds[d].values] for d in ds.coords
              if d not in ("sample", "time")}
    arrays["__meta__"] = np.frombuffer(json.dumps(
        {"vars": meta, "coords": coords}).encode(), dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npz")
    np.savez_compressed(tmp, **arrays)
    tmp.replace(path)
    if drop_stale:
        _drop_stale(path)


def _load(path: Path) -> xr.Dataset:
    z = np.load(path)
    meta = json.loads(bytes(z["__meta__"]).decode())
    time = z["__time__"]
    data = {}
    for name, m in meta["vars"].items():
        a = z[name]
        if m["static"]:
            a = np.repeat(a, len(time), axis=1)
        data[name] = (tuple(m["dims"]), a)
    coords = {"time": time, "sample": np.arange(next(iter(data.values()))[1]
                                                 .shape[0])}
    coords.update(meta["coords"])
    return xr.Dataset(data, coords=coords)


REGENERATE_ENV = "OASIS_SD_REGENERATE_FIXTURES"


def _missing(path: Path, model_path) -> None:
    """Fail (not regenerate) unless regeneration was asked for explicitly."""
    if os.environ.get(REGENERATE_ENV) == "1":
        return
    pytest.fail(f"pysd reference fixture {path.relative_to(REPO)} for {Path(model_path).name} is missing "
                f"(the model or the parameter set changed). Regenerate it explicitly with "
                f"`{REGENERATE_ENV}=1 .venv/bin/python -m pytest -q tests/engine -m pysd` and commit "
                f"tests/fixtures/engine-ref/.", pytrace=False)


def fixture_path(model_path, params, tag) -> Path:
    """``<model>-<tag>-<hash of model file and parameters>.npz`` under REF_DIR."""
    digest = hashlib.sha256((file_hash(model_path) + param_key(params)).encode()).hexdigest()[:16]
    return REF_DIR / ("%s-%s-%s.npz" % (Path(model_path).stem, tag, digest))


def reference(model_path, params=None, tag="default", generate=True):
    """pysd output for ``params`` (cached fixture, generated if missing)."""
    from sim.engine import pysd_reference

    path = fixture_path(model_path, params, tag)
    if path.is_file():
        return _load(path)
    if not generate:
        return None
    _missing(path, model_path)
    ds = pysd_reference.run(model_path, params=params)
    _save(path, ds, _is_project_model(model_path))
    return ds


def reference_batch(model_path, params, tag, jobs=2):
    """Like :func:`reference` for many samples, computing missing ones in
    ``jobs`` processes (pysd is slow)."""
    path = fixture_path(model_path, params, tag)
    if path.is_file():
        return _load(path)
    _missing(path, model_path)
    n = len(next(iter(params.values())))
    chunks = np.array_split(np.arange(n), jobs)
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(jobs) as ex:
        futs = [ex.submit(_run_chunk, str(model_path),
                          {k: v[c] for k, v in params.items()})
                for c in chunks if len(c)]
        parts = [f.result() for f in futs]
    ds = xr.concat(parts, dim="sample")
    ds = ds.assign_coords(sample=np.arange(n))
    _save(path, ds, _is_project_model(model_path))
    return ds


def _run_chunk(model_path, params):
    from sim.engine import pysd_reference
    return pysd_reference.run(model_path, params=params)


def referenced_files():
    return sorted(REF_DIR.glob("*.npz"))


