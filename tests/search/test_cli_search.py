"""CLI wiring: bad spec files give one-line errors with exit 2 (file:line, did-you-mean)."""
from sim.cli import main


def test_optimise_unknown_indicator_exit_2(tmp_path, capsys):
    spec = tmp_path / "bad.toml"
    spec.write_text('[[objective]]\nindicator = "gpd"\nyear = 2035\nsense = "max"\n', encoding="utf-8")
    assert main(["optimise", str(spec), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "bad.toml:2: unknown indicator 'gpd'; did you mean gdp" in err and err.count("\n") == 1


def test_optimise_missing_spec_file(tmp_path, capsys):
    assert main(["optimise", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "out")]) == 2
    assert "nope.toml: file not found" in capsys.readouterr().err


def test_discover_indicator_needs_threshold(tmp_path, capsys):
    assert main(["discover", "--indicator", "overdraft", "--members", "2", "--deep-samples", "1",
                 "--out", str(tmp_path / "d")]) == 2
    assert "exactly one of --above / --below" in capsys.readouterr().err
