"""Run a model with pysd itself, returning the engine's output format.

This is the ``--engine pysd`` cross-check path: one pysd run per sample
(pysd has no batch axis), results stacked into an ``xarray.Dataset`` with
dims ``(sample, time, *subscript dims)`` and pysd python names as variables.

pysd writes the translated ``.py`` next to the model file, so the model is
copied into the engine cache directory (keyed by content hash) first; the
translation is reused across calls and processes.
"""
from __future__ import annotations

import hashlib
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .cache import cache_dir

_loaded = {}


def _translated(path: Path):
    import pysd

    text = path.read_bytes()
    h = hashlib.sha256(b"pysd-ref\0" + text).hexdigest()[:24]
    if h in _loaded:
        return _loaded[h]
    folder = cache_dir() / "pysd" / h
    mdl = folder / path.name
    py = mdl.with_suffix(".py")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not py.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, mdl)
            model = pysd.read_vensim(str(mdl))
        else:
            model = pysd.load(str(py))
    _loaded[h] = model
    return model


def _n_samples(model, params):
    """Sample counts implied by the parameters (same rules as the engine:
    an array shaped like the variable's subscripts is per element)."""
    sizes = set()
    for key, value in (params or {}).items():
        if isinstance(value, pd.Series):
            continue
        if isinstance(value, xr.DataArray):
            if "sample" in value.dims and value.sizes["sample"] > 1:
                sizes.add(value.sizes["sample"])
            continue
        a = np.asarray(value)
        coords = model.get_coords(key)
        coords, dims = coords if coords else ({}, [])
        shape = tuple(len(coords[d]) for d in dims)
        if a.ndim == 0 or (shape and a.shape == shape):
            continue
        if a.shape[0] > 1:
            sizes.add(a.shape[0])
    return sizes


def _sample_params(model, params, i, n):
    """pysd-compatible parameter values of sample ``i``."""
    out = {}
    for key, value in (params or {}).items():
        if isinstance(value, pd.Series):
            out[key] = value
            continue
        coords = model.get_coords(key)
        coords, dims = coords if coords else ({}, [])
        shape = tuple(len(coords[d]) for d in dims)
        if isinstance(value, xr.DataArray):
            if "sample" in value.dims:
                value = value.isel(sample=i if value.sizes["sample"] > 1
                                   else 0)
            if not value.dims:
                out[key] = float(value)
            else:
                out[key] = value.astype(float)
            continue
        a = np.asarray(value, dtype=float)
        if a.ndim == 0:
            out[key] = float(a)
        elif shape and a.shape == shape:
            out[key] = xr.DataArray(a, coords, dims)
        elif a.shape[1:] == shape:
            v = a[i if a.shape[0] > 1 else 0]
            out[key] = xr.DataArray(v, coords, dims) if dims else float(v)
        elif a.ndim == 1:
            out[key] = float(a[i if a.shape[0] > 1 else 0])
        else:
            raise ValueError(f"cannot use value of shape {a.shape} for {key}")
    return out


def run(path, params=None, outputs=None, time_step=None, final_time=None,
        n=None) -> xr.Dataset:
    """Run ``path`` with pysd; same output format as ``CompiledModel.run``."""
    path = Path(path)
    model = _translated(path)
    sizes = _n_samples(model, params)
    if len(sizes) > 1:
        raise ValueError(f"parameters imply different sample counts {sizes}")
    n = n or (sizes.pop() if sizes else 1)
    namespace = model._namespace          # original name -> python name
    if outputs is None:
        cols = None
    else:
        if isinstance(outputs, str):
            outputs = [outputs]
        cols = list(outputs)
    runs = []
    for i in range(n):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.reload()
            df = model.run(params=_sample_params(model, params, i, n),
                           return_columns=cols, flatten_output=False,
                           time_step=time_step, final_time=final_time)
        runs.append(df)
    return _to_dataset(runs, namespace, model)


def _py_name(col, namespace):
    if col in namespace:
        return namespace[col]
    low = {k.lower(): v for k, v in namespace.items()}
    if col.lower() in low:
        return low[col.lower()]
    if col in namespace.values():
        return col
    return col


def _to_dataset(runs, namespace, model):
    first = runs[0]
    times = first.index.values.astype(float)
    data = {}
    coords = {"sample": np.arange(len(runs)), "time": times}
    for col in first.columns:
        name = _py_name(col, namespace)
        cells = [df[col].values for df in runs]
        sample0 = cells[0][0]
        if isinstance(sample0, xr.DataArray):
            dims = tuple(sample0.dims)
            for d in dims:
                coords.setdefault(d, [str(c) for c in sample0[d].values])
            arr = np.array([[np.asarray(c.transpose(*dims).values,
                                        dtype=float) for c in col_cells]
                            for col_cells in cells])
            data[name] = (("sample", "time") + dims, arr)
        else:
            arr = np.array([[float(c) for c in col_cells]
                            for col_cells in cells])
            data[name] = (("sample", "time"), arr)
    return xr.Dataset(data, coords=coords)
