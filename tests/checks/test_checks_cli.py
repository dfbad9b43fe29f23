"""The check/units/compare/baseline subcommands (standalone entry until sim/cli.py wires them)."""
import argparse

from sim.checks import cli
from sim.model import DEFAULT_MODEL


def test_add_parsers_registers_subcommands():
    p = argparse.ArgumentParser()
    cli.add_parsers(p.add_subparsers(dest="command", required=True))
    for argv in (["check"], ["units"], ["compare", "HEAD:sd_models/tianshan.mdl"], ["baseline", "--update"]):
        args = p.parse_args(argv)
        assert callable(args.func)


def test_check_only_one(capsys):
    assert cli.main(["check", "--only", "gdp_positive", "--only", "reality_population_xinjiang"]) == 0
    out = capsys.readouterr().out
    assert "gdp_positive" in out and "PASS" in out


def test_check_unknown_id_is_a_clear_error(capsys):
    assert cli.main(["check", "--only", "gdp_positve"]) == 2
    assert "did you mean gdp_positive" in capsys.readouterr().err


def test_units_reports_findings(capsys):
    code = cli.main(["units"])
    out = capsys.readouterr().out
    assert ("errors" in out) == (code == 1)


def test_compare_and_baseline(capsys):
    assert cli.main(["compare", str(DEFAULT_MODEL), str(DEFAULT_MODEL), "--samples", "1"]) == 0
    assert "0 outputs changed" in capsys.readouterr().out
    assert cli.main(["baseline"]) == 0
