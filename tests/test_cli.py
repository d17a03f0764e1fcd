"""The ``rapportage`` command: errors are one sentence and a non-zero exit code."""

from __future__ import annotations

from rapportage.cli import app
from typer.testing import CliRunner

runner = CliRunner()


def test_unknown_wave_is_one_clear_line(project):
    result = runner.invoke(app, ["clean", "--wave", "2031", "--root", str(project)])
    assert result.exit_code == 1
    assert "error: surveys/2031/ does not exist" in result.output
    assert "Traceback" not in result.output


def test_stage_before_its_input_exists_says_what_to_run(project):
    result = runner.invoke(app, ["weight", "--demo", "--root", str(project)])
    assert result.exit_code == 1
    assert "run 'rapportage clean --wave demo-2025' first" in " ".join(result.output.split())


def test_wave_is_required(project):
    result = runner.invoke(app, ["run", "--root", str(project)])
    assert result.exit_code == 1
    assert "name a wave with --wave" in result.output


def test_stages_run_from_the_command_line(project):
    for stage in ("fetch", "clean"):
        result = runner.invoke(app, [stage, "--demo", "--root", str(project)])
        assert result.exit_code == 0, result.output
    assert (project / "data_clean" / "demo-2025" / "respondents.parquet").is_file()
    again = runner.invoke(app, ["clean", "--demo", "--root", str(project)])
    assert "up to date, skipped" in again.output


def test_a_second_run_of_the_same_wave_refuses_clearly(project):
    from rapportage.config import load_wave
    from rapportage.stages import pipeline

    wave = load_wave(project, "demo-2025")
    with pipeline.wave_lock(wave):
        result = runner.invoke(app, ["fetch", "--demo", "--root", str(project)])
    assert result.exit_code == 1
    assert "wave 'demo-2025' is being processed by process" in " ".join(result.output.split())
    assert not (project / "data_raw" / "demo-2025").exists()  # nothing written
    assert runner.invoke(app, ["fetch", "--demo", "--root", str(project)]).exit_code == 0  # free again


def test_square_brackets_in_paths_and_messages_are_printed_as_they_are(project, tmp_path):
    """Issue #14, 9: Rich read '[/b]' in a user's path as markup and crashed the error printer."""
    import typer
    from rapportage.cli import _fail

    odd = tmp_path / "export [" / "b] [red]x"  # the path holds '[/b]'
    odd.mkdir(parents=True)
    result = runner.invoke(app, ["import", "--wave", "demo-2025", str(odd / "export.csv"), str(odd / "survey.lss"),
                                 "--root", str(project)])
    assert result.exit_code == 1 and "Traceback" not in result.output and "MarkupError" not in result.output
    assert "[/b] [red]x" in " ".join(result.output.split())
    try:
        _fail('LimeSurvey at http://h/ reported an error: [/red] status [bold]')
    except typer.Exit as stop:
        assert stop.exit_code == 1


def test_help_and_validate_do_not_load_the_statistics_stack():
    """Issue #14, 19: every command imported pandas, scipy, pingouin and matplotlib first (15 s for
    --help on a slow laptop); they load in the commands that run the stages."""
    import subprocess
    import sys

    heavy = ("pandas", "numpy", "scipy", "matplotlib", "pingouin", "statsmodels", "citric")
    probe = ("import sys; from typer.testing import CliRunner; from rapportage.cli import app; "
             "assert CliRunner().invoke(app, ['--help']).exit_code == 0; "
             f"print(','.join(m for m in {heavy!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""
