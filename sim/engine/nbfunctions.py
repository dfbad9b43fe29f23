"""Scalar Vensim functions for the fused numba kernel.

Same arithmetic as :mod:`sim.engine.functions` (and pysd), one element at
a time.  Only imported when numba is installed."""
from __future__ import annotations

import numpy as np
from numba import njit

SMALL_VENSIM = 1e-6
_opts = dict(cache=True, error_model="numpy", nogil=True)


@njit(**_opts)
def if_then_else(cond, a, b):
    return a if cond else b


@njit(**_opts)
def xidz(num, den, x):
    return x if abs(den) < SMALL_VENSIM else num / den


@njit(**_opts)
def zidz(num, den):
    return 0.0 if abs(den) < SMALL_VENSIM else num / den


@njit(**_opts)
def quantum(a, b):
    return a if b < SMALL_VENSIM else b * np.trunc(a / b)


@njit(**_opts)
def modulo(x, m):
    return x - quantum(x, m)


@njit(**_opts)
def step(t, time_step, value, tstep):
    return value * (t + time_step / 2 > tstep)


@njit(**_opts)
def ramp(t, slope, start):
    return (t + SMALL_VENSIM > start) * slope * (t - start)


@njit(**_opts)
def ramp_to(t, slope, start, finish):
    return (t + SMALL_VENSIM > start) * slope * (np.minimum(finish, t) - start)


@njit(**_opts)
def pulse(t, start, width):
    return 1.0 if (start - SMALL_VENSIM <= t and t < start + width) else 0.0


@njit(**_opts)
def pulse_train(t, start, repeat, width, end):
    if repeat == 0:
        return 1.0 if (start - SMALL_VENSIM <= t and t < start + width) \
            else 0.0
    if start <= t and t < end:
        return 1.0 if (t - start + SMALL_VENSIM) % repeat < width else 0.0
    return 0.0


@njit(**_opts)
def interp1(x, xp, fp):
    """numpy.interp for one scalar (same formula, same clamping)."""
    n = xp.shape[0]
    if x != x:
        return np.nan
    if x <= xp[0]:
        return fp[0]
    if x >= xp[n - 1]:
        return fp[n - 1]
    lo = 0
    hi = n - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if xp[mid] <= x:
            lo = mid
        else:
            hi = mid
    if x == xp[lo]:
        return fp[lo]
    slope = (fp[lo + 1] - fp[lo]) / (xp[lo + 1] - xp[lo])
    res = slope * (x - xp[lo]) + fp[lo]
    if res != res:
        res = slope * (x - xp[lo + 1]) + fp[lo + 1]
        if res != res and fp[lo] == fp[lo + 1]:
            res = fp[lo]
    return res


@njit(**_opts)
def delay_order(order, min_delay_time, time_step):
    o = order
    while o * time_step > min_delay_time:
        o -= 1
    return o   # < 1 is reported by the kernel (ERR flag), never used


@njit(**_opts)
def delayfixed_order(delay_time, time_step):
    order = max(delay_time / time_step, 1.0)
    return int(round(order + SMALL_VENSIM))
