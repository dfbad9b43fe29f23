"""Sample generation (SALib samplers) and the sample-layout facts analysis relies on.

The whole sample matrix is generated **once, up front, in the driver
process** from the job seed.  Chunks are then plain row ranges of that
matrix, which is what makes results independent of backend, worker count and
chunk size (see README "Determinism").

Layouts (needed for nested-prefix convergence checks):

* sobol  – Saltelli/Sobol' blocks of ``2D+2`` (second order) or ``D+2`` rows
  per base point, base points in Sobol'-sequence order; D = number of groups
  if grouped.  A prefix of ``k`` blocks is exactly the sample SALib would
  draw for ``N=k`` (same scrambled sequence), so it can be re-analysed.
* morris – ``N`` trajectories of ``D+1`` rows (D = groups if grouped); a
  prefix of trajectories is a valid smaller Morris design.
* latin  – ``N`` rows (pawn, delta); rows of a randomly permuted LHS are
  exchangeable, so a prefix is a random sub-sample with uniform marginals.
* fast   – ``D`` blocks of ``N`` rows, each a full search curve: prefixes are
  not valid designs, so FAST gets no convergence check.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import SensitivityInputError

METHODS = ("sobol", "morris", "fast", "pawn", "delta")
GROUPABLE = ("sobol", "morris", "pawn")

# Minimum N per method and why; enforced by validate_n with the reason in the message.
MIN_N = {
    "sobol": (8, "fewer than 8 base points gives meaningless bootstrap confidence intervals"),
    "morris": (4, "fewer than 4 trajectories cannot estimate sigma or a confidence interval"),
    "pawn": (50, "PAWN splits each factor into 10 conditioning slices; it needs ≥5 runs per slice"),
    "delta": (100, "the delta kernel density estimate is biased and unstable below ~100 runs"),
}


@dataclass(frozen=True)
class MethodOptions:
    """Sampler/analyser knobs that change the sample and so belong in the manifest."""

    calc_second_order: bool = True  # sobol
    num_levels: int = 4  # morris grid levels (even)
    M: int = 4  # fast interference factor

    def relevant(self, method: str) -> dict[str, Any]:
        """Only the options that matter for ``method`` (keeps manifests comparable)."""
        if method == "sobol":
            return {"calc_second_order": self.calc_second_order}
        if method == "morris":
            return {"num_levels": self.num_levels}
        if method == "fast":
            return {"M": self.M}
        return {}


def n_groups(problem: dict) -> int:
    groups = problem.get("groups")
    return len(dict.fromkeys(groups)) if groups else problem["num_vars"]


def validate_method(method: str, problem: dict) -> None:
    if method not in METHODS:
        from .errors import did_you_mean

        raise SensitivityInputError(
            f"Unknown method {method!r}; choose one of {', '.join(METHODS)}."
            + did_you_mean(method, METHODS)
        )
    if problem.get("groups") and method not in GROUPABLE:
        raise SensitivityInputError(
            f"Method {method!r} does not support factor groups in SALib; use "
            f"{' or '.join(GROUPABLE)} with --groups, or drop --groups."
        )


def validate_n(method: str, n: int, problem: dict, options: MethodOptions) -> None:
    """Reject N values that would silently give poor or invalid designs, saying why."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= 0:
        raise SensitivityInputError(f"--n must be a positive integer (got {n!r}).")
    n = int(n)
    if method == "sobol" and n & (n - 1):
        lo = 1 << (n.bit_length() - 1)
        raise SensitivityInputError(
            f"--n {n} is not a power of two. Sobol' sequences keep their balance "
            "(low-discrepancy) properties only for sample sizes that are powers of two; other "
            f"sizes bias the indices and break nested convergence checks. Use {lo} or {lo * 2}."
        )
    if method == "fast":
        need = 4 * options.M**2
        if n <= need:
            raise SensitivityInputError(
                f"--n {n} is too small for FAST with M={options.M}: N must exceed 4·M² = {need} "
                "(Nyquist condition for the search-curve frequencies)."
            )
        return
    if method == "morris" and options.num_levels % 2:
        raise SensitivityInputError(
            f"Morris num_levels must be even (got {options.num_levels}) so the step Δ = "
            "p/(2(p−1)) keeps trajectories symmetric."
        )
    minimum, why = MIN_N[method]
    if n < minimum:
        raise SensitivityInputError(f"--n {n} is too small for {method}: need N ≥ {minimum} ({why}).")


def rows_per_unit(method: str, problem: dict, options: MethodOptions) -> int:
    """Rows contributed by one unit of N (base point, trajectory, LHS row)."""
    g = n_groups(problem)
    if method == "sobol":
        return 2 * g + 2 if options.calc_second_order else g + 2
    if method == "morris":
        return g + 1
    if method == "fast":
        return problem["num_vars"]  # D blocks of N rows each; total is N·D
    return 1


def total_rows(method: str, n: int, problem: dict, options: MethodOptions) -> int:
    return n * rows_per_unit(method, problem, options)


def generate(method: str, problem: dict, n: int, seed: int, options: MethodOptions) -> np.ndarray:
    """Generate the full design matrix (rows = runs, columns = factors in problem order)."""
    # SALib samplers take the seed directly; the same seed must always give the same
    # matrix, so we never let them fall back to global RNG state.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy's "not a power of 2" etc. are validated above
        if method == "sobol":
            from SALib.sample import sobol

            X = sobol.sample(problem, n, calc_second_order=options.calc_second_order, seed=seed)
        elif method == "morris":
            from SALib.sample import morris

            X = morris.sample(problem, n, num_levels=options.num_levels, seed=seed)
        elif method == "fast":
            from SALib.sample import fast_sampler

            X = fast_sampler.sample(problem, n, M=options.M, seed=seed)
        elif method in ("pawn", "delta"):
            from SALib.sample import latin

            X = latin.sample(problem, n, seed=seed)
        else:  # pragma: no cover - validate_method runs first
            raise SensitivityInputError(f"Unknown method {method!r}")
    X = np.ascontiguousarray(X, dtype=np.float64)
    expected = total_rows(method, n, problem, options)
    assert X.shape == (expected, problem["num_vars"]), (X.shape, expected)
    return X


def nested_sizes(method: str, n: int) -> list[int]:
    """Sub-sample sizes (in units of N) for the convergence check, ascending, ending at n.

    FAST designs are not nested, so only the full N is returned (no check possible).
    """
    if method == "fast":
        return [n]
    floor = {"sobol": 4, "morris": 2, "pawn": MIN_N["pawn"][0], "delta": MIN_N["delta"][0]}[method]
    sizes = [n // d for d in (8, 4, 2) if n // d >= floor]
    return sizes + [n]


def prefix_rows(method: str, n_sub: int, problem: dict, options: MethodOptions) -> int:
    """Number of leading rows that form the design for ``n_sub`` (see module docstring)."""
    if method == "fast":
        raise ValueError("FAST designs have no nested prefixes")
    return n_sub * rows_per_unit(method, problem, options)
