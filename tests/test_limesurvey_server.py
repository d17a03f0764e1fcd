"""The fake LimeSurvey server answers like the recordings of a real LimeSurvey 6.4.2 server.

Replay tests send recorded request bodies over real HTTP and compare the answers with the
recorded ones (``tests/data/limesurvey/rpc/``, copied from ``../shared/limesurvey/rpc/``). The citric tests
drive the fake through the client the pipeline uses (skipped when citric is not installed).
"""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from rapportage.sources.limesurvey import encode_json_export

from tests.conftest import RECORDINGS, REPO
from tests.limesurvey_server import FakeLimeSurvey, LimeSurveyServer, php_json

RECORDED = RECORDINGS
RPC = RECORDED / "rpc"
SID = 246810
DEMO_SID = 482025


# --------------------------------------------------------------------------- helpers
def post(url: str, body: bytes) -> tuple[int, str, bytes]:
    """POST a raw JSON-RPC body; (HTTP status, content type, body)."""
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


def rpc(url: str, method: str, *params: Any) -> Any:
    """Call a method and return its parsed ``result``."""
    status, _, body = post(url, json.dumps({"method": method, "params": list(params), "id": 7}).encode())
    assert status == 200, body[:200]
    answer = json.loads(body)
    assert answer["id"] == 7 and answer["error"] is None
    return answer["result"]


def session_key(url: str) -> str:
    key = rpc(url, "get_session_key", "admin", "secret")
    assert isinstance(key, str) and len(key) == 32
    return key


def recorded(stem: str) -> tuple[bytes, bytes, dict]:
    """(request body, response body, INDEX.json entry) of one recorded call."""
    index = {e["file_stem"]: e for e in json.loads((RPC / "INDEX.json").read_text())}
    return ((RPC / f"{stem}.request.json").read_bytes(), (RPC / f"{stem}.response.json").read_bytes(), index[stem])


def stem(number: str) -> str:
    (path,) = RPC.glob(f"{number}_*.request.json")
    return path.name.removesuffix(".request.json")


def replay(url: str, key: str, number: str, **replace: Any) -> tuple[tuple[int, str, bytes], bytes, dict]:
    """Send recorded request ``number`` with the real session key (and params replaced by
    position: ``replace={"p1": 45}``); (our answer, recorded body, INDEX entry)."""
    request, response, entry = recorded(stem(number))
    if replace:
        data = json.loads(request)
        for name, value in replace.items():
            data["params"][int(name[1:])] = value
        request = json.dumps(data).encode()
    request = request.replace(b"<SESSION_KEY>", key.encode()).replace(b"<PASSWORD>", b"secret")
    return post(url, request), response, entry


def survey_lss() -> bytes:
    return (RECORDED / "lss" / f"limesurvey_survey_{SID}_exported.lss").read_bytes()


def survey_rows() -> list[dict]:
    return json.loads((RECORDED / "exports" / "responses_json_base_all_code_short.json").read_bytes())["responses"]


def demo_lss() -> bytes:
    from rapportage.config import load_wave
    from rapportage.questionnaire.lss import write_lss

    return write_lss(load_wave(REPO, "demo-2025").questionnaire, DEMO_SID)


DEMO_ROWS = [
    {"id": 1, "submitdate": "2025-10-01 10:00:00", "lastpage": 9, "startlanguage": "ar", "seed": "1",
     "startdate": "2025-10-01 09:50:00", "datestamp": "2025-10-01 10:00:00", "W1": "Y", "OPMERK": "نعم / لا"},
    {"id": 2, "submitdate": "", "lastpage": "", "startlanguage": "nl", "seed": "2",
     "startdate": "2025-10-02 09:50:00", "datestamp": "2025-10-02 09:55:00", "W1": "", "OPMERK": ""},
    {"id": 3, "submitdate": "2025-10-03 10:00:00", "lastpage": 9, "startlanguage": "tr", "seed": "3",
     "startdate": "2025-10-03 09:50:00", "datestamp": "2025-10-03 10:00:00", "W1": "N", "OPMERK": "Çok iyi \"x\""},
]


@pytest.fixture(scope="module")
def states() -> Iterator[dict[str, str]]:
    """Survey 246810 as recorded at three moments: imported, activated, with 32 responses."""
    fakes = {"inactive": FakeLimeSurvey(), "empty": FakeLimeSurvey(), "responses": FakeLimeSurvey()}
    fakes["inactive"].add_survey(SID, survey_lss(), active=False)
    fakes["empty"].add_survey(SID, survey_lss())
    fakes["responses"].add_survey(SID, survey_lss())
    fakes["responses"].add_responses(SID, survey_rows())
    servers = {name: LimeSurveyServer(fake).start() for name, fake in fakes.items()}
    try:
        yield {name: server.url for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()


@pytest.fixture
def demo() -> Iterator[tuple[FakeLimeSurvey, str]]:
    """The four-language demo survey (nl, en, ar, tr) with three responses."""
    fake = FakeLimeSurvey()
    fake.add_survey(DEMO_SID, demo_lss())
    fake.add_responses(DEMO_SID, DEMO_ROWS)
    with LimeSurveyServer(fake) as server:
        yield fake, server.url


# --------------------------------------------------------------------------- replay, byte for byte
BYTE_FOR_BYTE = {
    "inactive": ["001", "002", "003", "004", "006", "007", "014", "015", "017", "019", "020", "023", "026", "029",
                 "032", "036", "139", "140", "141", "142", "143", "144", "145", "147", "149"],
    "empty": ["059", "060", "061"],
    "responses": ["096", "102", "118", "119", "120", "121", "122", "123", "125", "126", "130", "131", "132", "133"],
}


@pytest.mark.parametrize(("state", "number"), [(s, n) for s, ns in BYTE_FOR_BYTE.items() for n in ns])
def test_replay_byte_for_byte(states: dict[str, str], state: str, number: str) -> None:
    url = states[state]
    (status, content_type, body), expected, entry = replay(url, session_key(url), number)
    assert (status, content_type) == (entry["http_status"], entry["content_type"])
    assert body == expected


def test_replay_session_key_and_release(states: dict[str, str]) -> None:
    url = states["responses"]
    (status, _, body), expected, _ = replay(url, "", "005")  # get_session_key with the Authdb plugin
    key = json.loads(body)["result"]
    assert len(key) == 32 and key.isalnum()
    assert body.replace(key.encode(), b"<SESSION_KEY>") == expected
    for number in ("176", "177"):  # release_session_key, then the released key
        (status, content_type, body), expected, entry = replay(url, key, number)
        assert (status, content_type, body) == (entry["http_status"], entry["content_type"], expected)


def test_replay_list_surveys_with_two_surveys() -> None:
    """In rpc/009 survey 135790 was a bare survey made with add_survey("Lege enquête / Empty survey")."""
    bare = (RECORDED / "lss" / "limesurvey_survey_135790_exported.lss").read_bytes().replace(
        b"<![CDATA[Inburgering ervaringen 2026]]>", "<![CDATA[Lege enquête / Empty survey]]>".encode())
    fake = FakeLimeSurvey()
    fake.add_survey(135790, bare, active=False)
    fake.add_survey(SID, survey_lss())
    with LimeSurveyServer(fake) as server:
        (_, _, body), expected, _ = replay(server.url, session_key(server.url), "009")
    assert body == expected  # "Lege enqu\u00eate \/ Empty survey": PHP escaping


def test_replay_survey_properties(states: dict[str, str]) -> None:
    url = states["inactive"]
    (_, _, body), expected, _ = replay(url, session_key(url), "018")
    ours, theirs = json.loads(body)["result"], json.loads(expected)["result"]
    assert list(ours) == list(theirs)
    assert ours.pop("datecreated")[:2] == "20" and theirs.pop("datecreated")
    assert ours == theirs


def test_replay_selected_fields_with_our_field_names(states: dict[str, str]) -> None:
    """rpc/124 names columns by database field (246810X6X41): translate to the fake's ids."""
    url = states["responses"]
    key = session_key(url)
    by_title = {(q["parent_qid"], q["title"]): q for q in rpc(url, "list_questions", key, SID)}
    q1 = by_title[(0, "Q1")]
    q4 = by_title[(0, "Q4")]
    fields = ["id", "startlanguage", f"{SID}X{q1['gid']}X{q1['qid']}", f"{SID}X{q4['gid']}X{q4['qid']}SQ001"]
    (_, _, body), expected, _ = replay(url, key, "124", p9=fields)
    assert body == expected


# --------------------------------------------------------------------------- replay, ids removed
def strip_ids(result: Any) -> Any:
    """A list_groups / list_questions / get_question_properties result without the ids the
    server assigns: gid by group rank, parent_qid by the parent's title, qid-keyed sub-questions
    as a list."""
    if isinstance(result, list):
        titles = {q["qid"]: q["title"] for q in result if "qid" in q}
        gids = sorted({q["gid"] for q in result})
        items = []
        for q in result:
            item = {k: v for k, v in q.items() if k not in ("id", "qid", "gid", "parent_qid")}
            item["group"] = gids.index(q["gid"])
            if "parent_qid" in q:
                item["parent"] = titles.get(q["parent_qid"])
            items.append(item)
        return items
    out = {k: v for k, v in result.items() if k not in ("qid", "gid")}
    if isinstance(out.get("subquestions"), dict):
        out["subquestions"] = list(out["subquestions"].values())
    return out


@pytest.mark.parametrize("number", ["021", "024", "027", "030", "033", "022", "025", "028", "031", "034", "035", "037"])
def test_replay_list_groups_and_questions(states: dict[str, str], number: str) -> None:
    url = states["inactive"]
    (status, content_type, body), expected, entry = replay(url, session_key(url), number)
    assert (status, content_type) == (entry["http_status"], entry["content_type"])
    ours, theirs = json.loads(body), json.loads(expected)
    assert [list(x) for x in ours["result"]] == [list(x) for x in theirs["result"]]  # fields and their order
    assert strip_ids(ours["result"]) == strip_ids(theirs["result"])


@pytest.mark.parametrize("number", [f"{n:03d}" for n in range(38, 55)])
def test_replay_question_properties(states: dict[str, str], number: str) -> None:
    url = states["inactive"]
    key = session_key(url)
    theirs_list = json.loads(recorded(stem("037"))[1])["result"]
    theirs_qid = json.loads(recorded(stem(number))[0])["params"][1]
    title = next(q["title"] for q in theirs_list if q["qid"] == theirs_qid and q["parent_qid"] == 0)
    ours_list = rpc(url, "list_questions", key, SID)
    our_qid = next(q["qid"] for q in ours_list if q["title"] == title and q["parent_qid"] == 0)
    (_, _, body), expected, _ = replay(url, key, number, p1=our_qid)
    ours, theirs = json.loads(body)["result"], json.loads(expected)["result"]
    assert list(ours) == list(theirs)
    assert strip_ids(ours) == strip_ids(theirs)
    if isinstance(theirs.get("subquestions"), dict):  # keyed by the sub-questions' own qids
        assert [int(k) for k in ours["subquestions"]] == [q["qid"] for q in ours_list if q["parent_qid"] == our_qid]


# --------------------------------------------------------------------------- multilingual demo survey
def test_demo_list_questions_in_every_language(demo: tuple[FakeLimeSurvey, str]) -> None:
    from rapportage.questionnaire.lss import parse_lss

    _, url = demo
    structure = parse_lss(demo_lss())
    assert structure.languages == ["nl", "en", "ar", "tr", "ti", "fa", "prs"]
    key = session_key(url)
    for lang in structure.languages:
        status, _, body = post(url, json.dumps({"method": "list_questions", "params": [key, DEMO_SID, None, lang],
                                                "id": 1}).encode())
        assert status == 200 and body.isascii()  # PHP json_encode: \uXXXX escapes
        questions = json.loads(body)["result"]
        parents = {q["qid"]: q for q in questions if q["parent_qid"] == 0}
        assert [q["title"] for q in sorted(parents.values(), key=lambda q: q["qid"])] == list(structure.questions)
        for q in questions:
            assert q["language"] == lang
            if q["parent_qid"] == 0:
                assert q["question"] == structure.questions[q["title"]].texts[lang]
            else:
                subs = dict(structure.questions[parents[q["parent_qid"]]["title"]].subquestions)
                assert q["question"] == subs[q["title"]][lang]
    arabic = rpc(url, "list_questions", key, DEMO_SID, None, "ar")
    assert all(any("\u0600" <= ch <= "\u06ff" for ch in q["question"]) for q in arabic)  # Arabic script


def test_demo_answer_options_carry_arabic_labels(demo: tuple[FakeLimeSurvey, str]) -> None:
    from rapportage.questionnaire.lss import parse_lss

    _, url = demo
    structure = parse_lss(demo_lss())
    key = session_key(url)
    questions = rpc(url, "list_questions", key, DEMO_SID, None, "ar")
    for q in (q for q in questions if q["parent_qid"] == 0):
        spec = structure.questions[q["title"]]
        props = rpc(url, "get_question_properties", key, q["qid"], None, "ar")
        if spec.answers:
            assert list(props["answeroptions"]) == [code for code, _ in spec.answers]
            labels = [o["answer"] for o in props["answeroptions"].values()]
            assert labels == [texts["ar"] for _, texts in spec.answers]
            assert [o["order"] for o in props["answeroptions"].values()] == list(range(1, len(spec.answers) + 1))
        else:
            assert props["answeroptions"] == "No available answer options"
        if spec.subquestions:
            assert props["available_answers"] == {code: texts["ar"] for code, texts in spec.subquestions}
        else:
            assert props["available_answers"] == props["subquestions"] == "No available answers"
        assert props["attributes"]["hidden"] == ("1" if spec.hidden else "0")
    t2 = next(q for q in questions if q["title"] == "T2")
    subset = rpc(url, "get_question_properties", key, t2["qid"], ["title", "answeroptions"], "ar")
    assert list(subset) == ["title", "answeroptions"]  # asked properties in asked order (rpc/054)
    assert subset["answeroptions"]["1"]["answer"] == dict(structure.questions["T2"].answers)["1"]["ar"]


def test_demo_groups_languages_and_summary(demo: tuple[FakeLimeSurvey, str]) -> None:
    _, url = demo
    key = session_key(url)
    groups = rpc(url, "list_groups", key, DEMO_SID, "tr")
    assert [g["group_name"] for g in groups][:2] == ["Hoş geldiniz", "Hakkınızda"]
    unknown = rpc(url, "get_language_properties", key, DEMO_SID, ["surveyls_language"], "xx")
    assert unknown == {"surveyls_language": "nl"}  # the base language (rpc/036)
    props = rpc(url, "get_survey_properties", key, DEMO_SID, ["language", "additional_languages", "active"])
    assert props == {"language": "nl", "additional_languages": "en ar tr ti fa prs", "active": "Y"}
    assert rpc(url, "get_summary", key, DEMO_SID) == {"completed_responses": 2, "incomplete_responses": 1,
                                                      "full_responses": 3}
    assert rpc(url, "list_questions", key, DEMO_SID, None, "uk") == {"status": "Error: Invalid language"}


# --------------------------------------------------------------------------- wire format and bookkeeping
def test_php_json_encoding() -> None:
    assert php_json({"t": "Lege enquête / Empty"}) == '{"t":"Lege enqu\\u00eate \\/ Empty"}'
    assert php_json({}) == "[]"  # an empty PHP array (rpc/017)
    assert php_json({"0": "a", "1": "b"}) == '["a","b"]'  # keys 0..n-1 make a PHP list
    assert php_json({"1": "a", "2": "b"}) == '{"1":"a","2":"b"}'
    assert php_json({"x": None, "n": 620}) == '{"x":null,"n":620}'


def test_export_envelope_and_calls(demo: tuple[FakeLimeSurvey, str]) -> None:
    fake, url = demo
    key = session_key(url)
    body = json.dumps({"method": "export_responses", "params": [key, DEMO_SID, "json", None, "all", "code", "short",
                                                                None, None, None, None], "id": 42}).encode()
    status, content_type, answer = post(url, body)
    assert (status, content_type) == (200, "application/json")
    expected = base64.b64encode(encode_json_export(DEMO_ROWS)).decode()
    assert answer == f'{{"id":42, "result":"{expected}", "error":null}}'.encode()  # rpc/102 envelope
    assert fake.calls == [("get_session_key", ["admin", "secret"]),
                          ("export_responses", ["<SESSION_KEY>", DEMO_SID, "json", None, "all", "code", "short",
                                                None, None, None, None])]
    assert fake.active_keys() == {key}
    assert rpc(url, "release_session_key", key) == "OK"
    assert fake.released == [key] and fake.active_keys() == set()


def test_http_level_answers(demo: tuple[FakeLimeSurvey, str]) -> None:
    fake, url = demo
    status, content_type, body = post(url, b'{"method":"list_groups","params":["k"],"id":1}')
    assert status == 500 and content_type == "text/html; charset=UTF-8"
    assert b"Too few arguments to function remotecontrol_handle::list_groups(), 1 passed" in body
    status, _, body = post(url.replace("remotecontrol", "nothing"), b"{}")
    assert status == 404
    fake.rpc_enabled = False
    assert post(url, b'{"method":"get_session_key","params":["admin","secret"],"id":1}')[::2] == (200, b"")
    fake.rpc_enabled, fake.not_limesurvey = True, True
    status, content_type, body = post(url, b'{"method":"get_session_key","params":["admin","secret"],"id":1}')
    assert (status, content_type) == (200, "text/html") and body.startswith(b"<!DOCTYPE html>")


def test_replacing_and_appending_responses(demo: tuple[FakeLimeSurvey, str]) -> None:
    fake, url = demo
    fake.add_responses(DEMO_SID, [{**DEMO_ROWS[1], "submitdate": "2025-10-09 12:00:00"},
                                  {**DEMO_ROWS[0], "id": 10}])
    key = session_key(url)
    exported = base64.b64decode(rpc(url, "export_responses", key, DEMO_SID, "json", None, "complete"))
    assert [r["id"] for r in json.loads(exported)["responses"]] == [1, 2, 3, 10]


def test_server_stops_promptly_with_open_and_sleeping_connections() -> None:
    import http.client
    import threading

    fake = FakeLimeSurvey()
    fake.timeout_sleep = 30.0
    fake.fail("*", "timeout")
    server = LimeSurveyServer(fake).start()
    port = int(server.url.split(":")[2].split("/")[0])
    idle = http.client.HTTPConnection("127.0.0.1", port, timeout=5)  # keep-alive connection left open
    idle.request("POST", "/index.php/admin/remotecontrol", b'{"method":"x","params":[],"id":1}')
    waiting = threading.Thread(target=post, args=(server.url, b'{"method":"x","params":[],"id":1}'))
    waiting.start()
    time.sleep(0.2)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2
    waiting.join(timeout=5)
    idle.close()


# --------------------------------------------------------------------------- through citric
def _citric() -> Any:
    return pytest.importorskip("citric", reason="citric (and requests) are not installed in this environment")


def client_session(timeout: float = 0.5) -> Any:
    """A requests session with a default timeout, for citric.Client(requests_session=…)."""
    requests = pytest.importorskip("requests")

    class TimeoutSession(requests.Session):
        def request(self, *args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("timeout", timeout)
            return super().request(*args, **kwargs)

    return TimeoutSession()


def test_citric_export_is_the_exact_encoded_bytes(demo: tuple[FakeLimeSurvey, str]) -> None:
    citric = _citric()
    fake, url = demo
    with citric.Client(url, "admin", "secret", requests_session=client_session()) as client:
        assert client.export_responses(DEMO_SID, file_format="json") == encode_json_export(DEMO_ROWS)
        ranged = client.export_responses(DEMO_SID, from_response_id=2, to_response_id=3)  # inclusive bounds
        assert ranged == encode_json_export(DEMO_ROWS[1:])
        assert client.export_responses(DEMO_SID, from_response_id=50, to_response_id=60) == b'{"responses": []}'
        assert client.export_responses(DEMO_SID, completion_status="incomplete") == encode_json_export(DEMO_ROWS[1:2])
        assert client.export_responses_dict(DEMO_SID, language="ar") == DEMO_ROWS  # the language does not filter
        assert client.get_server_version() == "6.4.2" and client.get_db_version() == 620
        key = client.session.key
        assert fake.active_keys() == {key}
    assert fake.released == [key] and fake.active_keys() == set()
    assert fake.calls[-1] == ("release_session_key", ["<SESSION_KEY>"])


def test_citric_status_errors(demo: tuple[FakeLimeSurvey, str]) -> None:
    citric = _citric()
    from citric.exceptions import LimeSurveyStatusError

    fake, url = demo
    fake.add_survey(111111, demo_lss(), active=False)
    fake.add_survey(222222, demo_lss())
    with pytest.raises(LimeSurveyStatusError, match="^Invalid user name or password$"):
        citric.Client(url, "admin", "wrong", requests_session=client_session())
    with citric.Client(url, "admin", "secret", requests_session=client_session()) as client:
        for survey_id, status in [(999999, "No permission"), (111111, "No Data, survey table does not exist."),
                                  (222222, "No Data, could not get max id.")]:
            with pytest.raises(LimeSurveyStatusError, match=f"^{status}$"):
                client.export_responses(survey_id)
        with pytest.raises(LimeSurveyStatusError, match="^Error: Invalid survey ID$"):
            client.list_questions(999999)
        with pytest.raises(LimeSurveyStatusError, match="^Language code not found for this survey.$"):
            client.export_responses(DEMO_SID, language="uk")
        assert client.get_summary(111111) is None  # [] for a survey that is not active
        assert [s["sid"] for s in client.list_surveys()] == [111111, 222222, DEMO_SID]


def test_citric_fault_kinds(demo: tuple[FakeLimeSurvey, str]) -> None:
    citric = _citric()
    import requests
    from citric.exceptions import InvalidJSONResponseError, LimeSurveyStatusError

    fake, url = demo
    fake.timeout_sleep = 1.0
    client = citric.Client(url, "admin", "secret", requests_session=client_session(0.5))
    fake.fail("export_responses", "http500")
    with pytest.raises(requests.exceptions.HTTPError, match="500"):
        client.export_responses(DEMO_SID)
    fake.fail("export_responses", "timeout")
    with pytest.raises(requests.exceptions.Timeout):
        client.export_responses(DEMO_SID)
    fake.fail("export_responses", "drop")
    with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)):
        client.export_responses(DEMO_SID)
    fake.fail("export_responses", "invalid_json")
    with pytest.raises(InvalidJSONResponseError):
        client.export_responses(DEMO_SID)
    assert client.export_responses(DEMO_SID) == encode_json_export(DEMO_ROWS)  # faults are used up
    fake.fail("*", "expire")
    key = client.session.key
    for _ in range(2):  # the call the key expires before, and every later one
        with pytest.raises(LimeSurveyStatusError, match="^Invalid session key$"):
            client.export_responses(DEMO_SID)
    assert key not in fake.active_keys()
    client.close()
    assert fake.released == [key]
    assert [m for m, _ in fake.calls].count("export_responses") == 7


def test_citric_fault_on_any_method_and_repeated(demo: tuple[FakeLimeSurvey, str]) -> None:
    citric = _citric()
    import requests

    fake, url = demo
    fake.fail("*", "http500", times=2)
    for _ in range(2):
        with pytest.raises(requests.exceptions.HTTPError):
            citric.Client(url, "admin", "secret", requests_session=client_session())
    with citric.Client(url, "admin", "secret", requests_session=client_session()) as client:
        assert client.get_server_version() == "6.4.2"


def test_citric_server_without_rpc_or_not_limesurvey(demo: tuple[FakeLimeSurvey, str]) -> None:
    citric = _citric()
    from citric.exceptions import InvalidJSONResponseError, RPCInterfaceNotEnabledError

    fake, url = demo
    fake.rpc_enabled = False
    with pytest.raises(RPCInterfaceNotEnabledError):
        citric.Client(url, "admin", "secret", requests_session=client_session())
    fake.rpc_enabled, fake.not_limesurvey = True, True
    with pytest.raises(InvalidJSONResponseError):
        citric.Client(url, "admin", "secret", requests_session=client_session())


def test_three_failed_logins_lock_every_login_as_limesurvey_does(demo: tuple[FakeLimeSurvey, str]) -> None:
    import re

    from citric.exceptions import LimeSurveyStatusError

    from tests.limesurvey_server import LOCKED_OUT

    citric = _citric()
    _, url = demo
    for _ in range(3):
        with pytest.raises(LimeSurveyStatusError, match="^Invalid user name or password$"):
            citric.Client(url, "admin", "wrong", requests_session=client_session())
    with pytest.raises(LimeSurveyStatusError, match=f"^{re.escape(LOCKED_OUT.format(minutes=10))}$"):
        citric.Client(url, "admin", "secret", requests_session=client_session())
