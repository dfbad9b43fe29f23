"""A tiny, safe predicate language for model checks (never ``eval``).

Grammar (precedence low → high)::

    expr    := or
    or      := and ('or' and)*
    and     := not ('and' not)*
    not     := 'not' not | cmp
    cmp     := sum (CMP sum)*          # chained: a <= b <= c  ==  (a <= b) and (b <= c)
    sum     := prod (('+' | '-') prod)*
    prod    := unary (('*' | '/') unary)*
    unary   := '-' unary | power
    power   := atom ('^' unary)?
    atom    := NUMBER | STRING | NAME | NAME '(' [expr (',' expr)*] ')' | '(' expr ')'

Names are model variables (python names, e.g. ``cultivated_land_kha``) or ``time``; functions
are a fixed vocabulary (:data:`FUNCTIONS`). Values are ``xarray.DataArray`` over
``(sample, time[, Region])`` and broadcast by dimension name.

Two functions restrict where a predicate is judged instead of producing NaN failures:
``data(...)`` (only years with an observation) and ``diff(...)`` (not the first saved year).
Model NaN/inf is never masked: a comparison with NaN is false, so the check fails.
"""
from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass

import numpy as np
import xarray as xr

from .. import geography
from ..errors import OasisError


class ExpressionError(OasisError, ValueError):
    """A predicate that does not parse or names an unknown function/variable."""


# ----------------------------------------------------------------------------- AST
@dataclass(frozen=True)
class Num:
    value: float


@dataclass(frozen=True)
class Str:
    value: str


@dataclass(frozen=True)
class Name:
    name: str


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple


@dataclass(frozen=True)
class BinOp:
    op: str
    left: object
    right: object


@dataclass(frozen=True)
class Neg:
    arg: object


@dataclass(frozen=True)
class Not:
    arg: object


@dataclass(frozen=True)
class Compare:
    ops: tuple  # ('<=', ...)
    args: tuple  # len(ops) + 1 operands


# -------------------------------------------------------------------------- tokens
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<str>"[^"\\\n]*"|'[^'\\\n]*')
  | (?P<name>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<op><=|>=|==|!=|<|>|\+|-|\*|/|\^|\(|\)|,)
""", re.X)
_KEYWORDS = {"and", "or", "not"}
_CMP = {"<", "<=", ">", ">=", "==", "!="}
MAX_EXPRESSION_LENGTH = 2000
MAX_DEPTH = 50


def _short(text: str, limit: int = 80) -> str:
    """A predicate quoted for an error message (long ones cut)."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


def tokenize(text: str) -> list[tuple[str, str, int]]:
    if not isinstance(text, str):
        raise ExpressionError(f"a predicate must be a string, got {type(text).__name__}")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"predicate longer than {MAX_EXPRESSION_LENGTH} characters")
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ExpressionError(f"unexpected character {text[pos]!r} at column {pos + 1} in {text!r}")
        kind = m.lastgroup
        if kind != "ws":
            val = m.group()
            if kind == "name" and val in _KEYWORDS:
                kind = "kw"
            out.append((kind, val, pos))
        pos = m.end()
    out.append(("end", "", len(text)))
    return out


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self):
        return self.toks[self.i]

    def take(self, kind=None, value=None):
        tok = self.toks[self.i]
        if (kind and tok[0] != kind) or (value is not None and tok[1] != value):
            want = value or kind
            got = tok[1] or "end of predicate"
            raise ExpressionError(f"expected {want!r} at column {tok[2] + 1}, got {got!r} in {self.text!r}")
        self.i += 1
        return tok

    def at(self, kind, value=None):
        tok = self.toks[self.i]
        return tok[0] == kind and (value is None or tok[1] == value)

    def parse(self):
        node = self.expr()
        self.take("end")
        return node

    def expr(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"predicate nested deeper than {MAX_DEPTH} levels: {self.text!r}")
        try:
            return self.or_()
        finally:
            self.depth -= 1

    def or_(self):
        node = self.and_()
        while self.at("kw", "or"):
            self.take()
            node = BinOp("or", node, self.and_())
        return node

    def and_(self):
        node = self.not_()
        while self.at("kw", "and"):
            self.take()
            node = BinOp("and", node, self.not_())
        return node

    def not_(self):
        if self.at("kw", "not"):
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ExpressionError(f"predicate nested deeper than {MAX_DEPTH} levels: {self.text!r}")
            try:
                return Not(self.not_())
            finally:
                self.depth -= 1
        return self.cmp()

    def cmp(self):
        args = [self.sum()]
        ops = []
        while self.peek()[0] == "op" and self.peek()[1] in _CMP:
            ops.append(self.take()[1])
            args.append(self.sum())
        return Compare(tuple(ops), tuple(args)) if ops else args[0]

    def sum(self):
        node = self.prod()
        while self.peek()[0] == "op" and self.peek()[1] in "+-":
            op = self.take()[1]
            node = BinOp(op, node, self.prod())
        return node

    def prod(self):
        node = self.unary()
        while self.peek()[0] == "op" and self.peek()[1] in "*/":
            op = self.take()[1]
            node = BinOp(op, node, self.unary())
        return node

    def unary(self):
        if self.at("op", "-"):
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ExpressionError(f"predicate nested deeper than {MAX_DEPTH} levels: {self.text!r}")
            try:
                return Neg(self.unary())
            finally:
                self.depth -= 1
        return self.power()

    def power(self):
        node = self.atom()
        if self.at("op", "^"):
            self.take()
            self.depth += 1  # a ^ b ^ c ... recurses through unary(): counted like parentheses
            if self.depth > MAX_DEPTH:
                raise ExpressionError(f"predicate nested deeper than {MAX_DEPTH} levels: {_short(self.text)}")
            try:
                node = BinOp("^", node, self.unary())
            finally:
                self.depth -= 1
        return node

    def atom(self):
        kind, val, pos = self.peek()
        if kind == "num":
            self.take()
            number = float(val)
            if not math.isfinite(number):
                raise ExpressionError(f"number {val[:20]}{'…' if len(val) > 20 else ''} is out of range "
                                      f"(larger than 1.8e308) in {_short(self.text)}")
            return Num(number)
        if kind == "str":
            self.take()
            return Str(val[1:-1])
        if kind == "name":
            self.take()
            if self.at("op", "("):
                self.take()
                args = []
                if not self.at("op", ")"):
                    args.append(self.expr())
                    while self.at("op", ","):
                        self.take()
                        args.append(self.expr())
                self.take("op", ")")
                if val not in FUNCTIONS:
                    raise ExpressionError(f"unknown function {val!r} in {self.text!r}; "
                                          f"functions: {', '.join(sorted(FUNCTIONS))}")
                lo, hi = FUNCTIONS[val]
                if not lo <= len(args) <= hi:
                    want = str(lo) if lo == hi else f"{lo}-{hi if hi < 99 else 'n'}"
                    raise ExpressionError(f"{val}() takes {want} arguments, got {len(args)} in {self.text!r}")
                return Call(val, tuple(args))
            return Name(val)
        if self.at("op", "("):
            self.take()
            node = self.expr()
            self.take("op", ")")
            return node
        raise ExpressionError(f"unexpected {val or 'end of predicate'!r} at column {pos + 1} in {self.text!r}")


# name -> (min args, max args)
FUNCTIONS = {
    "abs": (1, 1), "min": (1, 99), "max": (1, 99), "isfinite": (1, 1),
    "sum": (1, 2),        # sum(x[, "geography"]): over the Region dim (geography default xinjiang)
    "region": (2, 2),     # region(x, "name"): one region
    "diff": (1, 1),       # x(t) - x(t - 1 saved step); the first saved year is not judged
    "initial": (1, 1), "final": (1, 1),  # value at the first / last saved time
    "at": (2, 2),         # at(x, year)
    "ref": (1, 1),        # the same expression in the matrix's reference scenario
    "data": (2, 2),       # data("series_id", "geography"): observations; judged only where observed
}


def parse(text: str):
    """Parse a predicate into an AST and check it statically (raises :class:`ExpressionError`):
    quoted strings only where a name is expected (:data:`STRING_ARGS`), constant sub-expressions
    must evaluate to a finite number (no ``1/0``, ``0^-1``, ``10^10^10``, ``(-1)^0.5``)."""
    node = _Parser(text).parse()
    _check_static(node, text)
    return node


# positions at which a function takes a quoted name: region(x, "r"), sum(x, "geo"), data("s", "g")
STRING_ARGS = {"region": {1}, "sum": {1}, "data": {0, 1}}


def _check_static(root, text: str) -> None:
    stack = [(root, False)]
    while stack:
        node, string_ok = stack.pop()
        if isinstance(node, Str):
            if not string_ok:
                raise ExpressionError(f"the quoted text {_short(node.value, 30)} is not allowed here in "
                                      f"{_short(text)}: quoted strings are only region, geography or series "
                                      "names in region(), sum() and data()")
        elif isinstance(node, Call):
            allowed = STRING_ARGS.get(node.func, set())
            stack.extend((a, i in allowed) for i, a in enumerate(node.args))
        elif isinstance(node, BinOp):
            stack.extend(((node.left, False), (node.right, False)))
        elif isinstance(node, (Neg, Not)):
            stack.append((node.arg, False))
        elif isinstance(node, Compare):
            stack.extend((a, False) for a in node.args)
    _fold(root, text)


def _fold(node, text: str):
    """Value of a constant (number-only) sub-expression, or None if it depends on the model;
    raises when constant arithmetic has no finite result."""
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Neg):
        v = _fold(node.arg, text)
        return None if v is None else -v
    if isinstance(node, BinOp):
        a, b = _fold(node.left, text), _fold(node.right, text)
        if a is None or b is None or node.op in ("and", "or"):
            return None
        return _scalar_arith(node.op, a, b, text)
    if isinstance(node, Compare):
        for a in node.args:
            _fold(a, text)
        return None
    if isinstance(node, Not):
        _fold(node.arg, text)
        return None
    if isinstance(node, Call):
        for a in node.args:
            if not isinstance(a, Str):
                _fold(a, text)
        return None
    return None


# the arithmetic operators of the grammar, as data (one table for scalars and arrays)
_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "^": operator.pow}


def _scalar_arith(op: str, a: float, b: float, text: str) -> float:
    """``a op b`` for plain numbers; a clear error instead of OverflowError, ZeroDivisionError,
    a complex number, inf or NaN."""
    where = f" in {_short(text)}" if text else ""
    try:
        r = _ARITH[op](a, b)
    except ZeroDivisionError:
        raise ExpressionError(f"division by zero in '{a:g} {op} {b:g}'{where}") from None
    except OverflowError:
        raise ExpressionError(f"'{a:g} {op} {b:g}' overflows (result beyond 1.8e308){where}") from None
    if isinstance(r, complex):
        raise ExpressionError(f"'{a:g} {op} {b:g}' has no real value (a negative number to a fractional "
                              f"power){where}")
    if not math.isfinite(r):
        raise ExpressionError(f"'{a:g} {op} {b:g}' overflows (result beyond 1.8e308){where}")
    return float(r)


def _array_arith(op: str, a, b):
    """``a op b`` with at least one DataArray. Non-finite values the model produced flow through
    (a comparison with NaN is false, so the check fails), but inf/NaN created by the predicate's own
    arithmetic from finite operands (division by zero, overflow, negative ** fractional) is an
    error: it would otherwise pass or fail a check for a reason that is not in the model."""
    with np.errstate(all="ignore"):
        r = _ARITH[op](a, b)
    if isinstance(r, xr.DataArray) and r.dtype.kind in "fc":
        created = ~np.isfinite(r)
        for x in (a, b):
            created = created & (np.isfinite(x) if isinstance(x, xr.DataArray) else bool(np.isfinite(x)))
        if bool(created.any()):
            what = {"/": "division by zero", "^": "overflow or a negative number to a fractional power"}.get(op, "overflow")
            raise ExpressionError(f"'{op}' gives inf/NaN from finite values ({what}) for "
                                  f"{int(created.sum())} value(s)")
    return r


def names(node) -> set[str]:
    """Model variable names an AST refers to (``time`` excluded)."""
    found = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Name):
            if n.name != "time":
                found.add(n.name)
        elif isinstance(n, Call):
            stack.extend(n.args)
        elif isinstance(n, BinOp):
            stack.extend((n.left, n.right))
        elif isinstance(n, (Neg, Not)):
            stack.append(n.arg)
        elif isinstance(n, Compare):
            stack.extend(n.args)
    return found


def refers_to_model(node) -> bool:
    """True when the predicate reads the model's results (a variable or ``time``); a predicate of
    constants and ``data()`` only says nothing about the model."""
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Name):
            return True
        if isinstance(n, Call):
            stack.extend(n.args)
        elif isinstance(n, BinOp):
            stack.extend((n.left, n.right))
        elif isinstance(n, (Neg, Not)):
            stack.append(n.arg)
        elif isinstance(n, Compare):
            stack.extend(n.args)
    return False


def data_refs(node) -> set[tuple[str, str]]:
    """(series_id, geography) pairs used by ``data(...)`` calls."""
    found = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Call):
            if n.func == "data" and all(isinstance(a, Str) for a in n.args):
                found.add((n.args[0].value, n.args[1].value))
            stack.extend(n.args)
        elif isinstance(n, BinOp):
            stack.extend((n.left, n.right))
        elif isinstance(n, (Neg, Not)):
            stack.append(n.arg)
        elif isinstance(n, Compare):
            stack.extend(n.args)
    return found


# ------------------------------------------------------------------------ evaluate
class Context:
    """What an expression is evaluated against.

    ``ds``: results Dataset (sample, time, ...); ``ref_index``: sample index of the reference
    scenario; ``observations``: {(series, geo): pandas Series by year}; ``geographies``:
    {name: [regions]}.
    """

    def __init__(self, ds: xr.Dataset, *, ref_index: int = 0, observations=None, geographies=None):
        self.ds = ds
        self.ref_index = ref_index
        self.observations = observations or {}
        self.geographies = geographies or {}
        self.masks: list[xr.DataArray] = []
        self._in_ref = False

    def variable(self, name: str) -> xr.DataArray:
        if name == "time":
            return self.ds["time"].astype(float)
        if name not in self.ds:
            raise ExpressionError(f"unknown model variable {name!r}")
        da = self.ds[name]
        if self._in_ref:
            da = da.isel(sample=self.ref_index, drop=True)
        return da


def _str_arg(node, func):
    if not isinstance(node, Str):
        raise ExpressionError(f"{func}() needs a quoted string here")
    return node.value


def _boolean(v, op: str) -> xr.DataArray:
    """Operand of ``not``/``and``/``or``: a comparison result (true/false), never a number or text."""
    if isinstance(v, xr.DataArray) and v.dtype == bool:
        return v
    if isinstance(v, (bool, np.bool_)):
        return xr.DataArray(bool(v))
    raise ExpressionError(f"'{op}' needs comparisons (true/false) as operands, e.g. 'x > 0 {op} y < 1'")


def _as_float(x):
    if isinstance(x, xr.DataArray) and x.dtype == bool:
        return x.astype(float)
    return x


def evaluate(node, ctx: Context):
    """Evaluate an AST; returns a DataArray, a number or a string."""
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Str):
        return node.value
    if isinstance(node, Name):
        return ctx.variable(node.name)
    if isinstance(node, Neg):
        v = _as_float(evaluate(node.arg, ctx))
        if isinstance(v, str):
            raise ExpressionError("'-' on a string")
        return -v
    if isinstance(node, Not):
        return ~_boolean(evaluate(node.arg, ctx), "not")
    if isinstance(node, BinOp):
        a, b = evaluate(node.left, ctx), evaluate(node.right, ctx)
        if node.op in ("and", "or"):
            a, b = _boolean(a, node.op), _boolean(b, node.op)
            return (a & b) if node.op == "and" else (a | b)
        a, b = _as_float(a), _as_float(b)
        if isinstance(a, str) or isinstance(b, str):
            raise ExpressionError(f"arithmetic '{node.op}' on a string")
        if not isinstance(a, xr.DataArray) and not isinstance(b, xr.DataArray):
            return _scalar_arith(node.op, float(a), float(b), "")
        return _array_arith(node.op, a, b)
    if isinstance(node, Compare):
        vals = [_as_float(evaluate(a, ctx)) for a in node.args]
        if any(isinstance(v, str) for v in vals):
            raise ExpressionError("a comparison with a quoted string")
        result = None
        for op, x, y in zip(node.ops, vals, vals[1:]):
            r = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
                 "==": operator.eq, "!=": operator.ne}[op](x, y)
            if not isinstance(r, xr.DataArray):
                r = xr.DataArray(bool(r))
            result = r if result is None else (result & r)
        return result
    if isinstance(node, Call):
        return _call(node, ctx)
    raise ExpressionError(f"cannot evaluate {node!r}")


def _time0(da):
    return da.time.values[0]


def _call(node: Call, ctx: Context):
    f, args = node.func, node.args
    if f == "ref":
        if ctx._in_ref:
            raise ExpressionError("ref() inside ref()")
        ctx._in_ref = True
        try:
            return evaluate(args[0], ctx)
        finally:
            ctx._in_ref = False
    if f == "data":
        key = (_str_arg(args[0], "data"), _str_arg(args[1], "data"))
        if key not in ctx.observations:
            raise ExpressionError(f"no observations for data{key!r}")
        obs = ctx.observations[key]
        times = ctx.ds["time"].values
        vals = np.array([obs.get(int(round(t)), np.nan) if abs(t - round(t)) < 1e-9 else np.nan
                         for t in times], dtype=float)
        da = xr.DataArray(vals, dims=["time"], coords={"time": ctx.ds["time"]})
        ctx.masks.append(da.notnull())
        return da
    if f in ("sum", "region"):
        x = evaluate(args[0], ctx)
        dim = geography.REGION_DIM
        if not isinstance(x, xr.DataArray) or dim not in x.dims:
            raise ExpressionError(f"{f}() needs a region-subscripted variable")
        if f == "region":
            name = _str_arg(args[1], f)
            if name not in list(x[dim].values):
                raise ExpressionError(f"unknown region {name!r}")
            return x.sel({dim: name}, drop=True)
        geo = _str_arg(args[1], f) if len(args) > 1 else geography.WHOLE
        if geo not in ctx.geographies:
            raise ExpressionError(f"unknown geography {geo!r}; use one of {', '.join(ctx.geographies)}")
        return geography.total(x, None, geo, dim, ctx.geographies)
    vals = [evaluate(a, ctx) for a in args]
    if any(isinstance(v, str) for v in vals):
        raise ExpressionError(f"{f}() got a string argument")
    if f == "abs":
        return abs(_as_float(vals[0]))
    if f in ("min", "max"):
        out = _as_float(vals[0])
        fn = np.minimum if f == "min" else np.maximum
        for v in vals[1:]:
            out = fn(out, _as_float(v))
        return out
    if f == "isfinite":
        v = vals[0]
        return xr.apply_ufunc(np.isfinite, v) if isinstance(v, xr.DataArray) else xr.DataArray(bool(np.isfinite(v)))
    x = vals[0]
    if not isinstance(x, xr.DataArray) or "time" not in x.dims:
        if f == "at":
            raise ExpressionError("at() needs a time series")
        return x  # constants are their own initial/final value and have no change
    if f == "diff":
        d = x - x.shift(time=1)
        ctx.masks.append(xr.DataArray(x.time.values > _time0(x), dims=["time"], coords={"time": x.time}))
        return d
    if f == "initial":
        return x.isel(time=0, drop=True)
    if f == "final":
        return x.isel(time=-1, drop=True)
    if f == "at":
        year = vals[1]
        if not isinstance(year, (int, float)):
            raise ExpressionError("at(x, year) needs a number for the year")
        if year not in x.time.values:
            raise ExpressionError(f"at(): year {year:g} is not a saved time")
        return x.sel(time=year, drop=True)
    raise ExpressionError(f"unknown function {f!r}")
