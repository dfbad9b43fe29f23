"""Regression tests for the hardening issue (15): every item of the fault-injection review.

Each test failed on the code before the fix; the test name says which item it pins."""
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sim import cli, scenarios
from sim.errors import OasisError, ScenarioFileError

REPO = Path(__file__).resolve().parents[2]


def _cli(capsys, *args):
    code = cli.main(list(args))
    cap = capsys.readouterr()
    return code, cap.out, cap.err


# ------------------------------------------------------------ 1. path traversal via `inherits`
@pytest.fixture
def secret(tmp_path):
    """A TOML file elsewhere on the 'server' whose first key must never show in an error."""
    d = tmp_path / "home" / ".streamlit"
    d.mkdir(parents=True)
    f = d / "secrets.toml"
    f.write_text('password = "hunter2"\n')
    return f


@pytest.mark.parametrize("how", ["absolute", "relative", "dotdot_name"])
def test_uploaded_scenario_cannot_reference_files(secret, how):
    parent = {"absolute": str(secret), "relative": os.path.relpath(secret),
              "dotdot_name": "../" * 12 + str(secret).lstrip("/")[:-5]}[how]
    text = f'[scenario]\ntitle = "x"\ninherits = "{parent}"\n'
    with pytest.raises(ScenarioFileError) as exc:
        scenarios.from_text(text, where="up.toml")
    msg = str(exc.value)
    assert "password" not in msg and "hunter2" not in msg
    assert "preset only" in msg and msg.startswith("up.toml:3:")


def test_uploaded_scenario_may_inherit_a_preset():
    sc = scenarios.from_text('[scenario]\ntitle = "x"\ninherits = "S2_cae_strategy"\n[levers]\nL1 = 10\n')
    assert sc.levers["ecological_water_priority"] == 1 and sc.levers["new_reclamation_pct_of_bau"] == 10


@pytest.mark.parametrize("parent", ["{secret}", "{secret_noext}", "../home/.streamlit/secrets",
                                    "../home/.streamlit/secrets.toml", "/etc/hostname", "..", "a/b"])
def test_cli_scenario_inherits_presets_and_files_beside_it_only(tmp_path, secret, capsys, parent):
    parent = parent.format(secret=secret, secret_noext=str(secret)[:-5])
    mine = tmp_path / "mine.toml"
    mine.write_text(f'[scenario]\ntitle = "x"\ninherits = "{parent}"\n')
    code, out, err = _cli(capsys, "run", "--scenario", str(mine))
    assert code == 2 and "password" not in err and "hunter2" not in err
    assert f"{mine}:3:" in err and "not a path" in err
    assert len(err.strip().splitlines()) == 1


def test_cli_scenario_inherits_a_file_beside_it(tmp_path):
    (tmp_path / "parent.toml").write_text('[scenario]\ntitle = "p"\ninherits = "S2_cae_strategy"\n[levers]\nL1 = 20\n')
    (tmp_path / "child.toml").write_text('[scenario]\ntitle = "c"\ninherits = "parent.toml"\n[levers]\nW8 = 0\n')
    (tmp_path / "child2.toml").write_text('[scenario]\ntitle = "c"\ninherits = "parent"\n')
    sc = scenarios.load(tmp_path / "child.toml")
    assert sc.levers["new_reclamation_pct_of_bau"] == 20 and sc.levers["ecological_water_priority"] == 0
    assert scenarios.load(tmp_path / "child2.toml").levers["new_reclamation_pct_of_bau"] == 20


def test_cli_scenario_symlink_beside_it_pointing_elsewhere_is_refused(tmp_path, secret):
    d = tmp_path / "mine"
    d.mkdir()
    (d / "link.toml").symlink_to(secret)
    (d / "child.toml").write_text('[scenario]\ninherits = "link.toml"\n')
    with pytest.raises(ScenarioFileError) as exc:
        scenarios.load(d / "child.toml")
    assert "password" not in str(exc.value)


# ------------------------------------------------------------ 2. one error hierarchy, clean CLI errors
def test_data_error_is_an_oasis_error():
    from sim.data import DataError
    assert issubclass(DataError, OasisError) and issubclass(DataError, ValueError)


def test_engine_and_sensitivity_errors_are_oasis_errors():
    from sim.engine.errors import EngineError
    from sim.sensitivity.errors import ChunkFailedError, SensitivityInputError
    assert issubclass(EngineError, OasisError)
    assert issubclass(SensitivityInputError, OasisError) and issubclass(ChunkFailedError, OasisError)


def test_bad_series_csv_is_a_clean_cli_error(tmp_path, monkeypatch, capsys):
    import shutil

    from sim import data
    d = tmp_path / "data"
    shutil.copytree(REPO / "calibration" / "data", d, ignore=shutil.ignore_patterns("raw"))
    lines = (d / "series.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(lines[1].split(",")[3], "1_234.5", 1)
    (d / "series.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(data, "DEFAULT_DATA_DIR", d)
    code, out, err = _cli(capsys, "calibrate", "-q", "--out", str(tmp_path / "cal.toml"))
    assert code == 2 and "series.csv:2: field 'value': expected a number" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "cal.toml").exists()


@pytest.mark.parametrize("content", [b"\xff\xfe[\x00s\x00", b"caf\xe9 = 1\n", b"\x00\x01\x02" * 100, None])
@pytest.mark.parametrize("option", [("run", "--scenario"), ("check", "--checks"),
                                    ("sensitivity", "--factors")])
def test_non_utf8_binary_or_directory_paths_are_clean_cli_errors(tmp_path, capsys, content, option):
    path = tmp_path / ("dir.toml" if content is None else "bad.toml")
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)
    extra = (["--out", str(tmp_path / "out"), "--method", "morris", "--outputs", "xinjiang_population_10k",
              "--n", "4"] if option[0] == "sensitivity" else [])
    code, out, err = _cli(capsys, *option, str(path), *extra)
    assert code == 2, err
    assert err.startswith("oasis-sd: error: ") and len(err.strip().splitlines()) == 1
    assert ("directory" in err) if content is None else ("UTF-8" in err or "NUL" in err)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # nothing written


def test_missing_scenario_file_says_file_not_found(tmp_path, capsys):
    code, out, err = _cli(capsys, "run", "--scenario", str(tmp_path / "nope.toml"))
    assert code == 2 and "file not found" in err and "unknown scenario" not in err


def test_engine_error_is_a_clean_cli_error(tmp_path, capsys):
    bad = tmp_path / "m.mdl"
    bad.write_text("x = DELAY FIXED(1, 2, 3)\n~ Dmnl ~ |\n\\\\\\---/// Sketch information\n")
    code, out, err = _cli(capsys, "run", "--model", str(bad))
    assert code == 2 and err.startswith("oasis-sd: error: ")


# ------------------------------------------------------------ 3. check predicates that crashed the runner
CHECK_DOC = """version: 1
matrices: {{m: {{presets: [baseline]{extra}}}}}
checks:
  - id: {cid}
    matrix: m
    assert: {pred!r}
"""


@pytest.mark.parametrize("pred, reason", [
    ("10^10^10 > xinjiang_population_10k", "overflows"),
    ("1/0 > xinjiang_population_10k", "division by zero"),
    ("0^-1 > xinjiang_population_10k", "division by zero"),
    ("(-1)^0.5 > xinjiang_population_10k", "no real value"),
    ("'a' < xinjiang_population_10k", "quoted text"),
    ("'a' < 1", "quoted text"),
    ("2" + "^2" * 600 + " > xinjiang_population_10k", "nested deeper"),
    ("'a' == 'a'", "quoted text"),
    ("1 < 2", "no model variable"),
    ("isfinite(1)", "no model variable"),
    ("xinjiang_population_10k > 1e999", "out of range"),
    ("not xinjiang_population_10k", "needs comparisons"),
])
def test_crashing_predicates_are_checks_file_errors(tmp_path, capsys, pred, reason):
    f = tmp_path / "checks.yaml"
    f.write_text(CHECK_DOC.format(extra="", cid="bad_one", pred=pred))
    code, out, err = _cli(capsys, "check", "--checks", str(f))
    assert code == 2, (out, err)
    assert "check 'bad_one'" in err and reason in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("pred, reason", [
    ("xinjiang_population_10k ^ 1e300 > 0", "inf/NaN from finite values"),
    ("xinjiang_population_10k / (xinjiang_population_10k - xinjiang_population_10k) > 0", "division by zero"),
])
def test_predicate_arithmetic_on_model_values_that_overflows_is_an_error(tmp_path, capsys, pred, reason):
    f = tmp_path / "checks.yaml"
    f.write_text(CHECK_DOC.format(extra="", cid="arr", pred=pred))
    code, out, err = _cli(capsys, "check", "--checks", str(f))
    assert code == 2 and "check 'arr'" in err and reason in err


def test_set_of_unknown_constant_names_the_matrix_and_check(tmp_path, capsys):
    f = tmp_path / "checks.yaml"
    f.write_text(CHECK_DOC.format(extra=", set: {no_such_const: 1}", cid="uses_m", pred="xinjiang_population_10k > 0"))
    code, out, err = _cli(capsys, "check", "--checks", str(f))
    assert code == 2 and "matrix 'm'" in err and "'uses_m'" in err and "no_such_const" in err


def test_time_only_predicate_still_runs(tmp_path, capsys):
    f = tmp_path / "checks.yaml"
    f.write_text(CHECK_DOC.format(extra="", cid="t", pred="time >= 1990"))
    code, out, err = _cli(capsys, "check", "--checks", str(f))
    assert code == 0 and "PASS" in out, err


# ------------------------------------------------------------ 6. smaller scenario items
def test_same_lever_twice_is_an_error():
    with pytest.raises(ScenarioFileError, match=r"<f>:3: lever 'new_reclamation_pct_of_bau' is given twice"):
        scenarios.parse_scenario_text("[levers]\nL1 = 10\nnew_reclamation_pct_of_bau = 50\n", "<f>")


@pytest.mark.parametrize("text", ["", "   \n\n", "# just a comment\n", "\ufeff"])
def test_empty_scenario_file_is_an_error(text):
    with pytest.raises(ScenarioFileError, match="empty scenario file"):
        scenarios.parse_scenario_text(text, "<f>")


@pytest.mark.parametrize("text, line", [
    ("# c\nlevers.farmland_redline_pct = 500\n", 2),
    ("[scenario]\ntitle = 'x'\n[levers]\nfarmland_redline_pct.x = 5\n", 4),
    ("[scenario]\ntitle = 'x'\n\n[levers.farmland_redline_pct]\nv = 80\n", 4),
    ("# c\n\nlevers = {farmland_redline_pct = 500}\n", 3),
    ("scenario.title = 5\n", 1),
])
def test_dotted_keys_get_their_line(text, line):
    with pytest.raises(OasisError) as exc:
        scenarios.parse_scenario_text(text, "<f>")
    assert str(exc.value).startswith(f"<f>:{line}: "), str(exc.value)


def test_utf8_bom_is_accepted(tmp_path):
    f = tmp_path / "bom.toml"
    f.write_bytes("\ufeff[scenario]\ntitle = 'bom'\n[levers]\nL1 = 10\n".encode("utf-8"))
    assert scenarios.load(f).levers["new_reclamation_pct_of_bau"] == 10
    assert scenarios.from_text(f.read_bytes()).levers["new_reclamation_pct_of_bau"] == 10


# ------------------------------------------------------------ 6. calibration data numbers
@pytest.mark.parametrize("value", ["1_234.5", "١٩٩٥", "１２３", "0x10", "12e", "½"])
def test_series_value_must_be_plain_ascii_decimal(tmp_path, value):
    from sim.data import SERIES_COLUMNS, DataError, load_series
    f = tmp_path / "series.csv"
    f.write_text(",".join(SERIES_COLUMNS) + f"\npopulation_10k,xinjiang,1995,{value},10^4 persons,src_a,\n",
                 encoding="utf-8")
    with pytest.raises(DataError, match="series.csv:2: field 'value'"):
        load_series(f, catalog=False)


def test_series_year_must_be_ascii_digits(tmp_path):
    from sim.data import SERIES_COLUMNS, DataError, load_series
    f = tmp_path / "series.csv"
    f.write_text(",".join(SERIES_COLUMNS) + "\npopulation_10k,xinjiang,١٩٩٥,1,10^4 persons,src_a,\n",
                 encoding="utf-8")
    with pytest.raises(DataError, match="field 'year'"):
        load_series(f, catalog=False)


@pytest.mark.parametrize("kind", ["missing", "directory"])
def test_series_missing_or_directory_is_a_data_error(tmp_path, kind):
    from sim.data import DataError, load_series
    p = tmp_path / "series.csv"
    if kind == "directory":
        p.mkdir()
    with pytest.raises(DataError, match="not found" if kind == "missing" else "directory"):
        load_series(p, catalog=False)


# ------------------------------------------------------------ 6. sim/io.atomic_write
def test_atomic_write_fsyncs_before_rename(tmp_path, monkeypatch):
    from sim import io
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(io.os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(io.os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))[1])
    io.atomic_write(tmp_path / "r.txt", lambda tmp: tmp.write_text("x"))
    assert calls[:2] == ["fsync", "replace"] and (tmp_path / "r.txt").read_text() == "x"


def test_atomic_write_honours_the_umask(tmp_path):
    from sim import io
    old = os.umask(0o027)
    try:
        io.atomic_write(tmp_path / "r.txt", lambda tmp: tmp.write_text("x"))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "r.txt").stat().st_mode) == 0o640


def test_atomic_write_removes_its_temp_file_on_failure(tmp_path):
    from sim import io

    def boom(tmp):
        tmp.write_text("partial")
        raise RuntimeError("x")

    with pytest.raises(RuntimeError):
        io.atomic_write(tmp_path / "r.txt", boom)
    assert list(tmp_path.iterdir()) == []


_SLOW_WRITER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from sim.io import atomic_write
    def slow(tmp):
        Path(tmp).write_text("partial")
        print("writing", flush=True)
        time.sleep(60)
    atomic_write(Path(sys.argv[1]), slow)
""")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_atomic_write_temp_file_gone_after_kill(tmp_path, sig):
    from sim import io
    target = tmp_path / "r.csv"
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_WRITER, str(target)], cwd=REPO,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        assert len(list(tmp_path.glob(".r.csv.*.tmp"))) == 1
        proc.send_signal(sig)
        proc.wait(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    if sig == signal.SIGTERM:  # handled: the writer removes its own temp file
        assert list(tmp_path.iterdir()) == []
    io.atomic_write(target, lambda tmp: tmp.write_text("ok"))  # SIGKILL: the next write cleans up
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]


# ------------------------------------------------------------ 7. CI
def test_ci_run_fails_when_pytest_collects_nothing():
    text = (REPO / ".ci" / "run").read_text()
    assert 'exit 0; fi' not in text.split('"5"', 1)[1].splitlines()[0]
    # run the exit-code logic of the script with a pytest that collects nothing
    logic = text.split("code=$?", 1)[1]
    proc = subprocess.run(["bash", "-c", "(exit 5); code=$?" + logic], capture_output=True, text=True)
    assert proc.returncode != 0 and "no tests" in proc.stderr + proc.stdout


# ------------------------------------------------------------ 5. saved-scenario store
def _save_new(args):
    location, name, value, barrier = args
    from sim.store import ScenarioStore, StoreError
    store = ScenarioStore(location)
    barrier.wait()
    try:
        store.save(name, {"new_reclamation_pct_of_bau": value}, overwrite=False)
        return ("saved", value)
    except StoreError as exc:
        return ("refused", str(exc))


def test_concurrent_save_without_overwrite_has_exactly_one_winner(tmp_path):
    import multiprocessing as mp

    from sim.store import ScenarioStore
    ctx = mp.get_context("fork")
    location = str(tmp_path / "lib.sqlite")
    ScenarioStore(location)
    for trial in range(10):
        name = f"race {trial}"
        with ctx.Manager() as manager:
            barrier = manager.Barrier(4)
            with ctx.Pool(4) as pool:
                results = pool.map(_save_new, [(location, name, 10.0 * (i + 1), barrier) for i in range(4)])
        winners = [v for status, v in results if status == "saved"]
        assert len(winners) == 1, results
        assert all("already exists" in v for status, v in results if status == "refused")
        assert ScenarioStore(location).get(name).levers["new_reclamation_pct_of_bau"] == winners[0]


def test_store_all_survives_one_invalid_name(tmp_path):
    import sqlite3

    from sim.store import ScenarioStore
    store = ScenarioStore(tmp_path / "lib.sqlite")
    store.save("good one", {"L1": 10})
    with sqlite3.connect(tmp_path / "lib.sqlite") as conn:
        conn.execute("INSERT INTO scenarios (name, levers_json, saved_at) VALUES ('<bad/name>', '{}', 'x')")
    items = store.all()
    assert [s.name for s in items] == ["good one"] and len(store.skipped) == 1


@pytest.mark.parametrize("kw", [{"description": 123}, {"description": None}, {"model_hash": 5}])
def test_store_save_bad_metadata_types_are_store_errors(tmp_path, kw):
    from sim.store import ScenarioStore, StoreError
    store = ScenarioStore(tmp_path / "lib.sqlite")
    with pytest.raises(StoreError, match="must be text"):
        store.save("x", {"L1": 10}, **kw)
    assert store.names() == []


# ------------------------------------------------------------ 6. share links
@pytest.mark.parametrize("value", [0.1 + 0.2, 1 / 3, 2.675, 12.345678901234567, 1e-7 + 1])
def test_share_link_round_trip_is_lossless(value):
    from sim import levers, share
    lv = next(lv for lv in levers.levers() if lv.kind not in ("switch", "year") and lv.low < 1 < lv.high)
    value = lv.low + (lv.high - lv.low) * (value % 1)
    params = share.encode({lv.name: value}, "abcdef")
    assert share.decode(params, "abcdef").levers[lv.name] == value


@pytest.mark.parametrize("text", ["５", "٥", "۵", "५", "1٥", "²"])
def test_share_link_accepts_ascii_digits_only(text):
    from sim import share
    state = share.decode({"L1": text, "m": "abcdef"}, "abcdef")
    assert state.changed == {} and state.errors and "not a number" in state.errors[0]


# ------------------------------------------------------------ tolerances: cancelling residuals
def _eng_compare():
    sys.path.insert(0, str(REPO / "tests" / "engine"))
    try:
        import eng_compare
    finally:
        sys.path.pop(0)
    return eng_compare


def _balance_datasets(residual_engine):
    import numpy as np
    import xarray as xr
    stocks = {"a": 61234.56789012345, "b": 23456.7890123, "c": -(61234.56789012345 + 23456.7890123)}
    def ds(res):
        data = {k: (("sample", "time"), np.full((1, 3), v)) for k, v in stocks.items()}
        data["balance"] = (("sample", "time"), np.full((1, 3), res))
        return xr.Dataset(data, coords={"time": [1990.0, 1991.0, 1992.0], "sample": [0]})
    return ds(residual_engine), ds(0.0)


def test_cancelling_residual_is_compared_relative_to_its_terms():
    """land_area_balance_kha: engine 1.46e-11 vs pysd 0.0 failed at atol 1e-12 on another CPU."""
    ec = _eng_compare()
    eng, ref = _balance_datasets(1.4551915228366852e-11)
    terms = {"balance": ("a", "b", "c")}
    ec.assert_datasets_match(eng, ref, terms=terms)          # rounding of 1e5-sized terms: accepted
    with pytest.raises(AssertionError):                      # the old rule: relative to the residual
        ec.assert_datasets_match(eng, ref)
    bad, ref = _balance_datasets(1e-3)                       # a real imbalance (1 ha): still caught
    with pytest.raises(AssertionError, match="balance"):
        ec.assert_datasets_match(bad, ref, terms=terms)


def test_additive_terms_finds_the_land_balance():
    from sim import engine
    terms = _eng_compare().additive_terms(engine.compile(REPO / "sd_models" / "tianshan.mdl"))
    assert set(terms["land_area_balance_kha"]) >= {"cultivated_land_kha", "desert_kha", "region_area_kha"}
    assert "population_10k" not in terms  # products/calls keep the default (relative) tolerance


@pytest.mark.parametrize("doc", ["version: 1\nmatrices: x\nchecks: []\n", "version: 1\nmatrices: {}\nchecks: x\n"])
def test_checks_file_with_wrong_top_level_types_is_a_spec_error(doc):
    """Found by the deep fuzz run (a checks.yaml cut short): AttributeError 'str' has no 'items'."""
    from sim.checks.spec import CheckSpecError, parse_suite
    with pytest.raises(CheckSpecError, match="must be a"):
        parse_suite(doc, "c.yaml")


# ------------------------------------------------------------ 2. every CLI path argument
@pytest.mark.parametrize("kind", ["binary", "directory", "missing"])
@pytest.mark.parametrize("argv", [["run", "--model", "{p}"], ["describe", "x", "--model", "{p}"],
                                  ["units", "--model", "{p}"], ["check", "--model", "{p}"],
                                  ["baseline", "--file", "{p}"], ["calibrate", "-q", "--config", "{p}"],
                                  ["fit-report", "--calibrated", "{p}", "--out-dir", "{d}"]])
def test_model_and_other_cli_paths_are_clean_errors(tmp_path, capsys, argv, kind):
    p = tmp_path / "in.mdl"
    if kind == "binary":
        p.write_bytes(b"\xff\xfe\x00bin")
    elif kind == "directory":
        p.mkdir()
    code, out, err = _cli(capsys, *[a.format(p=p, d=tmp_path) for a in argv])
    assert code == 2, err
    assert err.startswith("oasis-sd: error: ") and len(err.strip().splitlines()) == 1


def test_bad_out_is_refused_before_the_run(tmp_path, capsys, monkeypatch):
    from sim import runner
    monkeypatch.setattr(runner, "run", lambda *a, **k: pytest.fail("ran the model"))
    for out in (tmp_path / "missing" / "r.csv", tmp_path / "r.txt"):
        code, _, err = _cli(capsys, "run", "--out", str(out))
        assert code == 2 and "--out" in err
    assert list(tmp_path.iterdir()) == []
