"""Vensim abstract model -> engine IR.

pysd parses a ``.mdl`` file into an *abstract model* (a tree of dataclasses,
see ``pysd.translators.structures``).  pysd's own builder turns that tree
into xarray-based Python; this module turns it into small snippets of
*numpy* code operating on arrays with a leading ``sample`` axis, one array
axis per subscript range.  The snippets are collected in an IR
(:class:`ModelIR`) that :mod:`sim.engine.codegen` schedules into one
simulation function.

Design notes (why it looks like this):

* Semantics follow ``pysd.builders.python.python_expressions_builder``
  construct by construct (dimension bookkeeping, mapping, merge of
  element-by-element definitions, stateful objects).  We reuse pysd's
  :class:`SectionBuilder` only for the *naming* (python identifiers) and the
  subscript manager, so names and dimension names are identical to pysd's.
* Every expression carries an ordered ``subs`` dict ``{dim: [coords]}``
  exactly like pysd's ``BuildAST.subscripts``.  In numpy an expression is
  either a plain scalar (``arr=False``: literals, ``time``) or an ndarray of
  shape ``(S, *len(coords))`` where ``S`` is 1 or the number of samples;
  broadcasting between operands is arranged at compile time by transposing
  and inserting length-1 axes, so no xarray is involved at run time.
* Anything we cannot reproduce exactly raises :class:`UnsupportedConstruct`
  at compile time.
"""
from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import EngineError, UnsupportedConstruct

# bump whenever generated code / IR changes meaning (invalidates disk cache)
ENGINE_VERSION = "9"

SMALL_VENSIM = 1e-6
CONTROL_VARS = ("initial_time", "final_time", "time_step", "saveper")


# --------------------------------------------------------------------------
# IR
# --------------------------------------------------------------------------
PH_OPEN, PH_CLOSE = "\u27e8", "\u27e9"


def ph(dim: str) -> str:
    """Placeholder for the loop index of ``dim`` in element templates."""
    return PH_OPEN + dim + PH_CLOSE


def fill(template: str, env: dict) -> str:
    """Replace dimension placeholders by index expressions."""
    for dim, idx in env.items():
        template = template.replace(ph(dim), idx)
    if PH_OPEN in template:
        raise UnsupportedConstruct("internal: unresolved dimension",
                                   template)
    return template


@dataclass
class Expr:
    """A compiled expression.

    ``code`` is vectorised numpy source (arrays with a leading sample axis);
    ``el`` is the same expression for ONE sample and ONE subscript element,
    with ``⟨dim⟩`` placeholders for the element indices (used by the fused
    numba kernel); ``pre`` are statements ``el`` needs first (reductions).
    """
    code: str
    subs: dict
    deps: set
    arr: bool          # True -> ndarray with leading sample axis
    order: int = 0     # pysd arithmetic order, used for parenthesising
    el: str = None
    pre: list = field(default_factory=list)


@dataclass
class VarNode:
    """One model variable (pysd "element").  ``nb_*`` fields hold the
    per-sample scalar statements of the numba backend."""
    ident: str                 # pysd python name
    name: str                  # original Vensim name
    dims: list                 # element dimension names
    coords: dict               # dim -> coords
    stmts: list                # statements that assign ``v_<ident>``
    deps: set                  # node identifiers used by ``stmts``
    kind: str = "aux"          # constant | aux | stock | lookup | data
    units: str = ""
    documentation: str = ""
    limits: tuple = (None, None)
    default: object = None     # constants: default value, shape (1, *dims)
    is_control: bool = False
    comp_types: list = field(default_factory=list)
    nb_stmts: list = field(default_factory=list)
    nb_alloc: list = field(default_factory=list)

    @property
    def shape(self):
        return tuple(len(self.coords[d]) for d in self.dims)


@dataclass
class ObjNode:
    """A stateful object (INTEG, SMOOTH, DELAY, INITIAL...)."""
    ident: str                 # e.g. _integ_stock_a (pysd naming)
    kind: str                  # integ, smooth, delay, delayn, ...
    owner: str                 # ident of the variable using it
    shape: tuple               # component shape (without sample axis)
    init_stmts: list
    init_deps: set
    out_stmts: list            # assign o_<ident>; run phase
    out_deps: set
    ddt_stmts: list = field(default_factory=list)
    ddt_deps: set = field(default_factory=set)
    upd_stmts: list = field(default_factory=list)
    dynamic: bool = True       # False for INITIAL (constant after init)
    init_sets_out: bool = False  # init_stmts already assign o_<ident>
    flow_deps: set = field(default_factory=set)  # integ flows (metadata)
    nb_init: list = field(default_factory=list)
    nb_out: list = field(default_factory=list)
    nb_ddt: list = field(default_factory=list)
    nb_upd: list = field(default_factory=list)


@dataclass
class ModelIR:
    model_hash: str
    source: str
    subscripts: dict
    vars: dict                 # ident -> VarNode (model order)
    objs: dict                 # ident -> ObjNode
    consts: dict               # global constant arrays used by the code
    control: dict              # control var ident -> VarNode
    namespace: dict            # original name -> ident
    engine_version: str = ENGINE_VERSION


def model_hash(text: str) -> str:
    """Hash of the model source plus engine version (cache key)."""
    h = hashlib.sha256()
    h.update(ENGINE_VERSION.encode())
    h.update(b"\0")
    h.update(text.encode("utf-8", "surrogateescape"))
    return h.hexdigest()[:24]


# --------------------------------------------------------------------------
# helpers for dimension bookkeeping
# --------------------------------------------------------------------------
def _num(value) -> str:
    v = float(value)
    if np.isnan(v):
        return "np.nan"
    if np.isinf(v):
        return "np.inf" if v > 0 else "(-np.inf)"
    return repr(v)


def _lower(e: Expr, new_order: int) -> None:
    """pysd's BuildAST.lower_order: add parentheses when needed."""
    if e.order >= new_order and e.order != 0 and new_order != 0:
        e.code = "(%s)" % e.code
        e.el = "(%s)" % e.el
        e.order = 0


def _merge_subs(subs_list, where=""):
    """Union of subscript dicts in argument order (pysd semantics)."""
    out = {}
    for subs in subs_list:
        for dim, coords in subs.items():
            if dim in out and list(out[dim]) != list(coords):
                raise UnsupportedConstruct(
                    "operation between arrays with different coordinates "
                    f"for dimension {dim!r}", where,
                    f"{out[dim]} vs {coords}")
            out.setdefault(dim, list(coords))
    return out


def _align(e: Expr, target: dict, where="") -> Expr:
    """Return ``e`` re-laid so its axes follow ``target`` (dims missing in
    ``e`` become length-1 axes).  Scalars are returned unchanged."""
    if not e.arr:
        return e
    src = list(e.subs)
    tgt = list(target)
    for d in src:
        if d not in target:
            raise UnsupportedConstruct(
                "dimension mismatch", where,
                f"dimension {d!r} not in target {tgt}")
        if list(e.subs[d]) != list(target[d]):
            raise UnsupportedConstruct(
                "operation between arrays with different coordinates "
                f"for dimension {d!r}", where)
    if src == tgt:
        return e
    # the element template indexes by dimension name: nothing to re-lay
    code = e.code
    present = [d for d in tgt if d in e.subs]
    if present != src:
        perm = [0] + [src.index(d) + 1 for d in present]
        code = "np.transpose(%s, %s)" % (code, tuple(perm))
    if len(present) != len(tgt):
        idx = ", ".join(":" if d in e.subs else "None" for d in tgt)
        code = "%s[:, %s]" % (_paren(code), idx)
    el = e.el if e.order == 0 else "(%s)" % e.el
    return Expr(code, dict(target), e.deps, True, 0, el, e.pre)


def _paren(code: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z_0-9\.]*", code):
        return code
    return "(%s)" % code


def _pres(*exprs):
    out = []
    for e in exprs:
        for p in e.pre:
            if p not in out:
                out.append(p)
    return out


def nb_loops(target: str, el: str, keys: list, shape: tuple, pre=()):
    """Per-sample numba statements assigning ``target[...] = el`` for every
    element of ``shape`` (``keys`` name the dims used in ``el``)."""
    lines = list(pre)
    if not keys:
        lines.append("%s = float(%s)" % (target, el))
        return lines
    env = {}
    for d, (k, n) in enumerate(zip(keys, shape)):
        lines.append("    " * d + "for _i%d in range(%d):" % (d, n))
        env[k] = "_i%d" % d
    idx = ", ".join("_i%d" % d for d in range(len(keys)))
    lines.append("    " * len(keys) + "%s[%s] = %s" % (target, idx,
                                                      fill(el, env)))
    return lines


def _as_arr(e: Expr) -> str:
    """Code that yields an ndarray with sample axis for ``e``."""
    if e.arr:
        return e.code
    return "F.A1(%s)" % e.code


# --------------------------------------------------------------------------
# the compiler
# --------------------------------------------------------------------------
class ModelCompiler:
    """Compile one ``.mdl`` file into a :class:`ModelIR`."""

    def __init__(self, path):
        self.path = Path(path)
        self.text = self.path.read_text(encoding="utf-8", errors="surrogateescape")
        self.consts = {}
        self.vars = {}
        self.objs = {}
        self.control = {}
        self._kcount = 0
        self._tmp = 0

    # -- constants shared with the generated code ---------------------------
    def const(self, value, prefix="K") -> str:
        """Register a numpy constant; returns the global name used in code."""
        value = np.asarray(value)
        for name, old in self.consts.items():
            if name.startswith(prefix) and old.shape == value.shape and \
               old.dtype == value.dtype and np.array_equal(old, value):
                return name
        self._kcount += 1
        name = "%s_%d" % (prefix, self._kcount)
        self.consts[name] = value
        return name

    # -- main entry ----------------------------------------------------------
    def compile(self) -> ModelIR:
        # imported lazily: pysd import is slow and only needed to compile
        from pysd.translators.vensim.vensim_file import VensimFile
        from pysd.builders.python.python_model_builder import SectionBuilder

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                vf = VensimFile(self.path)
                vf.parse()
                am = vf.get_abstract_model()
        except Exception as err:   # pysd parser error: say so clearly
            raise EngineError(
                f"pysd could not parse {self.path}: {err}") from err
        if len(am.sections) > 1:
            raise UnsupportedConstruct(
                "macro", am.sections[1].name,
                "models with :MACRO: definitions are not supported")
        section = am.sections[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                sec = SectionBuilder(section)
            except Exception as err:
                raise EngineError(
                    f"pysd could not build {self.path}: {err}") from err
            for element in sec.elements:
                sec.namespace.add_to_namespace(element.name)
                ident = sec.namespace.namespace[element.name]
                element.identifier = ident
                sec.subscripts.elements[ident] = element.subscripts
        self.sec = sec
        self.sm = sec.subscripts
        self.ns = sec.namespace
        self.elements = {el.identifier: el for el in sec.elements}
        self._s2n = self._subscript2num()

        # lookups first: calls need their tables
        self.lookups = {}
        for el in sec.elements:
            types = {type(c.ast).__name__ for c in el.components}
            if "LookupsStructure" in types:
                if types != {"LookupsStructure"}:
                    raise UnsupportedConstruct(
                        "lookup mixed with other definitions", el.name)
                self._compile_lookup(el)
        for el in sec.elements:
            if el.identifier in self.lookups:
                continue
            self._compile_element(el)
        # metadata: which auxiliaries are flows (feed an INTEG directly)
        flow_vars = set()
        for obj in self.objs.values():
            flow_vars |= obj.flow_deps
        for ident in flow_vars:
            if ident in self.vars and self.vars[ident].kind == "aux":
                self.vars[ident].kind = "flow"
        for ident in self.control:
            if self.control[ident].deps - set(CONTROL_VARS) - {
                    v for v in self.vars if self.vars[v].kind == "constant"}:
                raise UnsupportedConstruct(
                    "time-dependent control variable",
                    self.control[ident].name,
                    "control variables must be constant expressions")
        subs = {k: list(v) for k, v in self.sm.subscripts.items()}
        ir = ModelIR(
            model_hash=model_hash(self.text), source=str(self.path),
            subscripts=subs, vars=self.vars, objs=self.objs,
            consts=self.consts, control=self.control,
            namespace=dict(self.ns.namespace))
        # schedule once now so that algebraic loops / circular
        # initialisation are reported at compile time
        from .codegen import generate_control, generate_simulate
        generate_control(ir)
        generate_simulate(ir, [k for k, v in self.vars.items()
                               if v.kind != "lookup"])
        return ir

    # -- subscripts used as values (pysd subscript2num) ---------------------
    def _subscript2num(self):
        s2n = {}
        sm = self.sm
        for rng, subranges in sm.subranges.items():
            main = sm.subscripts[rng]
            s2n[rng.replace(" ", "_").lower()] = (
                np.arange(1, len(main) + 1, dtype=float), {rng: list(main)})
            for i, sub in enumerate(main, start=1):
                s2n[sub.replace(" ", "_").lower()] = (float(i), {})
            for subrange in subranges:
                idx = [main.index(s) + 1 for s in sm.subscripts[subrange]]
                s2n[subrange.replace(" ", "_").lower()] = (
                    np.array(idx, dtype=float),
                    {subrange: list(sm.subscripts[subrange])})
        return s2n

    # -- lookups -------------------------------------------------------------
    def _compile_lookup(self, el):
        """Merge (possibly element-by-element) lookup definitions into one
        table: a common sorted x grid and y values of shape
        (*element_dims, len(grid)), as pysd's HardcodedLookups does."""
        dims = list(el.subscripts)
        coords = {d: list(c) for d, c in zip(dims, el.subs_dict.values())}
        shape = tuple(len(coords[d]) for d in dims)
        comps = []
        for c in el.components:
            lk = c.ast
            if lk.type != "interpolate":
                raise UnsupportedConstruct(
                    f"lookup type {lk.type!r}", el.name)
            if c.subscripts[1]:
                raise UnsupportedConstruct(":EXCEPT: in lookup", el.name)
            x = np.array(lk.x, dtype=float)
            y = np.array(lk.y, dtype=float)
            if len(x) != len(set(x)):
                raise UnsupportedConstruct(
                    "lookup with repeated x values", el.name)
            cs = self.sm.make_coord_dict(c.subscripts[0])
            comps.append((x, y, list(cs.values())))
        grid = np.unique(np.concatenate([x for x, _, _ in comps]))
        ys = np.full(shape + (len(grid),), np.nan)
        for x, y, ccoords in comps:
            order = np.argsort(x)
            vals = np.interp(grid, x[order], y[order])
            if len(comps) == 1:
                ys[...] = vals
                # single definition: pysd tiles the same x/y everywhere
                grid_single = True
            else:
                idx = tuple(
                    np.array([coords[d].index(cc) for cc in cl])
                    for d, cl in zip(dims, ccoords))
                ys[np.ix_(*idx)] = vals if idx else vals
        if np.isnan(ys).any():
            raise UnsupportedConstruct(
                "lookup not defined for every subscript element", el.name)
        xname = self.const(grid, "LX")
        # subscripted tables get a leading (sample) axis of length 1 so the
        # usual dimension alignment applies to them
        yname = self.const(ys[None, ...] if dims else ys, "LY")
        self.lookups[el.identifier] = (xname, yname, dims, coords)
        self.vars[el.identifier] = VarNode(
            ident=el.identifier, name=el.name, dims=dims, coords=coords,
            stmts=[], deps=set(), kind="lookup", units=el.units or "",
            documentation=el.documentation or "", limits=el.limits)

    # -- elements ------------------------------------------------------------
    def _compile_element(self, el):
        ident = el.identifier
        dims = list(el.subscripts)
        if len(set(dims)) != len(dims):
            raise UnsupportedConstruct(
                "variable with a repeated subscript range", el.name)
        coords = {d: list(c) for d, c in zip(dims, el.subs_dict.values())}
        shape = tuple(len(coords[d]) for d in dims)
        is_control = ident in CONTROL_VARS
        comp_exprs = []
        kinds = []
        for comp in el.components:
            ctx = _Ctx(self, el, comp)
            e = ctx.visit(comp.ast)
            kinds.append(ctx.kind)
            comp_exprs.append((comp, ctx, e))

        deps = set()
        stmts = []
        local = "v_" + ident
        full_single = (
            len(comp_exprs) == 1 and not comp_exprs[0][0].subscripts[1]
            and [list(c) for c in comp_exprs[0][1].def_subs.values()]
            == [coords[d] for d in dims])
        nb = []
        nb_alloc = []
        if is_control:
            if dims:
                raise UnsupportedConstruct("subscripted control variable",
                                           el.name)
            e = comp_exprs[0][2]
            stmts.append("%s = %s" % (local, e.code))
            deps |= e.deps
        elif not dims:
            e = comp_exprs[0][2]
            if len(comp_exprs) > 1:
                raise UnsupportedConstruct("multiple definitions", el.name)
            if e.subs:
                raise UnsupportedConstruct(
                    "subscripted expression for a scalar variable", el.name)
            stmts.append("%s = %s" % (local, _as_arr(e)))
            nb.extend(nb_loops(local, e.el, [], (), e.pre))
            deps |= e.deps
        elif full_single:
            comp, ctx, e = comp_exprs[0]
            e2 = ctx.to_component(e)
            nb_alloc.append("%s = np.empty(%s)" % (local, shape))
            nb.extend(nb_loops(local, e2.el, list(ctx.def_subs), shape,
                               e2.pre))
            if e.arr and len(e.subs) == len(dims):
                # every dimension present: already (S, *shape), no copy
                stmts.append("%s = %s" % (local, e2.code))
            else:
                stmts.append("%s = F.bcast(%s, %s)" % (local, e2.code, shape))
            deps |= e.deps
        else:
            # element defined piece by piece (or with :EXCEPT:): assemble
            parts = []
            nb_alloc.append("%s = np.full(%s, np.nan)" % (local, shape))
            for i, (comp, ctx, e) in enumerate(comp_exprs):
                e2 = ctx.to_component(e)
                nb.extend(e2.pre)
                tmp = "_p%d" % i
                stmts.append("%s = %s" % (tmp, e2.code))
                idx = []
                for d, cc in zip(dims, ctx.def_subs.values()):
                    idx.append([coords[d].index(x) for x in cc])
                mask = np.zeros(shape, dtype=bool)
                mask[np.ix_(*[np.array(i_) for i_ in idx])] = True
                for exc in comp.subscripts[1]:
                    exc_cd = self.sm.make_coord_dict(exc)
                    emask = np.zeros(shape, dtype=bool)
                    eidx = [np.array([coords[d].index(x) for x in cc])
                            for d, cc in zip(dims, exc_cd.values())]
                    if len(eidx) != len(dims):
                        raise UnsupportedConstruct(":EXCEPT:", el.name)
                    emask[np.ix_(*eidx)] = True
                    mask &= ~emask
                cshape = tuple(len(i_) for i_ in idx)
                sel = np.ix_(*[np.array(i_) for i_ in idx])
                submask = mask[sel]
                # numba: loop over the component's elements
                keys = list(ctx.def_subs)
                env = {}
                ind = 0
                for d, (k, n_) in enumerate(zip(keys, cshape)):
                    nb.append("    " * d + "for _c%d in range(%d):" % (d, n_))
                    env[k] = "_c%d" % d
                    ind = d + 1
                tgt = ", ".join("%s[_c%d]" % (self.const(np.array(i_), "I"),
                                               d) for d, i_ in enumerate(idx))
                body = "%s[%s] = %s" % (local, tgt, fill(e2.el, env))
                if not submask.all():
                    mname = self.const(submask, "M")
                    nb.append("    " * ind + "if %s[%s]:" % (
                        mname, ", ".join("_c%d" % d for d in range(ind))))
                    ind += 1
                nb.append("    " * ind + body)
                parts.append((tmp, self.const(mask, "M"),
                              self.const(submask, "M"), cshape,
                              bool(submask.all())))
                deps |= e.deps
            covered = np.zeros(shape, dtype=bool)
            for p in parts:
                covered |= self.consts[p[1]]
            stmts.append("%s = F.empty_like_parts(%s, %s)" % (
                local, shape, ", ".join(p[0] for p in parts)))
            for tmp, mname, subname, cshape, _ in parts:
                stmts.append("F.assign_mask(%s, %s, %s, %s, %s)" % (
                    local, mname, tmp, subname, cshape))
            if not covered.all():
                # pysd leaves undefined elements as NaN; so do we
                pass
        kind = "aux"
        if is_control:
            kind = "control"
        elif all(k == "constant" for k in kinds) and not deps:
            kind = "constant"
        elif any(k == "stock" for k in kinds):
            kind = "stock"
        node = VarNode(
            ident=ident, name=el.name, dims=dims, coords=coords,
            stmts=stmts, deps=deps, kind=kind, units=el.units or "",
            documentation=el.documentation or "", limits=el.limits,
            is_control=is_control, comp_types=kinds, nb_stmts=nb,
            nb_alloc=nb_alloc)
        if kind == "constant":
            node.default = self._eval_constant(node)
        if is_control:
            self.control[ident] = node
        self.vars[ident] = node

    def _eval_constant(self, node):
        """Evaluate a constant's default value once, at compile time.  The
        code evaluated is generated by this compiler from numeric literals
        only (constants have no references)."""
        from . import functions as F
        ns = {"np": np, "F": F}
        ns.update(self.consts)
        with np.errstate(all="ignore"):
            exec("\n".join(node.stmts), ns)  # noqa: S102 - our own code
        val = np.asarray(ns["v_" + node.ident], dtype=float)
        if node.dims:
            val = np.broadcast_to(val, (1,) + node.shape).copy()
        else:
            val = val.reshape(1)
        return val


class _Ctx:
    """Per-component visitor (mirrors pysd's ASTVisitor + builders)."""

    def __init__(self, comp: ModelCompiler, el, component):
        self.c = comp
        self.el = el
        self.component = component
        self.sm = comp.sm
        self.ns = comp.ns
        self.name = el.name
        self.def_subs = self.sm.make_coord_dict(component.subscripts[0])
        self.kind = "constant"   # upgraded while visiting

    # ----------------------------------------------------------- utilities
    def fail(self, construct, detail=""):
        raise UnsupportedConstruct(construct, self.name, detail)

    def to_component(self, e: Expr) -> Expr:
        """Lay ``e`` out positionally along the component dimensions.

        pysd keys component subscripts either by the component's own range
        names or by the element's range names; the array axes are matched
        by position in both cases."""
        ckeys = list(self.def_subs)
        ekeys = list(self.el.subscripts)
        target = {}
        for ck, ek, cc in zip(ckeys, ekeys, self.def_subs.values()):
            target[ck] = list(cc)
        if not e.arr:
            return Expr(e.code, target, e.deps, False, 0, e.el, e.pre)
        # rename expression dims that use element names to component names
        ren = {}
        for d in e.subs:
            if d in target:
                continue
            if d in ekeys:
                ck = ckeys[ekeys.index(d)]
                if ck in e.subs:
                    self.fail("dimension mismatch", str(list(e.subs)))
                ren[d] = ck
            else:
                self.fail("dimension mismatch",
                          f"expression has dimension {d!r}, variable is "
                          f"defined over {ckeys}")
        subs = {ren.get(d, d): list(c) for d, c in e.subs.items()}
        el = e.el
        for old, new in ren.items():
            el = el.replace(ph(old), ph(new))
        for d, c in subs.items():
            if list(target[d]) != c:
                if len(c) == len(target[d]):
                    subs[d] = list(target[d])   # positional, as pysd .values
                else:
                    self.fail("dimension mismatch",
                              f"{d}: {c} vs {target[d]}")
        return _align(Expr(e.code, subs, e.deps, True, 0, el, e.pre),
                      target, self.name)

    def reshape_full(self, e: Expr) -> Expr:
        """pysd ``reshape(def_subs, final_element=True)`` for stateful args."""
        if not self.def_subs:
            if e.subs:
                self.fail("subscripted argument in a scalar stateful")
            return e
        return self.to_component(e)

    def comp_shape(self):
        return tuple(len(c) for c in self.def_subs.values())

    def new_obj(self, prefix):
        return self.ns.make_python_identifier(
            self.el.identifier, prefix=prefix)

    # ---------------------------------------------------------------- visit
    def visit(self, ast) -> Expr:
        if isinstance(ast, (bool, int, float, np.integer, np.floating)):
            return Expr(_num(ast), {}, set(), False, 0, _num(ast))
        if isinstance(ast, np.ndarray):
            return self.v_array(ast)
        meth = getattr(self, "v_" + type(ast).__name__, None)
        if meth is None:
            self.fail(type(ast).__name__.replace("Structure", ""))
        return meth(ast)

    def v_array(self, value):
        shape = self.comp_shape()
        try:
            arr = np.asarray(value, dtype=float).reshape(shape)
        except ValueError:
            self.fail("array constant with wrong shape")
        final_subs, _ = self.sm.simplify_subscript_input(
            self.def_subs, self.el.subscripts)
        name = self.c.const(arr[None, ...], "K")
        el = "%s[0, %s]" % (name, ", ".join(ph(k) for k in final_subs))
        return Expr(name, {k: list(v) for k, v in final_subs.items()},
                    set(), True, 0, el)

    def v_GameStructure(self, ast):
        return self.visit(ast.expression)

    # ------------------------------------------------------------ operators
    _ops = {
        "^": ("%(left)s**%(right)s", 1),
        "*": ("%(left)s*%(right)s", 2),
        "/": ("%(left)s/%(right)s", 2),
        "+": ("%(left)s + %(right)s", 3),
        "-": ("%(left)s - %(right)s", 3),
        "=": ("%(left)s == %(right)s", 4),
        "<>": ("%(left)s != %(right)s", 4),
        ">=": ("%(left)s >= %(right)s", 4),
        ">": ("%(left)s > %(right)s", 4),
        "<=": ("%(left)s <= %(right)s", 4),
        "<": ("%(left)s < %(right)s", 4),
        ":NOT:": ("np.logical_not(%s)", 0),
        ":AND:": ("np.logical_and(%(left)s, %(right)s)", 0),
        ":OR:": ("np.logical_or(%(left)s, %(right)s)", 0),
        "negative": ("-%s", 3),
    }

    def _reorder(self, args):
        """Align array operands on the union of their dims (pysd reorder)."""
        final = _merge_subs([a.subs for a in args], self.name)
        return final, [_align(a, final, self.name) if a.arr else a
                       for a in args]

    def v_ArithmeticStructure(self, ast):
        return self._operation(ast)

    def v_LogicStructure(self, ast):
        return self._operation(ast)

    def _operation(self, ast):
        operators = list(ast.operators)
        args = [self.visit(a) for a in ast.arguments]
        deps = set().union(*[a.deps for a in args])
        arr = any(a.arr for a in args)
        final, args = self._reorder(args)
        for op in operators:
            if op not in self._ops:
                self.fail(f"operator {op}")
        order = self._ops[operators[-1]][1]
        if operators[-1] == "^":
            _lower(args[-1], 2)
        else:
            _lower(args[-1], order)
        pre = _pres(*args)
        if len(args) == 1:
            op = operators[0]
            if op == "negative":
                order = 1
            return Expr(self._ops[op][0] % args[0].code, final, deps, arr,
                        order, self._ops[op][0] % args[0].el, pre)
        last = args.pop()
        right, right_el = last.code, last.el
        while args or operators:
            expr = self._ops[operators.pop()][0]
            left = args.pop()
            _lower(left, order)
            right = expr % {"left": left.code, "right": right}
            right_el = expr % {"left": left.el, "right": right_el}
        return Expr(right, final, deps, arr, order, right_el, pre)

    # ------------------------------------------------------------ references
    def v_ReferenceStructure(self, ast, as_lookup=False):
        ref = ast.reference
        if ref not in self.ns.cleanspace:
            if ref not in self.c._s2n:
                self.fail("unknown reference %r" % ref)
            value, subs = self.c._s2n[ref]
            if subs:
                name = self.c.const(np.asarray(value)[None, :], "K")
                return Expr(name, dict(subs), set(), True, 0,
                            "%s[0, %s]" % (name, ph(list(subs)[0])))
            return Expr(_num(value), {}, set(), False, 0, _num(value))
        ident = self.ns.cleanspace[ref]
        if ident == "time":
            self.kind = "aux"
            return Expr("t", {}, {"time"}, False, 0, "t")
        if ident in CONTROL_VARS:
            self.kind = "aux"
            return Expr("c_" + ident, {}, {ident}, False, 0, "c_" + ident)
        if ident in self.c.lookups and not as_lookup:
            self.fail("lookup used without argument", ref)
        el = self.c.elements[ident]
        self.kind = "aux"
        ref_subs = getattr(ast.subscripts, "subscripts", []) or []
        if as_lookup:
            xname, yname, ldims, lcoords = self.c.lookups[ident]
            base = Expr(yname, {d: lcoords[d] for d in ldims}, set(), True,
                        0, yname)
            orig_dims = ldims
            orig = {d: lcoords[d] for d in ldims}
        else:
            orig_dims = list(el.subscripts)
            orig = {d: list(c) for d, c in zip(orig_dims,
                                                el.subs_dict.values())}
            base = Expr("v_" + ident, dict(orig), {ident}, True, 0,
                        "v_" + ident)
        if not ref_subs:
            if orig_dims:
                self.fail("subscripted variable referenced without "
                          "subscripts", ref)
            return base
        cur = self.sm.make_coord_dict(ref_subs)
        if len(cur) != len(ref_subs):
            self.fail("reference with repeated subscript range", ref)
        if len(cur) != len(orig_dims):
            self.fail("reference with wrong number of subscripts", ref)
        return self._visit_subscripts(base, cur, orig, as_lookup)

    def _visit_subscripts(self, base, cur, orig, as_lookup):
        """pysd ``visit_loc`` + mapping: subset/rename a referenced array.

        The leading axis of ``base`` is the sample axis (for lookups the
        table has a trailing x axis instead, handled by the same indices)."""
        code = base.code
        basic = [":"]          # leading sample axis
        fancy = []             # (axis position after basic, const name)
        kept = []              # (dim key, coords) kept dims
        nbidx = []             # per original axis: (kind, data)
        pos = 0
        for (dim, coord), (odim, ocoord) in zip(cur.items(), orig.items()):
            coord = list(coord)
            if len(coord) == 1:
                if coord[0] not in ocoord:
                    self.fail("subscript %r not in %r" % (coord[0], odim))
                basic.append(str(ocoord.index(coord[0])))
                nbidx.append(("int", ocoord.index(coord[0])))
                continue
            if len(coord) < len(ocoord):
                try:
                    idx = [ocoord.index(x) for x in coord]
                except ValueError:
                    self.fail("subrange not contained in %r" % odim)
                if idx == list(range(idx[0], idx[0] + len(idx))):
                    basic.append("%d:%d" % (idx[0], idx[0] + len(idx)))
                    nbidx.append(("off", idx[0]))
                else:
                    basic.append(":")
                    iname = self.c.const(np.array(idx), "I")
                    fancy.append((pos, iname))
                    nbidx.append(("take", iname))
            elif len(coord) > len(ocoord):
                self.fail("reference with more elements than the variable")
            else:
                basic.append(":")
                nbidx.append(("full", None))
            kept.append((dim, coord))
            pos += 1
        if any(b != ":" for b in basic):
            code = "%s[%s]" % (_paren(code), ", ".join(basic))
        for p, iname in fancy:
            code = "np.take(%s, %s, axis=%d)" % (code, iname, p + 1)
        # mapping (pysd ReferenceBuilder.subscripts setter)
        final = {}
        for dim, coord in kept:
            if dim not in self.def_subs and not dim.endswith("!"):
                mapped_to = None
                for mapped in self.sm.mapping.get(dim, []):
                    if mapped in self.def_subs and mapped not in cur:
                        mapped_to = mapped
                        break
                if mapped_to is not None:
                    final[mapped_to] = list(self.sm.subscripts[mapped_to])
                    if len(final[mapped_to]) != len(coord):
                        self.fail("subscript mapping of different length")
                    continue
            final[dim] = coord
        if len(final) != len(kept):
            self.fail("reference with repeated dimension after mapping")
        # element template: index the per-sample array (no sample axis)
        keys = iter(list(final))
        parts = []
        for kind, data in nbidx:
            if kind == "int":
                parts.append(str(data))
                continue
            k = ph(next(keys))
            if kind == "off":
                parts.append("%d + %s" % (data, k) if data else k)
            elif kind == "take":
                parts.append("%s[%s]" % (data, k))
            else:
                parts.append(k)
        if as_lookup:
            el = "%s[0, %s, :]" % (base.el, ", ".join(parts))
        else:
            el = "%s[%s]" % (base.el, ", ".join(parts))
        return Expr(code, final, base.deps, True, 0, el)

    # ---------------------------------------------------------------- calls
    def v_CallStructure(self, ast):
        fname = ast.function.reference
        if fname in self.c.sec.macrospace:
            self.fail("macro call " + fname)
        if fname in self.ns.cleanspace:
            ident = self.ns.cleanspace[fname]
            if ident not in self.c.lookups:
                self.fail("call to non-lookup variable", fname)
            return self._lookup_call(ast)
        meth = getattr(self, "f_" + fname, None)
        if meth is None:
            self.fail(fname.upper().replace("_", " "))
        return meth(*ast.arguments)

    def _lookup_call(self, ast):
        if len(ast.arguments) != 1:
            self.fail("lookup called with %d arguments" % len(ast.arguments))
        x = self.visit(ast.arguments[0])
        ident = self.ns.cleanspace[ast.function.reference]
        xname = self.c.lookups[ident][0]
        table = self.v_ReferenceStructure(ast.function, as_lookup=True)
        self.kind = "aux"
        if not table.subs:
            # scalar table: np.interp handles any shape of x
            code = "np.interp(%s, %s, %s)" % (x.code, xname, table.code)
            if table.code != self.c.lookups[ident][1]:
                self.fail("lookup subsetting")
            el = "F.interp1(%s, %s, %s)" % (x.el, xname, table.el)
            return Expr(code, dict(x.subs), x.deps, x.arr, 0, el, x.pre)
        final = _merge_subs([x.subs, table.subs], self.name)
        xa = _align(x, final, self.name) if x.arr else x
        ta = _align(table, final, self.name)
        code = "F.interp_nd(%s, %s, %s)" % (xa.code, xname, ta.code)
        el = "F.interp1(%s, %s, %s)" % (x.el, xname, table.el)
        return Expr(code, final, x.deps, True, 0, el, x.pre)

    def v_InlineLookupsStructure(self, ast):
        x = self.visit(ast.argument)
        lk = ast.lookups
        xs = np.array(lk.x, dtype=float)
        ys = np.array(lk.y, dtype=float)
        lx, ly = self.c.const(xs, "LX"), self.c.const(ys, "LY")
        code = "np.interp(%s, %s, %s)" % (x.code, lx, ly)
        el = "F.interp1(%s, %s, %s)" % (x.el, lx, ly)
        if self.kind == "constant":
            self.kind = "aux"
        return Expr(code, dict(x.subs), x.deps, x.arr, 0, el, x.pre)

    # simple numpy functions --------------------------------------------------
    def _npfunc(self, fmt, *args):
        es = [self.visit(a) for a in args]
        final, es = self._reorder(es)
        deps = set().union(*[e.deps for e in es]) if es else set()
        code = fmt % tuple(e.code for e in es)
        el = fmt % tuple(e.el for e in es)
        return Expr(code, final, deps, any(e.arr for e in es), 0, el,
                    _pres(*es))

    def f_abs(self, x): return self._npfunc("np.abs(%s)", x)
    def f_exp(self, x): return self._npfunc("np.exp(%s)", x)
    def f_sqrt(self, x): return self._npfunc("np.sqrt(%s)", x)
    def f_ln(self, x): return self._npfunc("np.log(%s)", x)
    def f_sin(self, x): return self._npfunc("np.sin(%s)", x)
    def f_cos(self, x): return self._npfunc("np.cos(%s)", x)
    def f_tan(self, x): return self._npfunc("np.tan(%s)", x)
    def f_arcsin(self, x): return self._npfunc("np.arcsin(%s)", x)
    def f_arccos(self, x): return self._npfunc("np.arccos(%s)", x)
    def f_arctan(self, x): return self._npfunc("np.arctan(%s)", x)
    def f_sinh(self, x): return self._npfunc("np.sinh(%s)", x)
    def f_cosh(self, x): return self._npfunc("np.cosh(%s)", x)
    def f_tanh(self, x): return self._npfunc("np.tanh(%s)", x)
    def f_integer(self, x): return self._npfunc("np.trunc(%s)", x)
    def f_power(self, a, b): return self._npfunc("np.power(%s, %s)", a, b)
    def f_min(self, a, b): return self._npfunc("np.minimum(%s, %s)", a, b)
    def f_max(self, a, b): return self._npfunc("np.maximum(%s, %s)", a, b)
    def f_log(self, a, b):
        return self._npfunc("(np.log(%s)/np.log(%s))", a, b)
    def f_modulo(self, a, b): return self._npfunc("F.modulo(%s, %s)", a, b)
    def f_quantum(self, a, b): return self._npfunc("F.quantum(%s, %s)", a, b)
    def f_xidz(self, a, b, c): return self._npfunc("F.xidz(%s, %s, %s)", a, b, c)
    def f_zidz(self, a, b): return self._npfunc("F.zidz(%s, %s)", a, b)

    def f_pi(self):
        return Expr("np.pi", {}, set(), False, 0, "np.pi")

    def f_if_then_else(self, cond, a, b):
        return self._npfunc("F.if_then_else(%s, %s, %s)", cond, a, b)

    def _time_func(self, fmt, *args):
        e = self._npfunc(fmt, *args)
        e.deps = e.deps | {"time"}
        self.kind = "aux"
        return e

    def f_step(self, value, tstep):
        return self._time_func("F.step(t, c_time_step, %s, %s)", value, tstep)

    def f_ramp(self, slope, start, finish=None):
        if finish is None:
            return self._time_func("F.ramp(t, %s, %s)", slope, start)
        return self._time_func("F.ramp_to(t, %s, %s, %s)", slope, start,
                               finish)

    def f_pulse(self, start, width):
        e = self._time_func("F.pulse(t, %s, %s)", start, width)
        return e

    def f_pulse_train(self, start, repeat, width, end):
        return self._time_func("F.pulse_train(t, %s, %s, %s, %s)",
                               start, repeat, width, end)

    def f_elmcount(self, x):
        self.fail("ELMCOUNT")

    _acc = {
        # (initial value, update statement); NaN is skipped like xarray
        "vsum": ("0.0", "if _x == _x:\n    {a} = {a} + _x"),
        "vprod": ("1.0", "if _x == _x:\n    {a} = {a} * _x"),
        "vmin": ("np.nan", "if _x == _x and not ({a} <= _x):\n    {a} = _x"),
        "vmax": ("np.nan", "if _x == _x and not ({a} >= _x):\n    {a} = _x"),
    }

    def _reduce(self, fn, x):
        e = self.visit(x)
        axes = [i + 1 for i, d in enumerate(e.subs) if d.endswith("!")]
        if not axes:
            if not e.subs:
                return e
            self.fail(fn.upper(), "no dimension marked with '!'")
        subs = {d: c for d, c in e.subs.items() if not d.endswith("!")}
        code = "F.%s(%s, %s)" % (fn, e.code, tuple(axes))
        # numba: accumulate in a temporary computed before the statement
        self.c._tmp += 1
        tmp = "_r%d" % self.c._tmp
        init, upd = self._acc[fn]
        rest = list(subs)
        rshape = tuple(len(c) for c in subs.values())
        lines = list(e.pre)
        if rest:
            lines.append("%s = np.full(%s, %s)" % (tmp, rshape, init))
        else:
            lines.append("%s = %s" % (tmp, init))
        env = {}
        order_dims = rest + [d for d in e.subs if d.endswith("!")]
        for depth, d in enumerate(order_dims):
            lines.append("    " * depth + "for _j%d in range(%d):" % (
                depth, len(e.subs[d])))
            env[d] = "_j%d" % depth
        ind = "    " * len(order_dims)
        acc = tmp if not rest else "%s[%s]" % (tmp, ", ".join(
            env[d] for d in rest))
        lines.append(ind + "_x = %s" % fill(e.el, env))
        for ln in upd.format(a=acc).split("\n"):
            lines.append(ind + ln)
        el = tmp if not rest else "%s[%s]" % (tmp, ", ".join(
            ph(d) for d in rest))
        return Expr(code, subs, e.deps, True, 0, el, ["\n".join(lines)])

    def f_sum(self, x): return self._reduce("vsum", x)
    def f_prod(self, x): return self._reduce("vprod", x)
    def f_vmin(self, x): return self._reduce("vmin", x)
    def f_vmax(self, x): return self._reduce("vmax", x)

    def f_active_initial(self, expr, init):
        e = self.visit(expr)
        i = self.visit(init)
        obj = self.new_obj("_active_initial")
        final = _merge_subs([e.subs, i.subs], self.name)
        e2 = _align(e, final, self.name) if e.arr else e
        i2 = _align(i, final, self.name) if i.arr else i
        # make both branches the same shape (pysd force="equal")
        shape = tuple(len(c) for c in final.values())
        keys = list(final)
        o = "o_" + obj
        nb_alloc = ["%s = np.empty(%s)" % (o, shape)] if keys else []
        self.c.objs[obj] = ObjNode(
            ident=obj, kind="active_initial", owner=self.el.identifier,
            shape=shape,
            nb_init=nb_alloc + nb_loops(o, i.el, keys, shape, i.pre),
            nb_out=nb_loops(o, e.el, keys, shape, e.pre),
            init_stmts=["o_%s = F.bcast(%s, %s)" % (obj, i2.code, shape)
                        if final else "o_%s = F.A1(%s)" % (obj, i2.code)],
            init_deps=set(i.deps), init_sets_out=True,
            out_stmts=["o_%s = F.bcast(%s, %s)" % (obj, e2.code, shape)
                       if final else "o_%s = F.A1(%s)" % (obj, e2.code)],
            out_deps=set(e.deps), dynamic=True)
        self.kind = "aux"
        el = "o_%s[%s]" % (obj, ", ".join(ph(k) for k in keys)) if keys \
            else "o_" + obj
        return Expr("o_" + obj, final, {obj}, True, 0, el)

    # ---------------------------------------------------------- statefuls
    def _stateful_args(self, **kw):
        out = {}
        for k, v in kw.items():
            e = self.visit(v)
            out[k] = self.reshape_full(e)
        return out

    def _obj_expr(self, obj):
        keys = list(self.def_subs)
        el = "o_%s[%s]" % (obj, ", ".join(ph(k) for k in keys)) if keys \
            else "o_" + obj
        return Expr("o_" + obj, dict(self.def_subs), {obj}, True, 0, el)

    # numba helpers for stateful objects ----------------------------------
    def _nb_keys(self):
        return list(self.def_subs), self.comp_shape()

    def _nb_set(self, target, e):
        """``target[...] = e`` over the component shape (or scalar)."""
        keys, shape = self._nb_keys()
        return nb_loops(target, e.el, keys, shape, e.pre)

    def _nb_alloc(self, name, lead=None):
        keys, shape = self._nb_keys()
        if lead is None:
            return ["%s = np.empty(%s)" % (name, shape)] if keys else []
        return ["%s = np.empty((%s,) + %s)" % (name, lead, shape)]

    def _rest_index(self):
        keys, _ = self._nb_keys()
        return "".join(", _k%d" % d for d in range(len(keys)))

    def _nb_ew(self, stmts, args=None, lead=None):
        """Element-wise numba loop.  In ``stmts`` ``{i}`` is the full index
        (with the order axis ``_l`` if ``lead``), ``{j}`` the element index
        without it (both include brackets, empty for scalars), and
        ``{name}`` the element template of ``args[name]``."""
        keys, shape = self._nb_keys()
        args = args or {}
        lines = []
        for a in args.values():
            for p_ in a.pre:
                if p_ not in lines:
                    lines.append(p_)
        depth = 0
        if lead:
            lines.append("for _l in range(%s):" % lead)
            depth = 1
        env = {}
        for d, (k, n) in enumerate(zip(keys, shape)):
            lines.append("    " * depth + "for _k%d in range(%d):" % (d, n))
            env[k] = "_k%d" % d
            depth += 1
        ks = ["_k%d" % d for d in range(len(keys))]
        i = "[%s]" % ", ".join((["_l"] if lead else []) + ks) \
            if (lead or ks) else ""
        j = "[%s]" % ", ".join(ks) if ks else ""
        vals = {name: fill(a.el, env) for name, a in args.items()}
        for st in stmts:
            lines.append("    " * depth + st.format(i=i, j=j, **vals))
        return lines

    def _nb_each(self, body, lead=None):
        """Loop statements over the component elements (and an optional
        leading order axis); ``body`` uses ``{i}`` for the index."""
        keys, shape = self._nb_keys()
        dims = ([lead] if lead else []) + list(shape)
        lines = []
        for d, n in enumerate(dims):
            lines.append("    " * d + "for _k%d in range(%s):" % (d, n))
        idx = ", ".join("_k%d" % d for d in range(len(dims)))
        lines.append("    " * len(dims) + body.format(i=idx) if dims
                     else body.replace("[{i}]", ""))
        return lines

    def v_IntegStructure(self, ast):
        a = self._stateful_args(flow=ast.flow, initial=ast.initial)
        obj = self.new_obj("_integ")
        shape = self.comp_shape()
        s = "s_" + obj
        upd = "%s = %s + d_%s * dt" % (s, s, obj)
        if ast.non_negative:
            upd = "%s = np.maximum(%s + d_%s * dt, 0)" % (s, s, obj)
        A = {"F": a["flow"], "I": a["initial"]}
        upd_nb = "s_%s{i} = s_%s{i} + d_%s{i} * dt" % (obj, obj, obj)
        if ast.non_negative:
            upd_nb = "s_%s{i} = np.maximum(s_%s{i} + d_%s{i} * dt, 0.0)" % (
                obj, obj, obj)
        self.c.objs[obj] = ObjNode(
            ident=obj, kind="integ", owner=self.el.identifier, shape=shape,
            nb_init=self._nb_alloc(s) + self._nb_alloc("d_" + obj)
            + self._nb_ew([s + "{i} = {I}"], A),
            nb_out=["o_%s = %s" % (obj, s)],
            nb_ddt=self._nb_ew(["d_%s{i} = {F}" % obj], A),
            nb_upd=self._nb_ew([upd_nb]),
            init_stmts=["%s = F.full_state(%s, n, %s)" % (
                s, a["initial"].code, shape)],
            init_deps=set(a["initial"].deps),
            out_stmts=["o_%s = %s" % (obj, s)], out_deps=set(),
            ddt_stmts=["d_%s = %s" % (obj, a["flow"].code)],
            ddt_deps=set(a["flow"].deps),
            upd_stmts=[upd], flow_deps=set(a["flow"].deps))
        self.kind = "stock"
        return self._obj_expr(obj)

    def v_InitialStructure(self, ast):
        a = self._stateful_args(initial=ast.initial)
        obj = self.new_obj("_initial")
        shape = self.comp_shape()
        self.c.objs[obj] = ObjNode(
            ident=obj, kind="initial", owner=self.el.identifier, shape=shape,
            nb_init=self._nb_alloc("o_" + obj)
            + self._nb_ew(["o_%s{i} = {I}" % obj], {"I": a["initial"]}),
            init_stmts=["o_%s = F.full_state(%s, n, %s)" % (
                obj, a["initial"].code, shape)],
            init_deps=set(a["initial"].deps), init_sets_out=True,
            out_stmts=[], out_deps=set(), dynamic=False)
        self.kind = "aux"
        return self._obj_expr(obj)

    def _order_value(self, e, what):
        return "F.order_value(%s, %r)" % (e.code, what)

    def v_SmoothStructure(self, ast):
        return self._smooth(ast)

    def v_SmoothNStructure(self, ast):
        return self._smooth(ast)

    def _smooth(self, ast):
        a = self._stateful_args(input=ast.input, smooth_time=ast.smooth_time,
                                initial=ast.initial)
        order = self.visit(ast.order)
        if order.subs:
            self.fail("subscripted smooth order")
        obj = self.new_obj("_smooth")
        shape = self.comp_shape()
        s, d = "s_" + obj, "d_" + obj
        A = {"X": a["input"], "T": a["smooth_time"], "I": a["initial"],
             "R": order}
        r = "r_" + obj
        self.c.objs[obj] = ObjNode(
            ident=obj, kind="smooth", owner=self.el.identifier, shape=shape,
            nb_init=order.pre + ["%s = int(%s)" % (r, order.el)]
            + self._nb_alloc(s, r) + self._nb_alloc(d, r)
            + self._nb_ew([s + "{i} = {I}"], A, lead=r),
            nb_out=["o_%s = %s[%s - 1]" % (obj, s, r)],
            nb_ddt=self._nb_ew([
                "_tg = {X} if _l == 0 else %s[_l - 1%s]" % (
                    s, self._rest_index()),
                "%s{i} = (_tg - %s{i}) * %s / {T}" % (d, s, r)], A, lead=r),
            nb_upd=self._nb_ew(["%s{i} = %s{i} + %s{i} * dt" % (s, s, d)],
                               lead=r),
            init_stmts=[
                "r_%s = %s" % (obj, self._order_value(order, self.name)),
                "%s = F.stack_state(%s, r_%s, n, %s)" % (
                    s, a["initial"].code, obj, shape)],
            init_deps=set(a["initial"].deps) | order.deps,
            out_stmts=["o_%s = %s[-1]" % (obj, s)], out_deps=set(),
            ddt_stmts=["%s = F.smooth_ddt(%s, %s, %s, r_%s)" % (
                d, s, a["input"].code, a["smooth_time"].code, obj)],
            ddt_deps=set(a["input"].deps) | a["smooth_time"].deps,
            upd_stmts=["%s = %s + %s * dt" % (s, s, d)])
        self.kind = "stock" if self.kind == "stock" else "aux"
        return self._obj_expr(obj)

    def v_DelayStructure(self, ast):
        return self._delay(ast, "delay")

    def v_DelayNStructure(self, ast):
        return self._delay(ast, "delayn")

    def _delay(self, ast, kind):
        a = self._stateful_args(input=ast.input, delay_time=ast.delay_time,
                                initial=ast.initial)
        order = self.visit(ast.order)
        if order.subs:
            self.fail("subscripted delay order")
        prefix = "_delay" if kind == "delay" else "_delayn"
        obj = self.new_obj(prefix)
        shape = self.comp_shape()
        s, d = "s_" + obj, "d_" + obj
        dt_code = a["delay_time"].code
        init = [
            "r_%s = F.delay_order(%s, %s, c_time_step, %r)" % (
                obj, self._order_value(order, self.name), dt_code,
                self.name),
            "%s = F.stack_state((%s) * (%s), r_%s, n, %s)" % (
                s, a["initial"].code, dt_code, obj, shape)]
        if kind == "delay":
            out = ["o_%s = %s[-1] / %s" % (obj, s, dt_code)]
            out_deps = set(a["delay_time"].deps)
            ddt = ["%s = F.delay_ddt(%s, %s, %s, r_%s)" % (
                d, s, a["input"].code, dt_code, obj)]
        else:
            init.append("w_%s = F.stack_state(%s, r_%s, n, %s)" % (
                obj, dt_code, obj, shape))
            out = ["o_%s = %s[-1] / w_%s[0]" % (obj, s, obj)]
            out_deps = set()
            ddt = ["%s, w_%s = F.delayn_ddt(%s, w_%s, %s, %s, r_%s)" % (
                d, obj, s, obj, a["input"].code, dt_code, obj)]
        A = {"X": a["input"], "T": a["delay_time"], "I": a["initial"]}
        r, w, o = "r_" + obj, "w_" + obj, "o_" + obj
        ri = self._rest_index()
        keys, _ = self._nb_keys()
        # delay time of this sample -> order reduction (pysd semantics)
        nb_init = order.pre + self._nb_alloc("_dt_" + obj) \
            + self._nb_ew(["_dt_%s{j} = {T}" % obj], A) + [
                "%s = F.delay_order(int(%s), %s, c_time_step)" % (
                    r, order.el, ("np.min(_dt_%s)" if keys else "_dt_%s")
                    % obj),
                "if %s < 1:" % r,
                "    ERR[s] = 1",
                "    %s = 1" % r] \
            + self._nb_alloc(s, r) + self._nb_alloc(d, r) \
            + self._nb_ew([s + "{i} = ({I}) * ({T})"], A, lead=r)
        if keys:
            nb_init += self._nb_alloc(o)
        if kind == "delay":
            nb_out = self._nb_ew(["%s{j} = %s[%s - 1%s] / {T}" % (
                o, s, r, ri)], A)
            nb_ddt = self._nb_ew([
                "_in = {X} if _l == 0 else %s[_l - 1%s] / {T}" % (s, ri),
                "%s{i} = (_in - %s{i} / {T}) * %s" % (d, s, r)], A, lead=r)
        else:
            nb_init += self._nb_alloc(w, r) + self._nb_ew(
                [w + "{i} = {T}"], A, lead=r)
            nb_out = self._nb_ew(["%s{j} = %s[%s - 1%s] / %s[0%s]" % (
                o, s, r, ri, w, ri)], A)
            # roll the delay times (last to first), new one in front
            nb_ddt = self._nb_ew([
                "for _m in range(%s - 1, 0, -1):" % r,
                "    %s[_m%s] = %s[_m - 1%s]" % (w, ri, w, ri),
                "%s[0%s] = {T}" % (w, ri)], A) + self._nb_ew([
                "_in = {X} if _l == 0 else %s[_l - 1%s] / %s[_l - 1%s]" % (
                    s, ri, w, ri),
                "%s{i} = (_in - %s{i} / %s{i}) * %s" % (d, s, w, r)],
                A, lead=r)
        self.c.objs[obj] = ObjNode(
            ident=obj, kind=kind, owner=self.el.identifier, shape=shape,
            nb_init=nb_init, nb_out=nb_out, nb_ddt=nb_ddt,
            nb_upd=self._nb_ew(["%s{i} = %s{i} + %s{i} * dt" % (s, s, d)],
                               lead=r),
            init_stmts=init,
            init_deps=set(a["initial"].deps) | a["delay_time"].deps
            | order.deps,
            out_stmts=out, out_deps=out_deps,
            ddt_stmts=ddt,
            ddt_deps=set(a["input"].deps) | a["delay_time"].deps,
            upd_stmts=["%s = %s + %s * dt" % (s, s, d)])
        self.kind = "aux"
        return self._obj_expr(obj)

    def v_DelayFixedStructure(self, ast):
        a = self._stateful_args(input=ast.input, initial=ast.initial)
        dtime = self.visit(ast.delay_time)
        if dtime.subs:
            self.fail("subscripted DELAY FIXED delay time")
        obj = self.new_obj("_delayfixed")
        shape = self.comp_shape()
        s = "s_" + obj
        A = {"X": a["input"], "I": a["initial"]}
        r, q, pn = "r_" + obj, "q_" + obj, "p_" + obj
        self.c.objs[obj] = ObjNode(
            ident=obj, kind="delayfixed", owner=self.el.identifier,
            shape=shape,
            nb_init=dtime.pre + [
                "%s = F.delayfixed_order(%s, c_time_step)" % (r, dtime.el),
                "%s = 0" % pn] + self._nb_alloc(s) + self._nb_alloc(
                    "d_" + obj) + self._nb_alloc(q, r)
            + self._nb_ew([s + "{j} = {I}"], A)
            + self._nb_ew(["%s{i} = %s{j}" % (q, s)], A, lead=r),
            nb_out=["o_%s = %s" % (obj, s)],
            nb_ddt=self._nb_ew(["d_%s{j} = {X}" % obj], A),
            nb_upd=self._nb_ew(["%s[%s%s] = d_%s{j}" % (
                q, pn, self._rest_index(), obj)]) + [
                "%s = (%s + 1) %% %s" % (pn, pn, r)] + self._nb_ew([
                    "%s{j} = %s[%s%s]" % (s, q, pn, self._rest_index())]),
            init_stmts=[
                "r_%s = F.delayfixed_order(%s, c_time_step, %r)" % (
                    obj, dtime.code, self.name),
                "%s = F.full_state(%s, n, %s)" % (
                    s, a["initial"].code, shape),
                "q_%s = F.stack_state(%s, r_%s, n, %s)" % (
                    obj, s, obj, shape),
                "p_%s = 0" % obj],
            init_deps=set(a["initial"].deps) | dtime.deps,
            out_stmts=["o_%s = %s" % (obj, s)], out_deps=set(),
            # the input is sampled at time t (value before the update)
            ddt_stmts=["d_%s = %s" % (obj, a["input"].code)],
            ddt_deps=set(a["input"].deps),
            upd_stmts=[
                "q_%s[p_%s] = d_%s" % (obj, obj, obj),
                "p_%s = (p_%s + 1) %% r_%s" % (obj, obj, obj),
                "%s = q_%s[p_%s].copy()" % (s, obj, obj)])
        self.kind = "aux"
        return self._obj_expr(obj)

    def v_SampleIfTrueStructure(self, ast):
        a = self._stateful_args(condition=ast.condition, input=ast.input,
                                initial=ast.initial)
        obj = self.new_obj("_sampleiftrue")
        shape = self.comp_shape()
        s = "s_" + obj
        A = {"C": a["condition"], "X": a["input"], "I": a["initial"]}
        keys, _ = self._nb_keys()
        self.c.objs[obj] = ObjNode(
            ident=obj, kind="sampleiftrue", owner=self.el.identifier,
            shape=shape,
            nb_init=self._nb_alloc(s) + self._nb_alloc("d_" + obj)
            + (self._nb_alloc("o_" + obj) if keys else [])
            + self._nb_ew([s + "{j} = {I}"], A),
            nb_out=self._nb_ew(["o_%s{j} = F.if_then_else({C}, {X}, %s{j})"
                                % (obj, s)], A),
            nb_ddt=self._nb_ew(["d_%s{j} = F.if_then_else({C}, {X}, %s{j})"
                                % (obj, s)], A),
            nb_upd=self._nb_ew(["%s{j} = %s{j} * 0 + d_%s{j}" % (s, s, obj)]),
            init_stmts=["%s = F.full_state(%s, n, %s)" % (
                s, a["initial"].code, shape)],
            init_deps=set(a["initial"].deps),
            out_stmts=["o_%s = F.if_then_else(%s, %s, %s)" % (
                obj, a["condition"].code, a["input"].code, s)],
            out_deps=set(a["condition"].deps) | a["input"].deps,
            ddt_stmts=["d_%s = F.if_then_else(%s, %s, %s)" % (
                obj, a["condition"].code, a["input"].code, s)],
            ddt_deps=set(a["condition"].deps) | a["input"].deps,
            upd_stmts=["%s = %s * 0 + d_%s" % (s, s, obj)])
        self.kind = "aux"
        return self._obj_expr(obj)

    def v_TrendStructure(self, ast):
        a = self._stateful_args(input=ast.input, average_time=ast.average_time,
                                initial_trend=ast.initial_trend)
        obj = self.new_obj("_trend")
        shape = self.comp_shape()
        s, d = "s_" + obj, "d_" + obj
        inp, at = a["input"].code, a["average_time"].code
        A = {"X": a["input"], "T": a["average_time"],
             "G": a["initial_trend"]}
        keys, _ = self._nb_keys()
        self.c.objs[obj] = ObjNode(
            ident=obj, kind="trend", owner=self.el.identifier, shape=shape,
            nb_init=self._nb_alloc(s) + self._nb_alloc(d)
            + (self._nb_alloc("o_" + obj) if keys else [])
            + self._nb_ew([s + "{j} = ({X}) / (1 + ({G}) * ({T}))"], A),
            nb_out=self._nb_ew(["o_%s{j} = F.zidz(({X}) - %s{j}, ({T}) * "
                                "np.abs(%s{j}))" % (obj, s, s)], A),
            nb_ddt=self._nb_ew([d + "{j} = (({X}) - %s{j}) / ({T})" % s], A),
            nb_upd=self._nb_ew(["%s{j} = %s{j} + %s{j} * dt" % (s, s, d)]),
            init_stmts=["%s = F.full_state((%s) / (1 + (%s) * (%s)), n, %s)"
                        % (s, inp, a["initial_trend"].code, at, shape)],
            init_deps=set(a["input"].deps) | a["average_time"].deps
            | a["initial_trend"].deps,
            out_stmts=["o_%s = F.zidz((%s) - %s, (%s) * np.abs(%s))" % (
                obj, inp, s, at, s)],
            out_deps=set(a["input"].deps) | a["average_time"].deps,
            ddt_stmts=["%s = ((%s) - %s) / (%s)" % (d, inp, s, at)],
            ddt_deps=set(a["input"].deps) | a["average_time"].deps,
            upd_stmts=["%s = %s + %s * dt" % (s, s, d)])
        self.kind = "aux"
        return self._obj_expr(obj)

    def v_ForecastStructure(self, ast):
        a = self._stateful_args(input=ast.input, average_time=ast.average_time,
                                horizon=ast.horizon,
                                initial_trend=ast.initial_trend)
        obj = self.new_obj("_forecast")
        shape = self.comp_shape()
        s, d = "s_" + obj, "d_" + obj
        inp, at = a["input"].code, a["average_time"].code
        A = {"X": a["input"], "T": a["average_time"], "H": a["horizon"],
             "G": a["initial_trend"]}
        keys, _ = self._nb_keys()
        self.c.objs[obj] = ObjNode(
            ident=obj, kind="forecast", owner=self.el.identifier, shape=shape,
            nb_init=self._nb_alloc(s) + self._nb_alloc(d)
            + (self._nb_alloc("o_" + obj) if keys else [])
            + self._nb_ew([s + "{j} = ({X}) / (1 + ({G}))"], A),
            nb_out=self._nb_ew(["o_%s{j} = ({X}) * (1 + F.zidz(({X}) - "
                                "%s{j}, ({T}) * %s{j}) * ({H}))" % (
                                    obj, s, s)], A),
            nb_ddt=self._nb_ew([d + "{j} = (({X}) - %s{j}) / ({T})" % s], A),
            nb_upd=self._nb_ew(["%s{j} = %s{j} + %s{j} * dt" % (s, s, d)]),
            init_stmts=["%s = F.full_state((%s) / (1 + (%s)), n, %s)" % (
                s, inp, a["initial_trend"].code, shape)],
            init_deps=set(a["input"].deps) | a["initial_trend"].deps,
            out_stmts=["o_%s = (%s) * (1 + F.zidz((%s) - %s, (%s) * %s) * "
                       "(%s))" % (obj, inp, inp, s, at, s,
                                  a["horizon"].code)],
            out_deps=set(a["input"].deps) | a["average_time"].deps
            | a["horizon"].deps,
            ddt_stmts=["%s = ((%s) - %s) / (%s)" % (d, inp, s, at)],
            ddt_deps=set(a["input"].deps) | a["average_time"].deps,
            upd_stmts=["%s = %s + %s * dt" % (s, s, d)])
        self.kind = "aux"
        return self._obj_expr(obj)

    # -------------------------------------------------- explicit rejections
    def v_LookupsStructure(self, ast):
        self.fail("lookup definition mixed with equations")

    def v_DataStructure(self, ast):
        self.fail("DATA variable")

    def v_GetConstantsStructure(self, ast):
        self.fail("GET XLS/DIRECT CONSTANTS (external data)")

    def v_GetDataStructure(self, ast):
        self.fail("GET XLS/DIRECT DATA (external data)")

    def v_GetLookupsStructure(self, ast):
        self.fail("GET XLS/DIRECT LOOKUPS (external data)")

    def v_AllocateAvailableStructure(self, ast):
        self.fail("ALLOCATE AVAILABLE")

    def v_AllocateByPriorityStructure(self, ast):
        self.fail("ALLOCATE BY PRIORITY")


def compile_ir(path) -> ModelIR:
    """Compile ``path`` (a Vensim .mdl file) into a :class:`ModelIR`."""
    return ModelCompiler(path).compile()
