"""Writing a scenario (issue 17): every error of a file at once, did-you-mean hints for
scenario names and ``--set`` keys, and counts pluralised in ``scenarios validate``."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import run_in_process

MM1 = "validation/mm1"


def test_all_errors_of_a_file_at_once(tmp_path: Path) -> None:
    """A minimal file lists each missing field on its own line, exit 2."""
    f = tmp_path / "min.yaml"
    f.write_text("name: x\n")
    code, out, err = run_in_process(["scenarios", "validate", str(f)])
    lines = err.splitlines()
    assert code == 2 and out == ""
    assert lines[0] == f"omnisim: error: {f}: {len(lines) - 1} errors", err
    assert len(lines) > 5, err
    assert all(line.startswith(f"  {f}: field ") for line in lines[1:]), err
    fields = {line.split(": field ")[1].split(":")[0] for line in lines[1:]}
    assert {"horizon", "segments", "channels", "costs"} <= fields, fields


def test_one_error_keeps_the_one_line_form(tmp_path: Path) -> None:
    f = tmp_path / "one.yaml"
    f.write_text(f"extends: {MM1}\nseed: -1\n")
    code, _, err = run_in_process(["scenarios", "validate", str(f)])
    assert code == 2 and len(err.splitlines()) == 1, err
    assert err.startswith(f"omnisim: error: {f}: field seed: "), err


def test_did_you_mean_a_shipped_name() -> None:
    for command in (["run", "baselin", "--days", "1"], ["scenarios", "validate", "baselin"],
                    ["compare", "baseline", "total-commerce/phase-1-silod"]):
        code, _, err = run_in_process(command)
        assert code == 2, (command, err)
        assert "did you mean '" in err, (command, err)
    _, _, err = run_in_process(["scenarios", "validate", "baselin"])
    assert "did you mean 'baseline'?" in err, err


def test_did_you_mean_a_set_key() -> None:
    code, _, err = run_in_process(["scenarios", "show", MM1, "--set", "horizn=10d"])
    assert code == 2 and "did you mean 'horizon'?" in err, err
    code, _, err = run_in_process(["scenarios", "show", MM1, "--set", "calendr.peaks=[]"])
    assert code == 2 and "did you mean 'calendar'?" in err, err


def test_validate_pluralises(tmp_path: Path) -> None:
    code, out, _ = run_in_process(["scenarios", "validate", MM1])
    assert code == 0, out
    assert "1 segment," in out and "1 segments" not in out, out
    assert "1 channel," in out and "1 channels" not in out, out
