"""``oasis-sd check | units | compare | baseline`` (wired into sim/cli.py by :func:`add_parsers`)."""
from __future__ import annotations

import argparse

from ..model import DEFAULT_MODEL


def cli_check(args) -> int:
    """Run sd_models/checks.yaml; exit 0 when every check has its expected outcome, 1 otherwise."""
    from ..errors import OasisError
    from .runner import run_suite

    report = run_suite(args.checks, args.model, only=args.only or None)
    print(report.table())
    errors = [r for r in report.results if r.error]
    if errors:  # a check that cannot be judged is a checks-file problem, not a model failure
        shown = "; ".join(f"check '{r.check.id}' (matrix '{r.matrix}'): {r.error}" for r in errors[:3])
        more = f"; and {len(errors) - 3} more" if len(errors) > 3 else ""
        raise OasisError(f"{args.checks}: {len(errors)} check(s) could not be evaluated: {shown}{more}")
    return 0 if report.ok else 1


def cli_units(args) -> int:
    """Dimensional consistency; exit 1 on errors (and on warnings with --strict)."""
    from .units import check_units, format_findings

    findings = check_units(args.model)
    print(format_findings(findings))
    errors = sum(f.severity == "error" for f in findings)
    return 1 if errors or (args.strict and findings) else 0


def cli_compare(args) -> int:
    """Which outputs changed between two model versions (exit 0 either way; 1 with --fail-on-change)."""
    from .compare import compare

    report = compare(args.old, args.new, n_samples=args.samples, seed=args.seed)
    print(report.table(limit=args.limit))
    return 1 if args.fail_on_change and not report.identical else 0


def cli_baseline(args) -> int:
    from . import baseline

    return baseline.run(args)


def add_parsers(subparsers) -> None:
    """Add the ``check``, ``units``, ``compare`` and ``baseline`` subcommands."""
    from .baseline import BASELINE_FILE
    from .compare import DEFAULT_SAMPLES, DEFAULT_SEED
    from .spec import DEFAULT_CHECKS

    c = subparsers.add_parser("check", help="run the declarative model checks (sd_models/checks.yaml)")
    c.add_argument("--checks", default=str(DEFAULT_CHECKS), help="checks file (YAML)")
    c.add_argument("--only", action="append", metavar="CHECK_ID", help="run only this check (repeatable)")
    c.add_argument("--model", default=str(DEFAULT_MODEL), help="model file")
    c.set_defaults(func=cli_check)

    u = subparsers.add_parser("units", help="check dimensional consistency of the model equations")
    u.add_argument("--model", default=str(DEFAULT_MODEL))
    u.add_argument("--strict", action="store_true", help="fail on scale warnings too")
    u.set_defaults(func=cli_units)

    k = subparsers.add_parser("compare", help="compare outputs of two model versions (paths or REV:path)")
    k.add_argument("old", help="old model: a path or a git revision REV:path, e.g. HEAD~1:sd_models/tianshan.mdl")
    k.add_argument("new", nargs="?", default=str(DEFAULT_MODEL), help="new model (default: the working model)")
    k.add_argument("--samples", type=int, default=DEFAULT_SAMPLES, help="random lever settings besides the presets")
    k.add_argument("--seed", type=int, default=DEFAULT_SEED)
    k.add_argument("--limit", type=int, default=40, help="rows to print")
    k.add_argument("--fail-on-change", action="store_true", help="exit 1 if any output changed")
    k.set_defaults(func=cli_compare)

    b = subparsers.add_parser("baseline", help="check or regenerate tests/baseline/baseline.json")
    b.add_argument("--update", action="store_true", help="regenerate from the current model")
    b.add_argument("--model", default=str(DEFAULT_MODEL))
    b.add_argument("--file", default=str(BASELINE_FILE))
    b.set_defaults(func=cli_baseline)


def main(argv=None) -> int:
    """Standalone entry (``python -m sim.checks ...``) until sim/cli.py wires :func:`add_parsers`."""
    import sys

    from ..errors import OasisError

    p = argparse.ArgumentParser(prog="python -m sim.checks")
    add_parsers(p.add_subparsers(dest="command", required=True))
    args = p.parse_args(argv)
    try:
        return args.func(args)
    except OasisError as exc:
        print(f"oasis-sd: error: {' '.join(str(exc).splitlines())}", file=sys.stderr)
        return 2
