"""A local fake of a LimeSurvey 6.4.2 RemoteControl 2 (JSON-RPC) endpoint, for tests.

Every answer follows the recordings of a real LimeSurvey 6.4.2 server in
``shared/limesurvey/rpc/`` (``NNN_method__label.{request,response}.json``; HTTP status and
content type in ``INDEX.json``); the docstrings name the recording each behaviour copies.

- :class:`FakeLimeSurvey` holds the state (surveys, responses, session keys, injected faults)
  and turns one HTTP request body into one HTTP reply, so it can be used without a socket.
- :class:`LimeSurveyServer` serves a fake over real HTTP on ``127.0.0.1`` (OS-chosen port).

Wire format (``rpc/*.response.json``): ``{"id":<request id>,"result":…,"error":null}`` in PHP
``json_encode`` form (no spaces, ``/`` as ``\\/``, non-ASCII as ``\\uXXXX``, an empty or
``0..n-1``-keyed PHP array as a JSON list), content type ``application/json``; a returned export
is written as ``{"id":1, "result":"<base64>", "error":null}`` (with spaces, rpc/102). Errors are
status objects ``{"status": "…"}`` with HTTP 200 (README of the recordings); an unknown method or
too few parameters gives HTTP 500 with LimeSurvey's HTML error page (rpc/004).

Implemented methods: ``get_session_key``, ``release_session_key``, ``get_site_settings``,
``list_surveys``, ``get_survey_properties``, ``get_language_properties``, ``list_groups``,
``list_questions``, ``get_question_properties``, ``get_summary``, ``activate_survey``,
``export_responses``, ``export_responses_by_token``, ``get_response_ids``. Any other method
name answers like an unknown method (rpc/004). See :meth:`FakeLimeSurvey._export` for the export
formats covered.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import socket
import string
import sys
import threading
import traceback
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from rapportage.questionnaire.lss import Question, parse_lss
from rapportage.sources.limesurvey import encode_csv_export, encode_json_export

RPC_PATH = "/index.php/admin/remotecontrol"
DB_VERSION = 620
"""``get_site_settings(key, "dbversionnumber")`` (rpc/007)."""

FAULT_KINDS = ("http500", "timeout", "drop", "invalid_json", "expire")

# Status texts, exactly as recorded.
INVALID_LOGIN = "Invalid user name or password"  # rpc/001, rpc/002
LOCKED_OUT = ("You have exceeded the number of maximum login attempts. Please wait {minutes} minutes before "
              "trying again.")  # LimeSurvey's LSUserIdentity (gT string), maxLoginAttempt 3, timeOutTime 600 s
INVALID_KEY = "Invalid session key"  # rpc/003, rpc/177
INVALID_SURVEY = "Error: Invalid survey ID"  # rpc/139-142, rpc/146, rpc/148
INVALID_QUESTION = "Error: Invalid questionid"  # rpc/147
NO_PERMISSION = "No permission"  # rpc/143, rpc/145, rpc/149
NOT_ACTIVE = "No Data, survey table does not exist."  # rpc/015, rpc/155
NO_RESPONSES = "No Data, could not get max id."  # rpc/059, rpc/060
BAD_EXPORT_LANGUAGE = "Language code not found for this survey."  # rpc/126
NO_TOKEN_RESPONSE = "No Response found for Token"  # rpc/130, rpc/175
ALREADY_ACTIVE = "Error: Survey already active"  # rpc/058
# Status texts of LimeSurvey's remotecontrol_handle.php that the recordings do not show.
NO_SURVEYS = "No surveys found"
NO_GROUPS = "No groups found"
NO_QUESTIONS = "No questions found"
INVALID_LANGUAGE = "Error: Invalid language"
GROUP_MISMATCH = "Error: IMissmatch in surveyid and groupid"
NO_VALID_DATA = "No valid Data"
INVALID_SETTING = "Invalid setting"
INVALID_SUMMARY_KEY = "Invalid summary key"
NO_SUMMARY_DATA = "No available data"

SITE_SETTINGS: dict[str, Any] = {
    "dbversionnumber": DB_VERSION, "sitename": "LimeSurvey", "defaultlang": "en",
    "defaulttheme": "fruity_twentythree", "RPCInterface": "json", "timeadjust": "+0 hours",
    "restrictToLanguages": "",
}
"""A few site settings with their recorded values (rpc/008); ``versionnumber`` comes from the fake."""

SUMMARY_STATS = ["completed_responses", "incomplete_responses", "full_responses"]
TOKEN_STATS = ["token_count", "token_invalid", "token_sent", "token_opted_out", "token_completed", "token_screenout"]

SURVEY_PROPERTIES: dict[str, Any] = {
    "sid": 0, "owner_id": 1, "gsid": 1, "admin": "inherit", "active": "N", "expires": None, "startdate": None,
    "adminemail": "inherit", "anonymized": "N", "format": "G", "savetimings": "N", "template": "inherit",
    "language": "", "additional_languages": "", "datestamp": "Y", "usecookie": "N", "allowregister": "N",
    "allowsave": "N", "autonumber_start": 0, "autoredirect": "N", "allowprev": "Y", "printanswers": "N",
    "ipaddr": "N", "ipanonymize": "N", "refurl": "N", "datecreated": "", "showsurveypolicynotice": 0,
    "publicstatistics": "N", "publicgraphs": "N", "listpublic": "N", "htmlemail": "Y", "sendconfirmation": "N",
    "tokenanswerspersistence": "N", "assessments": "N", "usecaptcha": "N", "usetokens": "N", "bounce_email": None,
    "attributedescriptions": None, "emailresponseto": None, "emailnotificationto": None, "tokenlength": 15,
    "showxquestions": "Y", "showgroupinfo": "B", "shownoanswer": "Y", "showqnumcode": "X", "bouncetime": None,
    "bounceprocessing": "N", "bounceaccounttype": None, "bounceaccounthost": None, "bounceaccountpass": None,
    "bounceaccountencryption": None, "bounceaccountuser": None, "showwelcome": "Y", "showprogress": "Y",
    "questionindex": 0, "navigationdelay": 0, "nokeyboard": "N", "alloweditaftercompletion": "N",
    "googleanalyticsstyle": None, "googleanalyticsapikey": None, "tokenencryptionoptions": "",
}
"""``get_survey_properties`` keys in the recorded order with LimeSurvey's defaults (rpc/018);
values in the ``.lss`` ``surveys`` row override them."""
_INT_SURVEY_PROPERTIES = {"sid", "owner_id", "gsid", "autonumber_start", "showsurveypolicynotice", "tokenlength",
                          "questionindex", "navigationdelay"}

LANGUAGE_PROPERTIES = [
    "surveyls_survey_id", "surveyls_language", "surveyls_title", "surveyls_description", "surveyls_welcometext",
    "surveyls_endtext", "surveyls_policy_notice", "surveyls_policy_error", "surveyls_policy_notice_label",
    "surveyls_url", "surveyls_urldescription", "surveyls_email_invite_subj", "surveyls_email_invite",
    "surveyls_email_remind_subj", "surveyls_email_remind", "surveyls_email_register_subj", "surveyls_email_register",
    "surveyls_email_confirm_subj", "surveyls_email_confirm", "surveyls_dateformat", "surveyls_attributecaptions",
    "surveyls_alias", "email_admin_notification_subj", "email_admin_notification", "email_admin_responses_subj",
    "email_admin_responses", "surveyls_numberformat", "attachments",
]
"""``get_language_properties`` keys in the recorded order (rpc/020)."""
_INT_LANGUAGE_PROPERTIES = {"surveyls_survey_id", "surveyls_dateformat", "surveyls_numberformat"}

QUESTION_PROPERTIES = [
    "qid", "parent_qid", "sid", "gid", "type", "title", "preg", "other", "mandatory", "encrypted", "question_order",
    "scale_id", "same_default", "relevance", "question_theme_name", "modulename", "same_script", "available_answers",
    "subquestions", "attributes", "attributes_lang", "answeroptions", "defaultvalue",
]
"""``get_question_properties`` keys in the recorded order (rpc/038)."""

QUESTION_THEMES = {
    "1": "arrays/dualscale", "5": "5pointchoice", "A": "arrays/5point", "B": "arrays/10point",
    "C": "arrays/yesnouncertain", "D": "date", "E": "arrays/increasesamedecrease", "F": "arrays/array",
    "G": "gender", "H": "arrays/column", "I": "language", "K": "multiplenumeric", "L": "listradio",
    "M": "multiplechoice", "N": "numerical", "O": "list_with_comment", "P": "multiplechoice_with_comments",
    "Q": "multipleshorttext", "R": "ranking", "S": "shortfreetext", "T": "longfreetext", "U": "hugefreetext",
    "X": "boilerplate", "Y": "yesno", "!": "list_dropdown", ":": "arrays/multiflexi", ";": "arrays/texts",
    "|": "file_upload", "*": "equation",
}
"""Core question theme of each type: what the server stores when the ``.lss`` leaves
``question_theme_name`` empty (``accepted_by_import_survey_246810.lss`` -> rpc/022)."""

_TIME_LIMIT = {
    "time_limit": "", "time_limit_action": "1", "time_limit_disable_next": "0", "time_limit_disable_prev": "0",
    "time_limit_message_delay": "", "time_limit_message_style": "", "time_limit_timer_style": "",
    "time_limit_warning": "", "time_limit_warning_2": "", "time_limit_warning_2_display_time": "",
    "time_limit_warning_2_style": "", "time_limit_warning_display_time": "", "time_limit_warning_style": "",
}
_TIME_LIMIT_LANG = {"time_limit_countdown_message": "", "time_limit_message": "", "time_limit_warning_2_message": "",
                    "time_limit_warning_message": ""}
_ARRAY = {"answer_width": "", "array_filter": "", "array_filter_exclude": "", "array_filter_style": "0", "cssclass": "",
          "em_validation_q": "", "exclude_all_others": "", "hidden": "0", "hide_tip": "0", "max_answers": "",
          "min_answers": "", "page_break": "0", "public_statistics": "0", "random_group": "", "random_order": "0"}
QUESTION_ATTRIBUTES: dict[str, tuple[dict[str, str | None], dict[str, str | None]]] = {
    "L": ({"answer_order": "normal", "array_filter": "", "array_filter_exclude": "", "array_filter_style": "0",
           "cssclass": "", "display_columns": None, "em_validation_q": "", "hidden": "0", "hide_tip": "0",
           "other_comment_mandatory": "0", "other_numbers_only": "0", "other_position": "default",
           "other_position_code": "", "page_break": "0", "public_statistics": "0", "random_group": "",
           "scale_export": "0", "statistics_graphtype": "0", "statistics_showgraph": "1", **_TIME_LIMIT},
          {"em_validation_q_tip": "", "other_replace_text": "", "printable_help": None, **_TIME_LIMIT_LANG}),
    "N": ({"cssclass": "", "em_validation_q": "", "em_validation_sq": "", "hidden": "0", "hide_tip": "0",
           "input_size": None, "maximum_chars": None, "max_num_value_n": "", "min_num_value_n": "",
           "num_value_int_only": "0", "page_break": "0", "public_statistics": "0", "random_group": "",
           "statistics_graphtype": "0", "statistics_showgraph": "1", "text_input_width": None},
          {"em_validation_q_tip": "", "em_validation_sq_tip": "", "placeholder": "", "prefix": "",
           "printable_help": None, "suffix": ""}),
    "Y": ({"cssclass": "", "display_type": "0", "hidden": "0", "hide_tip": "0", "page_break": "0",
           "public_statistics": "0", "random_group": "", "scale_export": "0", "statistics_graphtype": "0",
           "statistics_showgraph": "1"},
          {"printable_help": None}),
    "D": ({"cssclass": "", "date_format": "", "date_max": "", "date_min": "", "dropdown_dates": "0",
           "dropdown_dates_minute_step": "1", "dropdown_dates_month_style": "0", "em_validation_q": "", "hidden": "0",
           "hide_tip": "0", "page_break": "0", "random_group": "", "reverse": "0", "statistics_graphtype": "0",
           "statistics_showgraph": "1"},
          {"em_validation_q_tip": "", "printable_help": None}),
    "F": ({**_ARRAY, "repeat_headings": None, "scale_export": "0", "statistics_graphtype": "0",
           "statistics_showgraph": "1", "use_dropdown": "0"},
          {"em_validation_q_tip": "", "printable_help": None}),
    "M": ({"array_filter": "", "array_filter_exclude": "", "array_filter_style": "0", "assessment_value": "1",
           "cssclass": "", "display_columns": None, "em_validation_q": "", "exclude_all_others": "",
           "exclude_all_others_auto": "0", "hidden": "0", "hide_tip": "0", "max_answers": "", "min_answers": "",
           "other_numbers_only": "0", "other_position": "end", "other_position_code": "", "page_break": "0",
           "public_statistics": "0", "random_group": "", "random_order": "0", "scale_export": "0",
           "statistics_graphtype": "0", "statistics_showgraph": "1"},
          {"em_validation_q_tip": "", "other_replace_text": "", "printable_help": None}),
    "A": ({**_ARRAY, "statistics_graphtype": "0", "statistics_showgraph": "1"},
          {"em_validation_q_tip": "", "printable_help": None}),
    "T": ({"cssclass": "", "display_rows": "", "em_validation_q": "", "hidden": "0", "hide_tip": "0",
           "input_size": None, "maximum_chars": None, "page_break": "0", "random_group": "",
           "statistics_graphtype": "0", "statistics_showgraph": "1", "text_input_width": None, **_TIME_LIMIT},
          {"em_validation_q_tip": "", **_TIME_LIMIT_LANG}),
}
"""Default ``attributes`` / ``attributes_lang`` of ``get_question_properties`` per question type,
in the recorded order (rpc/038 L, 040 N, 042 Y, 044 D, 046 F, 048 M, 050 A, 052 T). Other types
get :data:`_OTHER_ATTRIBUTES` (not recorded)."""
_OTHER_ATTRIBUTES: tuple[dict[str, str | None], dict[str, str | None]] = (
    {"cssclass": "", "hidden": "0", "hide_tip": "0", "page_break": "0", "random_group": "",
     "statistics_graphtype": "0", "statistics_showgraph": "1"},
    {"printable_help": None},
)

SESSION_KEY_PLACEHOLDER = "<SESSION_KEY>"
HTML = "text/html; charset=UTF-8"
"""Content type of LimeSurvey's HTML pages (rpc/004 in INDEX.json)."""


# --------------------------------------------------------------------------- PHP json_encode
def _php_array(value: Any) -> Any:
    """A value as PHP holds it after ``json_decode(…, true)``-style array building: a dict that
    is empty or keyed ``0..n-1`` is a PHP list and encodes as a JSON list (rpc/017 ``[]``)."""
    if isinstance(value, dict):
        keys = [str(k) for k in value]
        if keys == [str(i) for i in range(len(keys))]:
            return [_php_array(v) for v in value.values()]
        return {str(k): _php_array(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_php_array(v) for v in value]
    return value


def php_json(value: Any) -> str:
    """PHP ``json_encode`` with default flags: compact, ``\\/``, ``\\uXXXX`` (rpc/009, rpc/020)."""
    return json.dumps(_php_array(value), ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def _html_escape(text: str) -> str:
    """PHP ``htmlspecialchars(…, ENT_QUOTES)`` as Yii's ``CHtml::encode`` uses it."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#039;"))


def _php_int(value: Any) -> int:
    """PHP ``(int)`` cast: ``"246810"`` -> 246810, ``"abc"`` -> 0 (rpc/149)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return int(value)
    match = re.match(r"\s*([+-]?\d+)", str(value)) if value is not None else None
    return int(match.group(1)) if match else 0


# --------------------------------------------------------------------------- replies
@dataclass
class Reply:
    """One HTTP reply. ``mode`` ``"send"`` sends it whole; ``"timeout"`` sends nothing, waits
    ``FakeLimeSurvey.timeout_sleep`` seconds and closes; ``"drop"`` sends the status line, the
    headers (with the full Content-Length) and half the body, then closes the socket."""

    status: int
    content_type: str
    body: bytes
    mode: str = "send"


class _BigData(str):
    """A base64 export string: LimeSurvey streams it, so the envelope has spaces (rpc/102)."""


class _RpcError(Exception):
    """A PHP exception caught by the JSON-RPC server: ``"result":null,"error":"…"`` (rpc/016)."""


class _Http500(Exception):
    """A PHP error the JSON-RPC server does not catch: HTTP 500 error page (rpc/004)."""


def error_page(message: str) -> bytes:
    """LimeSurvey's HTML error page (rpc/004) with ``message`` in its heading."""
    return (_ERROR_PAGE_HEAD + " " * 40 + _html_escape(message) + "\n" + _ERROR_PAGE_TAIL).encode("utf-8")


# --------------------------------------------------------------------------- surveys
@dataclass
class _Question:
    qid: int
    parent_qid: int
    sid: int
    gid: int
    type: str
    title: str
    other: str
    mandatory: str
    question_order: int
    relevance: str
    theme: str | None
    preg: str
    texts: dict[str, str]
    helps: dict[str, str]
    attributes: dict[str, str | None] = field(default_factory=dict)
    attributes_lang: dict[str, dict[str, str | None]] = field(default_factory=dict)
    answers: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)  # (aid, code, labels)
    subquestions: list[_Question] = field(default_factory=list)


@dataclass
class _Group:
    gid: int
    order: int
    names: dict[str, str]
    descriptions: dict[str, str]
    grelevance: str
    randomization_group: str


@dataclass
class _Survey:
    sid: int
    base_language: str
    languages: list[str]
    settings: dict[str, str | None]  # the .lss "surveys" row
    language_settings: dict[str, dict[str, str]]  # the .lss "surveys_languagesettings" rows
    groups: list[_Group]
    questions: list[_Question]  # parents, subquestions inside
    active: bool
    datecreated: str
    responses: dict[int, dict[str, Any]] = field(default_factory=dict)

    def title(self, language: str | None = None) -> str:
        row = self.language_settings.get(language or self.base_language) or {}
        return row.get("surveyls_title") or ""

    def all_questions(self) -> list[_Question]:
        return [q for p in self.questions for q in (p, *p.subquestions)]

    def columns(self) -> dict[str, str]:
        """Export column (``Q1``, ``Q1[other]``, ``Q4[SQ001]``) by database field name
        (``{sid}X{gid}X{qid}``, ``…other``, ``…SQ001``): the names ``aFields`` takes (rpc/124)."""
        out = {}
        for q in self.questions:
            base = f"{self.sid}X{q.gid}X{q.qid}"
            if q.subquestions:
                out.update({f"{base}{s.title}": f"{q.title}[{s.title}]" for s in q.subquestions})
            else:
                out[base] = q.title
            if q.other == "Y":
                out[f"{base}other"] = f"{q.title}[other]"
        return out

    def yes_no_columns(self) -> set[str]:
        """Export columns of yes/no (Y) and multiple-choice (M, P) questions, ``[other]`` included."""
        out = set()
        for q in self.questions:
            if q.type == "Y":
                out.add(q.title)
            elif q.type in ("M", "P"):
                out.update(f"{q.title}[{s.title}]" for s in q.subquestions)
                if q.other == "Y":
                    out.add(f"{q.title}[other]")
        return out


class _LssTables:
    """The raw tables of a ``.lss`` file, for what :class:`rapportage.questionnaire.lss.Structure` leaves out:
    survey settings and texts, group descriptions, ``other``, theme, help, question attributes.
    Rows are dicts of strings (``""`` for an empty element, key absent for a missing one)."""

    def __init__(self, lss: bytes) -> None:
        self.root = ET.fromstring(lss)
        surveys = self.rows("surveys")
        self.settings: dict[str, str | None] = dict(surveys[0]) if surveys else {}
        self.language_settings = {r.get("surveyls_language", ""): r for r in self.rows("surveys_languagesettings")}
        self.groups = sorted(self.rows("groups"), key=lambda r: int(r.get("group_order") or 0))
        self.group_l10ns = self.rows("group_l10ns")
        self.questions = {r["title"]: r for r in self.rows("questions")}
        self.subquestions = {(r.get("parent_qid"), r["title"]): r for r in self.rows("subquestions")}
        self.l10ns: dict[str, dict[str, dict[str, str]]] = {}
        for r in self.rows("question_l10ns"):
            self.l10ns.setdefault(r["qid"], {})[r["language"]] = r
        self.attributes: dict[str, list[dict[str, str]]] = {}
        for r in self.rows("question_attributes"):
            self.attributes.setdefault(r["qid"], []).append(r)

    def rows(self, name: str) -> list[dict[str, str]]:
        return [{c.tag: (c.text or "") for c in r} for r in self.root.findall(f"./{name}/rows/row")]

    def group(self, index: int) -> tuple[dict[str, str], dict[str, str]]:
        """The ``groups`` row of the index-th group and its descriptions by language."""
        row = self.groups[index] if index < len(self.groups) else {}
        return row, {r["language"]: r.get("description", "") for r in self.group_l10ns if r["gid"] == row.get("gid")}

    def helps(self, raw_qid: str | None) -> dict[str, str]:
        return {lang: r.get("help", "") for lang, r in self.l10ns.get(raw_qid or "", {}).items()}


# --------------------------------------------------------------------------- the fake
class FakeLimeSurvey:
    """State and behaviour of one LimeSurvey 6.4.2 RemoteControl 2 endpoint.

    Use :meth:`add_survey` and :meth:`add_responses` to fill it and :meth:`fail` to inject
    faults; :meth:`handle` turns a request into a :class:`Reply`; :class:`LimeSurveyServer`
    serves it. Attributes tests read or set:

    - ``rpc_enabled``: False -> every POST gets HTTP 200 with an empty body, what LimeSurvey does
      with RemoteControl switched off (citric raises ``RPCInterfaceNotEnabledError``).
    - ``not_limesurvey``: True -> every request gets an ordinary HTML page (HTTP 200, text/html);
      such requests never reach LimeSurvey and are not in ``calls``.
    - ``timeout_sleep``: seconds a ``"timeout"`` fault keeps the client waiting.
    - ``calls``: every JSON-RPC call received, in order, as ``(method, params)`` with an issued
      session key replaced by ``"<SESSION_KEY>"`` (an unknown key is kept, as in rpc/003).
    - ``released``: session keys released with ``release_session_key``, in order.
    """

    rpc_enabled: bool = True
    not_limesurvey: bool = False
    timeout_sleep: float = 3.0

    def __init__(self, *, username: str = "admin", password: str = "secret", version: str = "6.4.2") -> None:
        self.username = username
        self.password = password
        self.version = version
        self.rpc_enabled = True
        self.not_limesurvey = False
        self.timeout_sleep = 3.0
        self.max_login_attempts = 3  # LimeSurvey's defaults: after 3 failed logins from an address,
        self.lockout_minutes = 10    # every login (the right password too) is refused for 10 minutes
        self.failed_logins = 0
        self.calls: list[tuple[str, list]] = []
        self.released: list[str] = []
        self.surveys: dict[int, _Survey] = {}
        self._issued: set[str] = set()
        self._active: set[str] = set()
        self._faults: list[list[Any]] = []  # [method, kind, remaining]
        self._next_gid = 1
        self._next_qid = 1
        self._next_aid = 1
        self._lock = threading.RLock()
        self._methods: dict[str, tuple[Callable[..., Any], int, int]] = {
            # name: (implementation, parameters required, parameters declared)
            "get_session_key": (self._get_session_key, 2, 3),
            "release_session_key": (self._release_session_key, 1, 1),
            "get_site_settings": (self._get_site_settings, 2, 2),
            "list_surveys": (self._list_surveys, 1, 2),
            "get_survey_properties": (self._get_survey_properties, 2, 3),
            "get_language_properties": (self._get_language_properties, 2, 4),
            "list_groups": (self._list_groups, 2, 3),
            "list_questions": (self._list_questions, 2, 4),
            "get_question_properties": (self._get_question_properties, 2, 4),
            "get_summary": (self._get_summary, 2, 3),
            "activate_survey": (self._activate_survey, 2, 3),
            "export_responses": (self._export_responses, 3, 11),
            "export_responses_by_token": (self._export_responses_by_token, 4, 12),
            "get_response_ids": (self._get_response_ids, 3, 3),
        }

    # ------------------------------------------------------------------ set-up
    def add_survey(self, survey_id: int, lss: bytes, *, active: bool = True) -> None:
        """Install a survey from a LimeSurvey ``.lss`` file (bytes), replacing one with that id.

        Groups, questions, sub-questions and answer options come from
        :func:`rapportage.questionnaire.lss.parse_lss`; survey settings and texts, ``other``, theme, help and
        question attributes from the file's raw tables. Ids are the fake's own: gids, then the
        parent questions' qids in survey order, then the sub-questions' qids parent by parent
        (as the server numbered them on import, rpc/022).
        """
        structure = parse_lss(lss, f"survey {survey_id}")
        raw = _LssTables(lss)
        with self._lock:
            groups = []
            for index, names in enumerate(structure.groups):
                row, descriptions = raw.group(index)
                groups.append(_Group(self._next_gid, index + 1, dict(names), descriptions,
                                     row.get("grelevance") or "1", row.get("randomization_group", "")))
                self._next_gid += 1
            parents: list[_Question] = []
            order_in_group: dict[int, int] = {}
            for spec in structure.questions.values():
                gid = groups[spec.group].gid if 0 <= spec.group < len(groups) else 0
                order_in_group[gid] = order_in_group.get(gid, 0) + 1
                parents.append(self._new_question(survey_id, gid, order_in_group[gid], spec, raw, structure.languages))
            for question in parents:  # sub-questions numbered after all parents
                for sub in question.subquestions:
                    sub.qid = self._next_qid
                    self._next_qid += 1
            self.surveys[survey_id] = _Survey(
                sid=survey_id, base_language=structure.base_language, languages=list(structure.languages),
                settings=raw.settings, language_settings=raw.language_settings, groups=groups, questions=parents,
                active=active, datecreated=datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            )

    def _new_question(self, survey_id: int, gid: int, order: int, spec: Question, raw: _LssTables,
                      languages: list[str]) -> _Question:
        """A parent question with its answer options and sub-questions (their qids follow later)."""
        row = raw.questions.get(spec.code, {})
        question = _Question(
            qid=self._next_qid, parent_qid=0, sid=survey_id, gid=gid, type=spec.type, title=spec.code,
            other=row.get("other") or "N", mandatory="Y" if spec.mandatory else "N", question_order=order,
            relevance=spec.relevance or "1",
            theme=row.get("question_theme_name") or QUESTION_THEMES.get(spec.type, "core"),
            preg=row.get("preg", ""), texts=dict(spec.texts), helps=raw.helps(row.get("qid")),
        )
        self._next_qid += 1
        defaults, defaults_lang = QUESTION_ATTRIBUTES.get(spec.type, _OTHER_ATTRIBUTES)
        question.attributes = dict(defaults)
        question.attributes_lang = {lang: dict(defaults_lang) for lang in languages}
        for r in raw.attributes.get(row.get("qid", ""), []):
            if r.get("language"):
                question.attributes_lang.setdefault(r["language"], dict(defaults_lang))[r["attribute"]] = r["value"]
            else:
                question.attributes[r["attribute"]] = r["value"]
        if spec.hidden:
            question.attributes["hidden"] = "1"
        for code, labels in spec.answers:
            question.answers.append((self._next_aid, code, dict(labels)))
            self._next_aid += 1
        for n, (code, texts) in enumerate(spec.subquestions, start=1):
            sub_row = raw.subquestions.get((row.get("qid"), code), {})
            question.subquestions.append(_Question(
                qid=0, parent_qid=question.qid, sid=survey_id, gid=gid, type=sub_row.get("type") or spec.type,
                title=code, other="N", mandatory="N", question_order=n, relevance="1", theme=None, preg="",
                texts=dict(texts), helps=raw.helps(sub_row.get("qid")),
            ))
        return question

    def add_responses(self, survey_id: int, rows: list[dict]) -> None:
        """Store responses exactly as given (code/short JSON export form, ``id`` an int).

        A row with a new ``id`` is added, one with a stored ``id`` replaces that response;
        exports list them by id.
        """
        with self._lock:
            survey = self.surveys[survey_id]
            for row in rows:
                if not isinstance(row.get("id"), int):
                    raise TypeError(f"response {row!r} has no integer 'id'")
                survey.responses[row["id"]] = dict(row)

    def fail(self, method: str, kind: str, times: int = 1, after: int = 0) -> None:
        """The next ``times`` calls of ``method`` (``"*"``: any method) fail with ``kind``,
        after ``after`` calls of it have succeeded (a fault in the middle of a paged export).

        ``"http500"``: HTTP 500 with LimeSurvey's HTML error page (rpc/004). ``"timeout"``: no
        answer for ``timeout_sleep`` seconds, then the connection closes. ``"drop"``: status line,
        headers with the full Content-Length, half the body, then the socket closes.
        ``"invalid_json"``: HTTP 200, a PHP warning printed before the JSON (``text/html``).
        ``"expire"``: the call's session key expires just before it, so it and every later call
        with that key answer ``Invalid session key`` (rpc/003); calls without a key
        (``get_session_key``) neither match nor use up an ``"expire"`` fault.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._faults.append([method, kind, times, after])

    def active_keys(self) -> set[str]:
        """Session keys issued and not released or expired."""
        with self._lock:
            return set(self._active)

    # ------------------------------------------------------------------ HTTP
    def handle(self, path: str, body: bytes) -> Reply:
        """The reply of the endpoint to an HTTP POST of ``body`` to ``path``."""
        if self.not_limesurvey:
            return Reply(200, "text/html", _OTHER_SITE_PAGE)
        if path.split("?", 1)[0] != RPC_PATH:
            return Reply(404, HTML, error_page(f'Unable to resolve the request "{path.lstrip("/")}".'))
        try:
            request = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            request = None
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            if not self.rpc_enabled:
                return Reply(200, HTML, b"")
            return Reply(500, HTML, error_page("Trying to access array offset on value of type null"))
        method: str = request["method"]
        params = request.get("params")
        params = list(params.values()) if isinstance(params, dict) else list(params or [])
        with self._lock:
            self.calls.append((method, self._recorded_params(method, params)))
            if not self.rpc_enabled:  # LimeSurvey with RPC off answers nothing (citric: RPCInterfaceNotEnabledError)
                return Reply(200, HTML, b"")
            kind = self._take_fault(method, params)
            if kind == "expire":
                self._active.discard(params[0])
            if kind == "http500":
                return Reply(500, HTML, error_page("CDbConnection failed to open the DB connection."))
            if kind == "timeout":
                return Reply(200, "application/json", b"", mode="timeout")
            reply = self._call(request.get("id"), method, params)
        if kind == "drop":
            reply.mode = "drop"
        elif kind == "invalid_json":
            reply = Reply(200, HTML, _PHP_WARNING + reply.body)
        return reply

    def _recorded_params(self, method: str, params: list) -> list:
        """Parameters for :attr:`calls`, an issued session key replaced by ``<SESSION_KEY>``."""
        out = list(params)
        if method != "get_session_key" and out and isinstance(out[0], str) and out[0] in self._issued:
            out[0] = SESSION_KEY_PLACEHOLDER
        return out

    def _take_fault(self, method: str, params: list) -> str | None:
        for fault in self._faults:
            name, kind, remaining, after = fault
            if remaining <= 0 or name not in ("*", method):
                continue
            if kind == "expire" and (method == "get_session_key" or not params or not isinstance(params[0], str)):
                continue
            if after > 0:
                fault[3] -= 1
                continue
            fault[2] -= 1
            return kind
        return None

    def _call(self, request_id: Any, method: str, params: list) -> Reply:
        """Run one JSON-RPC method: jsonRPCServer of LimeSurvey 6.4.2 (rpc/001-177)."""
        entry = self._methods.get(method)
        if entry is None:  # rpc/004
            message = (f"call_user_func_array(): Argument #1 ($callback) must be a valid callback, class "
                       f'remotecontrol_handle does not have a method "{method}"')
            return Reply(500, HTML, error_page(message))
        function, required, declared = entry
        if len(params) < required:
            bound = "exactly" if required == declared else "at least"
            message = (f"Too few arguments to function remotecontrol_handle::{method}(), {len(params)} passed "
                       f"and {bound} {required} expected")
            return Reply(500, HTML, error_page(message))
        args = params[:declared] + [_MISSING] * (declared - len(params))
        try:
            result = function(*args)
        except _RpcError as exc:  # rpc/016
            return self._json_reply(f'{{"id":{php_json(request_id)},"result":null,"error":{php_json(str(exc))}}}')
        if isinstance(result, _BigData):  # rpc/102: the export is streamed, with spaces
            return self._json_reply(f'{{"id":{php_json(request_id)}, "result":"{result}", "error":null}}')
        return self._json_reply(f'{{"id":{php_json(request_id)},"result":{php_json(result)},"error":null}}')

    @staticmethod
    def _json_reply(text: str) -> Reply:
        return Reply(200, "application/json", text.encode("ascii"))

    # ------------------------------------------------------------------ helpers
    def _key_ok(self, key: Any) -> bool:
        return isinstance(key, str) and key in self._active

    def _survey(self, survey_id: Any) -> _Survey | None:
        return self.surveys.get(_php_int(survey_id))

    def _question(self, question_id: Any) -> tuple[_Survey, _Question] | None:
        qid = _php_int(question_id)
        for survey in self.surveys.values():
            for question in survey.all_questions():
                if question.qid == qid:
                    return survey, question
        return None

    @staticmethod
    def _pick(available: list[str], wanted: Any) -> list[str] | None:
        """PHP ``array_intersect(wanted, available)``, all when none wanted; None if empty."""
        if not isinstance(wanted, list) or not wanted:
            return list(available)
        picked = [name for name in wanted if isinstance(name, str) and name in available]
        return picked or None

    # ------------------------------------------------------------------ methods
    def _get_session_key(self, username: Any, password: Any, plugin: Any = None) -> Any:
        """A 32-character key (rpc/005), or ``Invalid user name or password`` (rpc/001, 002); after
        ``max_login_attempts`` failures, LimeSurvey's lockout message for every login."""
        if self.failed_logins >= self.max_login_attempts:
            return {"status": LOCKED_OUT.format(minutes=self.lockout_minutes)}
        if username != self.username or password != self.password:
            self.failed_logins += 1
            return {"status": INVALID_LOGIN}
        key = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
        self._issued.add(key)
        self._active.add(key)
        return key

    def _release_session_key(self, key: Any) -> Any:
        """Always ``"OK"`` (rpc/176); the key answers ``Invalid session key`` after (rpc/177)."""
        if isinstance(key, str) and key in self._issued and key not in self.released:
            self.released.append(key)
        self._active.discard(key)
        return "OK"

    def _get_site_settings(self, key: Any, name: Any) -> Any:
        """``versionnumber`` -> the version string (rpc/006), ``dbversionnumber`` -> 620 (rpc/007)."""
        if not self._key_ok(key):
            return {"status": INVALID_KEY}
        settings = {**SITE_SETTINGS, "versionnumber": self.version}
        return settings.get(name, {"status": INVALID_SETTING})

    def _list_surveys(self, key: Any, username: Any = None) -> Any:
        """All surveys by id: sid, base-language title, dates, active flag (rpc/009, rpc/014)."""
        if not self._key_ok(key):
            return {"status": INVALID_KEY}
        if not self.surveys:
            return {"status": NO_SURVEYS}
        return [{"sid": s.sid, "surveyls_title": s.title(), "startdate": s.settings.get("startdate") or None,
                 "expires": s.settings.get("expires") or None, "active": "Y" if s.active else "N"}
                for s in sorted(self.surveys.values(), key=lambda s: s.sid)]

    def _get_survey_properties(self, key: Any, survey_id: Any, settings: Any = None) -> Any:
        """All properties in the recorded order (rpc/018) or the asked ones in asked order (rpc/019)."""
        if not self._key_ok(key):
            return {"status": INVALID_KEY}
        survey = self._survey(survey_id)
        if survey is None:
            return {"status": INVALID_SURVEY}  # rpc/139
        properties = dict(SURVEY_PROPERTIES)
        for name in properties:
            value = survey.settings.get(name)
            if value is not None and name in survey.settings:
                properties[name] = _php_int(value) if name in _INT_SURVEY_PROPERTIES else value
        properties.update(sid=survey.sid, active="Y" if survey.active else "N", datecreated=survey.datecreated,
                          language=survey.base_language, additional_languages=" ".join(survey.languages[1:]))
        names = self._pick(list(properties), settings)
        if names is None:
            return {"status": NO_VALID_DATA}
        return {name: properties[name] for name in names}

    def _get_language_properties(self, key: Any, survey_id: Any, settings: Any = None, language: Any = None) -> Any:
        """The ``surveys_languagesettings`` row of the language (rpc/020-032); a language the
        survey lacks silently gives the base language (rpc/036)."""
        if not self._key_ok(key):
            return {"status": INVALID_KEY}
        survey = self._survey(survey_id)
        if survey is None:
            return {"status": INVALID_SURVEY}  # rpc/142
        lang = language if language in survey.languages else survey.base_language
        row = survey.language_settings.get(lang, {})
        properties: dict[str, Any] = {}
        for name in LANGUAGE_PROPERTIES:
            value = row.get(name)
            properties[name] = _php_int(value) if value is not None and name in _INT_LANGUAGE_PROPERTIES else value
        properties.update(surveyls_survey_id=survey.sid, surveyls_language=lang)
        names = self._pick(LANGUAGE_PROPERTIES, settings)
        if names is None:
            return {"status": NO_VALID_DATA}
        return {name: properties[name] for name in names}

    def _list_groups(self, key: Any, survey_id: Any, language: Any = None) -> Any:
        """Groups in order with their texts in one language (rpc/021, 024, 027, 030, 033)."""
        if not self._key_ok(key):
            return {"status": INVALID_KEY}
        survey = self._survey(survey_id)
        if survey is None:
            return {"status": INVALID_SURVEY}  # rpc/141
        lang = language if isinstance(language, str) and language else survey.base_language
        if lang not in survey.languages or not survey.groups:
            return {"status": NO_GROUPS}
        return [{"id": g.gid, "gid": g.gid, "sid": survey.sid, "group_order": g.order,
                 "randomization_group": g.randomization_group, "grelevance": g.grelevance,
                 "group_name": g.names.get(lang, ""), "description": g.descriptions.get(lang, ""), "language": lang}
                for g in survey.groups]

    def _list_questions(self, key: Any, survey_id: Any, group_id: Any = None, language: Any = None) -> Any:
        """Parents and sub-questions, by group, question order and qid, with the fields and
        field order of rpc/022 (also 025, 028, 031, 034; no language: base, rpc/035)."""
        if not self._key_ok(key):
            return {"status": INVALID_KEY}
        survey = self._survey(survey_id)
        if survey is None:
            return {"status": INVALID_SURVEY}  # rpc/140
        lang = language if isinstance(language, str) and language else survey.base_language
        if lang not in survey.languages:
            return {"status": INVALID_LANGUAGE}
        group_order = {g.gid: g.order for g in survey.groups}
        questions = survey.all_questions()
        if group_id is not _MISSING and group_id is not None:
            gid = _php_int(group_id)
            if gid not in group_order:
                return {"status": GROUP_MISMATCH}
            questions = [q for q in questions if q.gid == gid]
        if not questions:
            return {"status": NO_QUESTIONS}
        questions.sort(key=lambda q: (group_order.get(q.gid, 0), q.question_order, q.qid))
        return [{"id": q.qid, "question": q.texts.get(lang, ""), "help": q.helps.get(lang, ""), "language": lang,
                 "qid": q.qid, "parent_qid": q.parent_qid, "sid": q.sid, "type": q.type, "title": q.title,
                 "preg": q.preg, "other": q.other, "mandatory": q.mandatory, "encrypted": "N",
                 "question_order": q.question_order, "scale_id": 0, "same_default": 0,
                 "question_theme_name": q.theme, "modulename": "", "gid": q.gid, "relevance": q.relevance,
                 "same_script": 0}
                for q in questions]

    def _get_question_properties(self, key: Any, question_id: Any, settings: Any = None, language: Any = None) -> Any:
        """Question fields, sub-questions, attributes and answer options in one language
        (rpc/038-053); asked properties in asked order (rpc/054). ``available_answers`` and
        ``subquestions`` are the string ``"No available answers"`` without sub-questions,
        ``answeroptions`` the string ``"No available answer options"`` without options."""
        if not self._key_ok(key):
            return {"status": INVALID_KEY}
        found = self._question(question_id)
        if found is None:
            return {"status": INVALID_QUESTION}  # rpc/147
        survey, q = found
        lang = language if isinstance(language, str) and language else survey.base_language
        if lang not in survey.languages:
            return {"status": INVALID_LANGUAGE}
        names = self._pick(QUESTION_PROPERTIES, settings)
        if names is None:
            return {"status": NO_VALID_DATA}
        subs = q.subquestions
        properties: dict[str, Any] = {
            "qid": q.qid, "parent_qid": q.parent_qid, "sid": q.sid, "gid": q.gid, "type": q.type, "title": q.title,
            "preg": q.preg, "other": q.other, "mandatory": q.mandatory, "encrypted": "N",
            "question_order": q.question_order, "scale_id": 0, "same_default": 0, "relevance": q.relevance,
            "question_theme_name": q.theme, "modulename": "", "same_script": 0,
            "available_answers": {s.title: s.texts.get(lang, "") for s in subs} if subs else "No available answers",
            "subquestions": ({str(s.qid): {"title": s.title, "question": s.texts.get(lang, ""), "scale_id": 0}
                              for s in subs} if subs else "No available answers"),
            "attributes": dict(q.attributes),
            "attributes_lang": dict(q.attributes_lang.get(lang, {})),
            "answeroptions": ({code: {"answer": labels.get(lang, ""), "assessment_value": 0, "scale_id": 0,
                                      "order": n} for n, (_, code, labels) in enumerate(q.answers, start=1)}
                              if q.answers else "No available answer options"),
            "defaultvalue": None,
        }
        return {name: properties[name] for name in names}

    def _get_summary(self, key: Any, survey_id: Any, stat: Any = "all") -> Any:
        """Response counts (rpc/132, 061), one count as a number (rpc/133); ``[]`` for a survey
        not active (rpc/017); unknown survey ``Invalid surveyid`` (rpc/144)."""
        if not self._key_ok(key):
            return {"status": INVALID_KEY}
        survey = self._survey(survey_id)
        if survey is None:
            return {"status": "Invalid surveyid"}
        stat = "all" if stat is _MISSING else stat
        if stat not in (*SUMMARY_STATS, *TOKEN_STATS, "all"):
            return {"status": INVALID_SUMMARY_KEY}
        summary: dict[str, int] = {}
        if survey.active:
            complete = sum(1 for r in survey.responses.values() if r.get("submitdate"))
            summary = {"completed_responses": complete, "incomplete_responses": len(survey.responses) - complete,
                       "full_responses": len(survey.responses)}
        if stat == "all":
            return summary
        return summary.get(stat, {"status": NO_SUMMARY_DATA})

    def _activate_survey(self, key: Any, survey_id: Any, settings: Any = None) -> Any:
        """Activate (rpc/057); again: ``Error: Survey already active`` (rpc/058)."""
        if not self._key_ok(key):
            return {"status": INVALID_KEY}
        survey = self._survey(survey_id)
        if survey is None:
            return {"status": NO_PERMISSION}  # rpc/145
        if survey.active:
            return {"status": ALREADY_ACTIVE}
        survey.active = True
        return {"status": "OK", "pluginFeedback": None}

    def _get_response_ids(self, key: Any, survey_id: Any, token: Any) -> Any:
        """Ids of the responses with that token, ``[]`` when none (rpc/170, 171, 131)."""
        if not self._key_ok(key):
            return {"status": INVALID_KEY}
        survey = self._survey(survey_id)
        if survey is None:
            return {"status": INVALID_SURVEY}
        if not survey.active:  # the query hits a missing table, like add_response (rpc/016)
            raise _RpcError(_missing_table(survey.sid))
        return sorted(i for i, r in survey.responses.items() if r.get("token") == token)

    def _export_responses(self, key: Any, survey_id: Any, document_type: Any, language: Any = None,
                          completion_status: Any = "all", heading_type: Any = "code", response_type: Any = "short",
                          from_id: Any = None, to_id: Any = None, fields: Any = None, options: Any = None) -> Any:
        """``export_responses``: see :meth:`_export`."""
        return self._export(key, survey_id, document_type, None, language, completion_status, heading_type,
                            response_type, from_id, to_id, fields, options)

    def _export_responses_by_token(self, key: Any, survey_id: Any, document_type: Any, token: Any,
                                   language: Any = None, completion_status: Any = "all", heading_type: Any = "code",
                                   response_type: Any = "short", from_id: Any = None, to_id: Any = None,
                                   fields: Any = None, options: Any = None) -> Any:
        """``export_responses_by_token``: :meth:`_export` of the token's responses; none:
        ``No Response found for Token`` (rpc/130, rpc/175)."""
        return self._export(key, survey_id, document_type, token, language, completion_status, heading_type,
                            response_type, from_id, to_id, fields, options)

    def _export(self, key: Any, survey_id: Any, document_type: Any, token: Any, language: Any,
                completion_status: Any, heading_type: Any, response_type: Any, from_id: Any, to_id: Any,
                fields: Any, options: Any) -> Any:
        """Export stored responses as a base64 string.

        Checks in LimeSurvey's order: session key; unknown survey ``No permission`` (rpc/143,
        rpc/149); not active ``No Data, survey table does not exist.`` (rpc/015); no responses
        at all ``No Data, could not get max id.`` (rpc/059); a language the survey lacks
        ``Language code not found for this survey.`` (rpc/126) — a known language does not
        filter rows. ``completion_status`` ``complete``/``incomplete`` filters on
        ``submitdate`` (rpc/118, 119), anything else is all; ``from_id``/``to_id`` are
        inclusive id bounds (rpc/120-122), a range without responses gives
        ``{"responses": []}`` (rpc/123). ``fields`` takes database field names
        (``{sid}X{gid}X{qid}[SQ…|other]`` with the fake's ids, meta columns by name; rpc/124).

        Formats: ``json`` (:func:`rapportage.sources.limesurvey.encode_json_export`, rpc/102) and ``csv``
        (UTF-8 BOM, ``;``, all quoted, CRLF, rpc/096), both with heading ``code`` and answers
        ``short`` (or null). ``aAdditionalOptions`` ``convertY``/``yValue``, ``convertN``/``nValue``
        rewrite the columns of yes/no and multiple-choice questions: ``Y`` to yValue, ``N`` and
        blank to nValue (rpc/125); other options are ignored. Other document types (xls, pdf,
        doc), headings (full, abbreviated) and answer types (long) are not implemented and
        answer ``{"status": "FakeLimeSurvey: export as … is not implemented"}``.
        """
        if not self._key_ok(key):
            return {"status": INVALID_KEY}
        survey = self._survey(survey_id)
        if survey is None:
            return {"status": NO_PERMISSION}
        if not survey.active:
            return {"status": NOT_ACTIVE}
        if not survey.responses:
            return {"status": NO_RESPONSES}
        if language is not _MISSING and language and language not in survey.languages:
            return {"status": BAD_EXPORT_LANGUAGE}
        heading = "code" if heading_type in (None, _MISSING) else heading_type
        answers = "short" if response_type in (None, _MISSING) else response_type
        if document_type not in ("json", "csv") or heading != "code" or answers != "short":
            return {"status": f"FakeLimeSurvey: export as {document_type}/{heading}/{answers} is not implemented"}
        ids = sorted(survey.responses)
        low = _php_int(from_id) if from_id not in (None, _MISSING) and _php_int(from_id) else ids[0]
        high = _php_int(to_id) if to_id not in (None, _MISSING) and _php_int(to_id) else ids[-1]
        rows = [survey.responses[i] for i in ids if low <= i <= high]
        if completion_status == "complete":
            rows = [r for r in rows if r.get("submitdate")]
        elif completion_status == "incomplete":
            rows = [r for r in rows if not r.get("submitdate")]
        if token is not None:
            rows = [r for r in rows if r.get("token") == token]
            if not rows:
                return {"status": NO_TOKEN_RESPONSE}
        columns = list(survey.responses[ids[0]])
        if fields not in (None, _MISSING) and fields:
            by_field = survey.columns()
            wanted = {by_field.get(f, f) for f in fields if isinstance(f, str)}
            columns = [c for c in columns if c in wanted]
            rows = [{c: r[c] for c in columns if c in r} for r in rows]
        if isinstance(options, dict) and (options.get("convertY") or options.get("convertN")):
            rows = [_convert_yes_no(r, survey.yes_no_columns(), options) for r in rows]
        if document_type == "json":
            data = encode_json_export(rows)
        else:
            data = encode_csv_export(rows, columns)
        return _BigData(base64.b64encode(data).decode("ascii"))


class _Missing:
    """A parameter the request left out (PHP then uses the declared default)."""

    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


def _missing_table(survey_id: int) -> str:
    """The SQL error of a query on a survey without response table (rpc/016)."""
    return ("CDbCommand failed to execute the SQL statement: SQLSTATE[42S02]: Base table or view not found: "
            f"1146 Table 'limesurvey.lime_survey_{survey_id}' doesn't exist")


def _convert_yes_no(row: dict, columns: set[str], options: dict) -> dict:
    """The convertY/convertN export options on one row (rpc/125)."""
    out = dict(row)
    for column in columns & out.keys():
        if options.get("convertY") and out[column] == "Y":
            out[column] = str(options.get("yValue", "Y"))
        elif options.get("convertN") and out[column] in ("N", ""):
            out[column] = str(options.get("nValue", "N"))
    return out


# --------------------------------------------------------------------------- HTTP server
class _Handler(BaseHTTPRequestHandler):
    """One connection to the fake; HTTP/1.1 with keep-alive like Apache/PHP."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once: no 40 ms delayed-ACK stall per call
    server: _HTTPServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            reply = self.server.fake.handle(self.path, body)
        except Exception as exc:  # noqa: BLE001 - a bug in the fake: show it, answer like a PHP fatal error
            traceback.print_exc()
            reply = Reply(500, HTML, error_page(f"{type(exc).__name__}: {exc}"))
        self._send(reply)

    def do_GET(self) -> None:
        fake = self.server.fake
        if fake.not_limesurvey:
            self._send(Reply(200, "text/html", _OTHER_SITE_PAGE))
        else:  # a browser visit of the endpoint: no JSON-RPC request, no answer
            self._send(Reply(200, HTML, b""))

    def _send(self, reply: Reply) -> None:
        if reply.mode == "timeout":
            self.server.stopping.wait(self.server.fake.timeout_sleep)
            self.close_connection = True
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        if reply.mode == "drop":
            self.send_header("Connection", "close")
        self.end_headers()
        if reply.mode == "drop":
            self.wfile.write(reply.body[: len(reply.body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read :attr:`FakeLimeSurvey.calls` instead of a log."""


class _HTTPServer(ThreadingHTTPServer):
    """Threading server that knows its open connections, so it can close them on stop."""

    daemon_threads = True

    def __init__(self, fake: FakeLimeSurvey) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Connections the client or :meth:`LimeSurveyServer.stop` closed are not errors."""
        if self.stopping.is_set() or isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class LimeSurveyServer:
    """ThreadingHTTPServer on 127.0.0.1 with an OS-chosen port, serving a :class:`FakeLimeSurvey`
    in a daemon thread. ``with LimeSurveyServer(fake) as server: server.url``, where ``url`` is
    ``http://127.0.0.1:<port>/index.php/admin/remotecontrol``. Leaving the block stops the
    server, closes open connections (also one waiting in a ``"timeout"`` fault) and joins the
    threads."""

    def __init__(self, fake: FakeLimeSurvey) -> None:
        self.fake = fake
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server is not running; use it as a context manager or call start()")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{RPC_PATH}"

    def start(self) -> Self:
        if self._httpd is None:
            self._httpd = _HTTPServer(self.fake)
            self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                            name="fake-limesurvey", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        httpd.stopping.set()
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()  # joins the connection threads
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


# --------------------------------------------------------------------------- canned pages
_PHP_WARNING = (b"<br />\n<b>Warning</b>:  Undefined array key \"HTTP_ACCEPT_LANGUAGE\" in "
                b"<b>/var/www/limesurvey/application/core/LSYii_Application.php</b> on line <b>482</b><br />\n")
"""A PHP warning printed before the JSON: what makes a LimeSurvey answer invalid JSON."""

_OTHER_SITE_PAGE = (b"<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n"
                    b"<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully "
                    b"installed and working. Further configuration is required.</p>\n</body>\n</html>\n")
"""An ordinary web page, for a URL that does not point at LimeSurvey (``not_limesurvey``)."""

# LimeSurvey 6.4.2's HTML error page, byte for byte as in rpc/004 around the message line.
_ERROR_PAGE_HEAD = (
    '\n'
    '\n'
    '<!DOCTYPE html>\n'
    '<html lang="en" dir="ltr"\n'
    '      class="en dir-ltr  no-js " \n'
    '      xmlns="http://www.w3.org/1999/html">\n'
    '\n'
    '<head>\n'
    '    <meta http-equiv="content-type" content="text/html; charset=UTF-8"/>\n'
    '    <meta http-equiv="X-UA-Compatible" content="IE=edge"/>\n'
    '    <meta name="viewport" content="width=device-width, initial-scale=1.0"/>\n'
    '\n'
    '    <meta name="viewport" content="width=device-width, initial-scale=1.0" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/847a0a80/jquery-ui.min.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/840b47ae/css/font-awesome.min.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/928a21ae/ibm-sans.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/667d9389/ibm-serif.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/3108b95f/remixicon.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/3e4e38f5/build/tempus-dominus.min.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/c65bc571/roboto.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/c65bc571/icomoon.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/bbfad9a1/css/select2.min.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/a2516b91/select2-bootstrap-5-theme.min.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/e0f62f21/build/lstutorial.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/6b776345/css/sea_green.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/f82d1da1/build.min/css/adminsidepanel.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/39e08310/build/embeddables.min.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/e3b6b071/css/variations/theme_apple.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/e3b6b071/css/base.css" />\n'
    '<link rel="stylesheet" type="text/css" href="/tmp/assets/e3b6b071/css/custom.css" />\n'
    '<script type=\'text/javascript\'>window.debugState = {frontend : (0 === 1), backend : (0 === 1)};</script><script type="text/javascript" src="/tmp/assets/bc787b1a/jquery.min.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/b8c43dc7/jquery-migrate.min.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/847a0a80/jquery-ui.min.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/f82d1da1/build.min/js/adminsidepanel.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/92d48cd9/js.cookie.min.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/d5e67f1f/moment-with-locales.min.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/3e4e38f5/build/popper-tempus.min.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/3e4e38f5/datepickerInit.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/743cf80b/build/lslog.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/777e5294/min/pjax.combined.min.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/bbfad9a1/js/select2.full.min.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/915434a7/ckeditor.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/915434a7/config.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/6c4836be/ckeditoradditions.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/71740612/js/bootstrap_5.min.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/4ebb0464/em_javascript.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/777e5294/pjax.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/e3b6b071/scripts/theme.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/e3b6b071/scripts/custom.js" class="headScriptTag"></script>\n'
    '<script type="text/javascript">\n'
    '/*<![CDATA[*/\n'
    '\n'
    '           window.LS = window.LS || {}; window.LS.globalUserId = "";\n'
    '/*]]>*/\n'
    '</script>\n'
    '<title>\n'
    '                    500: Internal Server Error\n'
    '            </title>\n'
    '\n'
    '    <meta name="generator" content="LimeSurvey http://www.limesurvey.org"/>\n'
    '            <link rel="shortcut icon" href="/tmp/assets/7605fd9c/favicon.ico"/>\n'
    '    </head>\n'
    '\n'
    '<body class="error-page fruity_twentythree lang-en " marginwidth="0"\n'
    '      marginheight="0" ><script type="text/javascript" src="/tmp/assets/60b97c99/build/adminbasics.min.js"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/452e126/js/modaleditor.js"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/c472dfbf/decimal.js"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/382d9498/decimalcustom.js"></script>\n'
    '<script type="text/javascript" id="lemscripts">\n'
    '/*<![CDATA[*/\n'
    "var LEMmode='group';\n"
    "var LEMgseq='';\n"
    'ExprMgr_process_relevance_and_tailoring = function(evt_type,sgqa,type){\n'
    "if (typeof LEM_initialized == 'undefined') {\n"
    'LEM_initialized=true;\n'
    'LEMsetTabIndexes();\n'
    '}\n'
    "if (evt_type == 'onchange' && (typeof last_sgqa !== 'undefined' && sgqa==last_sgqa) && (typeof last_evt_type !== 'undefined' && last_evt_type == 'TAB' && type != 'checkbox')) {\n"
    "  last_evt_type='onchange';\n"
    '  last_sgqa=sgqa;\n'
    '  return;\n'
    '}\n'
    "if (evt_type == 'updated'  && (typeof last_sgqa !== 'undefined' && sgqa==last_sgqa)) {\n"
    "  last_evt_type='updated';\n"
    '  last_sgqa=sgqa;\n'
    '  return;\n'
    '}\n'
    'last_evt_type = evt_type;\n'
    'last_sgqa=sgqa;\n'
    '\n'
    '}\n'
    '\n'
    '/*]]>*/\n'
    '</script>\n'
    '\n'
    '    <div class="container m-auto ">\n'
    '        <div class="row align-items-center">\n'
    '            <div class="col">\n'
    '                <h2 class="error-title">\n'
    '                                            500: Internal Server Error\n'
)
_ERROR_PAGE_TAIL = (
    '                </h2>\n'
    '                <div class="error-content">An internal error occurred while the Web server was processing your request.</div>\n'
    '                                    Please contact Your Name to report this problem.\n'
    '                                            </div>\n'
    '            <div class="col d-flex">\n'
    '                              <img class="m-auto" src="/tmp/assets/7605fd9c/error.png" alt="Survey Error" />\n'
    '                          </div>      \n'
    '        </div>\n'
    '    </div>\n'
    '    \n'
    '<script type="text/javascript" src="/tmp/assets/e0f62f21/build/lstutorial.min.js"></script>\n'
    '<script type="text/javascript" src="/tmp/assets/39e08310/build/embeddables.min.js"></script>\n'
    '<script type="text/javascript">\n'
    '/*<![CDATA[*/\n'
    '\n'
    '            try{ \n'
    '                triggerEmClassChange(); \n'
    '            } catch(e) {\n'
    "                console.ls.warn('triggerEmClassChange could not be run. Is survey.js/old_template_core_pre.js correctly loaded?');\n"
    '            }\n'
    '\n'
    'triggerEmRelevance();\n'
    "jQuery(document).off('pjax:scriptcomplete.mainBottom').on('ready pjax:scriptcomplete.mainBottom', function() {\n"
    'updateMandatoryErrorClass();\n'
    '});\n'
    '/*]]>*/\n'
    '</script>\n'
    '</body>\n'
    '</html>\n'
)
