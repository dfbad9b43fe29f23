"""Small units: output grammar and reductions, store atomicity, analysis pool determinism."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from sim.sensitivity import SensitivityInputError, parse_outputs
from sim.sensitivity.analysis import AnalysisSettings, analyse_job, sobol_first_order_rows
from sim.sensitivity.progress import Progress, TextProgressBar
from sim.sensitivity.sampling import MethodOptions, generate, nested_sizes
from sim.sensitivity.store import JobStore, manifest_differences
from sim.sensitivity.summaries import reduce_series


def test_output_grammar():
    specs = parse_outputs("gdp, co2[Urumqi+Changji], cum(co2[core], 2020, 2060), "
                          "first_below(water, 1.5e3), mean(gdp), max(gdp,2030,2040)")
    assert [s.label for s in specs] == [
        "gdp", "co2[Urumqi+Changji]", "cum(co2[core], 2020, 2060)", "first_below(water, 1500)",
        "mean(gdp)", "max(gdp, 2030, 2040)"]
    assert [s.scalar for s in specs] == [False, False, True, True, True, True]
    assert specs[1].select == ("Urumqi", "Changji")
    for bad, match in [("cum(gdp, 2020)", "FIRST_YEAR, LAST_YEAR"),
                       ("cum(gdp, 2060, 2020)", "after last year"),
                       ("first_below(gdp)", "THRESHOLD"),
                       ("gdp[]", "Cannot parse|Empty region"),
                       ("first_below(gdp, low)", "must be a number"),
                       ("", "empty")]:
        with pytest.raises(SensitivityInputError, match=match):
            parse_outputs(bad)


def test_reductions_cum_window_dt_and_sentinel():
    time = np.arange(2020.0, 2031.0, 0.5)  # half-year saving interval
    series = np.vstack([np.ones_like(time), np.linspace(10, 0, time.size)])
    cum = parse_outputs("cum(v, 2021, 2022)")[0]
    out = reduce_series(cum, series, time, [2025, 2030])
    # calendar years 2021 and 2022 inclusive = 4 half-year points × 0.5 yr
    np.testing.assert_allclose(out[0], [2.0, 2.0])
    fb = parse_outputs("first_below(v, 0.5)")[0]
    out = reduce_series(fb, series, time, [2025])
    assert out[0, 0] == time[-1] + 1.0  # never below: sentinel = last time + 1
    assert out[1, 0] == time[np.argmax(series[1] < 0.5)] == 2030.0
    fb2 = parse_outputs("first_below(v, 0.5, 9999)")[0]
    assert reduce_series(fb2, series, time, [2025])[0, 0] == 9999
    plain = parse_outputs("v")[0]
    np.testing.assert_array_equal(reduce_series(plain, series, time, [2020, 2030]),
                                  series[:, [0, 20]])  # 2030.0 is index 20 (2030.5 exists)


def test_store_atomic_writes_and_chunk_validation(tmp_path):
    store = JobStore(tmp_path)
    layout = {0: (0, 4), 1: (4, 8), 2: (8, 10)}
    store.write_chunk(0, 0, 4, np.zeros((4, 2, 3)))
    store.write_chunk(1, 4, 8, np.zeros((3, 2, 3)))  # wrong shape -> not trusted
    store.write_chunk(7, 0, 4, np.zeros((4, 2, 3)))  # not in layout -> ignored
    (store.chunks_dir / "chunk-000002.npz.123.tmp").write_bytes(b"partial")
    msgs: list[str] = []
    assert store.finished_chunks(layout, (2, 3), warn=msgs.append) == {0}
    assert len(msgs) == 2
    assert store.clean_tmp() == 1
    assert not list(tmp_path.rglob("*.tmp"))  # atomic writes leave no temp files behind
    store.write_manifest({"a": 1})
    assert json.loads(store.manifest_path.read_text()) == {"a": 1}


def test_manifest_differences_are_readable():
    base = {"method": "sobol", "n": 64, "seed": 1, "factors": [{"name": "a", "constant": "a", "low": 0, "high": 1}],
            "evaluator": {"kind": "model", "model_hash": "h1", "model_path": "/x"}}
    same_elsewhere = {**base, "evaluator": {**base["evaluator"], "model_path": "/y"}}
    assert manifest_differences(base, same_elsewhere) == []
    diffs = manifest_differences(base, {**base, "evaluator": {**base["evaluator"], "model_hash": "h2"}})
    assert diffs == ['evaluator: stored {"kind": "model", "model_hash": "h1"}, now {"kind": "model", "model_hash": "h2"}']
    diffs = manifest_differences(base, {**base, "factors": [{"name": "b", "constant": "b", "low": 0, "high": 1}]})
    assert "stored job has ['a'] not in this one; this job adds ['b']" in diffs[0]


def test_sobol_first_order_rows_extracts_A_AB_B():
    d = 3
    rows = sobol_first_order_rows(2 * (2 * d + 2), d)
    assert rows.tolist() == [0, 1, 2, 3, 7, 8, 9, 10, 11, 15]


def test_nested_sobol_prefix_is_smaller_design():
    p = {"num_vars": 2, "names": ["a", "b"], "bounds": [[0, 1], [0, 1]]}
    big = generate("sobol", p, 64, 5, MethodOptions())
    small = generate("sobol", p, 16, 5, MethodOptions())
    np.testing.assert_array_equal(big[: len(small)], small)
    assert nested_sizes("sobol", 64) == [8, 16, 32, 64]
    assert nested_sizes("fast", 1000) == [1000]


@pytest.mark.slow
@pytest.mark.parametrize("method,backend", [("sobol", "salib"), ("morris", "numpy")])
def test_analysis_pool_equals_in_process(monkeypatch, method, backend):
    """The SALib path (sobol with sobol_backend="salib", and the other methods) in a pool."""
    import sim.sensitivity.analysis as an

    p = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
    opts = MethodOptions()
    X = generate(method, p, 64, 1, opts)
    Y = np.stack([X[:, :1] + X[:, 1:2] ** 2 * t for t in (0.5, 1.0, 2.0)], axis=2).repeat(2, axis=1)
    args = (method, p, X, Y, 64, ["u", "v"], [1, 2, 3], [False, False], [2], opts)
    serial, _ = analyse_job(*args, AnalysisSettings(workers=1, sobol_backend=backend))
    monkeypatch.setattr(an, "POOL_MIN_WORK", 0)
    pooled, _ = analyse_job(*args, AnalysisSettings(workers=2, sobol_backend=backend))
    pd.testing.assert_frame_equal(serial, pooled, check_exact=True)
    assert len(serial) > 0
    if method == "sobol":
        assert set(serial[serial["year"] == 2]["index"]) == {"S1", "ST", "S2"}
        assert set(serial[serial["year"] == 1]["index"]) == {"S1", "ST"}  # S2 only in report years


def test_text_bar_throttles_and_formats():
    buf = io.StringIO()
    bar = TextProgressBar(stream=buf, width=10, min_interval=3600)
    bar(Progress("evaluate", 0, 100, 0, 4, 0, 0.0, None))
    bar(Progress("evaluate", 50, 100, 2, 4, 0, 1.0, 1.0))  # throttled
    bar(Progress("evaluate", 100, 100, 4, 4, 0, 2.0, 0.0))  # final state always drawn
    bar(Progress("analyse", 100, 100, 4, 4, 0, 2.0, 0.0))
    text = buf.getvalue()
    assert "50/100" not in text and "[##########] 100/100 runs 100%" in text
    assert "ETA --:--" in text and text.endswith("analyse…\n")


def test_compact_png_keeps_pixels_of_a_few_colour_chart():
    from PIL import Image, ImageDraw

    from sim.sensitivity.report import compact_png

    im = Image.new("RGBA", (120, 80), (255, 255, 255, 255))
    draw = ImageDraw.Draw(im)
    draw.rectangle([10, 10, 60, 30], fill=(76, 120, 168, 255))
    draw.rectangle([10, 40, 90, 60], fill=(245, 133, 24, 255))
    draw.line([0, 79, 119, 0], fill=(0, 0, 0, 255))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    out = compact_png(buf.getvalue())
    with Image.open(io.BytesIO(out)) as back:
        assert back.mode == "P" and back.size == im.size
        np.testing.assert_array_equal(np.asarray(back.convert("RGB")), np.asarray(im.convert("RGB")))
    assert compact_png(b"not a png") == b"not a png"  # failure keeps the input


def test_stage_timings_recorded(tmp_path, ishigami_factors, helpers):
    from sim.sensitivity import FunctionEvaluator, JobSpec, run_job

    res = run_job(JobSpec(method="sobol", factors=ishigami_factors, n=64, seed=1, workers=1,
                          evaluator=FunctionEvaluator(helpers.ishigami), out=tmp_path / "job",
                          report=False))
    t = res.manifest["timings_s"]
    stages = ["prepare", "sample", "evaluate", "assemble", "analyse", "convergence"]
    assert list(t) == stages + ["total"]
    assert all(t[s] >= 0 for s in stages)
    assert sum(t[s] for s in stages) <= t["total"] + 0.01
    assert t == res.timings


def test_cluster_scheduler_without_dask_says_how_to_install(monkeypatch):
    """Dask is an optional extra: local jobs work without it, cluster jobs explain what to install."""
    import sys

    from sim.sensitivity.executors import make_backend

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(SensitivityInputError, match=r"\.\[cluster\]"):
        make_backend("local-cluster", workers=1)
    assert make_backend("local", workers=1) is not None
