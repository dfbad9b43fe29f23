"""``oasis-sd optimise | robustness | discover``: parse, call :mod:`sim.search`, print."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from ..errors import OasisError


def _backend(args):
    from ..sensitivity.executors import make_backend

    return make_backend(args.scheduler, args.workers)


def _out_dir(path: str) -> Path:
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise OasisError(f"--out {out}: is a file; give a folder")
    out.mkdir(parents=True, exist_ok=True)
    return out


def _cmd_optimise(args) -> int:
    from . import optimise as opt
    from .spec import load_spec

    spec = load_spec(args.spec)
    out = _out_dir(args.out)
    t0 = time.perf_counter()

    def progress(gen, total):
        print(f"\rgeneration {gen}/{total}", end="", file=sys.stderr, flush=True)

    with _backend(args) as backend:
        res, ev = opt.optimise(spec, backend=backend, store_dir=out / "cache", progress=progress,
                               pop_size=args.pop_size, generations=args.generations)
    print(file=sys.stderr)
    ref = opt.preset_reference(spec)
    paths = opt.write_outputs(res, ev, spec, out, ref)
    secs = time.perf_counter() - t0
    table = opt.pareto_table(res, ev, spec)
    print(f"{spec.title}: {len(table)} Pareto points from {res.n_evaluations} evaluations "
          f"({res.n_evaluations / max(1, len(res.history)):.0f} per generation × {len(res.history)}), "
          f"{int(res.feasible.sum())} feasible, {secs:.0f} s")
    cols = [o.metric.label for o in spec.objectives]
    print(table[["point"] + cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(f"scenario files in {out / 'scenarios'}; chart {paths.get('pareto.png', paths['pareto.html'])}")
    return 0


def _cmd_robustness(args) -> int:
    from . import robustness as rb

    names = []
    for n in (args.scenario or ["presets"]):
        names += rb.default_scenarios() if n == "presets" else [n]
    out = _out_dir(args.out)
    futures = rb.make_futures(args.members, args.deep_samples, args.seed)
    metrics, senses = rb.outcome_metrics(geography=args.region)
    from .. import redlines

    flags = list(redlines.FLAGS)
    t0 = time.perf_counter()
    with _backend(args) as backend:
        values, breach, titles = rb.scenario_runs(names, futures, metrics, flags, (args.start, args.end),
                                                  args.region, backend=backend, store_dir=out / "cache")
    labels = [Path(n).stem for n in names]
    tables = rb.robustness_metrics(values, breach <= 0, senses, labels, [m.label for m in metrics], flags)
    rb.write_tables(tables, out)
    print(f"{len(names)} scenarios × {futures.n} futures ({args.members} ensemble members × {args.deep_samples} "
          f"deep draws) = {len(names) * futures.n} runs, {time.perf_counter() - t0:.0f} s; red lines kept "
          f"{args.start}–{args.end} ({args.region})")
    print(rb.markdown_table(tables))
    print(f"tables in {out}")
    return 0


def _cmd_discover(args) -> int:
    from . import discover as dc

    out = _out_dir(args.out)
    t0 = time.perf_counter()
    with _backend(args) as backend:
        d = dc.discover(args.scenario, red_line=args.red_line, year=args.year, indicator=args.indicator,
                        above=args.above, below=args.below, members=args.members, deep_samples=args.deep_samples,
                        seed=args.seed, geography=args.region, threshold=args.threshold, backend=backend,
                        store_dir=out / "cache")
    dc.write(d, out)
    print(dc.report(d))
    print(f"({d.n_futures} runs, {time.perf_counter() - t0:.0f} s; files in {out})")
    return 0


def _common(p, out_default: str) -> None:
    p.add_argument("--out", default=out_default, help="output folder (resumes from its cache/ if rerun)")
    p.add_argument("--scheduler", default="local", help="local | local-cluster | tcp://HOST:PORT (as sensitivity)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1: in-process)")


def _futures(p) -> None:
    p.add_argument("--members", type=int, default=100, help="calibration-ensemble members (first N)")
    p.add_argument("--deep-samples", type=int, default=4, help="deep-uncertainty draws per member (Latin hypercube)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--region", default="belt", help="geography of red lines and outcomes")


def add_parsers(sub) -> None:
    o = sub.add_parser("optimise", help="multi-objective lever search (NSGA-II) from a spec file")
    o.add_argument("spec", help="search spec (TOML), e.g. search/example_spec.toml")
    o.add_argument("--pop-size", type=int, default=None, help="override [optimiser] pop_size")
    o.add_argument("--generations", type=int, default=None, help="override [optimiser] generations")
    _common(o, "runs/search/optimise")
    o.set_defaults(func=_cmd_optimise)

    r = sub.add_parser("robustness", help="presets over the calibration ensemble × deep uncertainties")
    r.add_argument("--scenario", action="append",
                   help="preset name, .toml file, or 'presets' for every preset (repeatable; default: presets)")
    r.add_argument("--start", type=int, default=2030, help="red lines judged from this year")
    r.add_argument("--end", type=int, default=2060, help="... to this year")
    _futures(r)
    _common(r, "runs/search/robustness")
    r.set_defaults(func=_cmd_robustness)

    d = sub.add_parser("discover", help="PRIM boxes (and CART) of the futures in which a scenario fails")
    d.add_argument("--scenario", default="S2_cae_strategy")
    d.add_argument("--red-line", default="groundwater", help="farmland_floor | water_cap | groundwater | ecological")
    d.add_argument("--year", type=int, default=2035)
    d.add_argument("--indicator", default=None, help="instead of a red line: an indicator key ...")
    d.add_argument("--above", type=float, default=None, help="... failing when above this value")
    d.add_argument("--below", type=float, default=None, help="... failing when below this value")
    d.add_argument("--threshold", type=float, default=0.5, help="PRIM: least density of the reported box")
    _futures(d)
    _common(d, "runs/search/discover")
    d.set_defaults(func=_cmd_discover)
