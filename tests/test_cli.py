"""The ``rapportage`` command: errors are one sentence and a non-zero exit code."""

from __future__ import annotations

from typer.testing import CliRunner

from analysis.cli import app

runner = CliRunner()


def test_unknown_wave_is_one_clear_line(project):
    result = runner.invoke(app, ["clean", "--wave", "2031", "--root", str(project)])
    assert result.exit_code == 1
    assert "error: surveys/2031/ does not exist" in result.output
    assert "Traceback" not in result.output


def test_stage_before_its_input_exists_says_what_to_run(project):
    result = runner.invoke(app, ["weight", "--demo", "--root", str(project)])
    assert result.exit_code == 1
    assert "run 'rapportage clean --wave demo' first" in " ".join(result.output.split())


def test_wave_is_required(project):
    result = runner.invoke(app, ["run", "--root", str(project)])
    assert result.exit_code == 1
    assert "name a wave with --wave" in result.output


def test_stages_run_from_the_command_line(project):
    for stage in ("fetch", "clean"):
        result = runner.invoke(app, [stage, "--demo", "--root", str(project)])
        assert result.exit_code == 0, result.output
    assert (project / "data_clean" / "demo" / "respondents.parquet").is_file()
    again = runner.invoke(app, ["clean", "--demo", "--root", str(project)])
    assert "up to date, skipped" in again.output


def test_a_second_run_of_the_same_wave_refuses_clearly(project):
    from analysis import pipeline
    from analysis.config import load_wave

    wave = load_wave(project, "demo")
    with pipeline.wave_lock(wave):
        result = runner.invoke(app, ["fetch", "--demo", "--root", str(project)])
    assert result.exit_code == 1
    assert "wave 'demo' is being processed by process" in " ".join(result.output.split())
    assert not (project / "data_raw" / "demo").exists()  # nothing written
    assert runner.invoke(app, ["fetch", "--demo", "--root", str(project)]).exit_code == 0  # free again
