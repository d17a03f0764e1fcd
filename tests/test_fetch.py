"""Fetching from LimeSurvey through citric over real HTTP, against the local RemoteControl 2
server of tests/limesurvey_server/ (modelled on recordings from a real LimeSurvey 6.4.2)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from rapportage.cli import app
from rapportage.config import load_wave
from rapportage.errors import PipelineError
from rapportage.questionnaire.lss import write_lss
from rapportage.sources.fetch import Credentials, FetchSettings, credentials, fetch_wave
from rapportage.sources.snapshots import combined_responses, response_files, snapshots
from rapportage.stages import pipeline
from typer.testing import CliRunner

from tests.conftest import demo_export_rows, make_real_wave
from tests.limesurvey_server import FakeLimeSurvey, LimeSurveyServer

FAST = FetchSettings(page_size=200, timeout=0.5, retries=2, backoff=0.0)
PASSWORD = "canary-pw-7f3e9"


@pytest.fixture
def setup(project, monkeypatch):
    """A real wave 'w2025' (the demo's configuration) and a server holding its survey."""
    monkeypatch.setenv("RAPPORTAGE_PSEUDONYM_SECRET", "a-test-secret-of-enough-length")
    make_real_wave(project)
    wave = load_wave(project, "w2025")
    fake = FakeLimeSurvey(username="onderzoeker", password=PASSWORD)
    fake.timeout_sleep = 1.0
    fake.add_survey(482025, write_lss(wave.questionnaire, 482025))
    rows = demo_export_rows(project)
    fake.add_responses(482025, rows)
    with LimeSurveyServer(fake) as server:
        creds = Credentials(server.url, "onderzoeker", PASSWORD)
        monkeypatch.setenv("LIMESURVEY_URL", server.url)
        monkeypatch.setenv("LIMESURVEY_USER", "onderzoeker")
        monkeypatch.setenv("LIMESURVEY_PASSWORD", PASSWORD)
        yield wave, fake, creds, rows


def fetch(wave, creds, **kw):
    return fetch_wave(wave, creds, settings=FAST, sleep=lambda s: None, **kw)


def tree(wave) -> dict[str, bytes]:
    return {str(p.relative_to(wave.raw_dir)): p.read_bytes() for p in sorted(wave.raw_dir.rglob("*")) if p.is_file()}


def test_full_fetch_writes_a_verifiable_snapshot_of_every_language(setup):
    wave, fake, creds, rows = setup
    progress = []
    snap = fetch(wave, creds, progress=lambda *a: progress.append(a))
    files = sorted(p.name for p in snap.iterdir())
    pages = [f for f in files if f.startswith("responses_")]
    assert len(pages) == -(-len(rows) // FAST.page_size)  # bounded pages of response ids
    assert {"manifest.json", "structure_482025.json", "structure_482025.raw.json"} <= set(files)
    combined = combined_responses(wave, 482025)
    assert combined.rows == rows and combined.changed == []
    info = json.loads((snap / "manifest.json").read_text())
    survey = info["surveys"]["482025"]
    assert info["server_version"] == "6.4.2" and survey["languages"] == ["nl", "en", "ar", "tr", "ti", "fa", "prs"]
    assert survey["responses"] == len(rows) and survey["response_id_range"] == [rows[0]["id"], rows[-1]["id"]]
    by_lang = survey["responses_by_language"]
    assert sum(v["complete"] + v["incomplete"] for v in by_lang.values()) == len(rows)
    assert by_lang["ar"]["incomplete"] == sum(1 for r in rows if r["startlanguage"] == "ar" and not r["submitdate"])
    for name, digest in info["files"].items():
        from rapportage.manifest import sha256_file
        assert sha256_file(snap / name) == digest
    structure = json.loads((snap / "structure_482025.json").read_text(encoding="utf-8"))
    assert structure["questions"]["MHI"]["subquestions"][2][1]["ar"] == wave.questionnaire.items["mhi5"].subquestions[2].text["ar"]
    assert progress[-1] == (482025, len(rows), len(rows))
    assert fake.active_keys() == set() and len(fake.released) == 1  # the session key was released
    assert PASSWORD not in json.dumps(info) and all(PASSWORD.encode() not in b for b in tree(wave).values())


@pytest.mark.slow
def test_run_works_from_a_fetched_snapshot_like_the_demo(setup, demo_run):
    wave, fake, creds, rows = setup
    demo_wave, _ = demo_run
    result = CliRunner().invoke(app, ["run", "--wave", "w2025", "--root", str(wave.root)])
    assert result.exit_code == 0, result.output
    respondents = pd.read_parquet(wave.clean_dir / "respondents.parquet")
    demo = pd.read_parquet(demo_wave.clean_dir / "respondents.parquet")
    assert len(respondents) == len(demo)  # the same cleaning as the demo, through the server
    cols = ["language", "status", "duration_seconds", "mhi5", "ind_werk_betaald"]
    pd.testing.assert_frame_equal(respondents[cols].sort_values(cols, ignore_index=True), demo[cols].sort_values(cols, ignore_index=True))
    assert result.output.strip().splitlines()[-1].endswith("rapportage-inburgering.html")
    assert PASSWORD not in result.output


def test_incremental_fetch_asks_only_for_new_responses_and_import_combines(setup):
    wave, fake, creds, rows = setup
    first, later = rows[:600], rows[600:]
    fake2 = FakeLimeSurvey(username="onderzoeker", password=PASSWORD)
    fake2.add_survey(482025, write_lss(wave.questionnaire, 482025))
    fake2.add_responses(482025, first)
    with LimeSurveyServer(fake2) as server:
        c = Credentials(server.url, "onderzoeker", PASSWORD)
        fetch(wave, c, now=lambda: pd.Timestamp("2025-10-15T10:00:00Z").to_pydatetime())
        fake2.add_responses(482025, later)
        seen = len(fake2.calls)
        snap = fetch(wave, c, incremental=True, now=lambda: pd.Timestamp("2025-10-31T10:00:00Z").to_pydatetime())
        ranges = [p for m, p in fake2.calls[seen:] if m == "export_responses" and p[7] is not None]
    info = json.loads((snap / "manifest.json").read_text())["surveys"]["482025"]
    assert info["from_response_id"] == first[-1]["id"] + 1 and info["responses"] == len(later)
    assert len(ranges) == -(-len(later) // FAST.page_size)
    assert min(p[7] for p in ranges) == first[-1]["id"] + 1  # iFromResponseID above what was held
    assert [r["id"] for r in combined_responses(wave, 482025).rows] == [r["id"] for r in rows]
    assert len(snapshots(wave)) == 2 and response_files(snapshots(wave)[0], 482025)


def test_refetch_reports_responses_that_changed_between_snapshots(setup):
    wave, fake, creds, rows = setup
    fetch(wave, creds, now=lambda: pd.Timestamp("2025-10-15T10:00:00Z").to_pydatetime())
    partial = next(r for r in rows if not r["submitdate"])
    fake.add_responses(482025, [{**partial, "submitdate": "2025-10-20 12:00:00", "lastpage": 3}])
    fetch(wave, creds, now=lambda: pd.Timestamp("2025-10-31T10:00:00Z").to_pydatetime())
    assert combined_responses(wave, 482025).changed == [partial["id"]]
    pipeline.clean(wave)
    log = json.loads((wave.clean_dir / "cleaning_log.json").read_text())
    assert log["responses_changed_between_snapshots"] == {"482025": [partial["id"]]}


def test_a_survey_split_across_two_ids_and_four_languages(project, monkeypatch, demo_run):
    monkeypatch.setenv("RAPPORTAGE_PSEUDONYM_SECRET", "a-test-secret-of-enough-length")
    make_real_wave(project)
    wave_yaml = project / "surveys" / "w2025" / "wave.yaml"
    wave_yaml.write_text(wave_yaml.read_text().replace("survey_ids: [482025]", "survey_ids: [482025, 482026]"))
    wave = load_wave(project, "w2025")
    rows = demo_export_rows(project)
    fake = FakeLimeSurvey(username="u", password="p")
    for sid, langs in ((482025, ("nl", "en")), (482026, ("ar", "tr", "ti", "fa", "prs"))):
        fake.add_survey(sid, write_lss(wave.questionnaire, sid))
        part = [dict(r) for r in rows if r["startlanguage"] in langs]
        for i, r in enumerate(part, start=1):
            r["id"] = i
        fake.add_responses(sid, part)
    with LimeSurveyServer(fake) as server:
        fetch(wave, Credentials(server.url, "u", "p"))
    pipeline.clean(wave)
    respondents = pd.read_parquet(wave.clean_dir / "respondents.parquet")
    assert set(respondents.survey_id) == {482025, 482026}
    assert len(respondents) == len(pd.read_parquet(demo_run[0].clean_dir / "respondents.parquet"))
    assert set(respondents.language) == {"nl", "en", "ar", "tr", "ti", "fa", "prs"}


# ------------------------------------------------------------------ errors a user will meet
def expect_failure(wave, creds, match, before=None):
    before = tree(wave) if before is None else before
    with pytest.raises(PipelineError, match=match):
        fetch(wave, creds)
    assert tree(wave) == before  # nothing lost, nothing half-written
    return before


def test_wrong_password(setup):
    wave, fake, creds, _ = setup
    bad = Credentials(creds.url, creds.user, "not-the-password-4711")
    expect_failure(wave, bad, r"refused user 'onderzoeker': wrong user name or password; check LIMESURVEY_USER")


def test_rpc_disabled_and_not_a_limesurvey_endpoint(setup):
    wave, fake, creds, _ = setup
    fake.rpc_enabled = False
    expect_failure(wave, creds, r"did not answer as a LimeSurvey RemoteControl 2 \(JSON-RPC\) endpoint")
    fake.rpc_enabled, fake.not_limesurvey = True, True
    expect_failure(wave, creds, r"did not answer as a LimeSurvey RemoteControl 2 \(JSON-RPC\) endpoint")


def test_unknown_survey_and_inactive_survey(setup, project):
    wave, fake, creds, _ = setup
    wave_yaml = project / "surveys" / "w2025" / "wave.yaml"
    wave_yaml.write_text(wave_yaml.read_text().replace("survey_ids: [482025]", "survey_ids: [111111]"))
    expect_failure(load_wave(project, "w2025"), creds, r"survey 111111 \(surveys/w2025/wave.yaml limesurvey.survey_ids\) does not exist")
    wave_yaml.write_text(wave_yaml.read_text().replace("survey_ids: [111111]", "survey_ids: [482027]"))
    fake.add_survey(482027, write_lss(wave.questionnaire, 482027), active=False)
    expect_failure(load_wave(project, "w2025"), creds, r"survey 482027 .* is not activated in LimeSurvey")
    assert fake.active_keys() == set()  # released on errors too


def test_survey_without_responses_gives_an_empty_snapshot(setup, project):
    wave, fake, creds, _ = setup
    wave_yaml = project / "surveys" / "w2025" / "wave.yaml"
    wave_yaml.write_text(wave_yaml.read_text().replace("survey_ids: [482025]", "survey_ids: [482028]"))
    fake.add_survey(482028, write_lss(wave.questionnaire, 482028))
    snap = fetch(load_wave(project, "w2025"), creds)
    info = json.loads((snap / "manifest.json").read_text())["surveys"]["482028"]
    assert info["responses"] == 0 and info["response_id_range"] is None
    assert not response_files(snap, 482028)


def test_drifted_survey_is_refused_before_anything_is_written(setup, project):
    wave, fake, creds, _ = setup
    wave_yaml = project / "surveys" / "w2025" / "wave.yaml"
    wave_yaml.write_text(wave_yaml.read_text().replace("survey_ids: [482025]", "survey_ids: [482029]"))
    fake.add_survey(482029, write_lss(wave.questionnaire, 482029).replace(b"<![CDATA[H2]]>", b"<![CDATA[H3]]>"))
    expect_failure(load_wave(project, "w2025"), creds, r"does not match surveys/w2025/questionnaire.yaml: question H2: in the specification, not in the survey")


@pytest.mark.parametrize("kind", ["http500", "timeout", "drop"])
def test_transient_faults_are_retried(setup, kind):
    wave, fake, creds, rows = setup
    fake.fail("export_responses", kind, times=FAST.retries)  # one attempt short of giving up
    snap = fetch(wave, creds)
    assert json.loads((snap / "manifest.json").read_text())["surveys"]["482025"]["responses"] == len(rows)


@pytest.mark.parametrize(("kind", "message"), [
    ("http500", r"failed 3 times \(HTTP 500\); nothing was written"),
    ("timeout", r"failed 3 times \(no answer within 0.5 s\); nothing was written"),
    ("drop", r"failed 3 times \(connection refused or dropped\); nothing was written"),
])
def test_persistent_faults_fail_clearly_and_keep_earlier_snapshots(setup, kind, message):
    wave, fake, creds, _ = setup
    fetch(wave, creds, now=lambda: pd.Timestamp("2025-10-15T10:00:00Z").to_pydatetime())
    before = tree(wave)
    fake.fail("export_responses", kind, times=FAST.retries + 1)
    expect_failure(wave, creds, message, before)
    assert fake.active_keys() == set()


def test_invalid_json_mid_fetch(setup):
    wave, fake, creds, _ = setup
    fake.fail("list_questions", "invalid_json")
    expect_failure(wave, creds, r"did not answer as a LimeSurvey RemoteControl 2")


def test_expired_session_key_mid_fetch_logs_in_again(setup):
    wave, fake, creds, rows = setup
    fake.fail("export_responses", "expire")
    snap = fetch(wave, creds)
    assert json.loads((snap / "manifest.json").read_text())["surveys"]["482025"]["responses"] == len(rows)
    assert [m for m, _ in fake.calls].count("get_session_key") == 2
    assert fake.active_keys() == set()


def test_server_down(setup):
    wave, fake, creds, _ = setup
    down = Credentials("http://127.0.0.1:9/index.php/admin/remotecontrol", creds.user, creds.password)
    expect_failure(wave, down, r"failed 3 times \(connection refused or dropped\)")


def test_credentials_come_from_the_environment_or_a_file_outside_the_repository(setup, tmp_path_factory, monkeypatch):
    wave, fake, creds, _ = setup
    assert credentials(wave) == creds
    for name in ("LIMESURVEY_URL", "LIMESURVEY_USER", "LIMESURVEY_PASSWORD"):
        monkeypatch.delenv(name)
    with pytest.raises(PipelineError, match="set LIMESURVEY_URL .*LIMESURVEY_USER, LIMESURVEY_PASSWORD in the environment"):
        credentials(wave)
    outside = tmp_path_factory.mktemp("secrets") / "limesurvey.env"
    outside.write_text(f"LIMESURVEY_URL={creds.url}\nLIMESURVEY_USER=onderzoeker\nLIMESURVEY_PASSWORD={PASSWORD}\n")
    monkeypatch.setenv("RAPPORTAGE_LIMESURVEY_CREDENTIALS", str(outside))
    assert credentials(wave) == creds
    inside = wave.root / "limesurvey.env"
    inside.write_text(outside.read_text())
    monkeypatch.setenv("RAPPORTAGE_LIMESURVEY_CREDENTIALS", str(inside))
    with pytest.raises(PipelineError, match="points inside the project"):
        credentials(wave)
    assert PASSWORD not in repr(creds)


def test_fetch_command_shows_errors_as_one_sentence(setup, monkeypatch):
    wave, fake, creds, _ = setup
    monkeypatch.setenv("LIMESURVEY_PASSWORD", "not-the-password-4711")
    result = CliRunner().invoke(app, ["fetch", "--wave", "w2025", "--root", str(wave.root)])
    assert result.exit_code == 1 and "wrong user name or password" in result.output and "Traceback" not in result.output
    assert "not-the-password-4711" not in "".join(result.output.split())
