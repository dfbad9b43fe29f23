"""Exception types raised by the sensitivity package.

Every problem a *user* can fix (bad factor name, bad bounds, wrong N, an
unreachable scheduler, an output directory that belongs to another job…) is
raised as :class:`SensitivityInputError` so the CLI can print the message and
exit non-zero without a traceback.  Programming errors stay ordinary
exceptions on purpose: they should show a traceback.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..errors import OasisError, did_you_mean as _did_you_mean


class SensitivityInputError(OasisError, ValueError):
    """A job specification or its environment is unusable; the message says how to fix it."""


class SchedulerUnreachableError(SensitivityInputError):
    """The requested Dask scheduler could not be contacted in time."""


class OutputDirMismatchError(SensitivityInputError):
    """The output directory already holds a different (or unfinished, non-resumed) job."""


class ChunkFailedError(OasisError, RuntimeError):
    """A chunk kept failing after all retries (the model or a worker is broken); the message names
    the chunk, so the CLI prints it without a traceback."""


class ChunkResultError(OasisError, ValueError):
    """A chunk's outputs are unusable (NaN/inf from the model); the message names chunk and runs."""


class CorruptJobFileError(OasisError, ValueError):
    """A file of the job directory (samples, a chunk) fails its integrity check."""


def did_you_mean(name: str, candidates: Iterable[str], n: int = 3) -> str:
    """Return ' Did you mean: a, b?' (or '') from :func:`sim.errors.nearest` (no substring fallback).

    Matching is case-insensitive because model variable names are often typed
    with different capitalisation than they are declared.
    """
    return _did_you_mean(name, candidates, n, substring=False)
