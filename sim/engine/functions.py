"""Vectorised Vensim functions used by the generated simulation code.

Each function reproduces the arithmetic of the matching pysd function in
``pysd.py_backend.functions`` / ``statefuls`` (same operation order, so the
results agree to the last bits in most cases) but works on numpy arrays with
a leading ``sample`` axis instead of xarray objects.

Conventions: "scalars" are Python/numpy floats (no sample axis); arrays
always have the sample axis first (length 1 or n).
"""
from __future__ import annotations

import numpy as np

from .errors import SimulationError

SMALL_VENSIM = 1e-6  # what Vensim (and pysd) consider zero


# ----------------------------------------------------------------- shaping
def A1(x):
    """Scalar (or 0-d array) -> float array of shape (1,); arrays pass."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 0:
        return x.reshape(1)
    return x


def bcast(x, shape):
    """Broadcast ``x`` to ``(S, *shape)`` keeping its sample length S."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 0:
        return np.full((1,) + tuple(shape), float(x))
    return np.broadcast_to(x, (x.shape[0],) + tuple(shape))


def full_state(x, n, shape):
    """A fresh, writable state array of shape ``(n, *shape)``."""
    x = np.asarray(x, dtype=float)
    if x.ndim == 0:
        return np.full((n,) + tuple(shape), float(x))
    return np.broadcast_to(x, (n,) + tuple(shape)).copy()


def stack_state(x, order, n, shape):
    """State of an order-``order`` smooth/delay: ``(order, n, *shape)``."""
    x = np.asarray(x, dtype=float)
    return np.broadcast_to(x, (order, n) + tuple(shape)).copy()


def empty_like_parts(shape, *parts):
    """NaN array for an element defined piece by piece (pysd fills the
    undefined elements with NaN too)."""
    s = 1
    for p in parts:
        p = np.asarray(p)
        if p.ndim > 0 and p.shape[0] > s:
            s = p.shape[0]
    return np.full((s,) + tuple(shape), np.nan)


def assign_mask(out, mask, part, submask, cshape):
    """``out[:, mask] = part`` where ``part`` is laid out on the component
    coordinates (``cshape``) and ``submask`` is the mask restricted to them."""
    part = np.broadcast_to(np.asarray(part, dtype=float),
                           (out.shape[0],) + tuple(cshape))
    out[:, mask] = part[:, submask]


# --------------------------------------------------------------- functions
def if_then_else(cond, a, b):
    if np.ndim(cond) == 0 and np.ndim(a) == 0 and np.ndim(b) == 0:
        return a if cond else b
    return np.where(cond, a, b)


def xidz(num, den, x):
    # (the caller runs the simulation under np.errstate(all="ignore"))
    if np.ndim(den) == 0 and np.ndim(num) == 0 and np.ndim(x) == 0:
        return x if abs(den) < SMALL_VENSIM else num / den
    return np.where(np.abs(den) < SMALL_VENSIM, x, num / den)


def zidz(num, den):
    if np.ndim(den) == 0 and np.ndim(num) == 0:
        return 0.0 if abs(den) < SMALL_VENSIM else num / den
    return np.where(np.abs(den) < SMALL_VENSIM, 0.0, num / den)


def quantum(a, b):
    return np.where(b < SMALL_VENSIM, a, b * np.trunc(a / b))


def modulo(x, m):
    return x - quantum(x, m)


def step(t, time_step, value, tstep):
    return value * (t + time_step / 2 > tstep)


def ramp(t, slope, start, finish=None):
    final = t if finish is None else np.minimum(finish, t)
    return (t + SMALL_VENSIM > start) * slope * (final - start)


def pulse(t, start, width):
    on = np.logical_and(start - SMALL_VENSIM <= t, t < start + width)
    return np.where(on, 1.0, 0.0) if np.ndim(on) else (1.0 if on else 0.0)


def pulse_train(t, start, repeat, width, end):
    single = np.logical_and(start - SMALL_VENSIM <= t, t < start + width)
    with np.errstate(divide="ignore", invalid="ignore"):
        inside = np.logical_and(start <= t, t < end)
        train = np.mod(t - start + SMALL_VENSIM, repeat) < width
    out = np.where(repeat == 0, single, np.logical_and(inside, train))
    return np.where(out, 1.0, 0.0) if np.ndim(out) else float(out)


def interp_nd(x, X, Y):
    """Linear interpolation of ``x`` in tables ``Y`` (last axis) sharing
    the grid ``X``; clamps outside the grid like pysd/Vensim lookups.

    ``x`` and ``Y[..., 0]`` broadcast against each other."""
    x = np.asarray(x, dtype=float)
    shape = np.broadcast_shapes(x.shape, Y.shape[:-1])
    xb = np.broadcast_to(x, shape)
    Yb = np.broadcast_to(Y, shape + (Y.shape[-1],))
    if len(X) == 1:
        return np.array(Yb[..., 0])
    i = np.clip(np.searchsorted(X, xb, side="right") - 1, 0, len(X) - 2)
    x0 = X[i]
    x1 = X[i + 1]
    y0 = np.take_along_axis(Yb, i[..., None], -1)[..., 0]
    y1 = np.take_along_axis(Yb, (i + 1)[..., None], -1)[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = (y1 - y0) / (x1 - x0)
        out = slope * (xb - x0) + y0
    out = np.where(xb == x0, y0, out)
    out = np.where(xb <= X[0], Yb[..., 0], out)
    out = np.where(xb >= X[-1], Yb[..., -1], out)
    return np.where(np.isnan(xb), np.nan, out)


# ------------------------------------------------------------- reductions
# xarray reductions skip NaN (skipna=True for floats); we take the fast
# numpy path and only fall back to the nan-aware one when NaNs appear.
def vsum(x, axis):
    r = np.sum(x, axis=axis)
    if np.isnan(r).any():
        r = np.nansum(x, axis=axis)
    return r


def vprod(x, axis):
    r = np.prod(x, axis=axis)
    if np.isnan(r).any():
        r = np.nanprod(x, axis=axis)
    return r


def vmin(x, axis):
    r = np.min(x, axis=axis)
    if np.isnan(r).any():
        with np.errstate(invalid="ignore"):
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = np.nanmin(x, axis=axis)
    return r


def vmax(x, axis):
    r = np.max(x, axis=axis)
    if np.isnan(r).any():
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = np.nanmax(x, axis=axis)
    return r


# -------------------------------------------------------------- statefuls
def _uniform_scalar(x, what):
    a = np.asarray(x, dtype=float).ravel()
    if a.size == 0:
        raise SimulationError(f"{what}: empty value")
    if not np.all(a == a[0]):
        raise SimulationError(
            f"{what} differs between samples or elements ({a.min()} .. "
            f"{a.max()}); the engine needs one value per batch. Run the "
            "samples in separate batches.")
    return float(a[0])


def order_value(x, where):
    """Order of a SMOOTH/DELAY (evaluated once at initialisation)."""
    v = _uniform_scalar(x, f"order of the smooth/delay in {where!r}")
    return int(v)


def delay_order(order, delay_time, time_step, where):
    """pysd reduces the delay order while order*dt > min(delay time)."""
    dt_min = np.min(np.asarray(delay_time, dtype=float).reshape(
        np.shape(delay_time)[0] if np.ndim(delay_time) else 1, -1), axis=1)
    orders = []
    for m in np.atleast_1d(dt_min):
        o = order
        while o * time_step > m:
            o -= 1
        orders.append(o)
    if len(set(orders)) > 1:
        raise SimulationError(
            f"delay order in {where!r} would be reduced differently for "
            "different samples (delay time close to order*TIME STEP); run "
            "those samples separately")
    if orders[0] < 1:
        raise SimulationError(f"delay time in {where!r} is too small")
    return orders[0]


def delayfixed_order(delay_time, time_step, where):
    v = _uniform_scalar(delay_time, f"DELAY FIXED delay time in {where!r}")
    order = max(v / time_step, 1)
    return int(round(order + SMALL_VENSIM))


def smooth_ddt(state, inp, smooth_time, order):
    targets = np.roll(state, 1, axis=0)
    targets[0] = inp
    return (targets - state) * order / smooth_time


def delay_ddt(state, inp, delay_time, order):
    outflows = state / delay_time
    inflows = np.roll(outflows, 1, axis=0)
    inflows[0] = inp
    return (inflows - outflows) * order


def delayn_ddt(state, times, inp, delay_time, order):
    times = np.roll(times, 1, axis=0)
    times[0] = delay_time
    outflows = state / times
    inflows = np.roll(outflows, 1, axis=0)
    inflows[0] = inp
    return (inflows - outflows) * order, times


def time_series(t, index, values):
    """Value of a parameter given as a time series (pysd: np.interp)."""
    return float(np.interp(t, index, values))


def static_output(v, n, nsave, shape):
    """Output of a variable constant during the run: a broadcast view (no
    memory per sample/time)."""
    v = np.asarray(v, dtype=float)
    if v.ndim == 0:
        v = v.reshape(1)
    return np.broadcast_to(v[:, None], (n, nsave) + tuple(shape))


def control_scalar(x, name):
    """Control variables (TIME STEP...) must be one number for the batch."""
    return _uniform_scalar(x, f"control variable {name!r}")


def ramp_to(t, slope, start, finish):
    """RAMP with an end time (pysd ``ramp(time, slope, start, finish)``)."""
    return ramp(t, slope, start, finish)
