"""sim.runner is the one lever (+ calibration) -> parameter path; everyone else delegates to it."""
import numpy as np
import pytest

from sim import runner
from sim.calibrate import result
from sim.model import DEFAULT_MODEL


@pytest.fixture
def calibration(tmp_path, monkeypatch):
    path = tmp_path / "calibrated.toml"
    result.write_calibrated(path, {"parameters": {"co2_per_fossil_tce": 2.5, "policy_start_year": 1999.0},
                                   "provenance": {"model_sha256": result.sha256_file(DEFAULT_MODEL)}})
    monkeypatch.setenv(result.ENV_VAR, str(path))
    return path


def test_calibration_file_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(result.ENV_VAR, raising=False)
    assert runner.calibration_file() == result.CALIBRATED_FILE
    monkeypatch.setenv(result.ENV_VAR, str(tmp_path / "x.toml"))
    assert runner.calibration_file() == tmp_path / "x.toml"
    for off in ("none", "OFF", "0"):
        monkeypatch.setenv(result.ENV_VAR, off)
        assert runner.calibration_file() is None
        assert runner.calibrated() == {}


def test_levers_override_calibration(calibration):
    p = runner.lever_params({"policy_start_year": 2030, "farmland_redline_pct": 90})
    assert p == {"co2_per_fossil_tce": 2.5, "policy_start_year": 2030.0, "farmland_redline_pct": 90.0}
    assert all(isinstance(v, float) for v in p.values())
    assert runner.lever_params({"a": 1}, base={"b": 2.0}) == {"b": 2.0, "a": 1.0}


def test_ensemble_sample_zero_is_the_central_run(calibration):
    draws = {"co2_per_fossil_tce": np.array([2.0, 3.0]), "not_a_parameter": np.array([1.0, 5.0])}
    params, n = runner.ensemble_params({"policy_start_year": 2030}, draws, 2)
    assert n == 3
    assert params["co2_per_fossil_tce"].tolist() == [2.5, 2.0, 3.0]  # calibrated value first
    assert params["not_a_parameter"].tolist() == [3.0, 1.0, 5.0]  # median of the draws
    assert params["policy_start_year"] == 2030.0


def test_nominal_params(calibration):
    assert runner.nominal_params("model") == {}
    assert runner.nominal_params({"x": 1.0}) == {"x": 1.0}
    assert runner.nominal_params("calibrated")["co2_per_fossil_tce"] == 2.5
    with pytest.raises(ValueError):
        runner.nominal_params("other")


def test_nominal_warnings_go_to_warn(tmp_path, monkeypatch):
    path = tmp_path / "c.toml"
    result.write_calibrated(path, {"parameters": {"co2_per_fossil_tce": 2.5}, "provenance": {"model_sha256": "0" * 64}})
    monkeypatch.setenv(result.ENV_VAR, str(path))
    seen = []
    assert runner.nominal_params("calibrated", warn=seen.append) == {"co2_per_fossil_tce": 2.5}
    assert seen and seen[0].startswith("nominal parameters:")
