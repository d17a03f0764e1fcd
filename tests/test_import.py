"""The offline route: a CSV export and the .lss from the LimeSurvey admin pages become a snapshot,
and a real (non-demo) wave runs from it exactly like the demo."""

from __future__ import annotations

import pytest
from rapportage.cli import app
from rapportage.config import load_wave
from rapportage.questionnaire.lss import write_lss
from rapportage.sources.limesurvey import (
    decode_csv_export,
    decode_json_export,
    encode_csv_export,
)
from rapportage.sources.snapshots import snapshots
from typer.testing import CliRunner

from tests.conftest import demo_export_rows, limesurvey_file, make_real_wave

runner = CliRunner()


@pytest.mark.parametrize(("csv_name", "json_name"), [
    ("responses_csv_base_all_code_short.csv", "responses_json_base_all_code_short.json"),
    ("ls6_sample_all_question_types/ls6_sample_511794_responses_code_short.csv",
     "ls6_sample_all_question_types/ls6_sample_511794_responses_code_short.json"),
])
def test_csv_exports_read_like_json_exports_and_write_back_byte_for_byte(csv_name, json_name):
    raw = limesurvey_file(f"exports/{csv_name}").read_bytes()
    rows = decode_csv_export(raw, csv_name)
    assert rows == decode_json_export(limesurvey_file(f"exports/{json_name}").read_bytes(), json_name)
    assert encode_csv_export(rows) == raw


def test_csv_with_full_headings_is_refused_with_what_to_do(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes('\ufeff"Respons-ID";"Datum verzonden"\r\n"1";""\r\n'.encode())
    with pytest.raises(Exception, match="export with headings 'Question code' and responses 'Answer codes'"):
        decode_csv_export(path.read_bytes(), str(path))


@pytest.fixture
def offline(project):
    """A real wave 'w2025' and the two files a researcher downloads from the admin pages."""
    make_real_wave(project)
    wave = load_wave(project, "w2025")
    export = project / "export.csv"
    export.write_bytes(encode_csv_export(demo_export_rows(project)))
    lss = project / "survey.lss"
    lss.write_bytes(write_lss(wave.questionnaire, 482025))
    return wave, export, lss


@pytest.mark.slow
def test_a_real_wave_runs_from_an_imported_snapshot(project, offline, monkeypatch):
    monkeypatch.setenv("RAPPORTAGE_PSEUDONYM_SECRET", "a-test-secret-of-enough-length")
    wave, export, lss = offline
    result = runner.invoke(app, ["import", "--wave", "w2025", "--root", str(project), str(export), str(lss)])
    assert result.exit_code == 0, result.output
    [snap] = snapshots(wave)
    assert sorted(p.name for p in snap.iterdir()) == ["export_482025.csv", "manifest.json", "responses_482025.json", "structure_482025.lss"]
    result = runner.invoke(app, ["run", "--wave", "w2025", "--root", str(project)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].endswith("reports/_output/w2025/rapportage-inburgering.html")
    assert "fetch: up to date, skipped" in result.output  # an existing snapshot is used, no server needed
    for name in ("LIMESURVEY_URL", "LIMESURVEY_USER", "LIMESURVEY_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    forced = runner.invoke(app, ["run", "--wave", "w2025", "--root", str(project), "--force"])  # issue #21, 12
    assert forced.exit_code == 0, forced.output
    assert "fetch: up to date, skipped" in forced.output and "clean: done" in forced.output and "render: done" in forced.output
    assert len(snapshots(wave)) == 1


def test_import_errors_name_the_file_and_write_nothing(project, offline):
    wave, export, _ = offline
    other = project / "other.lss"
    other.write_bytes(write_lss(wave.questionnaire, 999))
    result = runner.invoke(app, ["import", "--wave", "w2025", "--root", str(project), str(export), str(other)])
    assert result.exit_code == 1 and "is survey 999, which surveys/w2025/wave.yaml limesurvey.survey_ids does not list" in " ".join(result.output.split())
    drifted = project / "drifted.lss"
    drifted.write_bytes(write_lss(wave.questionnaire, 482025).replace(b"<![CDATA[G1]]>", b"<![CDATA[G1B]]>"))
    result = runner.invoke(app, ["import", "--wave", "w2025", "--root", str(project), str(export), str(drifted)])
    assert result.exit_code == 1 and "question G1: in the specification, not in the survey" in " ".join(result.output.split())
    result = runner.invoke(app, ["import", "--wave", "w2025", "--root", str(project), str(export)])
    assert result.exit_code == 1 and "give one response export (.csv) and one survey structure file (.lss)" in result.output
    assert snapshots(wave) == [] and not any(p.name.startswith(".incomplete") for p in wave.raw_dir.iterdir())


def test_clean_of_a_real_wave_needs_the_pseudonymisation_secret(project, offline, monkeypatch):
    monkeypatch.delenv("RAPPORTAGE_PSEUDONYM_SECRET", raising=False)
    wave, export, lss = offline
    assert runner.invoke(app, ["import", "--wave", "w2025", "--root", str(project), str(export), str(lss)]).exit_code == 0
    result = runner.invoke(app, ["clean", "--wave", "w2025", "--root", str(project)])
    assert result.exit_code == 1 and "the environment variable RAPPORTAGE_PSEUDONYM_SECRET is not set" in " ".join(result.output.split())
    for weak, reason in [(" " * 16, "begins or ends with white space"), ("x" * 15, "has 15 characters, fewer than 16"),
                         ("abababababababababab", "is too predictable (about 20 bits from 2 different characters"),
                         ("abcdefghijklmnopqrs", "is mostly a run of neighbouring characters")]:
        monkeypatch.setenv("RAPPORTAGE_PSEUDONYM_SECRET", weak)
        result = runner.invoke(app, ["clean", "--wave", "w2025", "--root", str(project)])
        shown = " ".join(result.output.split())
        assert result.exit_code == 1 and reason in shown and "secrets.token_urlsafe(32)" in shown, shown
    assert not (project / "data_clean" / "w2025" / "respondents.parquet").exists()


def test_a_snapshot_from_a_wrong_clock_neither_wins_nor_passes_silently(project, monkeypatch):
    """Issue #14, 15: a snapshot stamped 2099 won over every later, corrected one. Snapshots are
    used in the order they were made (a recorded sequence); a stamp in the future is refused; the
    clean stage says which snapshot it used."""
    import json
    import shutil

    from rapportage.cli import app
    from rapportage.config import load_wave
    from rapportage.sources.snapshots import latest_snapshot, snapshots
    from typer.testing import CliRunner

    monkeypatch.setenv("RAPPORTAGE_PSEUDONYM_SECRET", "a-test-secret-of-enough-length")
    runner = CliRunner()
    make_real_wave(project)
    wave = load_wave(project, "w2025")
    lss = project / "survey.lss"
    lss.write_bytes(write_lss(wave.questionnaire, 482025))
    export = project / "export.csv"
    export.write_bytes(encode_csv_export(demo_export_rows(project)))
    for _ in range(2):
        result = runner.invoke(app, ["import", "--wave", "w2025", "--root", str(project), str(export), str(lss)])
        assert result.exit_code == 0, result.output
    first, second = sorted((project / "data_raw" / "w2025").glob("2*"))
    assert [json.loads((s / "manifest.json").read_text())["sequence"] for s in (first, second)] == [1, 2]
    # a clock that ran ahead when the second was made: it is refused until renamed ...
    future = second.with_name("20990101T000000Z")
    second.rename(future)
    result = runner.invoke(app, ["clean", "--wave", "w2025", "--root", str(project)])
    assert result.exit_code == 1 and "data_raw/w2025/20990101T000000Z is stamped in the future" in " ".join(result.output.split())
    # ... and once renamed to an earlier time than the first, it is still the later one
    early = future.with_name("20000101T000000Z")
    future.rename(early)
    assert [p.name for p in snapshots(wave)] == [first.name, early.name] and latest_snapshot(wave) == early
    result = runner.invoke(app, ["clean", "--wave", "w2025", "--root", str(project)])
    assert result.exit_code == 0, result.output
    assert f"snapshot used: {early.name} (combined with {first.name}" in " ".join(result.output.split())
    shutil.rmtree(early)
