"""Model quality checks: declarative scenario-matrix checks, units, comparisons and baselines.

* :func:`run_suite` — evaluate ``sd_models/checks.yaml`` with the batched engine.
* :func:`check_units` — dimensional consistency of the model equations.
* :func:`compare` — which outputs changed between two model versions (files or ``REV:path``).
* :mod:`sim.checks.baseline` — committed key outputs of every preset (``tests/baseline``).
* :func:`add_parsers`, :func:`cli_check`, :func:`cli_compare` — ``oasis-sd check`` / ``compare``.
"""
from __future__ import annotations

from .expr import ExpressionError
from .runner import CheckResult, SuiteReport, run_suite
from .spec import DEFAULT_CHECKS, CheckSpecError, load_suite, parse_suite

__all__ = ["run_suite", "load_suite", "parse_suite", "CheckResult", "SuiteReport", "CheckSpecError",
           "ExpressionError", "DEFAULT_CHECKS", "check_units", "compare", "add_parsers", "cli_check",
           "cli_compare", "cli_units"]


def __getattr__(name):  # lazy: units/compare/cli pull in pysd parsing or git only when used
    if name == "check_units":
        from .units import check_units
        return check_units
    if name == "compare":
        from .compare import compare
        return compare
    if name in ("add_parsers", "cli_check", "cli_compare", "cli_units"):
        from . import cli
        return getattr(cli, name)
    raise AttributeError(name)
