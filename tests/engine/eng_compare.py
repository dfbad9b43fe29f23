"""Strict engine-vs-pysd comparison used by several tests.

Tolerance, per value: ``|engine - pysd| <= ATOL + RTOL * scale`` where ``scale`` is

* ``|pysd|`` for most variables: both tools evaluate the same equations in float64, and the
  differences (a different order of operations, FMA or SIMD summation on one CPU and not on
  another, libm differences in exp/log/pow) are a few ulps relative to the value, accumulated
  over at most 70 time steps. RTOL = 1e-9 leaves ~10^6 ulps of room for that and is still far
  below any modelling difference (a wrong equation moves values by percent, not by 1e-9).
* ``sum |term|`` for a variable that is a pure sum/difference of other variables (``a + b - c``):
  a cancelling residual such as ``land_area_balance_kha`` (five land stocks of 10^3-10^5 kha
  minus the region area, ideally 0) inherits the absolute error of its terms: when each term
  matches to RTOL of its own size, the sum can differ by RTOL * sum |term|, whatever its own
  size. Comparing it relative to itself (~1e-11) made the suite depend on the CPU (engine
  1.46e-11 vs pysd 0.0 on one machine; 2.9e-11 here). Terms are read from the engine's
  intermediate representation (:func:`additive_terms`); for sums whose terms do not cancel,
  ``sum |term| = |value|`` and nothing changes.

ATOL = 1e-12 only covers values that are exactly 0 in one tool and a denormal-sized rounding
residue in the other.
"""
from __future__ import annotations

import re

import numpy as np

RTOL = 1e-9
ATOL = 1e-12

# right-hand side made only of variables (and numbers) joined by + and -, e.g.
# "v_a + v_b - (v_c)"; no products, quotients or function calls (their rounding is relative to
# the result, which the default scale covers)
_LINEAR_RHS = re.compile(r"^[\s(]*[-+]?[\s(]*(?:v_\w+|[0-9.]+(?:[eE][-+]?[0-9]+)?)[\s)]*"
                         r"(?:[-+][\s(]*(?:v_\w+|[0-9.]+(?:[eE][-+]?[0-9]+)?)[\s)]*)*$")


def additive_terms(model) -> dict[str, tuple[str, ...]]:
    """{variable: its terms} for variables defined by ONE pure sum/difference statement
    (``model``: a :func:`sim.engine.compile` result; other objects give ``{}``)."""
    ir = getattr(model, "ir", None)
    out = {}
    for name, node in (getattr(ir, "vars", None) or {}).items():
        stmts = getattr(node, "stmts", None) or []
        if len(stmts) != 1 or " = " not in stmts[0]:
            continue
        rhs = stmts[0].split(" = ", 1)[1]
        if "-" in rhs.replace("e-", "") and _LINEAR_RHS.match(rhs) and node.deps:
            out[name] = tuple(sorted(node.deps))
    return out


def _scale(eng, name, ref_values, terms):
    """``|ref|``, or ``sum |term|`` (engine values, broadcast to the variable) for a linear residual."""
    scale = np.abs(ref_values)
    deps = (terms or {}).get(name)
    if not deps or not all(d in eng.data_vars for d in deps):
        return scale
    target = eng[name]
    total = 0
    for d in deps:
        total = total + abs(eng[d]).broadcast_like(target)
    total = np.asarray(total.transpose(*target.dims).values, dtype=float)
    return np.maximum(scale, total) if total.shape == scale.shape else scale


def assert_datasets_match(eng, ref, rtol=RTOL, atol=ATOL, context="", terms=None, model=None):
    """Every variable of ``ref`` (pysd) must be in ``eng`` and match it (tolerance: module doc).
    ``terms``: {variable: term names} (default: :func:`additive_terms` of ``model``)."""
    if terms is None and model is not None:
        terms = additive_terms(model)
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
        scale = _scale(eng, name, b, terms) if terms else np.abs(b)
        ok = (np.abs(a - b) <= atol + rtol * scale) | \
            (np.isnan(a) & np.isnan(b)) | (a == b)
        if not ok.all():
            idx = np.argwhere(~ok)[0]
            bad.append(f"{name}{tuple(idx)}: engine {a[tuple(idx)]!r} "
                       f"pysd {b[tuple(idx)]!r}")
    assert not bad, f"{context}: {len(bad)} variables differ:\n  " + \
        "\n  ".join(bad[:20])
