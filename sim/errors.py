"""Error types shared by the library, the CLI and the app.

Every message names what was wrong (file, line, field or parameter), the allowed range or
the nearest valid names, so a user can act on it without reading a traceback.

One hierarchy: every user-facing error of the library derives from :class:`OasisError` —
scenario files (:class:`ScenarioFileError`, :class:`UnknownNameError`, :class:`OutOfRangeError`),
other bad arguments and input files (:class:`InputError`),
calibration data (``sim.data.DataError``), targets/config (``sim.calibrate.targets.TargetFileError``),
checks (``sim.checks.spec.CheckSpecError``, ``sim.checks.expr.ExpressionError``), the engine
(``sim.engine.errors.EngineError``), sensitivity jobs (``sim.sensitivity.errors``), the scenario
library (``sim.store.StoreError``), file writes (:func:`sim.io.atomic_write`). The CLI
(``sim.cli.main``) catches :class:`OasisError` once: one line, exit 2. Did-you-mean hints come
from :func:`nearest` / :func:`did_you_mean` here (the engine keeps its own, inside ``sim.engine``).
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


class InputError(OasisError, ValueError):
    """A bad argument or input file of a library call (e.g. an unknown engine, an ensemble
    table without parameter columns)."""


def nearest(name: str, valid: Iterable[str], n: int = 3, *, ignore_case: bool = True,
            substring: bool = True) -> list[str]:
    """Closest valid names to ``name``, best first: THE did-you-mean helper of the project.

    difflib's ratio with cutoff 0.5, case-insensitive by default; with ``substring``, when
    nothing is close, the names containing ``name`` (useful for long snake_case names)."""
    valid = [str(v) for v in valid]
    fold = str.lower if ignore_case else (lambda x: x)
    lowered = {fold(v): v for v in valid}
    hits = difflib.get_close_matches(fold(name), list(lowered), n=n, cutoff=0.5)
    if not hits and substring:
        hits = [k for k in lowered if fold(name) in k][:n]
    return [lowered[h] for h in hits]


def did_you_mean(name: str, valid: Iterable[str], n: int = 3, **kw) -> str:
    """``" Did you mean: a, b?"`` from :func:`nearest` (``""`` when nothing is close)."""
    hits = nearest(name, valid, n, **kw)
    return " Did you mean: " + ", ".join(hits) + "?" if hits else ""
