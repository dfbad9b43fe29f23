"""Strict engine-vs-pysd comparison used by several tests."""
from __future__ import annotations

import numpy as np

RTOL = 1e-9
ATOL = 1e-12


def assert_datasets_match(eng, ref, rtol=RTOL, atol=ATOL, context=""):
    """Every variable of ``ref`` (pysd) must be in ``eng`` and match it."""
    missing = [v for v in ref.data_vars if v not in eng.data_vars]
    assert not missing, f"{context}: variables missing in engine: {missing}"
    np.testing.assert_allclose(eng.time.values, ref.time.values, rtol=0,
                               atol=1e-9, err_msg=f"{context}: time")
    bad = []
    for name in ref.data_vars:
        r = ref[name]
        e = eng[name].transpose(*r.dims)
        for d in r.dims:
            if d not in ("sample", "time"):
                assert [str(x) for x in e[d].values] == \
                    [str(x) for x in r[d].values], f"{context}: {name} {d}"
        a = np.asarray(e.values, dtype=float)
        b = np.asarray(r.values, dtype=float)
        if a.shape != b.shape:
            bad.append(f"{name}: shape {a.shape} vs {b.shape}")
            continue
        ok = (np.abs(a - b) <= atol + rtol * np.abs(b)) | \
            (np.isnan(a) & np.isnan(b)) | (a == b)
        if not ok.all():
            idx = np.argwhere(~ok)[0]
            bad.append(f"{name}{tuple(idx)}: engine {a[tuple(idx)]!r} "
                       f"pysd {b[tuple(idx)]!r}")
    assert not bad, f"{context}: {len(bad)} variables differ:\n  " + \
        "\n  ".join(bad[:20])
