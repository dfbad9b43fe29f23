"""The calibrator on synthetic data: recovers known parameters, same seed -> same result, atomic
report and calibrated.toml writing, calibrated defaults used by the runner."""
from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest

from sim import engine, levers
from sim.calibrate import pipeline, result
from sim.calibrate.config import load_config
from sim.calibrate.objective import Problem
from sim.calibrate.optimize import calibrate
from sim.calibrate.targets import load_targets
from sim.model import DEFAULT_MODEL

# Known "true" parameters, chosen by hand inside the documented ranges (not produced by the code).
TRUTH = {"natural_growth_rate_1990_per_yr": 0.016, "heavy_sector_growth_scale": 1.2,
         "co2_per_coal_tce": 2.6, "irrigation_quota_1990_m3_per_ha": 9000.0}
SERIES = [("population_10k", "population_10k", "10^4 persons", range(1990, 2017)),
          ("co2_total_mt", "co2_emissions_mt", "Mt CO2", range(1997, 2017)),
          ("gdp_real_1990prices_100m_yuan", "gdp_1e8yuan", "10^8 yuan 1990 prices", range(1990, 2010)),
          ("water_use_total_100m_m3", "total_water_use_1e8m3_per_yr", "10^8 m3", range(2000, 2018))]
NOISE = 0.01


@pytest.fixture(scope="module")
def model():
    return engine.compile(DEFAULT_MODEL)


@pytest.fixture(scope="module")
def synthetic(model, tmp_path_factory):
    """Observations = model run at TRUTH (levers BAU) x (1 + 1 % Gaussian noise), fixed seed."""
    tmp = tmp_path_factory.mktemp("synthetic")
    ds = model.run({**levers.defaults(), **TRUTH}, outputs=[v for _, v, _, _ in SERIES], backend="numpy",
                   final_time=2017)
    rng = np.random.default_rng(7)
    rows, targets = [], []
    for sid, var, unit, years in SERIES:
        total = ds[var].isel(sample=0).sum("Region")
        for y in years:
            value = float(total.sel(time=y)) * (1 + NOISE * rng.standard_normal())
            rows.append((sid, "xinjiang", y, value, unit, "synthetic", ""))
        targets.append(f'[[target]]\nseries = "{sid}"\ngeography = "xinjiang"\nunit = "{unit}"\n'
                       f'variable = "{var}"\nweight = 1.0\nreason = "synthetic"\n')
    series = pd.DataFrame(rows, columns=["series_id", "geography", "year", "value", "unit", "source_id", "note"])
    (tmp / "targets.toml").write_text("\n".join(targets), encoding="utf-8")
    free = "".join(f'[[free]]\nparameter = "{k}"\nreason = "synthetic"\n' for k in TRUTH)
    (tmp / "calibration.toml").write_text(textwrap.dedent(f"""
        [settings]
        model = "{DEFAULT_MODEL}"
        targets = "{tmp / 'targets.toml'}"
        seed = 11
        popsize = 6
        maxiter = 12
        polish_max_nfev = 25
        end_year = 2017
        hindcast_end_year = 2005
        ensemble_size = 10
        ensemble_evaluations = 200
        """) + free, encoding="utf-8")
    cfg = load_config(tmp / "calibration.toml")
    tset = load_targets(cfg.targets_path(), variables=model.variables, series=series, check_coverage=False)
    return tmp, cfg, tset


def test_recovers_known_parameters(model, synthetic):
    _, cfg, tset = synthetic
    problem = Problem(model, cfg, tset, end_year=2017)
    res = calibrate(problem, seed=3, popsize=6, maxiter=12, polish_max_nfev=25)
    for name, x in zip(problem.names, res.x):
        p = next(f for f in cfg.free if f.name == name)
        # within 5 % of the parameter range of the truth (1 % observation noise)
        assert abs(x - TRUTH[name]) < 0.05 * (p.high - p.low), (name, x, TRUTH[name])
    assert res.objective < res.de_objective + 1e-12 or res.objective == res.de_objective


def fast(cfg):
    return cfg.with_settings(maxiter=4, polish_max_nfev=6, mcmc_steps=16, hindcast_mcmc_steps=8, ensemble_size=6,
                             predictive_replicates=4)


@pytest.mark.slow
def test_same_seed_same_result_and_files(model, synthetic, tmp_path):
    _, cfg, tset = synthetic
    st = pipeline.Setup(fast(cfg), model, tset)
    docs, frames = [], []
    for k in range(2):
        out = tmp_path / f"run{k}"
        out.mkdir()
        doc = pipeline.run(st, out=out / "calibrated.toml", hindcast=True)
        docs.append(doc)
        frames.append(pd.read_csv(out / "ensemble.csv"))
        assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    assert docs[0]["parameters"] == docs[1]["parameters"]
    assert docs[0]["hindcast"]["parameters"] == docs[1]["hindcast"]["parameters"]
    pd.testing.assert_frame_equal(frames[0], frames[1])
    read = result.load_calibrated(tmp_path / "run0" / "calibrated.toml")
    assert read["parameters"] == pytest.approx(docs[0]["parameters"], rel=0, abs=0)
    assert read["provenance"]["model_sha256"] == result.sha256_file(DEFAULT_MODEL)
    assert set(frames[0].columns) >= {"draw", "loss", *TRUTH}


@pytest.mark.slow
def test_report_written_atomically(model, synthetic, tmp_path, monkeypatch):
    from sim.calibrate import report

    _, cfg, tset = synthetic
    st = pipeline.Setup(fast(cfg), model, tset)
    doc = pipeline.run(st, out=tmp_path / "calibrated.toml", hindcast=True)
    problem = st.problem()
    written = report.write_report(tmp_path, problem=problem, doc=doc, ensemble=None, pngs=False)
    stats = pd.read_csv(written["fit_statistics"])
    assert list(stats["target"]) == [t.name for t in tset.targets]
    assert {"mape_pct", "r_squared", "rmse", "um", "us", "uc", "barlas_e1", "barlas_e2", "status"} <= set(stats.columns)
    assert (tmp_path / "REPORT.md").read_text().startswith("# Calibration fit report")
    assert "<table>" in (tmp_path / "report.html").read_text()
    # a failure while building the report leaves the previous files untouched and no temp files
    before = (tmp_path / "REPORT.md").read_text()
    monkeypatch.setattr(report, "_html", lambda md, out_dir: (_ for _ in ()).throw(RuntimeError("boom")))
    monkeypatch.setattr(report, "_markdown", lambda *a: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        report.write_report(tmp_path, problem=problem, doc=doc, ensemble=None, pngs=False)
    assert (tmp_path / "REPORT.md").read_text() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_fit_statistics_match_hand_computation(model, synthetic):
    """MAPE in the report equals a hand computation from an independent model run."""
    from sim.calibrate import report

    _, cfg, tset = synthetic
    problem = Problem(model, cfg, tset, end_year=2017)
    x = np.array([TRUTH[n] for n in problem.names])
    stats = report.statistics(problem, x).set_index("target")
    ds = model.run({**levers.defaults(), **TRUTH}, outputs=["population_10k"], backend="numpy", final_time=2017)
    sim = ds["population_10k"].isel(sample=0).sum("Region").sel(time=list(range(1990, 2017))).values
    obs = tset.targets[0].observed.to_numpy()
    assert stats.loc["population_10k@xinjiang", "mape_pct"] == pytest.approx(100 * np.mean(np.abs(sim - obs) / obs))


def test_calibrated_parameters_default_and_runner(tmp_path, monkeypatch):
    from sim import runner, scenarios

    monkeypatch.setenv(result.ENV_VAR, str(tmp_path / "missing.toml"))
    assert result.calibrated_parameters() == {}
    path = tmp_path / "calibrated.toml"
    result.write_calibrated(path, {"parameters": {"co2_per_fossil_tce": 2.5, "policy_start_year": 1999.0},
                                   "provenance": {"model_sha256": result.sha256_file(DEFAULT_MODEL)}})
    monkeypatch.setenv(result.ENV_VAR, str(path))
    params = runner.scenario_params(scenarios.load("baseline"))
    assert params["co2_per_fossil_tce"] == 2.5
    assert params["policy_start_year"] == scenarios.load("baseline").levers["policy_start_year"]  # levers win
    monkeypatch.setenv(result.ENV_VAR, "none")
    assert "co2_per_fossil_tce" not in runner.scenario_params(scenarios.load("baseline"))


def test_model_hash_mismatch_warns(tmp_path):
    path = tmp_path / "calibrated.toml"
    result.write_calibrated(path, {"parameters": {"co2_per_fossil_tce": 2.5},
                                   "provenance": {"model_sha256": "0" * 64}})
    with pytest.warns(result.ModelHashWarning, match="different version"):
        assert result.calibrated_parameters(path) == {"co2_per_fossil_tce": 2.5}


def test_toml_writer_round_trip(tmp_path):
    import tomllib

    doc = {"a": 1, "b": 0.1 + 0.2, "c": "x \"q\"", "d": [1.5, 2.0], "t": {"x": 1e-300, "u": {"y": True}}}
    text = result.to_toml(doc, "header")
    assert tomllib.loads(text) == doc
