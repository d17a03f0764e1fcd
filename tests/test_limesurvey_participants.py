"""The test server's participant table against the recordings of a real LimeSurvey 6.4.2
(``data/limesurvey/rpc/participants_reminders/``, survey 482025 with 250 participants and 250
responses added through ``add_response``): ``list_participants`` and ``remind_participants``
answer byte for byte as recorded, in the recorded order of events (nobody invited; tids 1-3
invited; reminded; reminded again; one completed)."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.conftest import RECORDINGS
from tests.limesurvey_server import FakeLimeSurvey, LimeSurveyServer
from tests.test_limesurvey_server import demo_lss

FOLDER = RECORDINGS / "rpc" / "participants_reminders"
SID = 482025


def _recording(number: str) -> dict:
    (path,) = FOLDER.glob(f"{number}_*.json")
    return json.loads(path.read_text(encoding="utf-8"))


def _replay(url: str, key: str, number: str) -> tuple[bytes, bytes]:
    """Send the recorded request with our session key (as request id 1, like the recording);
    (our body, the recorded body)."""
    recording = _recording(number)
    params = [key if p == "<session key>" else p for p in recording["request"]["params"]]
    body = json.dumps({"method": recording["request"]["method"], "params": params, "id": 1}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert (response.status, response.headers["Content-Type"]) == (recording["http_status"], recording["content_type"])
        return response.read(), recording["body"].encode()


@pytest.fixture(scope="module")
def server():
    fake = FakeLimeSurvey()
    fake.add_survey(SID, demo_lss())
    fake.add_participants(SID, [{"token": f"tok{i:05d}x", "firstname": f"Naam{i}", "lastname": "Voorbeeld",
                                 "email": f"p{i}.Voorbeeld@example.invalid"} for i in range(250)])
    fake.add_survey(939789, demo_lss())  # a survey without a participant table
    with LimeSurveyServer(fake) as s:
        key = json.loads(urllib.request.urlopen(urllib.request.Request(
            s.url, data=json.dumps({"method": "get_session_key", "params": ["admin", "secret"], "id": 1}).encode(),
            headers={"Content-Type": "application/json"}), timeout=5).read())["result"]
        yield fake, s.url, key


def test_the_participant_table_and_reminders_replay_as_recorded(server):
    fake, url, key = server
    for number in ("05", "06", "07", "08", "09", "10", "12", "13"):  # nobody invited yet
        ours, recorded = _replay(url, key, number)
        assert ours == recorded, number
    for tid in (1, 2, 3):  # invited (rpc 22), at the recorded minute
        fake.participant(SID, tid).sent = "2026-11-30 18:38"
    from datetime import datetime

    fake.now = lambda: datetime(2026, 11, 30, 18, 38, 30)
    ours, recorded = _replay(url, key, "24")  # reminded: an entry per tid, "0 left to send"
    assert ours == recorded
    assert [(p.remindersent, p.remindercount) for p in fake.surveys[SID].participants[:4]] == \
        [("2026-11-30 18:38", 1)] * 3 + [("N", 0)]
    for number in ("26", "27"):  # again the same day with min_days 1, or with max_reminders 1: no candidates
        ours, recorded = _replay(url, key, number)
        assert ours == recorded, number
    fake.participant(SID, 3).completed = "2025-10-05 10:00"  # rpc 28
    ours, recorded = _replay(url, key, "29")
    assert ours == recorded


def test_a_batch_per_call_and_failed_mail_change_nothing():
    fake = FakeLimeSurvey()
    fake.add_survey(SID, demo_lss())
    tids = fake.add_participants(SID, [{"token": f"t{i}", "sent": "2025-10-01 08:00"} for i in range(7)])
    fake.max_emails = 3
    with LimeSurveyServer(fake) as s:
        def call(method, *params):
            body = json.dumps({"method": method, "params": list(params), "id": 2}).encode()
            return json.loads(urllib.request.urlopen(urllib.request.Request(
                s.url, data=body, headers={"Content-Type": "application/json"}), timeout=5).read())["result"]

        key = call("get_session_key", "admin", "secret")
        first = call("remind_participants", key, SID, None, None, tids[:5])
        assert sorted(k for k in first if k.isdigit()) == ["1", "2", "3"] and first["status"] == "4 left to send"
        fake.mail_works = False
        second = call("remind_participants", key, SID, None, None, tids[3:5])
        assert {second[k]["status"] for k in ("4", "5")} == {"fail"}
        assert [p.remindercount for p in fake.surveys[SID].participants] == [1, 1, 1, 0, 0, 0, 0]
        listed = call("list_participants", key, SID, 0, 100, False, ["remindercount"])
        assert [p["remindercount"] for p in listed] == [1, 1, 1, 0, 0, 0, 0]
        assert call("list_participants", key, SID, 100, 10)["status"] == "No survey participants found."
