"""State of the fake LimeSurvey 6.4.2 RemoteControl 2 endpoint: surveys, responses, sessions, faults.

- Surveys come from LimeSurvey ``.lss`` files (:meth:`LimeSurveyState.add_survey`): groups,
  questions, sub-questions and answer options with the fake's own ids, survey settings and texts,
  and the question attributes LimeSurvey gives each question type by default
  (:data:`QUESTION_ATTRIBUTES`, recorded).
- Responses are stored per survey exactly as given (:meth:`LimeSurveyState.add_responses`).
- A participant table per survey (:meth:`LimeSurveyState.add_participants`): token, name and
  e-mail, ``sent``, ``remindersent``, ``remindercount``, ``completed`` and ``usesleft``, which
  ``list_participants`` and ``remind_participants`` read and change
  (``rpc/participants_reminders/``). As in LimeSurvey, a response's ``token`` does not update the
  table's ``completed``.
- Session keys issued, active and released, and failed logins (for LimeSurvey's lockout).
- Injected faults (:meth:`LimeSurveyState.fail`), which :mod:`.wire` applies to a call.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rapportage.questionnaire.lss import Question, parse_lss

from tests.limesurvey_server.wire import _php_int

FAULT_KINDS = ("http500", "timeout", "drop", "invalid_json", "expire")
SESSION_KEY_PLACEHOLDER = "<SESSION_KEY>"
"""What replaces an issued session key in :attr:`LimeSurveyState.calls` (as in the recordings)."""

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
class _Participant:
    """A row of a survey's participant table; dates as LimeSurvey writes them ("YYYY-MM-DD HH:MM")
    or "N"."""

    tid: int
    token: str
    firstname: str = ""
    lastname: str = ""
    email: str = ""
    sent: str = "N"
    remindersent: str = "N"
    remindercount: int = 0
    completed: str = "N"
    usesleft: int = 1
    emailstatus: str = "OK"
    attributes: dict[str, str] = field(default_factory=dict)


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
    participants: list[_Participant] | None = None  # None: the survey has no participant table

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


# --------------------------------------------------------------------------- the state
class LimeSurveyState:
    """Surveys, responses, session keys and injected faults of one endpoint, and the set-up
    tests use: :meth:`add_survey`, :meth:`add_responses`, :meth:`fail`, :meth:`active_keys`."""

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
        self._faults: list[list[Any]] = []  # [method, kind, remaining, after]
        self._next_gid = 1
        self._next_qid = 1
        self._next_aid = 1
        self.max_emails = 50   # LimeSurvey's 'maxemails' (global settings): invitations or reminders per call
        self.mail_works = True  # False: every e-mail fails with "Could not instantiate mail function." (rpc/…/14)
        self.now = lambda: datetime.now()  # the server's clock (tests move it to test min_days)
        self._lock = threading.RLock()

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

    def add_participants(self, survey_id: int, rows: list[dict]) -> list[int]:
        """Add participants (keys of :class:`_Participant`, ``token`` required; others are
        attributes such as ``attribute_1``), creating the survey's participant table; returns their tids."""
        with self._lock:
            survey = self.surveys[survey_id]
            table = survey.participants if survey.participants is not None else []
            survey.participants = table
            tids = []
            known = set(_Participant.__dataclass_fields__) - {"tid", "attributes"}
            for row in rows:
                tid = max((p.tid for p in table), default=0) + 1
                table.append(_Participant(tid=tid, **{k: v for k, v in row.items() if k in known},
                                          attributes={k: str(v) for k, v in row.items() if k not in known}))
                tids.append(tid)
            return tids

    def participant(self, survey_id: int, tid: int) -> _Participant:
        """A participant, for a test to read (or set ``sent`` on) directly."""
        return next(p for p in self.surveys[survey_id].participants or [] if p.tid == tid)

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

    # ------------------------------------------------------------------ calls
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

    # ------------------------------------------------------------------ look-ups
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
