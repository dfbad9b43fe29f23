"""Writing results: atomic (temp file + rename), so a failed run never leaves a partial file."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import xarray as xr

from .errors import OasisError

RESULT_FORMATS = (".csv", ".parquet")


def results_frame(ds: xr.Dataset, sample: int = 0) -> pd.DataFrame:
    """Wide table of one sample: index time, one column per variable (``var[region]`` if subscripted)."""
    columns = {}
    for name, da in ds.data_vars.items():
        da = da.isel(sample=sample) if "sample" in da.dims else da
        extra = [d for d in da.dims if d != "time"]
        if not extra:
            columns[name] = da.values
            continue
        stacked = da.stack(_cell=extra).transpose("time", "_cell")
        for j, cell in enumerate(stacked["_cell"].values):
            label = ",".join(cell) if isinstance(cell, tuple) else str(cell)
            columns[f"{name}[{label}]"] = stacked.values[:, j]
    return pd.DataFrame(columns, index=pd.Index(ds["time"].values, name="time"))


def atomic_write(path: Path | str, write) -> Path:
    """Call ``write(tmp_path)`` then rename onto ``path``; the temp file is removed on failure."""
    path = Path(path)
    if not path.parent.exists():
        raise OasisError(f"output folder does not exist: {path.parent}")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_results(ds: xr.Dataset, path: Path | str) -> Path:
    """Write the full results of one run as CSV or Parquet (by extension), atomically."""
    path = Path(path)
    if path.suffix not in RESULT_FORMATS:
        raise OasisError(f"--out {path}: use a .csv or .parquet file name")
    frame = results_frame(ds)
    if path.suffix == ".csv":
        return atomic_write(path, lambda tmp: frame.to_csv(tmp))
    return atomic_write(path, lambda tmp: frame.to_parquet(tmp))
