"""Hypothesis profiles: "oasis" (default, keeps the suite fast) and "deep" for long fuzzing runs:

    HYPOTHESIS_PROFILE=deep python -m pytest tests/robustness/test_fuzz_loaders.py
"""
import os

from hypothesis import HealthCheck, settings

settings.register_profile("oasis", deadline=None, max_examples=50,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("deep", deadline=None, max_examples=3000,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "oasis"))
