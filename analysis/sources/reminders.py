"""Reminders to the participants of chosen frame categories who have not responded
(``rapportage monitor --remind route=Z …``), through LimeSurvey's RemoteControl
``remind_participants`` with their token ids.

Who has responded comes from the responses' ``token`` column, never from the participant table's
``completed`` (which responses added through the API leave at "N"). Tokens and token ids stay in
memory: the participant table's names and e-mail addresses are dropped as they arrive, and the
log under ``data_raw/<wave>/reminders.jsonl`` records only the time, the categories and counts.
Without ``--send`` only ``list_participants`` is called: nothing changes on the server.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone

import pandas as pd

from rapportage.config import Wave
from rapportage.errors import PipelineError

LOG_NAME = "reminders.jsonl"
PAGE = 1000
"""Participants per list_participants call."""


@dataclass(frozen=True)
class Plan:
    """Whom a reminder would reach: per category (``variable=code``) the number of invited
    participants without a response, and their token ids (kept in memory only)."""

    counts: dict[str, int]
    token_ids: list[int]


def parse_categories(wave: Wave, specs: list[str], frame: pd.DataFrame, variables: list[str]) -> list[tuple[str, str]]:
    """``route=Z`` → ("route", "Z"), checked against the frame's variables and values."""
    out = []
    for spec in specs:
        variable, sep, code = spec.partition("=")
        if not sep or variable not in variables:
            raise PipelineError(f"--remind {spec!r}: name a category as variable=code, with a variable of the frame "
                                f"({', '.join(variables)}), e.g. --remind {variables[-1]}={sorted(frame[variables[-1]].unique())[0]}.")
        known = sorted(frame[variable].unique())
        if code not in known:
            raise PipelineError(f"--remind {spec!r}: the frame of wave {wave.id!r} has no {variable} {code!r}; its codes are "
                                f"{', '.join(known)}.")
        out.append((variable, code))
    return out


def participants(rc, survey_id: int) -> pd.DataFrame:
    """The participant table: ``tid``, ``token``, ``sent``, ``completed`` (names and e-mail
    addresses are not kept)."""
    rows: list[dict] = []
    start = 0
    while True:
        result = rc.raw("list_participants", survey_id, start, PAGE, False, ["sent", "completed"])
        if isinstance(result, dict):
            status = str(result.get("status", ""))
            if "No survey participants table" in status or "No Tokens" in status:
                raise PipelineError(f"survey {survey_id} has no participant table in LimeSurvey, so nobody can be reminded "
                                    "personally; activate participants (tokens) for the survey and invite them first.")
            if status.startswith("No survey participants found") or status.startswith("No participants found"):
                break
            raise PipelineError(f"LimeSurvey refused to list the participants of survey {survey_id}: {status}.")
        rows += [{"tid": int(p["tid"]), "token": str(p.get("token", "")), "sent": str(p.get("sent", "N")),
                  "completed": str(p.get("completed", "N"))} for p in result]
        if len(result) < PAGE:
            break
        start += PAGE
    return pd.DataFrame(rows, columns=["tid", "token", "sent", "completed"])


def plan(frame: pd.DataFrame, responded: set[str], table: pd.DataFrame, categories: list[tuple[str, str]]) -> Plan:
    """The invited participants of ``categories`` without a submitted response. ``frame`` has
    ``key`` (the token) and the variables; ``responded`` the tokens with a submitted response."""
    invited = table[(table.sent != "N") & (table.completed == "N") & ~table.token.isin(responded)]
    counts, ids = {}, set()
    for variable, code in categories:
        keys = frame.loc[frame[variable] == code, "key"]
        chosen = invited[invited.token.isin(keys)]
        counts[f"{variable}={code}"] = len(chosen)
        ids |= set(chosen.tid)
    return Plan(counts, sorted(ids))


def send(rc, survey_id: int, token_ids: list[int]) -> tuple[int, int]:
    """Remind ``token_ids``; LimeSurvey sends a batch per call ("N left to send"), so call again
    with the ids it has not handled until none is left. Returns (sent, failed). Never retried on
    a network failure: a reminder that may have gone out is not sent twice."""
    left, sent, failed = list(token_ids), 0, 0
    while left:
        result = rc.raw("remind_participants", survey_id, 1, None, left, retry=False)
        status = str(result.get("status", "")) if isinstance(result, dict) else ""
        if not isinstance(result, dict) or (status.startswith("Error") and not sent + failed):
            raise PipelineError(f"LimeSurvey refused to send the reminders of survey {survey_id}: {status or result}; nothing "
                                "was sent (a participant reminded in the last day is not reminded again).")
        if status.startswith("Error"):
            break  # the rest had become no candidates (reminded meanwhile)
        handled = {int(k) for k in result if k.isdigit()}
        sent += sum(1 for k in handled if str(result[str(k)].get("status")) == "OK")
        failed += sum(1 for k in handled if str(result[str(k)].get("status")) != "OK")
        if not handled:
            break
        left = [t for t in left if t not in handled]
        if not re.match(r"\d+ left to send", status):
            break
    return sent, failed


def log(wave: Wave, survey_id: int, counts: dict[str, int], sent: int, failed: int) -> None:
    """One line in ``data_raw/<wave>/reminders.jsonl``: when, which categories, how many."""
    line = {"time": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "survey": survey_id, "categories": counts,
            "sent": sent, "failed": failed}
    with (wave.raw_dir / LOG_NAME).open("a", encoding="utf-8") as out:
        out.write(json.dumps(line, sort_keys=True) + "\n")


def logged(wave: Wave) -> list[dict]:
    """The reminders sent so far (empty without a log)."""
    path = wave.raw_dir / LOG_NAME
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
