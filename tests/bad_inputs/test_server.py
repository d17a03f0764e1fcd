"""A flaky or misconfigured LimeSurvey server: ``rapportage fetch`` of a real wave against the
local RemoteControl 2 server (tests/limesurvey_server/). Each case refuses with one sentence
and exit code 1; the earlier snapshot, the other waves' outputs and the configuration stay byte
for byte as they were, and no half-written snapshot is left behind."""

from __future__ import annotations

import pytest
from rapportage.cli import app
from rapportage.config import load_wave
from rapportage.questionnaire.lss import write_lss

from tests.bad_inputs.conftest import assert_refused, edit, runner
from tests.conftest import demo_export_rows, make_real_wave
from tests.limesurvey_server import FakeLimeSurvey, LimeSurveyServer

USER, PASSWORD = "onderzoeker", "canary-pw-4d1c8"


@pytest.fixture
def server(finished, monkeypatch):
    """Wave 'w2025' (patient for 0.5 s, two retries without back-off, pages of 200) with one
    good snapshot already fetched, and the server it came from."""
    make_real_wave(finished)
    wave_yaml = finished / "surveys" / "w2025" / "wave.yaml"
    edit(wave_yaml, "  survey_ids: [482025]", "  survey_ids: [482025]\n  timeout_seconds: 0.5\n  retries: 2\n"
                                              "  backoff_seconds: 0\n  page_size: 200")
    wave = load_wave(finished, "w2025")
    fake = FakeLimeSurvey(username=USER, password=PASSWORD)
    fake.timeout_sleep = 1.0
    fake.add_survey(482025, write_lss(wave.questionnaire, 482025))
    fake.add_responses(482025, demo_export_rows(finished))
    with LimeSurveyServer(fake) as srv:
        env = {"LIMESURVEY_URL": srv.url, "LIMESURVEY_USER": USER, "LIMESURVEY_PASSWORD": PASSWORD,
               "RAPPORTAGE_LIMESURVEY_CREDENTIALS": None}
        for key, value in env.items():
            monkeypatch.delenv(key, raising=False) if value is None else monkeypatch.setenv(key, value)
        result = runner.invoke(app, ["fetch", "--wave", "w2025", "--root", str(finished)])
        assert result.exit_code == 0, result.output
        yield finished, fake, srv, monkeypatch


FETCH = ["fetch", "--wave", "w2025"]


def _survey(root, fake, survey_id, lss=None, active=True):
    wave_yaml = root / "surveys" / "w2025" / "wave.yaml"
    edit(wave_yaml, "survey_ids: [482025]", f"survey_ids: [{survey_id}]")
    if lss is not None:
        fake.add_survey(survey_id, lss, active=active)


def _lss(root):
    return write_lss(load_wave(root, "w2025").questionnaire, 482025)


CASES = {
    "wrong password": (lambda root, fake, srv, mp: mp.setenv("LIMESURVEY_PASSWORD", "not-the-password-4711"),
                       r"refused user 'onderzoeker': wrong user name or password; check LIMESURVEY_USER"),
    "login locked after three wrong passwords (the right one too)": (
        lambda root, fake, srv, mp: setattr(fake, "failed_logins", fake.max_login_attempts),
        r"has locked logins from this computer after too many failed attempts; wait 10 minutes \(the server's "
        r"lockout\), check LIMESURVEY_USER and LIMESURVEY_PASSWORD, then fetch again\."),
    "API disabled": (lambda root, fake, srv, mp: setattr(fake, "rpc_enabled", False),
                     r"did not answer as a LimeSurvey RemoteControl 2 \(JSON-RPC\) endpoint"),
    "URL of another site": (lambda root, fake, srv, mp: setattr(fake, "not_limesurvey", True),
                            r"did not answer as a LimeSurvey RemoteControl 2 \(JSON-RPC\) endpoint"),
    "HTTP 500": (lambda root, fake, srv, mp: fake.fail("export_responses", "http500", times=3),
                 r"failed 3 times \(HTTP 500\); nothing was written"),
    "HTTP 500 at login": (lambda root, fake, srv, mp: fake.fail("get_session_key", "http500", times=3),
                          r"failed 3 times \(HTTP 500\)"),
    "time-out": (lambda root, fake, srv, mp: fake.fail("export_responses", "timeout", times=3),
                 r"failed 3 times \(no answer within 0.5 s\); nothing was written"),
    "connection dropped in the middle of the export": (
        lambda root, fake, srv, mp: fake.fail("export_responses", "drop", times=3, after=1),
        r"failed 3 times \(connection refused or dropped\); nothing was written"),
    "invalid JSON": (lambda root, fake, srv, mp: fake.fail("list_questions", "invalid_json"),
                     r"did not answer as a LimeSurvey RemoteControl 2"),
    "server down": (lambda root, fake, srv, mp: mp.setenv("LIMESURVEY_URL", "http://127.0.0.1:9/index.php/admin/remotecontrol"),
                    r"failed 3 times \(connection refused or dropped\)"),
    "unknown survey": (lambda root, fake, srv, mp: _survey(root, fake, 111111),
                       r"survey 111111 \(surveys/w2025/wave.yaml limesurvey.survey_ids\) does not exist"),
    "survey not activated": (lambda root, fake, srv, mp: _survey(root, fake, 482027, _lss(root), active=False),
                             r"survey 482027 .* is not activated in LimeSurvey"),
    "survey changed since the specification": (
        lambda root, fake, srv, mp: _survey(root, fake, 482029, _lss(root).replace(b"<![CDATA[H2]]>", b"<![CDATA[H3]]>")),
        r"does not match surveys/w2025/questionnaire.yaml: question H2: in the specification, not in the survey"),
    "no credentials": (lambda root, fake, srv, mp: mp.delenv("LIMESURVEY_PASSWORD"),
                       r"set LIMESURVEY_PASSWORD in the environment \(or in a file outside the repository named by RAPPORTAGE_LIMESURVEY_CREDENTIALS\) to fetch wave .w2025."),
    "credentials file inside the project": (
        lambda root, fake, srv, mp: (root.joinpath("limesurvey.env").write_text(f"LIMESURVEY_PASSWORD={PASSWORD}\n"),
                                     mp.setenv("RAPPORTAGE_LIMESURVEY_CREDENTIALS", str(root / "limesurvey.env"))),
        r"points inside the project"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_server_fault_is_refused_and_keeps_the_earlier_snapshot(server, case):
    root, fake, srv, monkeypatch = server
    breaks, message = CASES[case]
    breaks(root, fake, srv, monkeypatch)
    assert_refused(root, FETCH, message, secrets=(PASSWORD, *fake._issued))  # no password, no session key shown
    assert fake.active_keys() == set()  # every session key released


def test_an_expired_session_is_not_an_error(server):
    """Tolerated: the key expires in the middle of the export; the fetch logs in again."""
    root, fake, srv, _ = server
    fake.fail("export_responses", "expire", after=1)
    result = runner.invoke(app, [*FETCH, "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert [m for m, _ in fake.calls].count("get_session_key") == 3  # the first fetch, this one, and the re-login


@pytest.mark.slow
def test_the_password_and_session_keys_appear_nowhere_after_a_whole_run(server):
    """Canary credentials: after fetching (done by the fixture) and running every stage of the
    real wave, neither the password nor any session key the server issued is in any file of
    the project, in the manifests, the cleaning log, the exports, the report, or the output."""
    root, fake, srv, monkeypatch = server
    monkeypatch.setenv("RAPPORTAGE_PSEUDONYM_SECRET", "a-test-secret-of-enough-length")
    outputs = [runner.invoke(app, [*args, "--root", str(root)]) for args in (
        ["run", "--wave", "w2025"], ["export", "--wave", "w2025", "--format", "sav"],
        ["fetch", "--wave", "w2025", "--incremental"])]
    assert [r.exit_code for r in outputs] == [0, 0, 0], [r.output for r in outputs]
    secrets = [PASSWORD.encode(), *(k.encode() for k in fake._issued)]
    assert len(secrets) >= 3  # the password and the keys of two fetches
    files = [p for p in root.rglob("*") if p.is_file()]
    assert any(p.name == "rapportage-inburgering.html" for p in files) and any(p.suffix == ".sav" for p in files)
    leaks = [(p.relative_to(root), s) for p in files for s in secrets if s in p.read_bytes()
             or s.decode().encode("utf-16-le") in p.read_bytes()]
    assert leaks == []
    assert not [s for s in secrets for r in outputs if s.decode() in r.output]
