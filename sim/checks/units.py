"""Dimensional consistency of a Vensim model: declared units vs the units implied by equations.

Units such as ``kha``, ``kha/Year``, ``1e8 m3/Year``, ``Dmnl``, ``%``, ``m3/(1e4 yuan)``,
``10k persons``, ``t/tce`` or ``Mt/Year`` are parsed into a dimension vector over
(m, t, Year, person, yuan, tce) and a scale (SI-ish value of one unit). Equations are walked on
pysd's abstract model (``VensimFile(path).parse().get_abstract_model()``):

* ``+``, ``-``, comparisons, MIN/MAX, IF THEN ELSE branches and XIDZ's fallback need equal units;
* ``*`` and ``/`` combine; ``^`` needs a dimensionless exponent and, unless the exponent is a
  number, a dimensionless base; EXP/LN need dimensionless arguments;
* INTEG: the flow must have stock units / Year and the initial value the stock's units;
* SUM, INITIAL pass units through; RAMP gives slope × Year; lookups return declared units.

Numeric literals are dimensionless but may carry scale: a bare number matches any unit (``x >
0``, ``1e+06`` as "no cap") and a number multiplying or dividing a quantity may be a unit
conversion (``kha × yuan/ha × 1e-05`` = ``1e8 yuan``), so both readings are kept. A dimension
mismatch is an error; equal dimensions with a different scale (e.g. ``%`` used as a fraction
without ``/100``) is a warning.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import OasisError
from ..model import DEFAULT_MODEL, normalise_name

BASE = ("m", "t", "Year", "person", "yuan", "tce")
_REL = 1e-9


class UnitParseError(OasisError, ValueError):
    """A unit string that is not understood."""


@dataclass(frozen=True)
class Unit:
    dims: tuple  # exponents over BASE
    scale: float = 1.0

    def __mul__(self, o: Unit) -> Unit:
        return Unit(tuple(a + b for a, b in zip(self.dims, o.dims)), self.scale * o.scale)

    def __truediv__(self, o: Unit) -> Unit:
        return Unit(tuple(a - b for a, b in zip(self.dims, o.dims)), self.scale / o.scale)

    def __pow__(self, n: float) -> Unit:
        return Unit(tuple(a * n for a in self.dims), self.scale ** n)

    @property
    def dimensionless(self) -> bool:
        return all(abs(d) < 1e-12 for d in self.dims)

    def same_dims(self, o: Unit) -> bool:
        return all(abs(a - b) < 1e-12 for a, b in zip(self.dims, o.dims))

    def same(self, o: Unit) -> bool:
        return self.same_dims(o) and math.isclose(self.scale, o.scale, rel_tol=_REL)

    def __str__(self) -> str:
        num = [f"{b}{'' if e == 1 else f'^{e:g}'}" for b, e in zip(BASE, self.dims) if e > 1e-12]
        den = [f"{b}{'' if e == -1 else f'^{-e:g}'}" for b, e in zip(BASE, self.dims) if e < -1e-12]
        body = " ".join(num) or "1"
        if den:
            body += "/" + ("(" + " ".join(den) + ")" if len(den) > 1 else den[0])
        return body if math.isclose(self.scale, 1.0, rel_tol=_REL) else f"{self.scale:g} {body}"


DMNL = Unit((0,) * len(BASE))


def _base(i: int, scale: float = 1.0, power: float = 1) -> Unit:
    dims = [0] * len(BASE)
    dims[i] = power
    return Unit(tuple(dims), scale)


_M, _T, _Y, _P, _YUAN, _TCE = range(6)
UNIT_NAMES: dict[str, Unit] = {
    "dmnl": DMNL, "dimensionless": DMNL, "1": DMNL,
    "%": Unit(DMNL.dims, 0.01), "percent": Unit(DMNL.dims, 0.01),
    "percentage points": Unit(DMNL.dims, 0.01), "pp": Unit(DMNL.dims, 0.01),
    "m": _base(_M), "km": _base(_M, 1e3), "ha": _base(_M, 1e4, 2), "kha": _base(_M, 1e7, 2),
    "t": _base(_T), "kg": _base(_T, 1e-3), "kt": _base(_T, 1e3), "mt": _base(_T, 1e6),
    "year": _base(_Y), "yr": _base(_Y), "years": _base(_Y),
    "person": _base(_P), "persons": _base(_P),
    "yuan": _base(_YUAN),
    "tce": _base(_TCE), "mtce": _base(_TCE, 1e6),
    # model v2 energy (issue 13): electricity at its calorific equivalent (0.1229 kgce/kWh),
    # coal per kWh in gce, capacity in GW (kWh per hour), hours, carbon price in CNY (= yuan)
    "gce": _base(_TCE, 1e-6), "kwh": _base(_TCE, 1.229e-4),
    "h": _base(_Y, 1 / 8760), "gw": Unit(_base(_TCE).dims, 1.229e-4 * 1e6 * 8760) / _base(_Y),
    "cny": _base(_YUAN),
}
_PREFIX_NUMBERS = {"10k": 1e4}
_TOKEN = re.compile(r"\s*(?:(?P<num>\d+(?:\.\d*)?(?:e[-+]?\d+)?k?)(?![a-z])|(?P<name>[a-z%][a-z]*?)(?P<pow>\d*)(?![a-z])|(?P<op>[/*()^]))", re.I)  # noqa: E501 - one regex


def parse_unit(text: str) -> Unit:
    """Parse a Vensim unit string (``'1e8 m3/Year'``, ``'m3/(1e4 yuan)'``, ``'10k persons'``)."""
    s = re.sub(r"\[.*\]\s*$", "", text or "").strip()  # drop a range "[0,?]"
    if not s:
        return DMNL
    low = s.lower()
    if low in UNIT_NAMES:
        return UNIT_NAMES[low]
    toks = []
    pos = 0
    while pos < len(s):
        if s[pos].isspace():
            pos += 1
            continue
        m = _TOKEN.match(s, pos)
        if not m or m.end() == pos:
            raise UnitParseError(f"cannot read unit {text!r} at {s[pos:]!r}")
        toks.append(m)
        pos = m.end()
    i = 0

    def factor():
        nonlocal i
        if i >= len(toks):
            raise UnitParseError(f"unit {text!r} ends early")
        m = toks[i]
        if m.group("op") == "(":
            i += 1
            u = expr()
            if i >= len(toks) or toks[i].group("op") != ")":
                raise UnitParseError(f"unbalanced parenthesis in unit {text!r}")
            i += 1
        elif m.group("num"):
            i += 1
            n = m.group("num").lower()
            u = Unit(DMNL.dims, float(n[:-1]) * 1e3 if n.endswith("k") else float(n))
        elif m.group("name"):
            i += 1
            name = m.group("name").lower()
            # "percentage points" is two words
            if name == "percentage" and i < len(toks) and (toks[i].group("name") or "").lower() == "points":
                i += 1
                name = "percentage points"
            if name not in UNIT_NAMES:
                raise UnitParseError(f"unknown unit {m.group('name')!r} in {text!r}; known: "
                                     + ", ".join(sorted(k for k in UNIT_NAMES if " " not in k)))
            u = UNIT_NAMES[name]
            if m.group("pow"):
                u = u ** int(m.group("pow"))
        else:
            raise UnitParseError(f"unexpected {m.group()!r} in unit {text!r}")
        if i < len(toks) and toks[i].group("op") == "^":
            i += 1
            if i >= len(toks) or not toks[i].group("num"):
                raise UnitParseError(f"'^' needs a number in unit {text!r}")
            u = u ** float(toks[i].group("num"))
            i += 1
        return u

    def term():  # juxtaposition binds tighter than '/': "1e8 m3/Year" = (1e8 m3)/Year
        nonlocal i
        u = factor()
        while i < len(toks) and (toks[i].group("num") or toks[i].group("name") or toks[i].group("op") == "("):
            u = u * factor()
        return u

    def expr():
        nonlocal i
        u = term()
        while i < len(toks) and toks[i].group("op") in ("/", "*"):
            op = toks[i].group("op")
            i += 1
            u = u / term() if op == "/" else u * term()
        return u

    u = expr()
    if i != len(toks):
        raise UnitParseError(f"unexpected {toks[i].group()!r} in unit {text!r}")
    return u


# ------------------------------------------------------------------ inferred quantities
@dataclass(frozen=True)
class Q:
    """Inferred unit of a subexpression: candidate units (one per reading of the literals), or a
    bare literal (matches anything) with its value."""

    cands: tuple = ()
    literal: float | None = None
    logic: bool = False

    @property
    def is_literal(self) -> bool:
        return self.literal is not None

    @property
    def unit(self) -> Unit:
        return self.cands[0]


def _lit(v) -> Q:
    return Q((), float(v))


def _q(*units) -> Q:
    out = []
    for u in units:
        if not any(u.same(o) for o in out):
            out.append(u)
    return Q(tuple(out[:8]))


@dataclass
class Finding:
    variable: str
    severity: str  # "error" (dimensions) or "warning" (scale)
    declared: str
    implied: str
    where: str
    message: str
    operands: bool = False  # True: declared/implied hold the left/right operand units

    def __str__(self):
        a, b = ("left", "right") if self.operands else ("declared", "implied")
        return (f"{self.severity.upper():7} {self.variable}: {self.message} [{self.where}] "
                f"{a} '{self.declared}', {b} '{self.implied}'")


class _Checker:
    def __init__(self, units: dict[str, Unit], raw_units: dict[str, str]):
        self.units = units
        self.raw = raw_units
        self.findings: list[Finding] = []
        self.var = ""
        self.where = ""

    def report(self, severity, message, declared="", implied="", operands=False):
        self.findings.append(Finding(self.var, severity, declared, implied, self.where, message, operands))

    # -- combination rules
    def match(self, a: Q, b: Q, what: str) -> Q:
        """Operands that must have equal units (+, -, comparison, MIN/MAX, branches)."""
        if a.is_literal and b.is_literal:
            return _lit(a.literal)
        if a.is_literal:
            return b
        if b.is_literal:
            return a
        common = [u for u in a.cands if any(u.same(v) for v in b.cands)]
        if common:
            return _q(*common)
        if any(u.same_dims(v) for u in a.cands for v in b.cands):
            self.report("warning", f"{what}: operands have the same dimensions but different scale",
                        str(a.unit), str(b.unit), True)
        else:
            self.report("error", f"{what}: operands have different dimensions", str(a.unit), str(b.unit), True)
        return a

    def mul(self, a: Q, b: Q, div: bool) -> Q:
        if a.is_literal and b.is_literal:
            return _lit(a.literal / b.literal if div and b.literal else a.literal * (1 if div else b.literal))
        if b.is_literal:
            c = b.literal
            if c == 0:
                return a
            f = c if not div else 1 / c
            # coefficient reading (same unit) or conversion reading (value scaled by f)
            return _q(*[u for u in a.cands], *[Unit(u.dims, u.scale / f) for u in a.cands])
        if a.is_literal:
            c = a.literal
            if div:
                inv = [DMNL / u for u in b.cands]
                return _q(*inv, *([Unit(u.dims, u.scale / c) for u in inv] if c else []))
            return self.mul(b, a, False)
        return _q(*[(x / y if div else x * y) for x in a.cands for y in b.cands])

    def power(self, a: Q, b: Q) -> Q:
        if not b.is_literal and not any(u.dimensionless for u in b.cands):
            self.report("error", "exponent is not dimensionless", "Dmnl", str(b.unit))
        if a.is_literal:
            return a if not b.is_literal else _lit(a.literal ** b.literal)
        if b.is_literal:
            return _q(*[u ** b.literal for u in a.cands])
        if not any(u.dimensionless for u in a.cands):
            self.report("error", "a quantity with dimensions raised to a non-numeric power "
                        "(divide it by a reference value first)", "Dmnl (base of the power)", str(a.unit))
            return _q(DMNL)
        return _q(DMNL)

    def need_dmnl(self, q: Q, what: str):
        if q.is_literal or q.logic:
            return
        if not any(u.dimensionless for u in q.cands):
            self.report("error", f"{what} needs a dimensionless argument", "Dmnl", str(q.unit))

    # -- AST walk
    def visit(self, node) -> Q:
        name = type(node).__name__
        if isinstance(node, bool):
            return _lit(float(node))
        if isinstance(node, (int, float)) or (hasattr(node, "dtype") and not hasattr(node, "shape")) \
                or type(node).__module__ == "numpy" and getattr(node, "ndim", 1) == 0:
            return _lit(float(node))
        if name == "ndarray":
            return _lit(float(node.flat[0]) if node.size else 0.0)
        meth = getattr(self, "v_" + name, None)
        if meth is None:
            self.report("warning", f"construct {name} not checked", "", "")
            return _lit(1.0)
        return meth(node)

    def v_ReferenceStructure(self, node) -> Q:
        ref = node.reference
        if ref in self.units:
            return _q(self.units[ref])
        if ref == "time":
            return _q(UNIT_NAMES["year"])
        self.report("warning", f"reference '{ref}' has no known units", "", "")
        return _lit(1.0)

    def v_ArithmeticStructure(self, node) -> Q:
        ops, args = list(node.operators), list(node.arguments)
        if ops == ["negative"]:
            return self.visit(args[0])
        vals = [self.visit(a) for a in args]
        # precedence: ^ then * / then + - (pysd usually groups one level per structure)
        for level in (("^",), ("*", "/"), ("+", "-")):
            i = 0
            while i < len(ops):
                if ops[i] in level:
                    a, b = vals[i], vals[i + 1]
                    op = ops[i]
                    if op == "^":
                        r = self.power(a, b)
                    elif op in ("*", "/"):
                        r = self.mul(a, b, op == "/")
                    else:
                        r = self.match(a, b, f"'{op}'")
                    vals[i:i + 2] = [r]
                    del ops[i]
                else:
                    i += 1
        return vals[0]

    def v_LogicStructure(self, node) -> Q:
        ops, args = list(node.operators), list(node.arguments)
        vals = [self.visit(a) for a in args]
        if ops and ops[0] in (":AND:", ":OR:", ":NOT:"):
            return Q((DMNL,), None, True)
        for op, a, b in zip(ops, vals, vals[1:]):
            self.match(a, b, f"comparison '{op}'")
        return Q((DMNL,), None, True)

    def v_CallStructure(self, node) -> Q:
        fn = node.function.reference if type(node.function).__name__ == "ReferenceStructure" else str(node.function)
        fn = fn.lower()
        args = [self.visit(a) for a in node.arguments]
        if fn in ("min", "max"):
            out = args[0]
            for a in args[1:]:
                out = self.match(out, a, fn.upper())
            return out
        if fn == "if_then_else":
            return self.match(args[1], args[2], "IF THEN ELSE branches")
        if fn == "zidz":
            return self.mul(args[0], args[1], True)
        if fn == "xidz":
            return self.match(self.mul(args[0], args[1], True), args[2], "XIDZ fallback")
        if fn in ("sum", "prod", "vmin", "vmax", "abs", "integer", "initial"):
            return args[0]
        if fn in ("exp", "ln", "log", "sin", "cos", "tan"):
            self.need_dmnl(args[0], fn.upper())
            return _q(DMNL)
        if fn == "sqrt":
            return self.power(args[0], _lit(0.5))
        if fn == "power":
            return self.power(args[0], args[1])
        if fn == "ramp":
            year = _q(UNIT_NAMES["year"])
            for a in args[1:]:
                self.match(a, year, "RAMP start/finish")
            return self.mul(args[0], year, False)
        if fn in ("step",):
            self.match(args[1], _q(UNIT_NAMES["year"]), "STEP time")
            return args[0]
        if fn in ("pulse",):
            return _q(DMNL)
        if fn in self.units:  # a lookup called with an argument: returns its declared units
            return _q(self.units[fn])
        self.report("warning", f"function {fn.upper()} not checked", "", "")
        return _lit(1.0)

    def v_InitialStructure(self, node) -> Q:
        return self.visit(node.initial)

    def v_InlineLookupsStructure(self, node) -> Q:
        self.visit(node.argument)
        return _q(self.units[self.var]) if self.var in self.units else _lit(1.0)

    def v_LookupsStructure(self, node) -> Q:
        return _q(self.units[self.var]) if self.var in self.units else _lit(1.0)

    def v_ArraysStructure(self, node) -> Q:
        return _lit(1.0)

    # -- one equation
    def check(self, var: str, declared: Unit, ast):
        self.var = var
        kind = type(ast).__name__
        if kind == "IntegStructure":
            self.where = "INTEG flow"
            self.expect(self.visit(ast.flow), declared / UNIT_NAMES["year"])
            self.where = "INTEG initial value"
            self.expect(self.visit(ast.initial), declared)
            return
        if kind in ("LookupsStructure",):
            return
        self.where = "equation"
        self.expect(self.visit(ast), declared)

    def expect(self, q: Q, declared: Unit):
        if q.is_literal or q.logic:
            return
        if any(u.same(declared) for u in q.cands):
            return
        raw = self.raw.get(self.var, "")
        want = f"{raw} (= {declared})" if self.where == "equation" else str(declared)
        if any(u.same_dims(declared) for u in q.cands):
            u = next(u for u in q.cands if u.same_dims(declared))
            self.report("warning", f"scale differs by a factor {u.scale / declared.scale:g}", want, str(q.unit))
        else:
            self.report("error", "dimensions differ", want, str(q.unit))


def _abstract_model(path: Path):
    from pysd.translators.vensim.vensim_file import VensimFile

    path = Path(path)
    if not path.is_file():
        raise UnitParseError(f"{path}: model file not found" if not path.exists() else f"{path}: not a model file")
    try:
        vf = VensimFile(str(path))
        vf.parse()
        return vf.get_abstract_model()
    except Exception as exc:  # noqa: BLE001 - pysd's parser raises its own types (ParseError, ...)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnitParseError(f"{path}: pysd could not parse the model: {first[:300]}") from None


def check_units(model_path: Path | str = DEFAULT_MODEL) -> list[Finding]:
    """Every unit mismatch of the model: errors (dimensions) then warnings (scale)."""
    am = _abstract_model(Path(model_path))
    units: dict[str, Unit] = {}
    raw: dict[str, str] = {}
    findings: list[Finding] = []
    elements = [el for sec in am.sections for el in sec.elements]
    for el in elements:
        name = normalise_name(el.name)
        raw[name] = el.units or ""
        try:
            units[name] = parse_unit(el.units or "")
        except UnitParseError as exc:
            findings.append(Finding(name, "error", el.units or "", "", "declared units", str(exc)))
    checker = _Checker(units, raw)
    for el in elements:
        name = normalise_name(el.name)
        if name not in units:
            continue
        for comp in el.components:
            checker.check(name, units[name], comp.ast)
    findings += checker.findings
    return sorted(findings, key=lambda f: (f.severity != "error", f.variable))


def format_findings(findings: list[Finding]) -> str:
    if not findings:
        return "units: no mismatches"
    n_err = sum(f.severity == "error" for f in findings)
    lines = [str(f) for f in findings]
    lines.append(f"units: {n_err} errors, {len(findings) - n_err} warnings")
    return "\n".join(lines)
