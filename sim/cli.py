"""``oasis-sd`` command line: thin wrappers over the library (parse, call, print)."""
from __future__ import annotations

import argparse
import sys
import textwrap

from . import geography, indicators, levers, model, redlines, runner, scenarios
from .calibrate.cli import add_parsers as add_calibrate_parsers
from .checks.cli import add_parsers as add_check_parsers
from .errors import OasisError
from .io import check_results_path, write_results
from .search.cli import add_parsers as add_search_parsers
from .sensitivity import job as sensitivity_job
from .sensitivity.progress import TextProgressBar

TABLE_YEARS = (2020, 2030, 2035, 2060)


def _cmd_run(args) -> int:
    if args.out:
        check_results_path(args.out)  # before the run: a bad --out costs nothing and writes nothing
    scenario = scenarios.load(args.scenario)
    if args.set:
        scenario = scenarios.apply_overrides(scenario, args.set)
    ds = runner.run(scenario, engine=args.engine, model_path=args.model)
    geo = args.region
    geography.regions_of(geo)  # validate before printing
    print(f"Scenario: {scenario.title}  (engine: {args.engine}, geography: {geo})")
    if scenario.overrides:
        print("Levers changed from baseline: " + ", ".join(f"{k}={v:g}" for k, v in scenario.overrides.items()))
    header = f"{'indicator':<34}{'units':<16}" + "".join(f"{y:>12}" for y in TABLE_YEARS)
    print(header)
    print("-" * len(header))
    for ind, values in indicators.indicator_table(ds, TABLE_YEARS, geo):
        print(f"{ind.label_en:<34}{ind.units:<16}" + "".join(f"{v:>12.4g}" for v in values))
    print()
    for line in redlines.scorecard_lines(redlines.status(ds, scenario.levers, geo)):
        print(line)
    if args.out:
        path = write_results(ds, args.out)
        print(f"wrote {len(ds.data_vars)} variables to {path}")
    return 0


def _cmd_levers(args) -> int:
    groups = levers.strategies()
    for key, names in groups.items():
        members = [lv for lv in levers.levers() if lv.strategy == key]
        if not members:
            continue
        print(f"\n{names['en']} / {names['zh']}")
        for lv in members:
            rng = "0/1 switch" if lv.kind == "switch" else f"{lv.low:g}–{lv.high:g}"
            print(f"  {lv.id:<5}{lv.constant:<52}{rng:>12} {lv.units:<18} default {lv.default:g}")
            if args.verbose:
                print(textwrap.indent(textwrap.fill(lv.help_en, 90), " " * 9))
    return 0


def _cmd_scenarios(args) -> int:
    for name in scenarios.available():
        sc = scenarios.load(name)
        print(f"{name:<28}{sc.title}  ({len(sc.overrides)} levers changed)")
        if args.verbose and sc.description:
            print(textwrap.indent(textwrap.fill(sc.description, 90), " " * 4))
    return 0


def _cmd_describe(args) -> int:
    info = model.load(args.model)
    var = info.variable(args.variable)
    dims = f"[{', '.join(var.subscripts)}]" if var.subscripts else ""
    print(f"{var.name}{dims}   ({var.kind}; units: {var.units or '—'})")
    for eq in var.equations:
        print(textwrap.indent(textwrap.fill(eq, 100, subsequent_indent="    "), "  "))
    print("\n" + textwrap.fill(var.documentation or "(no documentation)", 100))
    print(f"\ndepends on: {', '.join(var.depends_on) or '—'}")
    print(f"feeds:      {', '.join(var.feeds) or '—'}")
    try:
        lv = levers.lever(var.name)
        print(f"\nLEVER {lv.id} ({levers.strategies()[lv.strategy]['en']}): range {lv.low:g}–{lv.high:g}, default {lv.default:g}")
    except OasisError:
        pass
    return 0


def _cmd_sensitivity(args) -> int:
    result = sensitivity_job.run_job(sensitivity_job.spec_from_args(args), progress=TextProgressBar())
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"results in {result.out_dir}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="oasis-sd", description="Oasis-SD: Tianshan North Slope system-dynamics model")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="run a scenario and print key indicators")
    r.add_argument("--scenario", default="baseline", help="preset name (see `oasis-sd scenarios`) or a .toml path")
    r.add_argument("--set", action="append", metavar="LEVER=VALUE", help="override a lever (repeatable)")
    r.add_argument("--out", help="write the full results (.csv or .parquet)")
    r.add_argument("--engine", choices=runner.ENGINES, default="numpy", help="numpy (batched engine) or pysd (reference)")
    r.add_argument("--region", default="belt", help="geography of the table: belt, core, xinjiang or a region")
    r.add_argument("--model", default=str(model.DEFAULT_MODEL), help=argparse.SUPPRESS)
    r.set_defaults(func=_cmd_run)

    lv = sub.add_parser("levers", help="list policy levers with units, ranges and defaults")
    lv.add_argument("-v", "--verbose", action="store_true", help="show help text")
    lv.set_defaults(func=_cmd_levers)

    sc = sub.add_parser("scenarios", help="list preset scenarios")
    sc.add_argument("-v", "--verbose", action="store_true")
    sc.set_defaults(func=_cmd_scenarios)

    d = sub.add_parser("describe", help="show a variable's equation, units, documentation and links")
    d.add_argument("variable")
    d.add_argument("--model", default=str(model.DEFAULT_MODEL), help=argparse.SUPPRESS)
    d.set_defaults(func=_cmd_describe)

    s = sub.add_parser("sensitivity", help="global sensitivity analysis (SALib) on the batched engine, local or Dask")
    sensitivity_job.add_arguments(s)
    s.set_defaults(func=_cmd_sensitivity)

    add_check_parsers(sub)
    add_calibrate_parsers(sub)
    add_search_parsers(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point. Every user-facing failure is an :class:`OasisError` (scenario, data, checks,
    engine, sensitivity, store errors all derive from it): caught here once, printed as one line,
    exit code 2. Anything else is a bug and keeps its traceback."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except OasisError as exc:
        print(f"oasis-sd: error: {_one_line(str(exc))}", file=sys.stderr)
        return 2


def _one_line(message: str, limit: int = 2000) -> str:
    """An error message on one line (newlines of nested messages folded), bounded in length."""
    text = " ".join(message.split("\n")).strip() or "(no message)"
    return text if len(text) <= limit else text[:limit] + "…"


if __name__ == "__main__":
    sys.exit(main())
