"""IR -> Python source of one ``simulate`` function.

The compiler produces, for every variable and stateful object, small
statements plus their dependencies.  This module *schedules* them:

1. **init** – initialise every needed stateful object in dependency order,
   computing whatever auxiliaries the initial values need (at INITIAL TIME),
   like pysd's ``Macro._get_initialize_order``;
2. **static** – auxiliaries that depend on neither time nor a dynamic state
   (pysd's "run" cache) are computed once;
3. **loop** – per Euler step: dynamic auxiliaries in topological order,
   store outputs, all derivatives, then all state updates (pysd computes
   every ``ddt`` with the states at time t, then updates them).

Scheduling depends on which constants are given as time series (they become
dynamic) and on the requested outputs (unneeded variables are pruned), so
one source is generated per such *variant*; it is cheap (string assembly).
"""
from __future__ import annotations

from .compiler import CONTROL_VARS, ModelIR
from .errors import UnsupportedConstruct


class _Scheduler:
    def __init__(self, ir: ModelIR, outputs, ts_params):
        self.ir = ir
        self.vars = ir.vars
        self.objs = ir.objs
        self.outputs = list(outputs)
        self.ts = set(ts_params)
        self._dyn = {}

    # ------------------------------------------------------------ helpers
    def is_dynamic(self, node, stack=()):
        if node in self._dyn:
            return self._dyn[node]
        if node == "time":
            return True
        if node in CONTROL_VARS and node not in self.vars:
            return False
        if node in self.objs:
            obj = self.objs[node]
            res = obj.dynamic
        else:
            v = self.vars[node]
            if node in self.ts:
                res = True
            elif v.kind in ("constant", "lookup", "control"):
                res = False
            else:
                if node in stack:
                    raise UnsupportedConstruct(
                        "algebraic loop", v.name,
                        " -> ".join(stack + (node,)))
                res = any([self.is_dynamic(d, stack + (node,))
                           for d in sorted(v.deps)])
        self._dyn[node] = res
        return res

    def run_deps(self, node):
        if node in self.objs:
            o = self.objs[node]
            return set(o.out_deps) | set(o.ddt_deps)
        if node in self.vars:
            v = self.vars[node]
            if v.kind in ("constant", "control") or node in self.ts:
                return set()
            return set(v.deps)
        return set()

    def needed(self):
        """Closure of what the loop needs for outputs and all states that
        feed them."""
        need = set()
        stack = list(self.outputs)
        while stack:
            n = stack.pop()
            if n in need or n == "time":
                continue
            need.add(n)
            stack.extend(self.run_deps(n))
        return need

    # ----------------------------------------------------------- emitters
    def obj_init(self, o):
        return list(o.init_stmts)

    def obj_out(self, o):
        return list(o.out_stmts)

    def var_stmts(self, ident):
        v = self.vars[ident]
        if ident in self.ts:
            return ["v_%s = F.bcast(F.time_series(t, *TS[%r]), %s)" % (
                ident, ident, v.shape) if v.dims else
                "v_%s = F.A1(F.time_series(t, *TS[%r]))" % (ident, ident)]
        if v.kind == "constant":
            return ["v_%s = P[%r]" % (ident, ident)]
        if v.kind == "control":
            return ["v_%s = F.A1(c_%s)" % (ident, ident)]
        if v.kind == "lookup":
            raise UnsupportedConstruct("lookup used as a value", v.name)
        return list(v.stmts)

    def emit_init(self, node, out, done, stack=()):
        if node in done or node == "time" or (
                node in CONTROL_VARS and node not in self.vars):
            return
        if node in stack:
            name = self.vars[node].name if node in self.vars else node
            raise UnsupportedConstruct(
                "circular initialisation", name,
                " -> ".join(stack + (node,)))
        stack = stack + (node,)
        if node in self.objs:
            o = self.objs[node]
            for d in sorted(o.init_deps):
                self.emit_init(d, out, done, stack)
            out.extend(self.obj_init(o))
            if not o.init_sets_out:
                for d in sorted(o.out_deps):
                    self.emit_init(d, out, done, stack)
                out.extend(self.obj_out(o))
        else:
            v = self.vars[node]
            if v.kind not in ("constant", "control") and node not in self.ts:
                for d in sorted(v.deps):
                    self.emit_init(d, out, done, stack)
            out.extend(self.var_stmts(node))
        done.add(node)

    def emit_run(self, node, out, done, only_dynamic, stack=()):
        if node in done or node == "time" or (
                node in CONTROL_VARS and node not in self.vars):
            return
        if only_dynamic and not self.is_dynamic(node):
            return
        if node in stack:
            name = self.vars[node].name if node in self.vars else node
            raise UnsupportedConstruct(
                "algebraic loop", name, " -> ".join(stack + (node,)))
        stack = stack + (node,)
        if node in self.objs:
            o = self.objs[node]
            for d in sorted(o.out_deps):
                self.emit_run(d, out, done, only_dynamic, stack)
            out.extend(self.obj_out(o))
        else:
            for d in sorted(self.run_deps(node)):
                self.emit_run(d, out, done, only_dynamic, stack)
            out.extend(self.var_stmts(node))
        done.add(node)

    # ---------------------------------------------------------- assemble
    def generate(self) -> str:
        need = self.needed()
        # ddt deps of needed objects are needed too (closure included them)
        objs = [o for o in self.objs if o in need]
        for n in need:
            self.is_dynamic(n)
        L = []
        w = L.append
        w("def simulate(P, TS, n, times, save, ctl, OUT):")
        body = []
        b = body.append
        for c in CONTROL_VARS:
            b("c_%s = ctl[%r]" % (c, c))
        b("dt = c_time_step")
        b("t = times[0]")
        b("nsave = int(save.sum())")
        # ---- init
        b("# --- initialisation (INITIAL TIME)")
        done_init = set()
        init_code = []
        for o in objs:
            self.emit_init(o, init_code, done_init)
        body.extend(init_code)
        # ---- static
        b("# --- static part (constant during the run)")
        done = {n for n in done_init if not self.is_dynamic(n)}
        static_code = []
        for n in sorted(need):
            if not self.is_dynamic(n):
                if n in self.objs:
                    continue   # INITIAL objects: done in init
                self.emit_run(n, static_code, done, only_dynamic=False)
        body.extend(static_code)
        # ---- outputs
        b("STATIC = {}")
        dyn_out = []
        for name in self.outputs:
            if self.is_dynamic(name):
                b("O_%s = OUT[%r]" % (name, name))
                dyn_out.append(name)
            else:
                b("STATIC[%r] = v_%s" % (name, name))
        # ---- loop
        b("j = 0")
        b("last = len(times) - 1")
        b("for k in range(last + 1):")
        loop = []
        lb = loop.append
        lb("t = times[k]")
        ldone = set()
        run_code = []
        for n in sorted(need):
            self.emit_run(n, run_code, ldone, only_dynamic=True)
        loop.extend(run_code)
        lb("if save[k]:")
        if dyn_out:
            for name in dyn_out:
                lb("    O_%s[:, j] = v_%s" % (name, name))
        lb("    j += 1")
        lb("if k == last:")
        lb("    break")
        dyn_objs = [o for o in objs if self.objs[o].dynamic]
        for o in dyn_objs:
            loop.extend(self.objs[o].ddt_stmts)
        for o in dyn_objs:
            loop.extend(self.objs[o].upd_stmts)
        body.extend("    " + s for s in loop)
        b("return STATIC")
        L.extend("    " + s for s in body)
        return "\n".join(L) + "\n"


def generate_simulate(ir: ModelIR, outputs, ts_params=()) -> str:
    """Source of ``simulate(P, TS, n, times, save, ctl, OUT)`` for a variant.

    ``OUT`` holds preallocated ``(n, nsave, *dims)`` arrays for the outputs
    that change over time; outputs constant during the run are returned."""
    return _Scheduler(ir, outputs, ts_params).generate()


def dynamic_outputs(ir: ModelIR, outputs, ts_params=()):
    """The subset of ``outputs`` that changes during the run."""
    s = _Scheduler(ir, outputs, ts_params)
    return [o for o in outputs if s.is_dynamic(o)]


def generate_control(ir: ModelIR) -> str:
    """Source of ``control(P, ov)``: evaluates INITIAL TIME, FINAL TIME,
    TIME STEP and SAVEPER (``ov`` holds run-time overrides)."""
    L = ["def control(P, ov):"]
    done = set()
    consts = set()

    def visit(ident, stack=()):
        if ident in done:
            return
        if ident in stack:
            raise UnsupportedConstruct("circular control variables", ident)
        node = ir.control.get(ident)
        if node is None:
            raise UnsupportedConstruct("missing control variable", ident)
        for d in sorted(node.deps):
            if d in CONTROL_VARS:
                visit(d, stack + (ident,))
            else:
                consts.add(d)
                L.append("    v_%s = P[%r]" % (d, d))
        code = node.stmts[0].split(" = ", 1)[1]
        L.append("    c_%s = ov[%r] if ov.get(%r) is not None else "
                 "F.control_scalar(%s, %r)" % (ident, ident, ident, code,
                                               node.name))
        done.add(ident)

    for c in CONTROL_VARS:
        visit(c)
    L.append("    return {%s}" % ", ".join("%r: c_%s" % (c, c)
                                             for c in CONTROL_VARS))
    return "\n".join(L) + "\n"


# ---------------------------------------------------------------------------
# fused numba kernel
# ---------------------------------------------------------------------------
class _NbScheduler(_Scheduler):
    """Same schedule, per-sample scalar statements (``nb_*`` fields).

    Every variable is computed (no pruning) so one compiled kernel serves
    any choice of outputs; ``WANT`` selects what is stored."""

    def __init__(self, ir, ts_params):
        outs = [k for k, v in ir.vars.items() if v.kind != "lookup"]
        super().__init__(ir, outs, ts_params)
        self.consts = [k for k, v in ir.vars.items() if v.kind == "constant"]
        self.ts_list = sorted(ts_params)

    def var_stmts(self, ident):
        v = self.vars[ident]
        if ident in self.ts:
            i = self.ts_list.index(ident)
            e = "np.interp(t, TSI[%d], TSV[%d])" % (i, i)
            if not v.dims:
                return ["v_%s = %s" % (ident, e)]
            return ["_tsv = %s" % e, "v_%s.fill(_tsv)" % ident]
        if v.kind == "constant":
            i = self.consts.index(ident)
            # (int64 index: mixing numba's prange index with 0 gives float)
            return ["v_%s = CS[%d][si if CS[%d].shape[0] > 1 else 0]" % (
                ident, i, i)]
        if v.kind == "control":
            return ["v_%s = c_%s" % (ident, ident)]
        if v.kind == "lookup":
            raise UnsupportedConstruct("lookup used as a value", v.name)
        return list(v.nb_stmts)

    def obj_init(self, o):
        return list(o.nb_init)

    def obj_out(self, o):
        return list(o.nb_out)

    def generate(self) -> str:
        need = self.needed()
        objs = [o for o in self.objs if o in need]
        for n in need:
            self.is_dynamic(n)
        body = []
        b = body.append
        for i, c in enumerate(CONTROL_VARS):
            b("c_%s = ctl[%d]" % (c, i))
        b("dt = c_time_step")
        b("t = times[0]")
        b("si = s")
        # per-sample array allocations (ts constants with dims too)
        for ident in sorted(need):
            v = self.vars.get(ident)
            if v is None:
                continue
            if v.kind not in ("constant", "control", "lookup") or \
                    (ident in self.ts and v.dims):
                if ident in self.ts and v.dims:
                    b("v_%s = np.empty(%s)" % (ident, v.shape))
                else:
                    body.extend(v.nb_alloc)
        done_init = set()
        init_code = []
        for o in objs:
            self.emit_init(o, init_code, done_init)
        body.extend(init_code)
        done = {n for n in done_init if not self.is_dynamic(n)}
        static_code = []
        for n in sorted(need):
            if not self.is_dynamic(n) and n not in self.objs:
                self.emit_run(n, static_code, done, only_dynamic=False)
        body.extend(static_code)
        b("j = 0")
        b("for k in range(last + 1):")
        loop = ["t = times[k]"]
        ldone = set()
        for n in sorted(need):
            self.emit_run(n, loop, ldone, only_dynamic=True)
        loop.append("if save[k]:")
        for i, name in enumerate(self.outputs):
            loop.append("    if WANT[%d]:" % i)
            if self.vars[name].dims:
                loop.append("        OS[%d][s, j] = v_%s" % (i, name))
            else:
                loop.append("        OS[%d][s, j] = v_%s" % (i, name))
        loop.append("    j += 1")
        loop.append("if k == last:")
        loop.append("    break")
        dyn_objs = [o for o in objs if self.objs[o].dynamic]
        for o in dyn_objs:
            loop.extend(self.objs[o].nb_ddt)
        for o in dyn_objs:
            loop.extend(self.objs[o].nb_upd)
        body.extend(_indent(loop, 1))
        src = [
            "import numpy as np",
            "import numba",
            "from sim.engine import nbfunctions as F",
            "",
            "",
            "@numba.njit(cache=True, nogil=True, error_model='numpy')",
            "def kernel(s0, s1, times, save, ctl, CS, TSI, TSV, OS, WANT, "
            "ERR):",
            "    last = times.shape[0] - 1",
            "    for s in range(s0, s1):",
        ]
        src.extend(_indent(body, 2))
        return "\n".join(src) + "\n"


def _indent(stmts, level):
    out = []
    pad = "    " * level
    for st in stmts:
        for line in st.split("\n"):
            out.append(pad + line)
    return out


def generate_kernel(ir: ModelIR, ts_params=()):
    """Source of the numba module for ``ts_params``; also returns the order
    of constants (``CS`` tuple), time series (``TSI``/``TSV``) and outputs
    (``OS``/``WANT``) the kernel expects."""
    s = _NbScheduler(ir, ts_params)
    src = s.generate()
    return src, s.consts, s.ts_list, s.outputs
