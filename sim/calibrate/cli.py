"""``oasis-sd calibrate`` and ``oasis-sd fit-report`` (registered by :func:`add_parsers`)."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..errors import OasisError
from ..model import REPO_ROOT
from .config import DEFAULT_CONFIG

CALIBRATION_DIR = REPO_ROOT / "calibration"


class ProgressBar:
    """One status line on stderr: run, stage (DE generations, MC sampler steps), best objective
    (negative log-posterior), elapsed, ETA of the stage."""

    def __init__(self, stream=sys.stderr, width: int = 24):
        self.stream, self.width = stream, width
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self._last = 0.0

    def __call__(self, run: str, stage: str, gen: int, total: int, best: float, elapsed: float) -> None:
        frac = min(1.0, gen / max(total, 1))
        eta = elapsed / max(frac, 1e-9) - elapsed if frac > 0 else float("nan")
        filled = int(frac * self.width)
        line = (f"{run:<9} {stage:<2} [{'#' * filled}{'.' * (self.width - filled)}] gen {gen:>4}/{total} "
                f"objective {best:.5g}  elapsed {elapsed:5.0f} s  ETA ≤ {eta:4.0f} s")
        now = time.perf_counter()
        if self.tty:
            self.stream.write("\r" + line)
            if stage == "LS" or gen == total:
                self.stream.write("\n")
        elif stage == "LS" or gen == total or now - self._last > 10:
            self.stream.write(line + "\n")
            self._last = now
        self.stream.flush()


def _cmd_calibrate(args) -> int:
    from . import pipeline

    t0 = time.perf_counter()
    st = pipeline.setup(args.config)
    print(f"calibrating {len(st.config.free)} parameters against {len(st.targets.fitted())} fitted targets "
          f"({len(st.targets.targets)} compared); seed {args.seed if args.seed is not None else st.config.settings['seed']}")
    doc = pipeline.run(st, seed=args.seed, out=args.out, hindcast=args.hindcast,
                       progress=None if args.quiet else ProgressBar())
    obj = doc["objective"]
    print(f"log-posterior {obj['log_posterior_default']:.1f} (defaults) -> {obj['log_posterior_map']:.1f} (mode); "
          f"sum of squared relative errors {obj['default']:.4g} -> {obj['calibrated']:.4g}"
          + (f"; hindcast (<= {doc['hindcast']['end_year']}) {doc['hindcast']['objective']:.4g}" if "hindcast" in doc else ""))
    mc, ens = doc["mcmc"], doc["ensemble"]
    print(f"MCMC: {mc['walkers']} walkers x {mc['steps']} steps, acceptance {mc['acceptance']:.2f}, tau max "
          f"{mc['tau_max']:.0f} (kept steps / tau {mc['steps_over_tau_max']:.1f}), ESS min {mc['ess_min']:.0f}, "
          f"split R-hat max {mc.get('rhat_max', float('nan')):.3f}; "
          f"{ens['distinct']} distinct draws")
    for label, cov in (("full posterior", doc.get("coverage", {})),
                       ("hindcast posterior", doc.get("hindcast", {}).get("coverage", {}))):
        for window, c in cov.items():
            print(f"coverage {label} {window}: {c['cover50']:.0%} in 50 % band, {c['cover90']:.0%} in 90 % band (n {c['n']})")
    print(f"wrote {args.out or CALIBRATION_DIR / 'calibrated.toml'} in {time.perf_counter() - t0:.0f} s; "
          "run `oasis-sd fit-report` for the report")
    return 0


def _cmd_fit_report(args) -> int:
    from . import pipeline
    from .report import write_report
    from .result import load_calibrated

    out_dir = Path(args.out_dir)
    cal_path = Path(args.calibrated) if args.calibrated else out_dir / "calibrated.toml"
    doc = load_calibrated(cal_path)
    if not doc:
        raise OasisError(f"{cal_path} not found: run `oasis-sd calibrate` first")
    st = pipeline.setup(args.config)
    missing = [n for n in st.config.names if n not in doc.get("parameters", {})]
    if missing:
        raise OasisError(f"{cal_path}: no calibrated value for {', '.join(missing)} (config changed? re-run calibrate)")
    ens = pipeline.load_ensemble(out_dir / "ensemble.csv")
    written = write_report(out_dir, problem=st.problem(), doc=doc, ensemble=ens, pngs=not args.no_png)
    for path in written.values():
        print(f"wrote {path}")
    return 0


def add_parsers(subparsers) -> None:
    c = subparsers.add_parser("calibrate", help="calibrate the free parameters against the historical series")
    c.add_argument("--config", default=str(DEFAULT_CONFIG), help="calibration config (default calibration/calibration.toml)")
    c.add_argument("--seed", type=int, default=None, help="random seed (default: the config's seed)")
    c.add_argument("--hindcast", action=argparse.BooleanOptionalAction, default=True,
                   help="also calibrate on data <= hindcast_end_year for the out-of-sample check (default on)")
    c.add_argument("--out", default=None, help="calibrated.toml to write (ensemble.csv goes next to it)")
    c.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    c.set_defaults(func=_cmd_calibrate)

    r = subparsers.add_parser("fit-report", help="write the calibration fit report (Markdown, HTML, CSV, PNG charts)")
    r.add_argument("--out-dir", default=str(CALIBRATION_DIR), help="folder with calibrated.toml; report written there")
    r.add_argument("--calibrated", default=None, help="calibrated.toml to report on (default: OUT_DIR/calibrated.toml)")
    r.add_argument("--config", default=str(DEFAULT_CONFIG), help="calibration config (targets, free parameters)")
    r.add_argument("--no-png", action="store_true", help="skip the PNG charts")
    r.set_defaults(func=_cmd_fit_report)
