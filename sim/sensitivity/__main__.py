"""``python -m sim.sensitivity ...`` — same options as ``oasis-sd sensitivity`` (handy before
the main CLI is wired, and for running a job in a subprocess)."""

from __future__ import annotations

import argparse
import sys

from .errors import SensitivityInputError
from .job import add_arguments, run_job, spec_from_args
from .progress import TextProgressBar


def main(argv: list[str] | None = None) -> int:
    parser = add_arguments(argparse.ArgumentParser(prog="python -m sim.sensitivity"))
    ns = parser.parse_args(argv)
    try:
        result = run_job(spec_from_args(ns), progress=TextProgressBar())
    except SensitivityInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(f"results in {result.out_dir}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
