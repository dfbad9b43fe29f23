"""Every user mistake gives a SensitivityInputError whose message says what to do."""

from __future__ import annotations

import argparse
import socket
import time

import numpy as np
import pytest

from sim.sensitivity import (
    Factor,
    FunctionEvaluator,
    JobSpec,
    OutputDirMismatchError,
    SchedulerUnreachableError,
    SensitivityInputError,
    add_arguments,
    run_job,
    spec_from_args,
)
from sim.sensitivity.factors import resolve_factors, resolve_groups


def _ish(helpers, factors, out, **kw):
    base = dict(method="sobol", factors=factors, n=64, evaluator=FunctionEvaluator(helpers.ishigami),
                out=out, workers=1, report=False, convergence=False)
    base.update(kw)
    return JobSpec(**base)


def _model_spec(tmp_path, registry, fake_model, helpers, **kw):
    base = dict(method="sobol", factors="all", registry=registry, n=16, outputs="co2_emissions",
                model=fake_model, compile_fn=helpers.fake_compile, out=tmp_path / "job",
                workers=1, report=False, convergence=False)
    base.update(kw)
    return JobSpec(**base)


# ----------------------------------------------------------------------------- factors


def test_unknown_factor_in_file_suggests_nearest(tmp_path, registry):
    f = tmp_path / "f.toml"
    f.write_text('factors = ["growth_levr", "water_intensity"]\n')
    with pytest.raises(SensitivityInputError, match=r"Unknown factor 'growth_levr'.*Did you mean: growth_lever"):
        resolve_factors(f, registry)


def test_factor_file_shapes_and_overrides(tmp_path, registry):
    f = tmp_path / "f.toml"
    f.write_text('[factors.growth_lever]\nhigh = 0.4\n[factors.water_intensity]\n')
    fs = resolve_factors(f, registry)
    assert [(x.name, x.low, x.high) for x in fs] == [("growth_lever", 0.0, 0.4),
                                                     ("water_intensity", 0.5, 1.5)]
    f.write_text('[[factors]]\nname = "decline_lever"\nlow = 0.1\n\n[[factors]]\nname = "water_intensity"\n')
    assert [x.low for x in resolve_factors(f, registry)] == [0.1, 0.5]
    f.write_text('factors = ["levers"]\n')
    assert [x.name for x in resolve_factors(f, registry)] == ["growth_lever", "decline_lever"]
    assert len(resolve_factors("all", registry)) == 3


@pytest.mark.parametrize("text, match", [
    ('[factors.growth_lever]\nlow = 0.9\nhigh = 0.1\n', r"'growth_lever' has inverted bounds: low=0.9 > high=0.1"),
    ('[factors.growth_lever]\nlow = 0.3\nhigh = 0.3\n', r"'growth_lever' has an empty range"),
    ('[factors.growth_lever]\nlo = 0.3\n', r"unknown key\(s\) \['lo'\]"),
    ('factors = 3\n', r"must be a list or a table"),
    ('nothing = 1\n', r"has no 'factors' key"),
    ('factors = [\n', r"not valid TOML"),
    ('factors = ["growth_lever", "growth_lever"]\n', r"appears twice"),
])
def test_bad_factor_files(tmp_path, registry, text, match):
    f = tmp_path / "f.toml"
    f.write_text(text)
    with pytest.raises(SensitivityInputError, match=match):
        resolve_factors(f, registry)


def test_inverted_bounds_in_registry(helpers):
    with pytest.raises(SensitivityInputError, match="'water_intensity' has inverted bounds"):
        resolve_factors("parameters", helpers.BadRegistry())


def test_unknown_factor_set_and_missing_file(registry):
    with pytest.raises(SensitivityInputError, match="Did you mean: levers"):
        resolve_factors("lever", registry)
    with pytest.raises(SensitivityInputError, match="file not found"):
        resolve_factors("nope.toml", registry)


def test_group_errors(tmp_path, ishigami_factors, helpers):
    with pytest.raises(SensitivityInputError, match=r"lists 'x4'.*Did you mean"):
        resolve_groups({"g": ["x1", "x4"]}, ishigami_factors)
    with pytest.raises(SensitivityInputError, match="'x1' is in two groups"):
        resolve_groups({"g": ["x1", "x2"], "h": ["x1"]}, ishigami_factors)
    with pytest.raises(SensitivityInputError, match="fewer than two groups"):
        resolve_groups({"g": ["x1", "x2", "x3"]}, ishigami_factors)
    g = tmp_path / "g.toml"
    g.write_text('[groups]\nfirst = ["x1", "x3"]\n')
    assert resolve_groups(g, ishigami_factors) == ["first", "x2", "first"]
    with pytest.raises(SensitivityInputError, match="does not support factor groups"):
        run_job(_ish(helpers, ishigami_factors, tmp_path / "j", method="fast", n=100, groups=g))


def test_groups_by_strategy(registry):
    fs = resolve_factors("all", registry)
    assert resolve_groups("strategy", fs) == ["economy", "energy", "water"]


# ----------------------------------------------------------------------------- N and method


@pytest.mark.parametrize("method, n, match", [
    ("sobol", 1000, r"not a power of two.*balance.*Use 512 or 1024"),
    ("sobol", 4, r"too small for sobol"),
    ("morris", 2, r"too small for morris"),
    ("fast", 64, r"must exceed 4·M² = 64"),
    ("pawn", 20, r"too small for pawn"),
    ("delta", 50, r"too small for delta"),
    ("sobol", 0, r"positive integer"),
    ("sobl", 64, r"Unknown method 'sobl'.*Did you mean: sobol"),
])
def test_bad_n_and_method(tmp_path, ishigami_factors, helpers, method, n, match):
    with pytest.raises(SensitivityInputError, match=match):
        run_job(_ish(helpers, ishigami_factors, tmp_path / "j", method=method, n=n))
    assert not (tmp_path / "j").exists()  # nothing written for a rejected job


def test_misc_spec_errors(tmp_path, ishigami_factors, helpers):
    with pytest.raises(SensitivityInputError, match="chunk-size"):
        run_job(_ish(helpers, ishigami_factors, tmp_path / "j", chunk_size=0))
    with pytest.raises(SensitivityInputError, match="--workers"):
        run_job(_ish(helpers, ishigami_factors, tmp_path / "j", workers=0))
    with pytest.raises(SensitivityInputError, match="local-cluster"):
        run_job(_ish(helpers, ishigami_factors, tmp_path / "j", scheduler="cluster"))


# ----------------------------------------------------------------------------- outputs


def test_unknown_output_region_year(tmp_path, registry, fake_model, helpers):
    with pytest.raises(SensitivityInputError, match=r"Unknown output variable 'co2_emision'.*Did you mean: co2_emissions"):
        run_job(_model_spec(tmp_path, registry, fake_model, helpers, outputs="co2_emision"))
    with pytest.raises(SensitivityInputError, match=r"unknown region or aggregate 'Urumchi'.*Did you mean: Urumqi"):
        run_job(_model_spec(tmp_path, registry, fake_model, helpers, outputs="gdp[Urumchi]"))
    with pytest.raises(SensitivityInputError, match=r"Year 2070 is not on the model's saved time axis \(2020–2060\)"):
        run_job(_model_spec(tmp_path, registry, fake_model, helpers, years=[2030, 2070]))
    with pytest.raises(SensitivityInputError, match="no saved times between 2070 and 2080"):
        run_job(_model_spec(tmp_path, registry, fake_model, helpers, outputs="cum(gdp, 2070, 2080)"))
    with pytest.raises(SensitivityInputError, match=r"Unknown summary 'cumsum'.*Did you mean: cum"):
        run_job(_model_spec(tmp_path, registry, fake_model, helpers, outputs="cumsum(gdp, 2020, 2030)"))
    with pytest.raises(SensitivityInputError, match="Unbalanced brackets"):
        run_job(_model_spec(tmp_path, registry, fake_model, helpers, outputs="cum(gdp, 2020, 2030"))
    with pytest.raises(SensitivityInputError, match="listed twice"):
        run_job(_model_spec(tmp_path, registry, fake_model, helpers, outputs="gdp,gdp"))
    with pytest.raises(SensitivityInputError, match="Model file .* does not exist"):
        run_job(_model_spec(tmp_path, registry, tmp_path / "missing.mdl", helpers))
    assert not (tmp_path / "job").exists()


def test_aggregates_and_case_insensitive_names(tmp_path, registry, fake_model, helpers):
    res = run_job(_model_spec(tmp_path, registry, fake_model, helpers, years=[2030],
                              outputs="CO2 Emissions[core], co2_emissions[Urumqi+Changji]",
                              aggregates={"core": ["Urumqi", "Changji"]}))
    assert res.outputs == ["CO2 Emissions[core]", "co2_emissions[Urumqi+Changji]"]
    np.testing.assert_array_equal(res.Y[:, 0], res.Y[:, 1])


# ----------------------------------------------------------------------------- scheduler


def test_unreachable_scheduler_fails_fast(tmp_path, ishigami_factors, helpers):
    with socket.socket() as s:  # a port that is certainly closed: bind, then release it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    with pytest.raises(SchedulerUnreachableError, match=rf"tcp://127.0.0.1:{port} within 4 s"):
        run_job(_ish(helpers, ishigami_factors, tmp_path / "j", scheduler=f"tcp://127.0.0.1:{port}"))
    assert time.monotonic() - t0 < 8
    assert not (tmp_path / "j").exists()  # a failed connection leaves no half-made job behind


# ----------------------------------------------------------------------------- output dir


def test_output_dir_mismatch(tmp_path, ishigami_factors, helpers):
    out = tmp_path / "job"
    run_job(_ish(helpers, ishigami_factors, out, seed=1))
    with pytest.raises(OutputDirMismatchError, match=r"different job \(seed: stored 1, now 2\)"):
        run_job(_ish(helpers, ishigami_factors, out, seed=2))
    with pytest.raises(OutputDirMismatchError, match=r"Cannot resume.*n: stored 64, now 128"):
        run_job(_ish(helpers, ishigami_factors, out, seed=1, n=128, resume=True))
    wider = [Factor("x1", "x1", -4, 4)] + ishigami_factors[1:]
    with pytest.raises(OutputDirMismatchError, match=r"factor 'x1' low: stored -3.14.*now -4"):
        run_job(_ish(helpers, wider, out, seed=1, resume=True))
    with pytest.raises(OutputDirMismatchError, match="already holds this job.*--resume"):
        run_job(_ish(helpers, ishigami_factors, out, seed=1))
    with pytest.raises(OutputDirMismatchError, match="chunk_size"):
        run_job(_ish(helpers, ishigami_factors, out, seed=1, chunk_size=7, resume=True))
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(OutputDirMismatchError, match="not empty and holds no sensitivity job"):
        run_job(_ish(helpers, ishigami_factors, other))


# ----------------------------------------------------------------------------- CLI helpers


def test_cli_argument_helpers(tmp_path):
    parser = add_arguments(argparse.ArgumentParser())
    ns = parser.parse_args(["--method", "sobol", "--factors", "levers", "--outputs",
                            "co2,cum(co2,2020,2060)", "--n", "512", "--years", "2030,2035,2040-2042",
                            "--scheduler", "local-cluster", "--workers", "2", "--resume"])
    spec = spec_from_args(ns)
    assert spec.years == [2030, 2035, 2040, 2041, 2042] and spec.n == 512 and spec.resume
    assert spec.scheduler == "local-cluster" and spec.workers == 2
    with pytest.raises(SystemExit):
        parser.parse_args(["--method", "sobol", "--outputs", "a", "--n", "8", "--years", "2030",
                           "--every-year"])
    from sim.sensitivity import parse_years

    with pytest.raises(SensitivityInputError, match="not a year"):
        parse_years("2030,abc")
