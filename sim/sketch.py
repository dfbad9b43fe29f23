"""Vensim sketch (the diagram) of a model: one view per sector, generated from the equations.

A modeler opening ``sd_models/tianshan.mdl`` in Vensim (or Stella, which imports .mdl) sees one
view per sector group (``.Population``, ``.Economy``, ``.Land``...): every stock as a box with its
flows as pipes and valves (to a cloud when the other end is outside the view, to the other stock
when it is in the view), every auxiliary and constant of the sector, and an influence arrow from
each variable the equation uses. Variables of other sectors that an equation uses appear as grey
shadow variables, as a modeler would draw them. The layout is a plain grid; Vensim users can move
things, and re-running the generator replaces the sketch (the equations are never touched).

The sector of a variable is the group (``****`` block with ``.Name``) its equation sits in, so the
.mdl stays the single source; run ``oasis-sd sketch`` after adding variables (a test fails when the
committed sketch is out of date).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from . import model as model_mod
from .io import atomic_write

SKETCH_MARK = "\\\\\\---/// Sketch information - do not modify anything except names"
_GROUP_RE = re.compile(r"^\*{10,}\s*\n\t\.(?P<name>[^\n]+)\n\*{10,}~", re.M)
_DEF_RE = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_ ]*?)\s*(\[[^\]]*\])?\s*(=|\()", re.M)
_VIEW_HEADER = "$192-192-192,0,Times New Roman|12||0-0-0|0-0-0|0-0-255|-1--1--1|-1--1--1|96,96,100,0"


@dataclass
class Sector:
    name: str
    variables: list[str] = field(default_factory=list)  # python-safe names, in file order


def sectors(text: str) -> list[Sector]:
    """Sector groups of a .mdl text and the variables defined inside each, in file order.

    Variables before the first group and the ``.Control`` group (time settings) are left out."""
    body = text.split(SKETCH_MARK)[0]
    marks = [(m.start(), m.end(), m.group("name").strip()) for m in _GROUP_RE.finditer(body)]
    out: list[Sector] = []
    for i, (_start, end, name) in enumerate(marks):
        stop = marks[i + 1][0] if i + 1 < len(marks) else len(body)
        if name.lower() == "control":
            continue
        sec = Sector(name)
        for block in body[end:stop].split("|"):
            block = block.lstrip("\n\t ")
            m = _DEF_RE.match(block)
            if not m or block.startswith("*"):
                continue
            head = block.split("~")[0]
            if re.match(r"^[A-Za-z_][\w ]*:", head) and "=" not in head.split(":")[0]:
                continue  # a subscript range definition
            nm = model_mod.normalise_name(m.group("name"))
            if nm not in sec.variables:
                sec.variables.append(nm)
        out.append(sec)
    return out


def _flows(stock_equation: str) -> tuple[list[str], list[str]]:
    """(inflows, outflows) of a stock from the terms of its INTEG rate expression."""
    m = re.search(r"INTEG\s*\((.*)", stock_equation, re.S)
    rate = m.group(1) if m else ""
    depth, cut = 0, len(rate)
    for i, ch in enumerate(rate):  # the rate ends at the top-level comma before the initial value
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            cut = i
            break
    rate = rate[:cut]
    ins, outs = [], []
    depth, sign, token = 0, +1, ""
    terms: list[tuple[int, str]] = []
    for ch in rate + "+":
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if depth == 0 and ch in "+-":
            if token.strip():
                terms.append((sign, token.strip()))
            sign, token = (+1 if ch == "+" else -1), ""
            continue
        token += ch
    for sgn, term in terms:
        name = re.match(r"^([A-Za-z_]\w*)\s*(\[[^\]]*\])?$", term)
        if name:
            (ins if sgn > 0 else outs).append(model_mod.normalise_name(name.group(1)))
    return ins, outs


def _width(name: str) -> int:
    return max(24, min(70, 3 * len(name)))


def view_lines(sector: Sector, info: model_mod.ModelInfo) -> list[str]:
    """The sketch lines of one view (objects and arrows), ids starting at 1."""
    lines: list[str] = []
    ids: dict[str, int] = {}
    next_id = [1]

    def new_id() -> int:
        next_id[0] += 1
        return next_id[0] - 1

    own = [v for v in sector.variables if v in info.variables]
    stocks = [v for v in own if info.variables[v].kind == "stock"]
    flow_of: dict[str, tuple[str | None, str | None]] = {}  # flow -> (from stock, to stock)
    for s in stocks:
        ins, outs = _flows(" ".join(info.variables[s].equations))
        for f in ins:
            if f in own:
                a, b = flow_of.get(f, (None, None))
                flow_of[f] = (a, s)
        for f in outs:
            if f in own:
                a, b = flow_of.get(f, (None, None))
                flow_of[f] = (s, b)
    # stocks in a row, flows around them
    x0, y0, dx = 260, 160, 520
    pos: dict[str, tuple[int, int]] = {}
    for i, s in enumerate(stocks):
        x, y = x0 + (i % 3) * dx, y0 + (i // 3) * 260
        pos[s] = (x, y)
        ids[s] = new_id()
        lines.append(f"10,{ids[s]},{s},{x},{y},50,25,3,3,0,0,0,0,0,0")
    slot: dict[str, int] = {}
    for f, (src, dst) in flow_of.items():
        anchor = src or dst
        k = slot.get(anchor, 0)
        slot[anchor] = k + 1
        ax, ay = pos[anchor]
        side = 1 if src else -1  # outflows to the right, inflows to the left
        vx, vy = ax + side * 170, ay + 40 * k
        valve, var = new_id(), new_id()
        ids[f] = var
        ends = []
        for end, head in ((src, 100), (dst, 4)):
            if end is None:
                cloud = new_id()
                cx = vx + 90 * side  # the cloud sits outside the valve
                lines.append(f"12,{cloud},48,{cx},{vy},10,8,0,3,0,0,-1,0,0,0")
                ends.append((cloud, head, cx))
            else:
                ends.append((ids[end], head, pos[end][0]))
        for target, head, tx in ends:
            mx = (vx + tx) // 2
            lines.append(f"1,{new_id()},{valve},{target},{head},0,0,22,0,0,0,-1--1--1,,1|({mx},{vy})|")
        lines.append(f"11,{valve},48,{vx},{vy},6,8,34,3,0,0,1,0,0,0")
        lines.append(f"10,{var},{f},{vx},{vy + 16},{_width(f)},8,40,3,0,0,-1,0,0,0")
        pos[f] = (vx, vy + 16)
    # auxiliaries and constants on a grid below the stocks
    rest = [v for v in own if v not in ids]
    top = y0 + ((len(stocks) + 2) // 3) * 260 + 60
    for i, v in enumerate(rest):
        x, y = 120 + (i % 6) * 240, top + (i // 6) * 70
        ids[v] = new_id()
        pos[v] = (x, y)
        lines.append(f"10,{ids[v]},{v},{x},{y},{_width(v)},8,8,3,0,0,0,0,0,0")
    # shadows of other sectors' variables used here, on a row at the bottom
    shadow_top = top + ((len(rest) + 5) // 6) * 70 + 80
    shadows: list[str] = []
    for v in own:
        for d in info.variables[v].depends_on:
            if d not in ids and d not in shadows and d in info.variables:
                shadows.append(d)
    for i, d in enumerate(shadows):
        x, y = 120 + (i % 6) * 240, shadow_top + (i // 6) * 60
        ids[d] = new_id()
        pos[d] = (x, y)
        lines.append(f"10,{ids[d]},{d},{x},{y},{_width(d)},8,8,2,0,3,-1,0,0,0,128-128-128,0-0-0,|12||128-128-128")
    # influence arrows (not for the flow into its own stock: that is the pipe)
    for v in own:
        for d in info.variables[v].depends_on:
            if d not in ids or d == v:
                continue
            if info.variables[v].kind == "stock" and d in flow_of:
                continue
            (x1, y1), (x2, y2) = pos[d], pos[v]
            lines.append(f"1,{new_id()},{ids[d]},{ids[v]},0,0,0,0,0,64,0,-1--1--1,,1|({(x1 + x2) // 2},{(y1 + y2) // 2})|")
    return lines


def sketch_text(path: Path | str, text: str | None = None) -> str:
    """The whole sketch section for the model at ``path`` (one view per sector)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8") if text is None else text
    info = model_mod.load(path)
    out = [SKETCH_MARK, "V300  Do not put anything below this section - it will be ignored"]
    for sec in sectors(text):
        out.append(f"*{sec.name}")
        out.append(_VIEW_HEADER)
        out.extend(view_lines(sec, info))
    out.append("///---\\\\\\")
    return "\n".join(out) + "\n"


def _trailer(text: str) -> str:
    """Whatever follows the sketch views (Vensim's settings block), kept as it is."""
    after = text.split(SKETCH_MARK, 1)[1] if SKETCH_MARK in text else ""
    return after.split("///---\\\\\\", 1)[1].lstrip("\n") if "///---\\\\\\" in after else ":L<%^E!@\n"


def write_sketch(path: Path | str) -> bool:
    """Regenerate the sketch of the .mdl at ``path`` in place (atomically). True if it changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    new = text.split(SKETCH_MARK)[0] + sketch_text(path, text) + _trailer(text)
    if new == text:
        return False
    atomic_write(path, lambda tmp: tmp.write_text(new, encoding="utf-8"))
    return True


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.sketch [MODEL]``: regenerate the sketch of MODEL (default: the Tianshan model)."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else model_mod.DEFAULT_MODEL
    changed = write_sketch(path)
    views = sectors(path.read_text(encoding="utf-8"))
    print(f"{path}: {len(views)} views ({', '.join(v.name for v in views)}); "
          f"{'rewritten' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
