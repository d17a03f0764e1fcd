"""Fetching a wave from LimeSurvey (RemoteControl 2 JSON-RPC, through ``citric``) into a snapshot.

A fetch asks, for every survey id of the wave: the survey and language properties, the groups,
questions, sub-questions and answer options in every language, and all responses (complete and
incomplete, answer codes, start language, dates) in pages of response ids. It writes a new
snapshot ``data_raw/<wave>/<UTC timestamp>/`` through a temporary folder that is renamed only
when everything arrived, so an interrupted fetch leaves no snapshot and never touches earlier
ones.

Credentials come only from the environment (``LIMESURVEY_URL``, ``LIMESURVEY_USER``,
``LIMESURVEY_PASSWORD``) or from a file outside the repository named by
``RAPPORTAGE_LIMESURVEY_CREDENTIALS`` (``KEY=value`` lines); they are never logged or written.
The session key is always released, also on errors.

Secrets stay out of what is recorded and shown: URLs lose their user-info (:func:`public_url`),
the password and session keys are blanked from every message, a server answer that holds them is
refused, RPC posts never follow a redirect (the body holds the password), and plain ``http://`` is
refused for a server that is not on this computer unless ``limesurvey.allow_http`` says otherwise.
Every HTTP request has a total deadline (``timeout_seconds``), not only one per read, so a server
that answers a byte at a time cannot hold a fetch.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import citric
import requests
from citric.exceptions import LimeSurveyApiError, LimeSurveyError, LimeSurveyStatusError

from rapportage import manifest
from rapportage.config import Wave
from rapportage.errors import PipelineError
from rapportage.questionnaire.lss import (
    Question,
    Structure,
    drift,
    parse_lss,
    structure_from_spec,
    summarise,
)
from rapportage.sources.limesurvey import (
    decode_csv_export,
    decode_json_export,
    encode_json_export,
    responses_table,
)
from rapportage.sources.redaction import Secrets, is_loopback, public_url
from rapportage.sources.snapshots import next_sequence, response_files, snapshots

CREDENTIALS_FILE_ENV = "RAPPORTAGE_LIMESURVEY_CREDENTIALS"
NO_RESPONSES = "No Data, could not get max id."
NOT_ACTIVE = "No Data, survey table does not exist."
BAD_KEY = "Invalid session key"
UNKNOWN_SURVEY = ("Error: Invalid survey ID", "No permission", "Invalid surveyid")


@dataclass(frozen=True)
class Credentials:
    url: str = field(repr=False)  # may hold user:password@ for HTTP basic authentication
    user: str
    password: str = field(repr=False)

    @property
    def public_url(self) -> str:
        return public_url(self.url)


@dataclass(frozen=True)
class FetchSettings:
    """How patient and how big: retries with exponential back-off, HTTP timeout, page size."""

    page_size: int = 500
    timeout: float = 60.0
    retries: int = 3
    backoff: float = 2.0


def fetch_settings(wave: Wave) -> FetchSettings:
    """The patience and page size ``limesurvey:`` in ``wave.yaml`` asks for."""
    source = wave.config.limesurvey
    return FetchSettings(page_size=source.page_size, timeout=source.timeout_seconds, retries=source.retries,
                         backoff=source.backoff_seconds)


def server_in_environment() -> bool:
    """Whether the environment names a LimeSurvey server (or a credentials file)."""
    return bool(os.environ.get("LIMESURVEY_URL") or os.environ.get(CREDENTIALS_FILE_ENV))


def credentials(wave: Wave, environ: dict[str, str] | None = None) -> Credentials:
    """URL, user and password from the environment or a credentials file outside the repository."""
    env = dict(os.environ if environ is None else environ)
    path = env.get(CREDENTIALS_FILE_ENV)
    if path:
        file = Path(path).expanduser().resolve()
        if file.is_relative_to(wave.root.resolve()):
            raise PipelineError(f"{CREDENTIALS_FILE_ENV} points inside the project ({file}); keep credentials outside the repository.")
        if not file.is_file():
            raise PipelineError(f"{CREDENTIALS_FILE_ENV} names {file}, which does not exist.")
        for line in file.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip() in ("LIMESURVEY_URL", "LIMESURVEY_USER", "LIMESURVEY_PASSWORD"):
                env.setdefault(key.strip(), value.strip())
    url = env.get("LIMESURVEY_URL") or wave.config.limesurvey.url
    missing = [name for name, value in (("LIMESURVEY_URL (or limesurvey.url in wave.yaml)", url),
                                        ("LIMESURVEY_USER", env.get("LIMESURVEY_USER")),
                                        ("LIMESURVEY_PASSWORD", env.get("LIMESURVEY_PASSWORD"))) if not value]
    if missing:
        raise PipelineError(
            f"set {', '.join(missing)} in the environment (or in a file outside the repository named by "
            f"{CREDENTIALS_FILE_ENV}) to fetch wave {wave.id!r} from LimeSurvey."
        )
    assert url is not None  # a missing URL was refused above
    shown_url = public_url(url)
    try:
        scheme, host = urlsplit(url).scheme.lower(), urlsplit(url).hostname
    except ValueError:
        scheme, host = "", None
    if scheme not in ("http", "https") or not host:
        raise PipelineError(f"the LimeSurvey URL {shown_url!r} is not an http(s) address; set LIMESURVEY_URL to the "
                            "RemoteControl address, ending in /index.php/admin/remotecontrol.")
    if scheme == "http" and not is_loopback(url) and not wave.config.limesurvey.allow_http:
        raise PipelineError(
            f"the LimeSurvey URL {shown_url} is plain http://, so the password would cross the network unencrypted; "
            f"use https:// (or, if the connection is protected otherwise, set limesurvey.allow_http: true in "
            f"surveys/{wave.id}/wave.yaml)."
        )
    return Credentials(url=url, user=env["LIMESURVEY_USER"], password=env["LIMESURVEY_PASSWORD"])


def secrets_of(creds: Credentials) -> Secrets:
    """The password, and a password in the URL's user-info."""
    in_url = urlsplit(creds.url).password
    return Secrets(creds.password, *([in_url, unquote(in_url)] if in_url else []))


class _Deadline(Exception):
    """Raised by SIGALRM inside a request that ran out of time (not an OSError, so that no layer
    of requests or urllib3 mistakes it for a dropped connection and retries)."""


@contextlib.contextmanager
def _deadline(seconds: float):
    """Raise :class:`_Deadline` in this block after ``seconds`` (main thread only: elsewhere the
    per-read time-out of requests is the only limit).

    A calling program's own ``ITIMER_REAL`` keeps working: the timer is armed for whichever is
    due first; when the caller's time comes, its SIGALRM handler runs as it would have (and its
    interval goes on), and the deadline is then armed again for the time left. On leaving the
    block the caller's timer and handler are as they would have been without it."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return
    start = time.monotonic()
    deadline = start + seconds
    theirs, their_interval = signal.getitimer(signal.ITIMER_REAL)
    their_due = start + theirs if theirs > 0 else None

    def arm() -> None:
        due = deadline if their_due is None else min(deadline, their_due)
        signal.setitimer(signal.ITIMER_REAL, max(due - time.monotonic(), 1e-6))

    def expire(signum: int, frame: Any) -> None:
        nonlocal their_due
        now = time.monotonic()
        if their_due is not None and now >= their_due - 1e-3:
            their_due = now + their_interval if their_interval > 0 else None
            if callable(previous):
                previous(signum, frame)  # may raise, as it would have without the deadline
            elif previous == signal.SIG_DFL:  # their timer would have ended the process
                signal.signal(signal.SIGALRM, signal.SIG_DFL)
                signal.raise_signal(signal.SIGALRM)
        if now >= deadline - 1e-3:
            raise _Deadline
        arm()

    previous = signal.signal(signal.SIGALRM, expire)
    arm()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if their_due is not None:
            signal.setitimer(signal.ITIMER_REAL, max(their_due - time.monotonic(), 1e-6), their_interval)


class _GuardedSession(requests.Session):
    """The HTTP session of a fetch: a total deadline per request, no redirects, and no answer
    that holds a secret. It learns the session key from the login answer and the posts."""

    def __init__(self, timeout: float, secrets: Secrets) -> None:
        super().__init__()
        self._timeout, self._secrets = timeout, secrets

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self._timeout)
        kwargs["allow_redirects"] = False  # a redirected post would carry the password elsewhere
        rpc = _rpc_call(kwargs.get("data"))
        if rpc and rpc[0] != "get_session_key" and rpc[1]:
            self._secrets.add(rpc[1])
        try:
            with _deadline(self._timeout):
                response = super().request(method, url, *args, **kwargs)
        except _Deadline:
            self.close()  # the connection is in the middle of an answer
            raise requests.Timeout(f"no complete answer within {self._timeout:g} s") from None
        if response.is_redirect:
            target = public_url(requests.compat.urljoin(url, response.headers.get("location", "")))
            raise PipelineError(
                f"LimeSurvey at {public_url(url)} answered with a redirect (HTTP {response.status_code}) to {target}; "
                "the request, which holds the password, was not sent there. If that is the right address, set "
                "LIMESURVEY_URL to it."
            )
        if self._secrets.found_in(response.content) or self._secrets.found_in(response.reason or ""):
            raise PipelineError(
                f"LimeSurvey at {public_url(url)} sent the password or session key back in its answer"
                f"{f' to {rpc[0]}' if rpc else ''}; nothing was written. Check that the URL is the LimeSurvey server's."
            )
        if rpc and rpc[0] == "get_session_key":
            with contextlib.suppress(ValueError, AttributeError, TypeError):
                self._secrets.add(response.json().get("result"))
        return response


def _rpc_call(body: Any) -> tuple[str, str | None] | None:
    """(method, session key or None) of a JSON-RPC post body."""
    try:
        payload = json.loads(body)
        params = payload.get("params") or [None]
        return str(payload["method"]), params[0] if isinstance(params[0], str) else None
    except (TypeError, ValueError, KeyError, AttributeError, IndexError):
        return None


class RemoteControl:
    """A citric client that retries transient failures and logs in again when the session key
    expires mid-fetch; every error a user can meet becomes one :class:`PipelineError` sentence."""

    def __init__(self, creds: Credentials, settings: FetchSettings, sleep: Callable[[float], None] = time.sleep,
                 secrets: Secrets | None = None):
        self.creds, self.settings, self._sleep = creds, settings, sleep
        self.secrets = secrets or secrets_of(creds)
        self.client: citric.Client | None = None

    # -- lifecycle
    def __enter__(self) -> "RemoteControl":
        self._login()
        return self

    def __exit__(self, *exc: object) -> None:
        self._logout()

    def _login(self) -> None:
        self.client = self._attempt(lambda: citric.Client(
            self.creds.url, self.creds.user, self.creds.password,
            requests_session=_GuardedSession(self.settings.timeout, self.secrets)))

    def _logout(self) -> None:
        if self.client is None:
            return
        try:
            self.client.close()  # release_session_key
        except (LimeSurveyError, requests.RequestException):
            pass  # the server is gone or the key expired already: nothing left to release
        self.client = None

    # -- calls
    def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """``client.<method>(*args, **kwargs)`` with retries and one re-login on an expired key."""
        for relogin in (True, False):
            try:
                return self._attempt(lambda: getattr(self.client, method)(*args, **kwargs))
            except LimeSurveyStatusError as exc:
                if str(exc) == BAD_KEY and relogin:
                    self._logout()
                    self._login()
                    continue
                raise
        raise AssertionError("unreachable")

    def raw(self, method: str, *params: Any, retry: bool = True) -> Any:
        """A RemoteControl call whose result comes back as LimeSurvey sent it, a ``status`` object
        too (citric raises on any status but "OK", and "3 left to send" is a success). Logs in
        again on an expired key; retried like :meth:`call` unless ``retry`` is false: a call that
        changes the server (a reminder) is not sent twice on a time-out."""
        assert self.client is not None
        for relogin in (True, False):
            response = self._attempt(lambda: self.client.session.call(method, *params),  # type: ignore[union-attr]
                                     retries=None if retry else 0, changes_server=not retry)
            if response.get("error") is not None:
                raise PipelineError(f"LimeSurvey at {self.creds.public_url} reported an error: {response['error']}.")
            result = response.get("result")
            if relogin and isinstance(result, dict) and result.get("status") == BAD_KEY:
                self._logout()
                self._login()
                continue
            return result
        raise AssertionError("unreachable")

    def _attempt(self, fn: Callable[[], Any], retries: int | None = None, changes_server: bool = False) -> Any:
        """Run ``fn``, retrying HTTP 5xx, time-outs and dropped connections with back-off
        (``retries`` times, default the settings'); ``changes_server``: a failure may have had its
        effect, and the message says so."""
        url = self.creds.public_url
        last = ""
        retries = self.settings.retries if retries is None else retries
        for attempt in range(retries + 1):
            try:
                return fn()
            except LimeSurveyStatusError as exc:
                if str(exc) == "Invalid user name or password":
                    raise PipelineError(
                        f"LimeSurvey at {url} refused user {self.creds.user!r}: wrong user name or password; "
                        "check LIMESURVEY_USER and LIMESURVEY_PASSWORD."
                    ) from None
                locked = re.match(r"You have exceeded the number of maximum login attempts\. Please wait (\d+) minutes",
                                  str(exc))
                if locked:
                    raise PipelineError(
                        f"LimeSurvey at {url} has locked logins from this computer after too many failed attempts; "
                        f"wait {locked.group(1)} minutes (the server's lockout), check LIMESURVEY_USER and "
                        "LIMESURVEY_PASSWORD, then fetch again."
                    ) from None
                raise
            except (citric.exceptions.RPCInterfaceNotEnabledError, citric.exceptions.InvalidJSONResponseError,
                    citric.exceptions.ResponseMismatchError):
                raise PipelineError(
                    f"{url} did not answer as a LimeSurvey RemoteControl 2 (JSON-RPC) endpoint; check that the URL "
                    "ends in /index.php/admin/remotecontrol and that RemoteControl with JSON-RPC is enabled under "
                    "Global settings > Interfaces."
                ) from None
            except LimeSurveyApiError as exc:
                raise PipelineError(f"LimeSurvey at {url} reported an error: {exc}.") from None
            except (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema,
                    requests.exceptions.InvalidHeader) as exc:
                raise PipelineError(f"{url} is not a usable LimeSurvey URL ({exc.__class__.__name__}); check LIMESURVEY_URL.") from None
            except requests.HTTPError as exc:
                status = exc.response.status_code if exc.response is not None else 0
                if status < 500:
                    raise PipelineError(
                        f"{url} answered HTTP {status}: not a LimeSurvey RemoteControl endpoint; check LIMESURVEY_URL."
                    ) from None
                last = f"HTTP {status}"
            except requests.Timeout:
                last = f"no answer within {self.settings.timeout:g} s"
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                last = "connection refused or dropped"
            if attempt < retries:
                self._sleep(self.settings.backoff * 2**attempt)
        if changes_server:
            raise PipelineError(f"LimeSurvey at {url} did not complete the call ({last}); it may or may not have taken "
                                "effect on the server: check there before trying again.")
        raise PipelineError(
            f"LimeSurvey at {url} failed {retries + 1} times ({last}); nothing was written, "
            "try again later or ask the server's administrator."
        )


# --------------------------------------------------------------------------- structure
def fetch_structure(rc: RemoteControl, survey_id: int, languages: list[str]) -> tuple[Structure, list[dict]]:
    """Groups, questions, sub-questions and answer options in every language.

    Returns the structure and the raw answers of every structure call (kept in the snapshot)."""
    raw: list[dict] = []

    def ask(method: str, *args: Any, **kwargs: Any) -> Any:
        result = rc.call(method, *args, **kwargs)
        raw.append({"method": method, "args": list(args), "kwargs": kwargs, "result": result})
        return result

    groups: dict[int, dict[str, str]] = {}
    group_order: dict[int, int] = {}
    questions: dict[str, Question] = {}
    by_qid: dict[int, Question] = {}
    for lang in languages:
        for g in ask("list_groups", survey_id, language=lang):
            groups.setdefault(int(g["gid"]), {})[lang] = g["group_name"]
            group_order[int(g["gid"])] = int(g["group_order"])
    gindex = {gid: i for i, gid in enumerate(sorted(groups, key=lambda gid: group_order[gid]))}
    for lang in languages:
        listed = ask("list_questions", survey_id, language=lang)
        parents = sorted((q for q in listed if int(q["parent_qid"]) == 0),
                         key=lambda q: (gindex[int(q["gid"])], int(q["question_order"])))
        for q in parents:
            qu = by_qid.get(int(q["qid"]))
            if qu is None:
                qu = Question(code=q["title"], type=q["type"], group=gindex[int(q["gid"])], texts={},
                              relevance=q.get("relevance") or "1", mandatory=q.get("mandatory") == "Y",
                              other=q.get("other") == "Y")
                questions[qu.code] = by_qid[int(q["qid"])] = qu
            qu.texts[lang] = q["question"]
        subs = sorted((q for q in listed if int(q["parent_qid"]) != 0 and int(q.get("scale_id") or 0) == 0),
                      key=lambda q: int(q["question_order"]))
        for q in subs:
            parent = by_qid[int(q["parent_qid"])]
            for code, texts in parent.subquestions:
                if code == q["title"]:
                    texts[lang] = q["question"]
                    break
            else:
                parent.subquestions.append((q["title"], {lang: q["question"]}))
    for qid, qu in by_qid.items():
        if qu.type not in ("L", "F", "A", "!", "O", "H", "1", "R"):
            continue
        for lang in languages:
            props = ask("get_question_properties", qid, settings=["answeroptions"], language=lang)
            options = props.get("answeroptions")
            if not isinstance(options, dict):  # LimeSurvey says "No available answers"
                continue
            for code, opt in sorted(options.items(), key=lambda kv: int(kv[1].get("order", 0))):
                if int(opt.get("scale_id", 0)) != 0:
                    continue
                for c, labels in qu.answers:
                    if c == code:
                        labels[lang] = opt["answer"]
                        break
                else:
                    qu.answers.append((code, {lang: opt["answer"]}))
    structure = Structure(base_language=languages[0], languages=languages,
                          groups=[groups[gid] for gid in sorted(groups, key=lambda g: group_order[g])],
                          questions=questions)
    return structure, raw


def structure_json(structure: Structure) -> bytes:
    return manifest.json_bytes(asdict(structure))


# --------------------------------------------------------------------------- responses
def held_response_ids(wave: Wave, survey_id: int) -> set[int]:
    """Response ids already held in the wave's complete snapshots."""
    ids: set[int] = set()
    for snap in snapshots(wave):
        for path in response_files(snap, survey_id):
            ids.update(int(r["id"]) for r in decode_json_export(path.read_bytes(), str(path)))
    return ids


def _status(exc: LimeSurveyError) -> str:
    return str(exc).split(" (error code")[0]


def fetch_wave(
    wave: Wave,
    creds: Credentials,
    *,
    incremental: bool = False,
    settings: FetchSettings = FetchSettings(),
    progress: Callable[[int, int, int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> Path:
    """Fetch every survey of the wave into a new snapshot; returns its folder.

    ``progress(survey_id, responses fetched, responses to fetch)`` is called after each page.
    With ``incremental`` only responses above the highest id already held are asked for
    (``iFromResponseID``); the import stage combines snapshots.
    """
    secrets = secrets_of(creds)
    try:
        return write_snapshot(wave, lambda tmp: _fetch_into(tmp, wave, creds, incremental, settings, progress, sleep, secrets), now)
    except PipelineError as exc:
        raise PipelineError(secrets(str(exc))) from None
    except LimeSurveyError as exc:  # a status no step expected: say it, without any secret it may echo
        raise PipelineError(f"LimeSurvey at {creds.public_url} answered {secrets(_status(exc))!r} while fetching wave "
                            f"{wave.id}; nothing was written. Check the survey in LimeSurvey or ask its administrator.") from None


def write_snapshot(wave: Wave, fill: Callable[[Path], dict], now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> Path:
    """Make a new snapshot: ``fill(folder)`` writes the files and returns the summary; the
    folder is renamed into place only after the manifest (summary + sha256 of every file) is
    written, and removed on any error. Earlier snapshots are never touched."""
    stamp = now().strftime("%Y%m%dT%H%M%SZ")
    name, count = stamp, 1
    while (wave.raw_dir / name).exists():  # a second snapshot in the same second: 20261201T101500Z-2
        count += 1
        name = f"{stamp}-{count}"
    final = wave.raw_dir / name
    try:
        wave.raw_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".incomplete-{name}-", dir=wave.raw_dir))  # never shared with another writer
        os.chmod(tmp, 0o777 & ~manifest._UMASK)  # an ordinary folder once renamed (mkdtemp makes 0700)
        try:
            summary = fill(tmp)
            summary["snapshot"] = name
            summary["sequence"] = next_sequence(wave)  # the order snapshots are used in, whatever the clock said
            summary["written_at"] = now().isoformat(timespec="seconds")
            summary["files"] = {p.name: manifest.sha256_file(p) for p in sorted(tmp.iterdir()) if p.is_file()}
            manifest.atomic_write(tmp / "manifest.json", manifest.json_bytes(summary))
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    except OSError as exc:  # a read-only or full data drive: nothing is left behind
        raise PipelineError(f"cannot write a snapshot in data_raw/{wave.id}/ ({(exc.strerror or str(exc)).lower()}); "
                            "make the folder writable (or free space on its disk) and run again; nothing was changed.") from None
    return final


YES_NO_TEXTS = {"ja", "nee", "yes", "no"}


def _refuse_full_text_answers(wave: Wave, rows: list[dict], source: Path) -> None:
    """A CSV exported with 'Full answers' has the answer labels where the codes belong; cleaning
    would then call every label an unknown code. Recognise it at import and say which export
    settings to choose."""
    for item in wave.questionnaire.items.values():
        if item.type not in ("single", "yesno") or not rows or item.code not in rows[0]:
            continue
        codes = {"Y", "N"} if item.type == "yesno" else {o.code for o in item.options}
        labels = {text.strip().lower() for o in item.options for text in o.label.values()}
        if item.type == "yesno":
            labels |= YES_NO_TEXTS
        for row in rows:
            value = (row.get(item.code) or "").strip()
            if value and value not in codes and value.lower() in labels:
                raise PipelineError(
                    f"{source}: column {item.code} holds the answer text {value!r} where LimeSurvey's answer code belongs: "
                    "the responses were exported as 'Full answers'; export them again with Responses: 'Answer codes' "
                    "and Headings: 'Question code' (CSV, separator ';')."
                )


def import_files(wave: Wave, paths: list[Path]) -> Path:
    """The offline route: a CSV response export and the survey structure (``.lss``) downloaded
    from the LimeSurvey admin pages become a snapshot like a fetch makes."""
    lss_files = [p for p in paths if p.suffix.lower() == ".lss"]
    csv_files = [p for p in paths if p.suffix.lower() == ".csv"]
    other = [p for p in paths if p not in lss_files and p not in csv_files]
    if other or len(lss_files) != 1 or len(csv_files) != 1:
        raise PipelineError("give one response export (.csv) and one survey structure file (.lss) to import.")
    for p in paths:
        if not p.is_file():
            raise PipelineError(f"{p}: file not found.")
    lss_bytes, csv_bytes = lss_files[0].read_bytes(), csv_files[0].read_bytes()
    structure = parse_lss(lss_bytes, str(lss_files[0]))
    sid = survey_id_of_lss(lss_bytes, str(lss_files[0]))
    if sid not in wave.config.limesurvey.survey_ids:
        raise PipelineError(
            f"{lss_files[0]} is survey {sid}, which surveys/{wave.id}/wave.yaml limesurvey.survey_ids does not list; add it or import the right file."
        )
    differences = drift(structure_from_spec(wave.questionnaire, wave.config.languages), structure)
    if differences:
        raise PipelineError(
            f"{lss_files[0]} does not match surveys/{wave.id}/questionnaire.yaml: " + summarise(differences, name=f"drift-{wave.id}-{sid}")
            + ". Update the specification (or the survey) so they agree; nothing was written."
        )
    rows = decode_csv_export(csv_bytes, str(csv_files[0]))
    responses_table(rows, str(csv_files[0]))  # the same checks as on a fetched export (ids, columns)
    _refuse_full_text_answers(wave, rows, csv_files[0])

    def fill(tmp: Path) -> dict:
        (tmp / f"export_{sid}.csv").write_bytes(csv_bytes)
        (tmp / f"structure_{sid}.lss").write_bytes(lss_bytes)
        (tmp / f"responses_{sid}.json").write_bytes(encode_json_export(rows))
        counts: dict[str, dict[str, int]] = {}
        for r in rows:
            c = counts.setdefault(r.get("startlanguage", ""), {"complete": 0, "incomplete": 0})
            c["complete" if r.get("submitdate") else "incomplete"] += 1
        return {"wave": wave.id, "source": f"import of {csv_files[0].name} and {lss_files[0].name}", "surveys": {
            str(sid): {"languages": structure.languages, "responses": len(rows), "responses_by_language": counts,
                       "response_id_range": [rows[0]["id"], rows[-1]["id"]] if rows else None}}}

    return write_snapshot(wave, fill)


def survey_id_of_lss(data: bytes, source: str) -> int:
    import xml.etree.ElementTree as ET

    sid = ET.fromstring(data).findtext("./surveys/rows/row/sid")
    if not sid or not sid.strip().isdigit():
        raise PipelineError(f"{source}: holds no survey id; export the survey structure (.lss) again.")
    return int(sid)


def _fetch_into(tmp: Path, wave: Wave, creds: Credentials, incremental: bool, settings: FetchSettings,
                progress: Callable[[int, int, int], None] | None, sleep: Callable[[float], None], secrets: Secrets) -> dict:
    spec = structure_from_spec(wave.questionnaire, wave.config.languages)
    summary: dict[str, Any] = {"wave": wave.id, "source": creds.public_url, "incremental": incremental, "surveys": {}}
    with RemoteControl(creds, settings, sleep, secrets) as rc:
        summary["server_version"] = rc.call("get_server_version")
        for sid in wave.config.limesurvey.survey_ids:
            where = f"survey {sid} (surveys/{wave.id}/wave.yaml limesurvey.survey_ids)"
            try:
                props = rc.call("get_survey_properties", sid)
            except LimeSurveyStatusError as exc:
                if _status(exc) in UNKNOWN_SURVEY:
                    raise PipelineError(f"{where} does not exist on {creds.public_url} or user {creds.user!r} may not read it; "
                                        "check the id and the user's permissions.") from None
                raise PipelineError(f"{where}: LimeSurvey answered {_status(exc)!r}.") from None
            if props.get("active") != "Y":
                raise PipelineError(f"{where} is not activated in LimeSurvey, so it has no responses to fetch; activate it first.")
            languages = [props["language"], *[c for c in (props.get("additional_languages") or "").split() if c != props["language"]]]
            structure, raw = fetch_structure(rc, sid, languages)
            (tmp / f"structure_{sid}.raw.json").write_bytes(manifest.json_bytes(raw))
            (tmp / f"structure_{sid}.json").write_bytes(structure_json(structure))
            differences = drift(spec, structure)
            if differences:
                raise PipelineError(
                    f"{where} does not match surveys/{wave.id}/questionnaire.yaml: {summarise(differences, name=f'drift-{wave.id}-{sid}')}. "
                    "Update the specification (or the survey) so they agree; nothing was written."
                )
            summary["surveys"][str(sid)] = _fetch_responses(tmp, rc, wave, sid, languages, incremental, settings, progress)
    return summary


def _fetch_responses(tmp: Path, rc: RemoteControl, wave: Wave, sid: int, languages: list[str], incremental: bool,
                     settings: FetchSettings, progress: Callable[[int, int, int], None] | None) -> dict:
    try:
        listing = decode_json_export(rc.call("export_responses", sid, file_format="json", fields=["id"]), f"survey {sid}")
        ids = sorted(int(r["id"]) for r in listing)
    except LimeSurveyStatusError as exc:
        if _status(exc) == NO_RESPONSES:
            ids = []
        elif _status(exc) == NOT_ACTIVE:
            raise PipelineError(f"survey {sid} is not activated in LimeSurvey; activate it first.") from None
        elif _status(exc) in UNKNOWN_SURVEY:
            raise PipelineError(f"user {rc.creds.user!r} may not export responses of survey {sid}; ask for export permission.") from None
        else:
            raise
    held_max = max(held_response_ids(wave, sid), default=0) if incremental else 0
    todo = [i for i in ids if i > held_max]
    counts: dict[str, dict[str, int]] = {}
    fetched = 0
    for start in range(0, len(todo), settings.page_size):
        page = todo[start : start + settings.page_size]
        data = rc.call("export_responses", sid, file_format="json", completion_status="all", heading_type="code",
                       response_type="short", from_response_id=page[0], to_response_id=page[-1])
        rows = decode_json_export(data, f"survey {sid} responses {page[0]}-{page[-1]}")
        (tmp / f"responses_{sid}_{page[0]}-{page[-1]}.json").write_bytes(data)
        for r in rows:
            c = counts.setdefault(r.get("startlanguage", ""), {"complete": 0, "incomplete": 0})
            c["complete" if r.get("submitdate") else "incomplete"] += 1
        fetched += len(rows)
        if progress:
            progress(sid, fetched, len(todo))
    if progress and not todo:
        progress(sid, 0, 0)
    return {
        "languages": languages,
        "response_id_range": [todo[0], todo[-1]] if todo else None,
        "from_response_id": held_max + 1 if incremental else None,
        "responses": fetched,
        "responses_by_language": counts,
    }
