"""Fuzz every file loader (issue 15): scenario, series, targets, calibration config, checks,
factors, share links, plus check predicates at evaluation time, and the fault-injection corpus
(tests/robustness/probes) through the CLI.

Contract for every input: a validated result or an error of the library's own hierarchy
(:class:`sim.errors.OasisError`); through the CLI exit code 2 and ONE line on stderr, no
traceback; nothing written (the input's folder holds only the input afterwards, the repository's
data folders are unchanged). Inputs are random bytes, random text and mutations of the real
files (line deletions/duplications, hostile tokens spliced in, byte flips).

``OASIS_FUZZ_COUNTS=path.json`` writes how many inputs each loader got and what each gave.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings, strategies as st

from sim import cli, levers, scenarios, share
from sim.errors import OasisError

REPO = Path(__file__).resolve().parents[2]
PROBES = Path(__file__).resolve().parent / "probes"
COUNTS: Counter = Counter()
WATCHED = [REPO / d for d in ("scenarios", "sd_models", "calibration", "sim")]

HOSTILE = ["\x00", "\ufeff", "\xff", "[", "]", "[[", "=", '"', "'''", "\\", "{", "}", "nan", "inf", "-inf",
           "1e999", "9" * 40, "../../etc/passwd", "/etc/passwd", "..", "\u202e", "１２", "١٩٩٥", "1_000",
           "0x10", "true", "1979-05-27", ":", "- ", "&a", "*a", "!!python/object:os.system", "%", "\t", "\r",
           "#", ",", "^", "/0", "**", "((", "))", "'a'", "é", "\n[levers]\n", "\n[[free]]\n", "\n- id: x\n"]
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                          HealthCheck.function_scoped_fixture])


def mutations(base: bytes):
    """Strategy: ``base`` with random edits (the interesting inputs are near-valid files)."""
    lines = base.split(b"\n")
    op = st.one_of(
        st.tuples(st.just("del"), st.integers(0, len(lines))),
        st.tuples(st.just("dup"), st.integers(0, len(lines))),
        st.tuples(st.just("ins"), st.integers(0, len(base)), st.sampled_from(HOSTILE)),
        st.tuples(st.just("rep"), st.integers(0, len(base)), st.sampled_from(HOSTILE)),
        st.tuples(st.just("flip"), st.integers(0, len(base)), st.integers(0, 255)),
        st.tuples(st.just("cut"), st.integers(0, len(base))),
    )

    def apply(ops):
        data = base
        for o in ops:
            if o[0] in ("del", "dup"):
                ls = data.split(b"\n")
                i = o[1] % max(len(ls), 1)
                ls = ls[:i] + ls[i + 1:] if o[0] == "del" else ls[:i + 1] + ls[i:]
                data = b"\n".join(ls)
            elif o[0] in ("ins", "rep"):
                i = o[1] % (len(data) + 1)
                tok = o[2].encode("utf-8", "surrogatepass") if o[2] != "\xff" else b"\xff"
                data = data[:i] + tok + data[i + (len(tok) if o[0] == "rep" else 0):]
            elif o[0] == "flip":
                i = o[1] % max(len(data), 1)
                data = data[:i] + bytes([o[2]]) + data[i + 1:] if data else data
            else:
                data = data[:o[1]]
        return data

    return st.lists(op, min_size=1, max_size=6).map(apply)


def inputs(base: bytes):
    return st.one_of(mutations(base), st.binary(max_size=300),
                     st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")))


def _snapshot():
    out = {}
    for d in WATCHED:
        for p in d.rglob("*"):
            if "__pycache__" not in p.parts and p.is_file():
                out[str(p)] = p.stat().st_mtime_ns
    return out


@pytest.fixture(scope="module", autouse=True)
def nothing_written_to_the_repository():
    before = _snapshot()
    yield
    after = _snapshot()
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    # other helpers may edit the tree meanwhile: only files the loaders could write count
    assert not [c for c in changed if c.endswith((".tmp", ".sqlite"))], changed
    target = os.environ.get("OASIS_FUZZ_COUNTS")
    if target:
        Path(target).write_text(json.dumps({f"{k[0]}: {k[1]}": v for k, v in sorted(COUNTS.items())}, indent=1))


def _one(loader: str, fn, folder: Path | None = None, expected=OasisError):
    """Call ``fn``; record the outcome; anything but success or a library error fails the test."""
    before = sorted(p.name for p in folder.iterdir()) if folder else None
    try:
        result = fn()
    except expected as exc:
        COUNTS[(loader, type(exc).__name__)] += 1
        msg = str(exc)
        assert msg and "Traceback" not in msg
        result = exc
    else:
        COUNTS[(loader, "accepted")] += 1
    if folder:
        assert sorted(p.name for p in folder.iterdir()) == before, f"{loader} wrote files"
    return result


def _cli_clean(args) -> None:
    """The CLI on an input the library refuses: exit 2, one line, no traceback."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = cli.main(args)
    text = err.getvalue()
    assert code == 2, (args, text, out.getvalue()[-500:])
    assert text.startswith("oasis-sd: error: ") and len(text.strip().splitlines()) == 1, text
    assert "Traceback" not in text


def _fresh(tmp_path_factory, name: str, data: bytes) -> Path:
    d = tmp_path_factory.mktemp("fz")
    p = d / name
    p.write_bytes(data)
    return p


# ------------------------------------------------------------------ scenario files
SCENARIO = (REPO / "scenarios" / "S2_cae_strategy.toml").read_bytes()


@SETTINGS
@given(data=inputs(SCENARIO))
def test_fuzz_scenario_file(tmp_path_factory, data):
    path = _fresh(tmp_path_factory, "fz.toml", data)
    res = _one("scenario file", lambda: scenarios.load(path), path.parent)
    if isinstance(res, OasisError):
        _cli_clean(["run", "--scenario", str(path), "--out", str(path.parent / "out.csv")])
        assert sorted(p.name for p in path.parent.iterdir()) == ["fz.toml"]
    else:
        for name, value in res.levers.items():
            lv = levers.lever(name)
            assert lv.low <= value <= lv.high


@SETTINGS
@given(data=inputs(SCENARIO))
def test_fuzz_uploaded_scenario(data):
    res = _one("uploaded scenario", lambda: scenarios.from_text(data, where="upload.toml"))
    if isinstance(res, OasisError):
        assert str(res).startswith("upload.toml")


# ------------------------------------------------------------------ series.csv
SERIES = b"\n".join((REPO / "calibration" / "data" / "series.csv").read_bytes().split(b"\n")[:12]) + b"\n"


@SETTINGS
@given(data=inputs(SERIES))
def test_fuzz_series(tmp_path_factory, data):
    from sim.data import load_series
    path = _fresh(tmp_path_factory, "series.csv", data)
    res = _one("series.csv", lambda: load_series(path, catalog=False), path.parent)
    if not isinstance(res, OasisError):
        assert res["value"].map(np.isfinite).all()


# ------------------------------------------------------------------ targets and calibration config
@pytest.fixture(scope="module")
def model_variables():
    from sim import engine
    return engine.compile(REPO / "sd_models" / "tianshan.mdl").variables


@pytest.fixture(scope="module")
def data_tables():
    from sim import data
    return data.load_series(), data.load_geographies()


TARGETS = (REPO / "calibration" / "targets.toml").read_bytes()
CONFIG = (REPO / "calibration" / "calibration.toml").read_bytes()


@SETTINGS
@given(data=inputs(TARGETS[:6000]))
def test_fuzz_targets(tmp_path_factory, model_variables, data_tables, data):
    from sim.calibrate.targets import load_targets
    path = _fresh(tmp_path_factory, "targets.toml", data)
    series, geos = data_tables
    _one("targets", lambda: load_targets(path, variables=model_variables, series=series, geographies=geos,
                                         check_coverage=False), path.parent)


@SETTINGS
@given(data=inputs(CONFIG))
def test_fuzz_calibration_config(tmp_path_factory, data):
    from sim.calibrate.config import load_config
    path = _fresh(tmp_path_factory, "calibration.toml", data)
    params = levers.parameters()
    _one("calibration config", lambda: load_config(path, parameters=params), path.parent)


# ------------------------------------------------------------------ checks files and predicates
CHECKS = (REPO / "sd_models" / "checks.yaml").read_bytes()[:5000]


@SETTINGS
@given(data=inputs(CHECKS))
def test_fuzz_checks_file(tmp_path_factory, data):
    from sim.checks.spec import load_suite
    path = _fresh(tmp_path_factory, "checks.yaml", data)
    res = _one("checks file", lambda: load_suite(path), path.parent)
    if isinstance(res, OasisError):
        _cli_clean(["check", "--checks", str(path)])


def _predicate_context():
    from sim.checks import expr
    t = np.arange(1990.0, 1996.0)
    regions = ["r1", "r2"]
    rng = np.random.default_rng(1)
    ds = xr.Dataset({
        "x": (("sample", "time"), rng.uniform(-5, 5, (2, 6))),
        "y": (("sample", "time", "Region"), rng.uniform(0, 1e5, (2, 6, 2))),
        "z": (("sample", "time"), np.zeros((2, 6))),
    }, coords={"time": t, "Region": regions, "sample": [0, 1]})
    return ds, expr


ATOMS = ["x", "y", "z", "time", "0", "1", "-1", "0.5", "1e308", "10", "'r1'", "'xinjiang'", "'a'",
         "region(y, 'r1')", "sum(y)", "diff(x)", "initial(x)", "final(y)", "at(x, 1992)", "ref(x)",
         "abs(x)", "min(x, y)", "isfinite(x)", "data('s', 'g')"]
OPS = ["+", "-", "*", "/", "^", "<", "<=", "==", "!=", ">", "and", "or"]


@st.composite
def predicates(draw, depth=0):
    if depth > 3 or draw(st.booleans()):
        return draw(st.sampled_from(ATOMS))
    kind = draw(st.sampled_from(["bin", "not", "neg", "par", "call"]))
    a = draw(predicates(depth + 1))
    if kind == "bin":
        return f"{a} {draw(st.sampled_from(OPS))} {draw(predicates(depth + 1))}"
    if kind == "not":
        return f"not {a}"
    if kind == "neg":
        return f"-{a}"
    if kind == "par":
        return f"({a})"
    return f"{draw(st.sampled_from(['abs', 'max', 'isfinite', 'diff', 'final']))}({a})"


@SETTINGS
@given(text=st.one_of(predicates(), st.text(max_size=60)))
def test_fuzz_predicate_parse_and_evaluate(text):
    ds, expr = _predicate_context()

    def run():
        node = expr.parse(text)
        ctx = expr.Context(ds, observations={}, geographies={"xinjiang": ["r1", "r2"]})
        return expr.evaluate(node, ctx)

    _one("check predicate", run)


# ------------------------------------------------------------------ sensitivity factor files
FACTORS = b'factors = ["new_reclamation_pct_of_bau", { name = "farmland_redline_pct", low = 70, high = 90 }]\n'


@SETTINGS
@given(data=inputs(FACTORS))
def test_fuzz_factor_file(tmp_path_factory, data):
    from sim.sensitivity.factors import resolve_factors
    path = _fresh(tmp_path_factory, "factors.toml", data)
    res = _one("factor file", lambda: resolve_factors(str(path)), path.parent)
    if isinstance(res, OasisError):
        _cli_clean(["sensitivity", "--method", "morris", "--n", "4", "--outputs", "xinjiang_population_10k",
                    "--factors", str(path), "--out", str(path.parent / "out")])
        assert sorted(p.name for p in path.parent.iterdir()) == ["factors.toml"]


# ------------------------------------------------------------------ share links
KEYS = st.one_of(st.sampled_from([lv.id for lv in levers.levers()] + [lv.name for lv in levers.levers()]
                                 + ["m", "region", "lang"]), st.text(max_size=70))
VALUES = st.one_of(st.sampled_from(["5", "0", "1", "2030", "1e999", "nan", "-0", "１", "٥", "1_0", "0x1", " 5",
                                    "abcdef123", "core", "zh", "", "9" * 30]),
                   st.text(max_size=40), st.floats().map(repr))


@SETTINGS
@given(params=st.dictionaries(KEYS, st.one_of(VALUES, st.lists(VALUES, max_size=3)), max_size=70))
def test_fuzz_share_link(params):
    state = _one("share link", lambda: share.decode(params, "abcdef0123"), expected=())
    for name, value in state.changed.items():
        lv = levers.lever(name)
        assert lv.low <= value <= lv.high and np.isfinite(value)
    COUNTS[("share link", "with errors listed" if state.errors else "clean")] += 1


# ------------------------------------------------------------------ the fault-injection corpus
SCENARIO_PROBES = sorted((PROBES / "scenario-files").iterdir())
CHECK_PROBES = sorted((PROBES / "checks-files").iterdir())
ACCEPTED_SCENARIO_PROBES = {"bom.toml", "bool.toml"}  # valid: a BOM, a TOML boolean for a 0/1 switch


@pytest.mark.parametrize("probe", SCENARIO_PROBES, ids=lambda p: p.name)
def test_scenario_probe(tmp_path, probe):
    d = tmp_path / "in"
    shutil.copytree(probe.parent, d)  # siblings: cycles and inherits between probe files
    path = d / probe.name
    res = _one("scenario probe", lambda: scenarios.load(path), d)
    if probe.name in ACCEPTED_SCENARIO_PROBES:
        assert not isinstance(res, OasisError), res
        return
    assert isinstance(res, OasisError)
    _cli_clean(["run", "--scenario", str(path), "--out", str(tmp_path / "out.csv")])
    assert not (tmp_path / "out.csv").exists()
    up = _one("scenario probe (upload)", lambda: scenarios.from_text(path.read_bytes(), where="up.toml"))
    assert isinstance(up, OasisError)


@pytest.mark.parametrize("probe", CHECK_PROBES, ids=lambda p: p.name)
def test_checks_probe(tmp_path, probe):
    path = tmp_path / probe.name
    shutil.copy(probe, path)
    _cli_clean(["check", "--checks", str(path)])
    assert sorted(p.name for p in tmp_path.iterdir()) == [probe.name]
