"""Credentials stay secret: not in a snapshot, a manifest or a message, not sent to a redirect
target, not accepted over plain http:// to another computer; and a server cannot hold a fetch
by answering slowly. Hostile servers are loopback HTTP servers of a few lines each."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rapportage.cli import app
from rapportage.config import load_wave
from rapportage.errors import PipelineError
from rapportage.sources.fetch import Credentials, FetchSettings, credentials, fetch_wave
from rapportage.sources.redaction import Secrets, public_url
from typer.testing import CliRunner

from tests.test_fetch import PASSWORD, fetch, setup, tree  # noqa: F401 (setup is a fixture)

CANARY = "Url-Canary-93kd"


class Hostile:
    """A loopback HTTP server whose answer to every POST is ``answer(body) -> (status, reason,
    headers, chunks, pause)``: the chunks are sent ``pause`` seconds apart. It records the bodies."""

    def __init__(self, answer):
        self.answer, self.bodies = answer, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length") or 0)).decode()
                outer.bodies.append(body)
                status, reason, headers, chunks, pause = outer.answer(body)
                self.send_response(status, reason)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(sum(len(c) for c in chunks)))
                self.end_headers()
                for chunk in chunks:
                    try:
                        self.wfile.write(chunk)
                        self.wfile.flush()
                    except OSError:
                        return
                    time.sleep(pause)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/index.php/admin/remotecontrol"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def rpc_result(body: str, result) -> bytes:
    return json.dumps({"id": json.loads(body)["id"], "result": result, "error": None}).encode()


def test_user_info_in_the_url_is_used_but_never_recorded_or_shown(setup):
    wave, fake, creds, rows = setup
    with_auth = Credentials(creds.url.replace("http://", f"http://onderzoeker:{CANARY}@"), creds.user, creds.password)
    snap = fetch(wave, with_auth)
    assert json.loads((snap / "manifest.json").read_text())["source"] == creds.url
    assert all(CANARY.encode() not in data for data in tree(wave).values())
    fake.fail("export_responses", "http500", times=5)
    with pytest.raises(PipelineError) as failure:
        fetch(wave, with_auth)
    assert "failed 3 times" in str(failure.value) and creds.url in str(failure.value)
    assert CANARY not in str(failure.value) and "onderzoeker:" not in str(failure.value)
    assert CANARY not in repr(with_auth)


def test_user_info_in_wave_yaml_is_refused(setup):
    wave, *_ = setup
    path = wave.config_dir / "wave.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  url: null", f"  url: https://onderzoeker:{CANARY}@limesurvey.example.org/index.php/admin/remotecontrol"),
                    encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", "--wave", "w2025", "--root", str(wave.root)])
    assert result.exit_code == 1 and "limesurvey.url holds a user name or password" in result.output


def test_a_redirect_is_not_followed_with_the_password(setup):
    wave, *_ = setup
    with Hostile(lambda body: (200, "OK", {}, [rpc_result(body, "k" * 32)], 0)) as target, \
            Hostile(lambda body: (307, "Temporary Redirect", {"location": target.url}, [b""], 0)) as server:
        with pytest.raises(PipelineError, match=r"answered with a redirect \(HTTP 307\) to http://127\.0\.0\.1:\d+/index\.php"
                                                r"/admin/remotecontrol; the request, which holds the password, was not sent there"):
            fetch(wave, Credentials(server.url, "onderzoeker", PASSWORD))
        assert len(server.bodies) == 1 and target.bodies == []


@pytest.mark.parametrize("where", ["reason", "status", "error", "login"])
def test_a_server_that_echoes_the_request_shows_no_secret(setup, monkeypatch, where):
    wave, *_ = setup
    key = "SessionKeyCanary0123456789abcdef"

    def answer(body):
        call = json.loads(body)
        if where == "login":
            return 200, "OK", {}, [rpc_result(body, {"status": f"Login failed for {body}"})], 0
        if call["method"] == "get_session_key":
            return 200, "OK", {}, [rpc_result(body, key)], 0
        echo = f"cannot handle {body}"
        if where == "reason":
            return 500, echo.replace("\n", " ")[:400], {}, [b"error"], 0
        if where == "status":
            return 200, "OK", {}, [rpc_result(body, {"status": echo})], 0
        return 200, "OK", {}, [json.dumps({"id": call["id"], "result": None, "error": echo}).encode()], 0

    with Hostile(answer) as server:
        monkeypatch.setenv("LIMESURVEY_URL", server.url)
        monkeypatch.setenv("LIMESURVEY_PASSWORD", PASSWORD)
        result = CliRunner().invoke(app, ["fetch", "--wave", "w2025", "--root", str(wave.root)])
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit) and "error: " in result.output, result.output
        joined = "".join(result.output.split())  # the console wraps long lines, also inside a word
        assert PASSWORD not in joined and key not in joined, result.output
        assert PASSWORD in server.bodies[0] and (where == "login" or key in server.bodies[-1])  # the server saw them
    assert not list(wave.raw_dir.glob("2*"))


def test_plain_http_to_another_computer_is_refused_unless_allowed(setup, monkeypatch):
    wave, *_ = setup
    monkeypatch.setenv("LIMESURVEY_URL", "http://limesurvey.example.org/index.php/admin/remotecontrol")
    with pytest.raises(PipelineError, match=r"is plain http://, so the password would cross the network unencrypted; "
                                            r"use https:// \(or, .* set limesurvey.allow_http: true"):
        credentials(wave)
    path = wave.config_dir / "wave.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("limesurvey:\n", "limesurvey:\n  allow_http: true\n"), encoding="utf-8")
    assert credentials(load_wave(wave.root, wave.id)).url.startswith("http://limesurvey.example.org")
    monkeypatch.setenv("LIMESURVEY_URL", "https://limesurvey.example.org/index.php/admin/remotecontrol")
    assert credentials(wave).url.startswith("https://")  # https and loopback (the other tests) need no setting


def test_a_server_dripping_bytes_cannot_hold_a_fetch(setup):
    wave, *_ = setup

    def answer(body):
        data = rpc_result(body, "k" * 32)
        return 200, "OK", {}, [data[i:i + 1] for i in range(len(data))], 0.2

    with Hostile(answer) as server:
        start = time.monotonic()
        with pytest.raises(PipelineError, match=r"failed 2 times \(no answer within 1 s\)"):
            fetch_wave(wave, Credentials(server.url, "onderzoeker", PASSWORD),
                       settings=FetchSettings(timeout=1.0, retries=1, backoff=0.0), sleep=lambda s: None)
        assert time.monotonic() - start < 5  # two attempts of at most 1 s each (the drip alone takes 10 s)



def test_the_deadline_keeps_a_callers_own_alarm(setup):
    """A program that calls fetch_wave under its own SIGALRM timer keeps it: the timer still fires,
    at its own time, with its own handler, after a fetch that used the deadline."""
    import signal

    wave, _, creds, _ = setup
    fired: list[float] = []
    previous = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(time.monotonic()))
    try:
        start = time.monotonic()
        signal.setitimer(signal.ITIMER_REAL, 30.0)
        fetch(wave, creds)  # many requests, each under a deadline of its own
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 25 < left <= 30 - (time.monotonic() - start) + 0.01
        assert not fired
        signal.setitimer(signal.ITIMER_REAL, 0.05)  # and their handler is the one that runs
        time.sleep(0.2)
        assert fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_a_callers_repeating_alarm_neither_stops_nor_lifts_the_deadline(setup):
    """A program with its own SIGALRM ticker (every 0.3 s, a handler that only counts) still
    gets the deadline against a dripping server, and its ticker keeps ticking."""
    import signal

    wave, *_ = setup
    ticks: list[float] = []

    def answer(body):
        data = rpc_result(body, "k" * 32)
        return 200, "OK", {}, [data[i:i + 1] for i in range(len(data))], 0.2

    previous = signal.signal(signal.SIGALRM, lambda signum, frame: ticks.append(time.monotonic()))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3, 0.3)
        with Hostile(answer) as server:
            start = time.monotonic()
            with pytest.raises(PipelineError, match=r"failed 2 times \(no answer within 1 s\)"):
                fetch_wave(wave, Credentials(server.url, "onderzoeker", PASSWORD),
                           settings=FetchSettings(timeout=1.0, retries=1, backoff=0.0), sleep=lambda s: None)
            assert time.monotonic() - start < 5
        during = len(ticks)
        assert during >= 3  # their handler ran during the fetch
        _, interval = signal.getitimer(signal.ITIMER_REAL)
        assert interval == pytest.approx(0.3)
        time.sleep(0.7)
        assert len(ticks) > during  # and goes on after it
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)

def test_secrets_are_blanked_in_every_form():
    secrets = Secrets("p@ss wörd/\"x", "short")
    text = 'a p@ss wörd/"x b p%40ss%20w%C3%B6rd%2F%22x c p%40ss+w%C3%B6rd%2F%22x d p@ss w\\u00f6rd/\\"x https://u:v@h/x'
    assert secrets(text) == "a *** b *** c *** d *** https://h/x"
    assert public_url("https://u:p%40ss@host:8443/index.php?x=1") == "https://host:8443/index.php?x=1"
    assert public_url("https://host/index.php") == "https://host/index.php"
