"""The RemoteControl 2 methods of the fake LimeSurvey 6.4.2 endpoint, and :class:`FakeLimeSurvey`.

Each method checks its parameters in LimeSurvey's order and answers a result or a status object
``{"status": "…"}`` with the status texts below, exactly as recorded (rpc/NNN in the docstrings).
:class:`FakeLimeSurvey` puts together the state (:mod:`.state`), the wire format and HTTP
(:mod:`.wire`) and these methods.
"""

from __future__ import annotations

import base64
import secrets
import string
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from rapportage.sources.limesurvey import encode_csv_export, encode_json_export

from tests.limesurvey_server.state import LimeSurveyState
from tests.limesurvey_server.wire import _MISSING, JsonRpcEndpoint, _BigData, _php_int, _RpcError

DB_VERSION = 620
"""``get_site_settings(key, "dbversionnumber")`` (rpc/007)."""

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
NO_PARTICIPANT_TABLE = "Error: No survey participants table"  # rpc/participants_reminders/12
NO_CANDIDATES = "Error: No candidate tokens"  # rpc/participants_reminders/08-11, 26, 27, 29
NO_PARTICIPANTS = "No survey participants found."
MAIL_FAILED = "Could not instantiate mail function."  # rpc/participants_reminders/14

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


# --------------------------------------------------------------------------- the fake
class FakeLimeSurvey(JsonRpcEndpoint, LimeSurveyState):
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

    def __init__(self, *, username: str = "admin", password: str = "secret", version: str = "6.4.2") -> None:
        super().__init__(username=username, password=password, version=version)
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
            "list_participants": (self._list_participants, 2, 7),
            "remind_participants": (self._remind_participants, 2, 5),
        }

    # ------------------------------------------------------------------ helpers
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
        if survey.participants is not None:  # token_completed counts the table, which add_response leaves at "N" (rpc/…/02)
            table = survey.participants
            summary = {"token_count": len(table), "token_invalid": sum(p.emailstatus != "OK" for p in table),
                       "token_sent": sum(p.sent != "N" for p in table), "token_opted_out": 0,
                       "token_completed": sum(p.completed != "N" for p in table), "token_screenout": 0}
        if survey.active:
            complete = sum(1 for r in survey.responses.values() if r.get("submitdate"))
            summary |= {"completed_responses": complete, "incomplete_responses": len(survey.responses) - complete,
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

    def _with_participants(self, key: Any, survey_id: Any) -> tuple[Any, dict | None]:
        """The survey, or the status a participant method answers: a bad key, an unknown survey,
        no participant table (rpc/participants_reminders/12, 13)."""
        if not self._key_ok(key):
            return None, {"status": INVALID_KEY}
        survey = self._survey(survey_id)
        if survey is None:
            return None, {"status": INVALID_SURVEY}
        if survey.participants is None:
            return None, {"status": NO_PARTICIPANT_TABLE}
        return survey, None

    def _list_participants(self, key: Any, survey_id: Any, start: Any = 0, limit: Any = 10, unused: Any = False,
                           attributes: Any = False, conditions: Any = None) -> Any:
        """Participants from ``start``, at most ``limit``: ``tid``, ``token``, ``participant_info``
        (first and last name, e-mail: always) and the ``attributes`` asked for as top-level keys;
        ``unused``: only tokens with uses left and not completed; ``conditions``: equality on
        columns (rpc/participants_reminders/05-07). No table: ``Error: No survey participants
        table``; none found: ``No survey participants found.``"""
        survey, refused = self._with_participants(key, survey_id)
        if refused:
            return refused
        rows = [p for p in survey.participants if not (unused is True and (p.usesleft < 1 or p.completed != "N"))]
        for column, value in (conditions or {}).items() if isinstance(conditions, dict) else []:
            rows = [p for p in rows if str(getattr(p, column, p.attributes.get(column))) == str(value)]
        rows = rows[_php_int(start) or 0:][: _php_int(limit) or 0]
        if not rows:
            return {"status": NO_PARTICIPANTS}
        wanted = [a for a in attributes if isinstance(a, str)] if isinstance(attributes, list) else []
        out = []
        for p in rows:
            entry: dict[str, Any] = {"tid": p.tid, "token": p.token,
                                     "participant_info": {"firstname": p.firstname, "lastname": p.lastname, "email": p.email}}
            for name in wanted:
                if name in ("completed", "remindersent", "remindercount", "usesleft", "sent", "emailstatus"):
                    entry[name] = getattr(p, name)
                elif name in p.attributes:
                    entry[name] = p.attributes[name]
            out.append(entry)
        return out

    def _remind_participants(self, key: Any, survey_id: Any, min_days: Any = None, max_reminders: Any = None,
                             token_ids: Any = False) -> Any:
        """Remind invited participants who have not completed (of ``token_ids``, else all), at most
        ``max_emails`` per call: one entry per tid (name, e-mail, status "OK" or "fail") and
        ``"N left to send"``, the candidates of the table still to go. ``min_days``: only who was
        invited and not reminded, or last reminded, at least that many days ago;
        ``max_reminders``: only who had fewer. A sent reminder sets ``remindersent`` and raises
        ``remindercount``; a failed one changes nothing (rpc/participants_reminders/08-13, 24-29)."""
        survey, refused = self._with_participants(key, survey_id)
        if refused:
            return refused
        now = self.now()
        stamp = now.strftime("%Y-%m-%d %H:%M")
        days = _php_int(min_days) if min_days not in (None, _MISSING) else None
        limit = _php_int(max_reminders) if max_reminders not in (None, _MISSING) else None
        compared = (now - timedelta(days=days)).strftime("%Y-%m-%d %H:%M") if days is not None else None

        def candidate(p) -> bool:
            if p.sent == "N" or p.completed != "N" or p.usesleft < 1 or p.emailstatus != "OK":
                return False
            if compared is not None and not ((p.remindersent == "N" and p.sent < compared) or
                                             (p.remindersent != "N" and p.remindersent < compared)):
                return False
            return limit is None or limit <= 0 or p.remindercount < limit

        everyone = [p for p in survey.participants if candidate(p)]
        ids = {_php_int(t) for t in token_ids} if isinstance(token_ids, list) else None
        chosen = [p for p in everyone if ids is None or p.tid in ids]
        if not chosen:
            return {"status": NO_CANDIDATES}
        batch = chosen[: self.max_emails]
        result: dict[str, Any] = {}
        for p in batch:
            ok = self.mail_works
            result[str(p.tid)] = {"name": f"{p.firstname} {p.lastname}", "email": p.email, "status": "OK" if ok else "fail",
                                  "warning": None, "error": None if ok else MAIL_FAILED}
            if ok:
                p.remindersent = stamp
                p.remindercount += 1
        result["status"] = f"{len(everyone) - len(batch)} left to send"
        return result

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
