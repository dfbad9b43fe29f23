"""Error types shared by the library, the CLI and the app.

Every message names what was wrong (file, line, field or parameter), the allowed range or
the nearest valid names, so a user can act on it without reading a traceback.

One hierarchy: every user-facing error of the library derives from :class:`OasisError` —
scenario files (:class:`ScenarioFileError`, :class:`UnknownNameError`, :class:`OutOfRangeError`),
calibration data (``sim.data.DataError``), targets/config (``sim.calibrate.targets.TargetFileError``),
checks (``sim.checks.spec.CheckSpecError``, ``sim.checks.expr.ExpressionError``), the engine
(``sim.engine.errors.EngineError``), sensitivity jobs (``sim.sensitivity.errors``), the scenario
library (``sim.store.StoreError``). The CLI catches :class:`OasisError` once: one line, exit 2.
Anything else escaping is a bug and keeps its traceback.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable


class OasisError(Exception):
    """Base class for user-facing errors (the CLI prints the message, exit code 2)."""


class UnknownNameError(OasisError, KeyError):
    """A lever, scenario, variable or parameter name that does not exist."""

    def __init__(self, kind: str, name: str, valid: Iterable[str], where: str = ""):
        self.kind, self.name = kind, name
        self.suggestions = nearest(name, valid)
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        loc = f"{where}: " if where else ""
        super().__init__(f"{loc}unknown {kind} '{name}'{hint}")

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class OutOfRangeError(OasisError, ValueError):
    """A value outside the allowed range of a lever or parameter."""


class ScenarioFileError(OasisError, ValueError):
    """A malformed scenario file (the message carries file and line)."""


def nearest(name: str, valid: Iterable[str], n: int = 3) -> list[str]:
    """Closest valid names to ``name`` (case-insensitive), best first."""
    valid = list(valid)
    lowered = {v.lower(): v for v in valid}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=n, cutoff=0.5)
    if not hits:  # fall back to substring matches, useful for long snake_case names
        hits = [k for k in lowered if name.lower() in k][:n]
    return [lowered[h] for h in hits]
