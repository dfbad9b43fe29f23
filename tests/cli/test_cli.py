"""CLI behaviour through the real entry point: output, files written, and error paths."""
import os
import subprocess
import sys

import pandas as pd
import pytest

from sim import cli


def run_cli(*args):
    proc = subprocess.run([sys.executable, "-m", "sim.cli", *args], capture_output=True, text=True, timeout=600)
    return proc.returncode, proc.stdout, proc.stderr


def test_run_prints_indicators_and_writes_full_results(tmp_path):
    out = tmp_path / "res.csv"
    code, stdout, stderr = run_cli("run", "--scenario", "S2_cae_strategy", "--set", "W9a=5", "--out", str(out))
    assert code == 0, stderr
    for year in ("2020", "2030", "2035", "2060"):
        assert year in stdout
    assert "Cultivated land" in stdout and "red line" in stdout
    frame = pd.read_csv(out, index_col=0)
    assert frame.index[0] == 1990 and frame.index[-1] == 2060
    assert "cultivated_land_kha[urumqi_changji]" in frame.columns and frame.shape[1] > 400


def test_parquet_output(tmp_path):
    out = tmp_path / "res.parquet"
    assert cli.main(["run", "--out", str(out)]) == 0
    assert pd.read_parquet(out).shape[0] == 71


@pytest.mark.parametrize("args, message", [
    (["run", "--scenario", "S2_cae"], "unknown scenario 'S2_cae'; did you mean S2_cae_strategy"),
    (["run", "--set", "new_reclamation=5"], "unknown lever 'new_reclamation'; did you mean new_reclamation_pct_of_bau"),
    (["run", "--set", "L1=500"], r"outside its range [0, 100] %"),
    (["run", "--set", "L1=abc"], "'abc' is not a number"),
    (["run", "--set", "L1"], "expected lever=value"),
    (["run", "--region", "urumqi"], "unknown geography 'urumqi'; did you mean urumqi_changji"),
    (["describe", "cultivated_land"], "unknown variable 'cultivated_land'; did you mean cultivated_land_kha"),
])
def test_bad_input_gives_clear_errors(args, message, capsys):
    assert cli.main(args) == 2
    assert message in capsys.readouterr().err


def test_malformed_scenario_file_names_file_and_line(tmp_path, capsys):
    bad = tmp_path / "mine.toml"
    bad.write_text("[scenario]\ntitle = 'mine'\n[levers]\nfarmland_retirement_pct_per_yr = 9\n")
    assert cli.main(["run", "--scenario", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:4" in err and "[0, 3]" in err


def test_nothing_written_on_failure(tmp_path, capsys):
    out = tmp_path / "res.txt"  # unsupported extension: refused before anything is written
    assert cli.main(["run", "--out", str(out)]) == 2
    assert "use a .csv or .parquet" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []
    missing = tmp_path / "no_such_dir" / "r.csv"
    assert cli.main(["run", "--out", str(missing)]) == 2
    assert not missing.parent.exists()


def test_levers_scenarios_describe_listings(capsys):
    assert cli.main(["levers"]) == 0
    text = capsys.readouterr().out
    assert "new_reclamation_pct_of_bau" in text and "二、水土资源" in text
    assert cli.main(["scenarios"]) == 0
    assert "S4_transfer_only" in capsys.readouterr().out
    assert cli.main(["describe", "reclamation_kha_per_yr"]) == 0
    text = capsys.readouterr().out
    assert "depends on:" in text and "cultivated_land_kha" in text and "kha/Year" in text
