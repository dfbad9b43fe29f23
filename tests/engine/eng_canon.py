"""Helpers shared by the engine tests: flatten Datasets like Vensim output
columns and compare with canonical outputs (pysd's tolerance rules)."""
from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TEST_MODELS = FIXTURES / "sd-test-models" / "tests"


def norm_col(c: str) -> str:
    c = c.strip().strip('"')
    if "[" in c:
        base, rest = c.split("[", 1)
        elems = [e.strip().strip('"') for e in rest.rstrip("]").split(",")]
        return " ".join(base.lower().split()) + "[" + ",".join(
            e.lower() for e in elems) + "]"
    return " ".join(c.lower().replace("_", " ").split())


def flatten(ds, model, sample=0) -> pd.DataFrame:
    """Dataset -> DataFrame indexed by time with Vensim-style columns."""
    cols = {}
    for name in ds.data_vars:
        da = ds[name].isel(sample=sample)
        orig = model.variables[name].original_name
        dims = [d for d in da.dims if d != "time"]
        if not dims:
            cols[norm_col(orig)] = da.values
            continue
        for combo in itertools.product(*[list(da[d].values) for d in dims]):
            sel = dict(zip(dims, combo))
            cols[norm_col("%s[%s]" % (orig, ",".join(map(str, combo))))] = \
                da.sel(sel).values
    return pd.DataFrame(cols, index=ds.time.values)


def load_canon(path: Path) -> pd.DataFrame:
    func = pd.read_csv if path.suffix == ".csv" else pd.read_table
    try:
        out = func(path, encoding="utf-8", index_col=0)
    except UnicodeDecodeError:
        out = func(path, encoding="latin-1", index_col=0)
    out.index = pd.to_numeric(out.index, errors="coerce")
    out = out[~np.isnan(out.index)]
    out.columns = [norm_col(c) for c in out.columns]
    out = out.apply(pd.to_numeric, errors="coerce")
    return out


def canonical_file(folder: Path):
    for name in ("output.csv", "output.tab"):
        if (folder / name).is_file():
            return folder / name
    return None


def compare_canon(actual: pd.DataFrame, canon: pd.DataFrame,
                  rtol=0.05, atol=1e-5):
    """pysd's assert_frames_close rules: same index, every canonical column
    present; constant columns given only in the first row are filled."""
    missing = [c for c in canon.columns if c not in actual.columns]
    assert not missing, f"columns missing from engine output: {missing}"
    assert np.allclose(canon.index.values, actual.index.values), \
        f"time index differs: {canon.index.values[:5]} vs " \
        f"{actual.index.values[:5]}"
    act = actual[canon.columns].copy()
    exp = canon.copy()
    for df in (act, exp):
        nan_cols = np.isnan(df.iloc[1:, :]).all().values
        df.loc[:, nan_cols] = df.loc[:, nan_cols].iloc[0].values
    a = act.values.astype(float)
    e = exp.values.astype(float)
    ok = (np.abs(e - a) <= atol + rtol * np.abs(e)) | (np.isnan(a) & np.isnan(e))
    bad = [c for c, good in zip(canon.columns, ok.all(axis=0)) if not good]
    assert not bad, f"columns not close to canonical output: {bad}"
