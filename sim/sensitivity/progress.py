"""Progress reporting: a plain event object plus a dependency-free stderr bar.

``run_job(spec, progress=cb)`` calls ``cb(Progress)`` after every finished
chunk (and once at the start and at each phase change).  The CLI may render
its own bar; :class:`TextProgressBar` is the simple default.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO


@dataclass(frozen=True)
class Progress:
    phase: str  # "evaluate" | "analyse" | "report" | "done"
    runs_done: int
    runs_total: int
    chunks_done: int
    chunks_total: int
    runs_resumed: int  # runs found on disk at start (not counted in the rate)
    elapsed: float  # seconds since this session started evaluating
    eta: float | None  # seconds left, None until a rate is known

    @property
    def fraction(self) -> float:
        return self.runs_done / self.runs_total if self.runs_total else 1.0


ProgressCallback = Callable[[Progress], None]


class ProgressTracker:
    """Counts finished runs and estimates time left from this session's own rate.

    Resumed runs are excluded from the rate: they took no time now, and
    counting them would make the first ETA wildly optimistic.
    """

    def __init__(self, runs_total: int, chunks_total: int, runs_resumed: int,
                 chunks_resumed: int, callback: ProgressCallback | None):
        self.runs_total, self.chunks_total = runs_total, chunks_total
        self.runs_resumed = runs_resumed
        self.runs_done, self.chunks_done = runs_resumed, chunks_resumed
        self.callback = callback
        self.t0 = time.monotonic()

    def event(self, phase: str = "evaluate") -> Progress:
        elapsed = time.monotonic() - self.t0
        fresh = self.runs_done - self.runs_resumed
        eta = None
        if fresh > 0 and elapsed > 0:
            eta = (self.runs_total - self.runs_done) / (fresh / elapsed)
        if self.runs_done >= self.runs_total:
            eta = 0.0
        return Progress(phase, self.runs_done, self.runs_total, self.chunks_done,
                        self.chunks_total, self.runs_resumed, elapsed, eta)

    def emit(self, phase: str = "evaluate") -> None:
        if self.callback is not None:
            self.callback(self.event(phase))

    def chunk_done(self, rows: int) -> None:
        self.runs_done += rows
        self.chunks_done += 1
        self.emit("evaluate")


def _fmt_secs(s: float | None) -> str:
    if s is None:
        return "--:--"
    s = int(round(s))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"


class TextProgressBar:
    """``[#########.......]  5120/63488 runs   8%  ETA 01:23`` on stderr, redrawn in place."""

    def __init__(self, stream: TextIO | None = None, width: int = 30, min_interval: float = 0.1):
        self.stream = stream or sys.stderr
        self.width = width
        self.min_interval = min_interval
        self._last = 0.0
        self._phase = None

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        finished = p.runs_done >= p.runs_total
        if p.phase == self._phase and not finished and now - self._last < self.min_interval:
            return  # throttle redraws; many small chunks would otherwise flood a slow terminal
        self._last = now
        if p.phase != "evaluate":
            if p.phase == "done":
                if self._phase == "evaluate":
                    self.stream.write("\n")
                self._phase = p.phase
                return
            if p.phase != self._phase:
                # End the bar's line, then announce the new phase once.
                lead = "\n" if self._phase == "evaluate" else ""
                self.stream.write(f"{lead}{p.phase}…\n")
                self.stream.flush()
            self._phase = p.phase
            return
        self._phase = p.phase
        filled = int(self.width * p.fraction)
        bar = "#" * filled + "." * (self.width - filled)
        rate = (p.runs_done - p.runs_resumed) / p.elapsed if p.elapsed > 0 else 0.0
        self.stream.write(
            f"\r[{bar}] {p.runs_done}/{p.runs_total} runs {100 * p.fraction:3.0f}%  "
            f"{rate:,.0f} runs/s  ETA {_fmt_secs(p.eta)} "
        )
        self.stream.flush()
