"""Global sensitivity analysis batch jobs (SALib) for Oasis-SD models.

Entry point: :func:`run_job` with a :class:`JobSpec`; see README.md in this
package for the job format, store layout, resume semantics and the
determinism guarantee.
"""

from .errors import (
    ChunkFailedError,
    OutputDirMismatchError,
    SchedulerUnreachableError,
    SensitivityInputError,
)
from .evaluators import Evaluator, FunctionEvaluator, ModelEvaluator
from .factors import Factor, resolve_factors, resolve_groups
from .job import JobResult, JobSpec, add_arguments, parse_years, run_job, spec_from_args
from .progress import Progress, TextProgressBar
from .store import load_raw
from .summaries import parse_outputs

__all__ = [
    "ChunkFailedError", "Evaluator", "Factor", "FunctionEvaluator", "JobResult", "JobSpec",
    "ModelEvaluator", "OutputDirMismatchError", "Progress", "SchedulerUnreachableError",
    "SensitivityInputError", "TextProgressBar", "add_arguments", "load_raw", "parse_outputs",
    "parse_years", "resolve_factors", "resolve_groups", "run_job", "spec_from_args",
]
